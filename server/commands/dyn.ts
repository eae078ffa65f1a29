// server/commands/dyn.ts — dynkv's own commands, for what Redis has no words
// for: a key's versions and siblings with their causal context
// (DYN.VERSIONS), writes that resolve siblings (DYN.SET, DYN.DEL), reads
// and writes with their own quorum (DYN.GET R n, DYN.SET W n), and the ring
// (DYN.PREFLIST, DYN.RING, DYN.NODES). DYN.ELEMENTS shows this node's
// element records of a collection as they are (no quorum, no catch-up). DYN.FAULT cuts and heals links
// between nodes, for tests, when the node allows it.
import { decodeContext, encodeContext, InvalidContextError, liveWinner, type VersionVector } from '../../cluster/index';
import { DataType, isCollection } from '../../datatypes/types';
import { binary, CommandError, ERR } from '../errors';
import { expireAtArg, isToken, string2ll } from './string-args';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec } from './types';

function spec(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  handler: CommandHandler,
  keys: [number, number, number],
  cluster?: CommandSpec['cluster'],
): CommandSpec {
  const keySpecFlags = keys[0] === 0 ? undefined : flags.includes('write') ? ['OW', 'UPDATE'] : ['RO', 'ACCESS'];
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], categories: ['dynamo'], keySpecFlags, handler, cluster };
}

/** A quorum argument (R n, W n): 1..N. */
function quorumArg(ctx: CommandContext, arg: Buffer, which: 'R' | 'W'): number {
  const n = string2ll(arg);
  if (typeof n !== 'number' || n < 1 || n > ctx.store.n) throw new CommandError(`ERR ${which} must be between 1 and N=${ctx.store.n}`);
  return n;
}

function contextArg(arg: Buffer): VersionVector {
  try {
    return decodeContext(arg);
  } catch (err) {
    if (err instanceof InvalidContextError) throw new CommandError(`ERR ${binary(err.message)}`);
    throw err;
  }
}

/** DYN.GET key [R n]'s R, for the quorum read before the handler runs; null when absent or bad (the handler says why). */
function readQuorum(argv: readonly Buffer[]): 'local' | { r: number | null } {
  if (argv.length === 4 && isToken(argv[2], 'r')) {
    const n = string2ll(argv[3]);
    return { r: typeof n === 'number' && n >= 1 ? n : null };
  }
  return { r: null };
}

const versions: CommandHandler = (ctx, argv) => {
  if (argv.length === 3 && !isToken(argv[2], 'local')) throw new CommandError(ERR.syntax);
  const v = ctx.store.versions(ctx.client.db, argv[1]);
  const r = ctx.reply;
  r.arrayHeader(2);
  r.bulk(encodeContext(v.clock));
  r.arrayHeader(v.siblings.length);
  for (const s of v.siblings) {
    r.arrayHeader(3);
    if (s.value === null) r.nullBulk();
    else r.bulk(s.value);
    r.integer(s.timestamp);
    r.bulk(s.node);
  }
};

/** DYN.ELEMENTS key: [summary count or nil, [[member, kind, context, [[value|nil, timestamp, node]...]]...]], in engine order. */
const elements: CommandHandler = (ctx, argv) => {
  const { count, records } = ctx.store.localElements(ctx.client.db, argv[1]);
  const r = ctx.reply;
  r.arrayHeader(2);
  if (count === null) r.nullBulk();
  else r.integer(count);
  r.arrayHeader(records.length);
  for (const { member, kind, versions: v } of records) {
    r.arrayHeader(4);
    r.bulk(member);
    r.integer(kind);
    r.bulk(encodeContext(v.clock));
    r.arrayHeader(v.siblings.length);
    for (const s of v.siblings) {
      r.arrayHeader(3);
      if (s.value === null) r.nullBulk();
      else r.bulk(s.value);
      r.integer(s.timestamp);
      r.bulk(s.node);
    }
  }
};

const get: CommandHandler = (ctx, argv) => {
  if (argv.length === 4) {
    if (!isToken(argv[2], 'r')) throw new CommandError(ERR.syntax);
    quorumArg(ctx, argv[3], 'R');
  } else if (argv.length !== 2) {
    throw new CommandError(ERR.syntax);
  }
  const top = liveWinner(ctx.store.versions(ctx.client.db, argv[1]), Date.now());
  if (top === null) ctx.reply.nullBulk();
  else if (top.type !== undefined && isCollection(top.type)) throw new CommandError(ERR.wrongType); // as GET: a collection's record is its header, not its value
  else if (top.type === DataType.counter || top.type === DataType.hll) ctx.reply.bulk(ctx.store.get(ctx.client.db, argv[1], false) as Buffer); // INCR's counter: its decimal; an HLL: the join
  else ctx.reply.bulk(top.value as Buffer);
};

