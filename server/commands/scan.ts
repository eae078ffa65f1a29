// server/commands/scan.ts — commands over a whole database: KEYS, SCAN,
// RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL. Iteration is the engine's: keys in
// ring-hash order, the cursor being the next ring hash (as a decimal
// string), so a key that lives through a whole SCAN is returned at least
// once, as Redis guarantees. Patterns match as Redis's stringmatchlen
// (server/glob.ts). FLUSH ASYNC is as synchronous as SYNC: a flush drops a
// database's files at once.
import { CommandError, ERR, KEY_ERR } from '../errors';
import { globMatch, matchesEverything } from '../glob';
import { typeName } from '../../datatypes/types';
import { isToken, string2ll } from './string-args';
import type { CommandContext, CommandSpec } from './types';

const KEYS_PAGE = 1024;
const RANDOMKEY_PAGE = 16;
/** Engine scan counts are 32-bit; a bigger COUNT only means "all". */
const MAX_COUNT = 1 << 30;
const ULONG_MAX = (1n << 64n) - 1n;
const TWO_64 = 1n << 64n;

function keysCommand(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const pattern = argv[1];
  const all = matchesEverything(pattern);
  const out: Buffer[] = [];
  let cursor = 0n;
  do {
    const page = ctx.store.scan(db, cursor, KEYS_PAGE);
    for (const key of page.keys) if (all || globMatch(pattern, key)) out.push(key);
    cursor = page.cursor;
  } while (cursor !== 0n);
  ctx.reply.bulkArray(out);
}

/**
 * The cursor as Redis's parseScanCursorOrReply reads it with strtoul: no
 * leading space, an optional sign ('-n' wraps to 2^64 - n), decimal digits
 * up to 2^64 - 1, nothing after them but the end (or a NUL byte); "" is 0.
 */
export function parseCursor(arg: Buffer): bigint {
  const len = arg.length;
  let i = 0;
  let neg = false;
  if (len > 0 && (arg[0] === 0x2b || arg[0] === 0x2d)) {
    neg = arg[0] === 0x2d;
    i = 1;
  }
  const start = i;
  while (i < len && arg[i] >= 0x30 && arg[i] <= 0x39) i++;
  const noDigits = i === start;
  // strtoul consumed nothing when there are no digits: then it points at byte 0.
  const stop = noDigits ? 0 : i;
  if (stop < len && arg[stop] !== 0) throw new CommandError(KEY_ERR.invalidCursor);
  if (noDigits) return 0n;
  const value = BigInt(arg.toString('latin1', start, i));
  if (value > ULONG_MAX) throw new CommandError(KEY_ERR.invalidCursor);
  return neg && value !== 0n ? TWO_64 - value : value;
}

