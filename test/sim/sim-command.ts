// test/sim/sim-command.ts — a client command on a simulated node, through the
// same cluster steps the server runs (server/dispatch.ts's runClustered):
// the command's plan from the real command table (server/cluster-plan.ts),
// route -> forward (again while the target is down) -> prepare (quorum read,
// not for blind writes) -> begin -> handler -> end (the writes' W acks). The
// handlers are the coordinator calls the string commands make: SET and
// MSET -> set(), GET -> get(), DEL -> delete(), DYN.VERSIONS -> versions(),
// and HSET / HDEL of one field -> hashes.set() / hashes.delete(). A
// forwarded command runs here the same way for the node that sent it, its
// reply as RESP bytes.
import { DynUnavailableError, type DynamoCoordinator } from '../../cluster/index';
import type { KeyVersions } from '../../cluster/versions/versions';
import { ReplyError, ReplyParser, type ReplyValue } from '../../protocol/reply-parser';
import { Client } from '../../server/client';
import { clusterPlan } from '../../server/cluster-plan';
import { CommandLookup } from '../../server/command-lookup';
import { commandTable } from '../../server/commands/index';

export type SimCommand = 'SET' | 'MSET' | 'GET' | 'DEL' | 'DYN.VERSIONS' | 'HSET' | 'HDEL';

/** What a command answered: a reply, or for DYN.VERSIONS the versions the coordinator saw. */
export type SimReply = ReplyValue | KeyVersions;

const lookup = new CommandLookup(commandTable);
const DB = 0;
/** Redis's default hash-max-listpack-entries and -value. */
const LISTPACK = { entries: 128, value: 64 };

/** Runs argv on coordinator c for a client of its own (origin null) or one another node forwarded (origin: that node). */
export async function runCommand(c: DynamoCoordinator, argv: Buffer[], origin: string | null): Promise<SimReply> {
  const spec = lookup.find(argv[0]);
  if (spec === undefined) throw new Error(`sim: no command ${argv[0].toString('latin1')}`);
  const client = new Client(0, origin ?? 'sim-client', c.selfId, false);
  client.forwardedFrom = origin;
  const plan = clusterPlan(spec, argv, client, lookup);
  if (plan === null) throw new Error(`sim: ${spec.name} has no cluster plan`);
  let view = null;
  try {
    for (;;) {
      const target = c.route(plan.keys, plan.access, origin !== null);
      if (target === null) break;
      const forwarded = await c.forward(target, DB, 2, argv);
      if (forwarded !== null) return parseReply(forwarded);
    }
    if (plan.access === 'blind-write' || plan.keys.length === 0) view = await null;
    else view = await c.prepare(DB, plan.keys, plan.r);
  } catch (err) {
    if (err instanceof DynUnavailableError) return new ReplyError(err.message);
    return new ReplyError(`ERR ${(err as Error).message}`);
  }
  c.begin(view, origin);
  let reply: SimReply;
  try {
    reply = handle(c, spec.name, argv);
  } catch (err) {
    // A hash command that reached a node holding no replica of its key (every replica down).
    c.end();
    if (err instanceof DynUnavailableError) return new ReplyError(err.message);
    throw err;
  }
  const acked = c.end();
  const error = acked === null ? null : await acked;
  return error === null ? reply : new ReplyError(error);
}

function handle(c: DynamoCoordinator, name: string, argv: Buffer[]): SimReply {
  const key = argv[1];
  switch (name) {
    case 'set':
      c.set(DB, key, argv[2], 0);
      return 'OK';
    case 'mset':
      for (let i = 1; i + 1 < argv.length; i += 2) c.set(DB, argv[i], argv[i + 1], 0);
      return 'OK';
    case 'get':
      return c.get(DB, key);
    case 'del':
      return c.delete(DB, key) ? 1 : 0;
    case 'dyn.versions':
      return c.versions(DB, key);
    case 'hset':
      return c.hashes.set(DB, key, argv, 2, LISTPACK);
    case 'hdel':
      return c.hashes.delete(DB, key, argv, 2);
    default:
      throw new Error(`sim: no handler for ${name}`);
  }
}

/** A reply as the bytes REPLICA.FWD carries. */
export function encodeReply(reply: SimReply): Buffer {
  if (reply === null) return Buffer.from('$-1\r\n');
  if (typeof reply === 'string') return Buffer.from(`+${reply}\r\n`);
  if (typeof reply === 'number') return Buffer.from(`:${reply}\r\n`);
  if (reply instanceof ReplyError) return Buffer.from(`-${reply.message}\r\n`);
  if (Buffer.isBuffer(reply)) return Buffer.concat([Buffer.from(`$${reply.length}\r\n`), reply, Buffer.from('\r\n')]);
  throw new Error('sim: this reply is not forwarded');
}

function parseReply(bytes: Buffer): ReplyValue {
  const replies: ReplyValue[] = [];
  const parser = new ReplyParser({
    onReply: (r) => replies.push(r),
    onError: (message) => {
      throw new Error(`sim: a forwarded reply does not parse: ${message}`);
    },
  });
  parser.feed(bytes);
  if (replies.length !== 1) throw new Error(`sim: a forwarded reply holds ${replies.length} replies`);
  return replies[0];
}