/** DYN.SET key value CONTEXT ctx [W n] [EX s|PX ms] and DYN.DEL key [CONTEXT ctx] [W n]. */
function contextWrite(ctx: CommandContext, argv: Buffer[], value: Buffer | null, from: number): void {
  let context: VersionVector | 'local' = 'local';
  let w: number | null = null;
  let expireAt = 0;
  for (let i = from; i < argv.length; i++) {
    const more = i + 1 < argv.length;
    if (more && isToken(argv[i], 'context') && context === 'local') context = contextArg(argv[++i]);
    else if (more && isToken(argv[i], 'w') && w === null) w = quorumArg(ctx, argv[++i], 'W');
    else if (more && value !== null && isToken(argv[i], 'ex') && expireAt === 0) expireAt = expireAtArg(argv[++i], true, true, 'dyn.set');
    else if (more && value !== null && isToken(argv[i], 'px') && expireAt === 0) expireAt = expireAtArg(argv[++i], false, true, 'dyn.set');
    else throw new CommandError(ERR.syntax);
  }
  if (value !== null && context === 'local') throw new CommandError('ERR DYN.SET needs CONTEXT (from DYN.VERSIONS); use SET to overwrite every version');
  ctx.store.writeWithContext(ctx.client.db, argv[1], value, expireAt, context, w);
  ctx.reply.ok();
}

const preflist: CommandHandler = (ctx, argv) => {
  const list = ctx.store.preferenceList(argv[1]);
  ctx.reply.arrayHeader(list.length);
  for (const id of list) ctx.reply.bulk(id);
};

const ring: CommandHandler = (ctx) => {
  const { partitions, slotsPerPartition, owners } = ctx.store.ring();
  const r = ctx.reply;
  r.arrayHeader(partitions);
  for (let p = 0; p < partitions; p++) {
    r.arrayHeader(4);
    r.integer(p);
    r.integer(p * slotsPerPartition);
    r.integer((p + 1) * slotsPerPartition - 1);
    r.bulk(owners[p]);
  }
};

const nodes: CommandHandler = (ctx) => {
  const all = ctx.store.nodes();
  const r = ctx.reply;
  r.arrayHeader(all.length);
  for (const m of all) {
    r.arrayHeader(7);
    r.bulk(m.id);
    r.bulk(m.host);
    r.integer(m.port);
    r.integer(m.busPort);
    r.integer(m.weight);
    r.bulk(m.state);
    r.bulk(m.phi.toFixed(2));
  }
};

const fault: CommandHandler = (ctx, argv) => {
  let drop: string | null;
  if (argv.length === 3 && isToken(argv[1], 'drop')) {
    drop = argv[2].toString('latin1');
    if (drop === ctx.store.selfId || !ctx.store.nodes().some((m) => m.id === drop)) throw new CommandError(`ERR ${drop} is not another member of this cluster`);
  } else if (argv.length === 2 && isToken(argv[1], 'heal')) {
    drop = null;
  } else {
    throw new CommandError(ERR.syntax);
  }
  if (!ctx.store.fault(drop)) throw new CommandError('ERR DYN.FAULT is disabled: start the node with --enable-fault-injection yes');
  ctx.reply.ok();
};

const local = (): 'local' => 'local';

export const dynCommands: CommandSpec[] = [
  spec('dyn.versions', -2, ['readonly', 'fast'], versions, [1, 1, 1], (argv) => (argv.length === 3 ? 'local' : {})),
  spec('dyn.elements', 2, ['readonly'], elements, [1, 1, 1], local),
  spec('dyn.get', -2, ['readonly', 'fast'], get, [1, 1, 1], readQuorum),
  spec('dyn.set', -5, ['write', 'denyoom'], (ctx, argv) => contextWrite(ctx, argv, argv[2], 3), [1, 1, 1]),
  spec('dyn.del', -2, ['write'], (ctx, argv) => contextWrite(ctx, argv, null, 2), [1, 1, 1]),
  spec('dyn.preflist', 2, ['readonly', 'fast'], preflist, [1, 1, 1], local),
  spec('dyn.ring', 1, ['readonly'], ring, [0, 0, 0]),
  spec('dyn.nodes', 1, ['readonly', 'fast'], nodes, [0, 0, 0]),
  spec('dyn.fault', -2, ['admin'], fault, [0, 0, 0]),
];