/** The options of the SCAN family from argv[from] on, as Redis's scanGenericCommand: COUNT, MATCH (null: every name) and, for SCAN alone, TYPE. */
export function scanOptions(argv: readonly Buffer[], from: number, withType: boolean): { count: number; pattern: Buffer | null; type: Buffer | null } {
  let count = 10;
  let pattern: Buffer | null = null;
  let type: Buffer | null = null;
  for (let i = from; i < argv.length; i += 2) {
    const more = i + 1 < argv.length;
    if (more && isToken(argv[i], 'count')) {
      const n = string2ll(argv[i + 1]);
      if (n === null) throw new CommandError(ERR.notInteger);
      if (n < 1) throw new CommandError(ERR.syntax);
      count = n > MAX_COUNT ? MAX_COUNT : Number(n);
    } else if (more && isToken(argv[i], 'match')) {
      pattern = matchesEverything(argv[i + 1]) ? null : argv[i + 1];
    } else if (more && withType && isToken(argv[i], 'type')) {
      type = argv[i + 1];
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return { count, pattern, type };
}

/** HSCAN's, SSCAN's and ZSCAN's reply for an absent key: cursor 0, nothing. */
export function replyEmptyScan(ctx: CommandContext): void {
  ctx.reply.arrayHeader(2);
  ctx.reply.bulk('0');
  ctx.reply.arrayHeader(0);
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
function scanCommand(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[1]);
  const { count, pattern, type } = scanOptions(argv, 2, true);
  const db = ctx.client.db;
  const page = ctx.store.scan(db, cursor, count);
  let keys = page.keys;
  if (type !== null) {
    const t = type;
    keys = keys.filter((k) => {
      const meta = ctx.store.meta(db, k);
      return meta !== null && isToken(t, typeName(meta.type));
    });
  }
  if (pattern !== null && keys.length > 0) {
    const p = pattern;
    keys = keys.filter((k) => globMatch(p, k));
  }
  ctx.reply.arrayHeader(2);
  ctx.reply.bulk(page.cursor.toString());
  ctx.reply.bulkArray(keys);
}

function random64(): bigint {
  const hi = BigInt(Math.floor(Math.random() * 0x100000000));
  const lo = BigInt(Math.floor(Math.random() * 0x100000000));
  return (hi << 32n) | lo;
}

/**
 * The first live key at or after a random point of the ring, wrapping
 * around once; nil when the database holds no live key.
 */
function randomkeyCommand(ctx: CommandContext): void {
  const db = ctx.client.db;
  if (ctx.store.size(db) === 0) {
    ctx.reply.nullBulk();
    return;
  }
  const start = random64();
  let cursor = start;
  let wrapped = start === 0n;
  for (;;) {
    const page = ctx.store.scan(db, cursor, RANDOMKEY_PAGE);
    if (page.keys.length > 0) {
      ctx.reply.bulk(page.keys[0]);
      return;
    }
    if (page.cursor === 0n) {
      if (wrapped) break; // the whole ring was seen
      wrapped = true;
      cursor = 0n;
      continue;
    }
    cursor = page.cursor;
    if (wrapped && cursor >= start) break;
  }
  ctx.reply.nullBulk();
}

function dbsizeCommand(ctx: CommandContext): void {
  ctx.reply.integer(ctx.store.size(ctx.client.db));
}

/** [ASYNC|SYNC]: both flush at once. */
function checkFlushArgs(argv: Buffer[]): void {
  if (argv.length === 1) return;
  if (argv.length === 2 && (isToken(argv[1], 'sync') || isToken(argv[1], 'async'))) return;
  throw new CommandError(ERR.syntax);
}

/**
 * As Redis's touchAllWatchedKeysInDb: a flush fails the transactions that
 * watch a key the flush removes (not those watching an absent key). The
 * keys are listed only when some client watches anything.
 */
function touchWatchedKeys(ctx: CommandContext, db: number): void {
  let watching = false;
  for (const c of ctx.server.clients.values()) if (c.watched.size > 0) watching = true;
  if (!watching) return;
  let cursor = 0n;
  do {
    const page = ctx.store.scan(db, cursor, KEYS_PAGE);
    for (const key of page.keys) ctx.server.keyModified(db, key);
    cursor = page.cursor;
  } while (cursor !== 0n);
}

function flushdbCommand(ctx: CommandContext, argv: Buffer[]): void {
  checkFlushArgs(argv);
  touchWatchedKeys(ctx, ctx.client.db);
  ctx.store.flush(ctx.client.db);
  ctx.reply.ok();
}

function flushallCommand(ctx: CommandContext, argv: Buffer[]): void {
  checkFlushArgs(argv);
  for (let db = 0; db < ctx.store.databases; db++) {
    touchWatchedKeys(ctx, db);
    ctx.store.flush(db);
  }
  ctx.reply.ok();
}

// Metadata as redis-server 7.0.15's COMMAND INFO reports it (COMMAND DOCS: docs.ts).
export const scanCommands: CommandSpec[] = [
  {
    name: 'keys', arity: 2, flags: ['readonly'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['keyspace', 'read', 'slow', 'dangerous'],
    tips: ['request_policy:all_shards', 'nondeterministic_output_order'],
    handler: keysCommand,
  },
  {
    name: 'scan', arity: -2, flags: ['readonly'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['keyspace', 'read', 'slow'],
    tips: ['nondeterministic_output', 'request_policy:special'],
    handler: scanCommand,
  },
  {
    name: 'randomkey', arity: 1, flags: ['readonly'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['keyspace', 'read', 'slow'],
    tips: ['request_policy:all_shards', 'nondeterministic_output'],
    handler: randomkeyCommand,
  },
  {
    name: 'dbsize', arity: 1, flags: ['readonly', 'fast'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['keyspace', 'read', 'fast'],
    tips: ['request_policy:all_shards', 'response_policy:agg_sum'],
    handler: dbsizeCommand,
  },
  {
    name: 'flushdb', arity: -1, flags: ['write'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['keyspace', 'write', 'slow', 'dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    handler: flushdbCommand,
  },
  {
    name: 'flushall', arity: -1, flags: ['write'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['keyspace', 'write', 'slow', 'dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    handler: flushallCommand,
  },
];
