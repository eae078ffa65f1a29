// server/commands/keys.ts — the generic key commands on single keys, as
// Redis's db.c/object.c: DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME, RENAMENX,
// COPY, MOVE, OBJECT; plus two helpers the key family shares (expire.ts,
// scan.ts). Integers and option tokens parse as the string family's
// (string-args.ts). TYPE answers from the value's type tag
// (datatypes/types.ts); RENAME, COPY and MOVE keep the expiry, as Redis, and take
// collections whole (values.ts). Keyspace hits and misses are counted
// where Redis counts them (read lookups).
import type { KeyMeta } from '../../cluster/index';
import type { RdbValue } from '../../datatypes/rdb/payload';
import { DataType, typeName } from '../../datatypes/types';
import { CommandError, ERR, KEY_ERR } from '../errors';
import { isToken, string2ll } from './string-args';
import { container } from './subcommands';
import type { CommandContext, CommandSpec } from './types';
import { readValue, writeValue } from './values';

// ---- shared argument helpers -------------------------------------------

/** A database index as Redis's getIntFromObjectOrReply + selectDb check it. */
export function parseDbIndex(ctx: CommandContext, arg: Buffer): number {
  const n = string2ll(arg);
  if (typeof n !== 'number' || n < -2147483648 || n > 2147483647) throw new CommandError(ERR.notInteger);
  if (n < 0 || n >= ctx.store.databases) throw new CommandError(ERR.dbIndexOutOfRange);
  return n;
}

/** As Redis's lookupKeyRead: counts a keyspace hit or miss. */
export function countLookup(ctx: CommandContext, found: boolean): void {
  if (found) ctx.server.stats.keyspaceHits++;
  else ctx.server.stats.keyspaceMisses++;
}

// ---- commands -----------------------------------------------------------

function delCommand(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  let removed = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.store.delete(db, argv[i])) removed++;
  ctx.reply.integer(removed);
}

function existsCommand(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  let found = 0;
  for (let i = 1; i < argv.length; i++) {
    const live = ctx.store.meta(db, argv[i]) !== null;
    countLookup(ctx, live);
    if (live) found++;
  }
  ctx.reply.integer(found);
}

function typeCommand(ctx: CommandContext, argv: Buffer[]): void {
  const meta = ctx.store.meta(ctx.client.db, argv[1]);
  countLookup(ctx, meta !== null);
  ctx.reply.simple(meta === null ? 'none' : typeName(meta.type));
}

/** TOUCH: counts the live keys, each an access (OBJECT IDLETIME starts again), as Redis's lookupKeyRead. */
function touchCommand(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  let found = 0;
  for (let i = 1; i < argv.length; i++) {
    const live = ctx.store.meta(db, argv[i]) !== null;
    countLookup(ctx, live);
    if (!live) continue;
    ctx.store.touch(db, argv[i]);
    found++;
  }
  ctx.reply.integer(found);
}

/** The source's value, for RENAME, COPY and MOVE: a string's bytes, or a collection whole (values.ts); null when absent. */
function sourceOf(ctx: CommandContext, db: number, key: Buffer, meta: KeyMeta | null): Buffer | RdbValue | null {
  if (meta === null) return null;
  return meta.type === DataType.string ? ctx.store.get(db, key) : readValue(ctx, db, key);
}

/** Writes a source's value under dst (replacing what is there) with this expiry. */
function writeSource(ctx: CommandContext, db: number, dst: Buffer, value: Buffer | RdbValue, expireAt: number): void {
  if (Buffer.isBuffer(value)) {
    ctx.store.set(db, dst, value, expireAt);
    return;
  }
  ctx.store.delete(db, dst);
  writeValue(ctx, db, dst, value, expireAt);
}

function renameGeneric(ctx: CommandContext, argv: Buffer[], nx: boolean): void {
  const db = ctx.client.db;
  const src = argv[1];
  const dst = argv[2];
  const meta = ctx.store.meta(db, src);
  const value = sourceOf(ctx, db, src, meta);
  if (meta === null || value === null) throw new CommandError(ERR.noSuchKey);
  if (src.equals(dst)) {
    if (nx) ctx.reply.integer(0);
    else ctx.reply.ok();
    return;
  }
  if (nx && ctx.store.meta(db, dst) !== null) {
    ctx.reply.integer(0);
    return;
  }
  // The source goes first: a collection's new elements must not meet its old ones.
  ctx.store.delete(db, src);
  writeSource(ctx, db, dst, value, meta.expireAt);
  if (nx) ctx.reply.integer(1);
  else ctx.reply.ok();
}

function renameCommand(ctx: CommandContext, argv: Buffer[]): void {
  renameGeneric(ctx, argv, false);
}

