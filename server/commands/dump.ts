// server/commands/dump.ts — DUMP and RESTORE, as Redis 7.0's cluster.c: a
// key's value in Redis's own serialization (datatypes/rdb/payload.ts), so
// a payload DUMPed from redis-server RESTOREs here and one DUMPed here
// RESTOREs into redis-server. RESTORE checks its options, BUSYKEY, the TTL,
// the footer (version and CRC-64), then the value, in Redis's order, so the
// same bad command fails with the same error. IDLETIME sets the key's
// access clock on this node (OBJECT IDLETIME); FREQ is checked and has no
// effect, as in Redis without an LFU maxmemory-policy (dynkv has none).
// Both run at a replica of the key in a cluster (a hash's fields are there).
import { BadPayloadError, dumpPayload, readPayload, verifyPayload, type RdbValue } from '../../datatypes/rdb/payload';
import { CommandError, ERR } from '../errors';
import { countLookup } from './keys';
import { isToken, string2ll } from './string-args';
import type { CommandContext, CommandSpec } from './types';
import { readValue, writeValue } from './values';

const DUMP_ERR = {
  busyKey: 'BUSYKEY Target key name already exists.',
  badTtl: 'ERR Invalid TTL value, must be >= 0',
  badIdle: 'ERR Invalid IDLETIME value, must be >= 0',
  badFreq: 'ERR Invalid FREQ value, must be >= 0 and <= 255',
  badFooter: 'ERR DUMP payload version or checksum are wrong',
  badFormat: 'ERR Bad data format',
} as const;

function dump(ctx: CommandContext, argv: Buffer[]): void {
  const value = readValue(ctx, ctx.client.db, argv[1]);
  countLookup(ctx, value !== null);
  if (value === null) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.bulk(dumpPayload(value, ctx.server.config.rdbCompression));
}

/** An integer argument as getLongLongFromObjectOrReply reads it. */
function integerArg(arg: Buffer): number {
  const n = string2ll(arg);
  if (n === null) throw new CommandError(ERR.notInteger);
  return Number(n);
}

function restore(ctx: CommandContext, argv: Buffer[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    if (isToken(argv[j], 'replace')) replace = true;
    else if (isToken(argv[j], 'absttl')) absttl = true;
    else if (more && freq === -1 && isToken(argv[j], 'idletime')) {
      idle = integerArg(argv[++j]);
      if (idle < 0) throw new CommandError(DUMP_ERR.badIdle);
    } else if (more && idle === -1 && isToken(argv[j], 'freq')) {
      freq = integerArg(argv[++j]);
      if (freq < 0 || freq > 255) throw new CommandError(DUMP_ERR.badFreq);
    } else throw new CommandError(ERR.syntax);
  }
  const db = ctx.client.db;
  const key = argv[1];
  if (!replace && ctx.store.meta(db, key) !== null) throw new CommandError(DUMP_ERR.busyKey);
  let ttl = integerArg(argv[2]);
  if (ttl < 0) throw new CommandError(DUMP_ERR.badTtl);
  const payload = argv[3];
  if (!verifyPayload(payload)) throw new CommandError(DUMP_ERR.badFooter);
  let value: RdbValue;
  try {
    value = readPayload(payload);
  } catch (err) {
    if (err instanceof BadPayloadError) throw new CommandError(DUMP_ERR.badFormat);
    throw err;
  }
  if (replace) ctx.store.delete(db, key);
  const now = Date.now();
  if (ttl !== 0 && !absttl) ttl += now;
  if (ttl !== 0 && ttl <= now) {
    ctx.reply.ok();
    return;
  }
  writeValue(ctx, db, key, value, ttl);
  if (idle > 0) ctx.store.touch(db, key, idle);
  ctx.reply.ok();
}

const READ_WRITE = (): { access: 'read-write' } => ({ access: 'read-write' });

export const dumpCommands: CommandSpec[] = [
  {
    name: 'dump', arity: 2, flags: ['readonly'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'read', 'slow'],
    keySpecFlags: ['RO', 'access'], tips: ['nondeterministic_output'],
    cluster: READ_WRITE, handler: dump,
  },
  {
    name: 'restore', arity: -4, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'write', 'slow', 'dangerous'],
    keySpecFlags: ['OW', 'update'],
    cluster: READ_WRITE, handler: restore,
  },
];