function renamenxCommand(ctx: CommandContext, argv: Buffer[]): void {
  renameGeneric(ctx, argv, true);
}

/** COPY source destination [DB destination-db] [REPLACE] */
function copyCommand(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  let dstDb = db;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    if (isToken(argv[j], 'replace')) {
      replace = true;
    } else if (isToken(argv[j], 'db') && j + 1 < argv.length) {
      dstDb = parseDbIndex(ctx, argv[++j]);
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  const src = argv[1];
  const dst = argv[2];
  if (dstDb === db && src.equals(dst)) throw new CommandError(KEY_ERR.sameObject);
  const meta = ctx.store.meta(db, src);
  const value = sourceOf(ctx, db, src, meta);
  countLookup(ctx, value !== null);
  if (meta === null || value === null || (!replace && ctx.store.meta(dstDb, dst) !== null)) {
    ctx.reply.integer(0);
    return;
  }
  writeSource(ctx, dstDb, dst, value, meta.expireAt);
  ctx.reply.integer(1);
}

/** MOVE key db: the key goes to db unless it already holds it. */
function moveCommand(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const dstDb = parseDbIndex(ctx, argv[2]);
  if (dstDb === db) throw new CommandError(KEY_ERR.sameObject);
  const key = argv[1];
  const meta = ctx.store.meta(db, key);
  const value = sourceOf(ctx, db, key, meta);
  if (meta === null || value === null || ctx.store.meta(dstDb, key) !== null) {
    ctx.reply.integer(0);
    return;
  }
  ctx.store.delete(db, key);
  writeSource(ctx, dstDb, key, value, meta.expireAt);
  ctx.reply.integer(1);
}

// ---- OBJECT -------------------------------------------------------------

/** Redis keeps integers 0..9999 as shared objects (refcount INT_MAX) when maxmemory is off. */
const OBJ_SHARED_INTEGERS = 10000;
const OBJ_SHARED_REFCOUNT = 2147483647;
/** Strings up to this many bytes are embstr (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_SIZE_LIMIT = 44;

/** The value of a live key for OBJECT, counting the lookup; null replies nil. */
function objectLookup(ctx: CommandContext, key: Buffer): { length: number; type: number } | null {
  const meta = ctx.store.meta(ctx.client.db, key);
  countLookup(ctx, meta !== null);
  if (meta === null) ctx.reply.nullBulk();
  return meta;
}

/** The integer a short value encodes as (Redis's tryObjectEncoding: len <= 20 and string2l), else null. */
function intEncoded(ctx: CommandContext, key: Buffer, length: number): number | bigint | null {
  if (length > 20) return null;
  const value = ctx.store.get(ctx.client.db, key, false); // OBJECT is no access of the key (Redis's LOOKUP_NOTOUCH)
  return value === null ? null : string2ll(value);
}

function objectEncoding(ctx: CommandContext, argv: Buffer[]): void {
  const meta = objectLookup(ctx, argv[2]);
  if (meta === null) return;
  if (meta.type === DataType.hash) ctx.reply.bulk(ctx.store.hashes.encoding(ctx.client.db, argv[2]));
  else if (meta.type === DataType.set) ctx.reply.bulk(ctx.store.sets.encoding(ctx.client.db, argv[2]));
  else if (meta.type === DataType.zset) ctx.reply.bulk(ctx.store.zsets.encoding(ctx.client.db, argv[2]));
  else if (meta.type === DataType.list) ctx.reply.bulk(ctx.store.lists.encoding(ctx.client.db, argv[2]));
  else if (intEncoded(ctx, argv[2], meta.length) !== null) ctx.reply.bulk('int');
  else ctx.reply.bulk(meta.length <= EMBSTR_SIZE_LIMIT ? 'embstr' : 'raw');
}

function objectRefcount(ctx: CommandContext, argv: Buffer[]): void {
  const meta = objectLookup(ctx, argv[2]);
  if (meta === null) return;
  const n = intEncoded(ctx, argv[2], meta.length);
  const shared = typeof n === 'number' && n >= 0 && n < OBJ_SHARED_INTEGERS;
  ctx.reply.integer(shared ? OBJ_SHARED_REFCOUNT : 1);
}

/**
 * Seconds since the key was last written or read (the engine's access
 * clock per key, 1 s resolution as Redis's LRU clock). Not stored: after a
 * restart it counts from the load, as Redis's does without an LRU policy.
 */
function objectIdletime(ctx: CommandContext, argv: Buffer[]): void {
  if (objectLookup(ctx, argv[2]) === null) return;
  const idle = ctx.store.idle(ctx.client.db, argv[2]);
  if (idle === null) throw new CommandError('ERR this node holds no replica of the key: its idle time is not known here');
  ctx.reply.integer(idle);
}

/** maxmemory-policy is always noeviction here, so FREQ fails as Redis's does without an LFU policy. */
function objectFreq(ctx: CommandContext, argv: Buffer[]): void {
  if (objectLookup(ctx, argv[2]) !== null) throw new CommandError(KEY_ERR.lfuNotSelected);
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

function objectHelp(ctx: CommandContext): void {
  ctx.reply.arrayHeader(OBJECT_HELP.length);
  for (const line of OBJECT_HELP) ctx.reply.simple(line);
}

// Metadata as redis-server 7.0.15's COMMAND INFO reports it (COMMAND DOCS: docs.ts).
const objectSubcommands: CommandSpec[] = [
  {
    name: 'object|encoding', arity: 3, flags: ['readonly'], firstKey: 2, lastKey: 2, step: 1,
    categories: ['keyspace', 'read', 'slow'],
    tips: ['nondeterministic_output'], keySpecFlags: ['RO'],
    // A hash's encoding is in its summary, at the replica that runs its commands (the key's first live one).
    cluster: () => ({ access: 'read-write' }),
    handler: objectEncoding,
  },
  {
    name: 'object|idletime', arity: 3, flags: ['readonly'], firstKey: 2, lastKey: 2, step: 1,
    categories: ['keyspace', 'read', 'slow'],
    tips: ['nondeterministic_output'], keySpecFlags: ['RO'],
    handler: objectIdletime,
  },
  {
    name: 'object|help', arity: 2, flags: ['loading', 'stale'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['keyspace', 'slow'],
    handler: objectHelp,
  },
  {
    name: 'object|refcount', arity: 3, flags: ['readonly'], firstKey: 2, lastKey: 2, step: 1,
    categories: ['keyspace', 'read', 'slow'],
    tips: ['nondeterministic_output'], keySpecFlags: ['RO'],
    handler: objectRefcount,
  },
  {
    name: 'object|freq', arity: 3, flags: ['readonly'], firstKey: 2, lastKey: 2, step: 1,
    categories: ['keyspace', 'read', 'slow'],
    tips: ['nondeterministic_output'], keySpecFlags: ['RO'],
    handler: objectFreq,
  },
];

export const keyCommands: CommandSpec[] = [
  {
    name: 'del', arity: -2, flags: ['write'], firstKey: 1, lastKey: -1, step: 1,
    categories: ['keyspace', 'write', 'slow'],
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'], keySpecFlags: ['RM', 'delete'],
    handler: delCommand,
  },
  {
    name: 'unlink', arity: -2, flags: ['write', 'fast'], firstKey: 1, lastKey: -1, step: 1,
    categories: ['keyspace', 'write', 'fast'],
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'], keySpecFlags: ['RM', 'delete'],
    handler: delCommand,
  },
  {
    name: 'exists', arity: -2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: -1, step: 1,
    categories: ['keyspace', 'read', 'fast'],
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'], keySpecFlags: ['RO'],
    handler: existsCommand,
  },
  {
    name: 'type', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'read', 'fast'],
    keySpecFlags: ['RO'],
    handler: typeCommand,
  },
  {
    name: 'touch', arity: -2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: -1, step: 1,
    categories: ['keyspace', 'read', 'fast'],
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'], keySpecFlags: ['RO'],
    handler: touchCommand,
  },
  {
    name: 'rename', arity: 3, flags: ['write'], firstKey: 1, lastKey: 2, step: 1,
    categories: ['keyspace', 'write', 'slow'],
    keySpecs: [
      { flags: ['RW', 'access', 'delete'], index: 1, lastKey: 0, keyStep: 1 },
      { flags: ['OW', 'update'], index: 2, lastKey: 0, keyStep: 1 },
    ],
    handler: renameCommand,
  },
  {
    name: 'renamenx', arity: 3, flags: ['write', 'fast'], firstKey: 1, lastKey: 2, step: 1,
    categories: ['keyspace', 'write', 'fast'],
    keySpecs: [
      { flags: ['RW', 'access', 'delete'], index: 1, lastKey: 0, keyStep: 1 },
      { flags: ['OW', 'insert'], index: 2, lastKey: 0, keyStep: 1 },
    ],
    handler: renamenxCommand,
  },
  {
    name: 'copy', arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 2, step: 1,
    categories: ['keyspace', 'write', 'slow'],
    keySpecs: [
      { flags: ['RO', 'access'], index: 1, lastKey: 0, keyStep: 1 },
      { flags: ['OW', 'update'], index: 2, lastKey: 0, keyStep: 1 },
    ],
    handler: copyCommand,
  },
  {
    name: 'move', arity: 3, flags: ['write', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'write', 'fast'],
    keySpecFlags: ['RW', 'access', 'update'],
    handler: moveCommand,
  },
  container('object', objectSubcommands),
];
