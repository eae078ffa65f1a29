// server/commands/hashes.ts — the hash family, as Redis 7.0's t_hash.c
// commands: HSET HMSET HSETNX HGET HMGET HGETALL HKEYS HVALS HLEN HSTRLEN
// HEXISTS HDEL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN. The type's operations
// are the store's (cluster/coordinator/hashes.ts, Redis's hashType* API);
// here are argument parsing, the type check (WRONGTYPE) and replies, in the
// order Redis does them, so the same bad command fails with the same error.
// Every hash command runs at the key's first live replica in a cluster (the
// element records are on its replicas): access 'read-write'.
import { DataType } from '../../datatypes/types';
import { CommandError, ERR, wrongArity } from '../errors';
import { globMatch } from '../glob';
import type { HashEntry } from '../../cluster/index';
import { countLookup } from './keys';
import { addLongDouble, formatLongDouble, parseLongDouble, ZERO } from './longdouble';
import { parseCursor, replyEmptyScan, scanOptions } from './scan';
import { INT64_MAX, INT64_MIN, int64Arg, isToken, string2ll } from './string-args';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec } from './types';

const HASH_ERR = {
  notInteger: 'ERR hash value is not an integer',
  notFloat: 'ERR hash value is not a float',
  nanOrInfinityArg: 'ERR value is NaN or Infinity',
  outOfRange: 'ERR value is out of range',
} as const;

/** Engine scan counts are 32-bit; a bigger COUNT only means "all". */
const LONG_MAX = 9223372036854775807n;

/** Whether the key holds a hash: false when absent, WRONGTYPE when another type (Redis's checkType). */
function isHash(ctx: CommandContext, key: Buffer): boolean {
  const meta = ctx.store.meta(ctx.client.db, key);
  if (meta === null) return false;
  if (meta.type !== DataType.hash) throw new CommandError(ERR.wrongType);
  return true;
}

/** lookupKeyRead + checkType: counts the keyspace hit or miss. */
function readHash(ctx: CommandContext, key: Buffer): boolean {
  const meta = ctx.store.meta(ctx.client.db, key);
  countLookup(ctx, meta !== null);
  if (meta === null) return false;
  if (meta.type !== DataType.hash) throw new CommandError(ERR.wrongType);
  ctx.store.touch(ctx.client.db, key);
  return true;
}

function hset(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 === 1) throw new CommandError(wrongArity(argv[0].toString('latin1')));
  isHash(ctx, argv[1]);
  const added = ctx.store.hashes.set(ctx.client.db, argv[1], argv, 2, ctx.server.config.hashListpack);
  // HMSET is HSET answering +OK (Redis's hsetCommand checks the name the same way).
  if (isToken(argv[0], 'hmset')) ctx.reply.ok();
  else ctx.reply.integer(added);
}

function hsetnx(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  if (isHash(ctx, argv[1]) && ctx.store.hashes.get(db, argv[1], argv[2]) !== null) {
    ctx.reply.integer(0);
    return;
  }
  ctx.store.hashes.set(db, argv[1], argv, 2, ctx.server.config.hashListpack);
  ctx.reply.integer(1);
}

function hget(ctx: CommandContext, argv: Buffer[]): void {
  if (!readHash(ctx, argv[1])) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.bulk(ctx.store.hashes.get(ctx.client.db, argv[1], argv[2]));
}

function hmget(ctx: CommandContext, argv: Buffer[]): void {
  const found = readHash(ctx, argv[1]);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) ctx.reply.bulk(found ? ctx.store.hashes.get(ctx.client.db, argv[1], argv[j]) : null);
}

function hexists(ctx: CommandContext, argv: Buffer[]): void {
  const found = readHash(ctx, argv[1]) && ctx.store.hashes.get(ctx.client.db, argv[1], argv[2]) !== null;
  ctx.reply.integer(found ? 1 : 0);
}

function hstrlen(ctx: CommandContext, argv: Buffer[]): void {
  const value = readHash(ctx, argv[1]) ? ctx.store.hashes.get(ctx.client.db, argv[1], argv[2]) : null;
  ctx.reply.integer(value === null ? 0 : value.length);
}

function hlen(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(readHash(ctx, argv[1]) ? ctx.store.hashes.length(ctx.client.db, argv[1]) : 0);
}

function hdel(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(isHash(ctx, argv[1]) ? ctx.store.hashes.delete(ctx.client.db, argv[1], argv, 2) : 0);
}

/** HGETALL, HKEYS, HVALS: every field in listpack order (a map in RESP3 for HGETALL). */
function getall(ctx: CommandContext, key: Buffer, fields: boolean, values: boolean): void {
  const entries = readHash(ctx, key) ? ctx.store.hashes.entries(ctx.client.db, key) : [];
  if (fields && values) ctx.reply.mapHeader(entries.length);
  else ctx.reply.arrayHeader(entries.length);
  for (const e of entries) {
    if (fields) ctx.reply.bulk(e.field);
    if (values) ctx.reply.bulk(e.value);
  }
}

function hincrby(ctx: CommandContext, argv: Buffer[]): void {
  const incr = int64Arg(argv[3]);
  const db = ctx.client.db;
  const old = isHash(ctx, argv[1]) ? ctx.store.hashes.get(db, argv[1], argv[2]) : null;
  let value: number | bigint = 0;
  if (old !== null) {
    const parsed = string2ll(old);
    if (parsed === null) throw new CommandError(HASH_ERR.notInteger);
    value = parsed;
  }
  let result: number | bigint;
  if (typeof value === 'number' && typeof incr === 'number' && Number.isSafeInteger(value + incr)) {
    result = value + incr;
  } else {
    result = BigInt(value) + BigInt(incr);
    if (result > INT64_MAX || result < INT64_MIN) throw new CommandError(ERR.overflow);
  }
  ctx.store.hashes.increment(db, argv[1], argv[2], BigInt(incr), Buffer.from(String(result), 'latin1'), ctx.server.config.hashListpack);
  ctx.reply.integer(result);
}

function hincrbyfloat(ctx: CommandContext, argv: Buffer[]): void {
  const incr = parseLongDouble(argv[3]);
  if (incr === null) throw new CommandError(ERR.notFloat);
  if (incr.inf) throw new CommandError(HASH_ERR.nanOrInfinityArg);
  const db = ctx.client.db;
  const old = isHash(ctx, argv[1]) ? ctx.store.hashes.get(db, argv[1], argv[2]) : null;
  const value = old === null ? ZERO : parseLongDouble(old);
  if (value === null) throw new CommandError(HASH_ERR.notFloat);
  const sum = addLongDouble(value, incr);
  if (sum === null) throw new CommandError(ERR.nanOrInfinity);
  const text = formatLongDouble(sum);
  ctx.store.hashes.set(db, argv[1], [argv[2], Buffer.from(text, 'latin1')], 0, ctx.server.config.hashListpack);
  ctx.reply.bulk(text);
}

function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/** One pick of HRANDFIELD's reply: the field, and its value WITHVALUES (a pair in RESP3). */
function replyPick(ctx: CommandContext, e: HashEntry, withvalues: boolean): void {
  if (withvalues && ctx.reply.resp === 3) ctx.reply.arrayHeader(2);
  ctx.reply.bulk(e.field);
  if (withvalues) ctx.reply.bulk(e.value);
}

/** HRANDFIELD key [count [WITHVALUES]], as Redis's hrandfieldCommand and hrandfieldWithCountCommand. */
function hrandfield(ctx: CommandContext, argv: Buffer[]): void {
  const key = argv[1];
  if (argv.length === 2) {
    if (!readHash(ctx, key)) {
      ctx.reply.nullBulk();
      return;
    }
    const entries = ctx.store.hashes.entries(ctx.client.db, key);
    ctx.reply.bulk(entries[randomIndex(entries.length)].field);
    return;
  }
  const parsed = int64Arg(argv[2]);
  const l = BigInt(parsed);
  if (l < -LONG_MAX) throw new CommandError(`${HASH_ERR.outOfRange}, value must between -${LONG_MAX} and ${LONG_MAX}`);
  let withvalues = false;
  if (argv.length > 4 || (argv.length === 4 && !isToken(argv[3], 'withvalues'))) throw new CommandError(ERR.syntax);
  if (argv.length === 4) {
    withvalues = true;
    if (l < -LONG_MAX / 2n || l > LONG_MAX / 2n) throw new CommandError(HASH_ERR.outOfRange);
  }
  if (!readHash(ctx, key)) {
    ctx.reply.arrayHeader(0);
    return;
  }
  const entries = ctx.store.hashes.entries(ctx.client.db, key);
  const size = entries.length;
  const uniq = l >= 0n;
  const count = uniq ? l : -l;
  if (count === 0n || size === 0) {
    ctx.reply.arrayHeader(0);
    return;
  }
  const pairs = withvalues && ctx.reply.resp === 2 ? 2 : 1;
  if (!uniq || count === 1n) {
    const n = Number(count);
    ctx.reply.arrayHeader(n * pairs);
    for (let i = 0; i < n; i++) replyPick(ctx, entries[randomIndex(size)], withvalues);
    return;
  }
  if (count >= BigInt(size)) {
    ctx.reply.arrayHeader(size * pairs);
    for (const e of entries) replyPick(ctx, e, withvalues);
    return;
  }
  // count distinct fields, in the hash's order (as Redis's listpack sampling).
  const n = Number(count);
  const chosen = new Uint8Array(size);
  for (let picked = 0; picked < n; ) {
    const i = randomIndex(size);
    if (chosen[i] === 0) {
      chosen[i] = 1;
      picked++;
    }
  }
  ctx.reply.arrayHeader(n * pairs);
  for (let i = 0; i < size; i++) if (chosen[i] === 1) replyPick(ctx, entries[i], withvalues);
}

/** HSCAN key cursor [MATCH pattern] [COUNT count], as Redis's hscanCommand and scanGenericCommand. */
function hscan(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[2]);
  if (!readHash(ctx, argv[1])) {
    replyEmptyScan(ctx);
    return;
  }
  const { count, pattern } = scanOptions(argv, 3, false);
  const page = ctx.store.hashes.scan(ctx.client.db, argv[1], cursor, count);
  const p = pattern;
  const entries = p === null ? page.entries : page.entries.filter((e) => globMatch(p, e.field));
  ctx.reply.arrayHeader(2);
  ctx.reply.bulk(page.cursor.toString());
  ctx.reply.arrayHeader(entries.length * 2);
  for (const e of entries) {
    ctx.reply.bulk(e.field);
    ctx.reply.bulk(e.value);
  }
}

const READ_WRITE = (): { access: 'read-write' } => ({ access: 'read-write' });

function spec(name: string, arity: number, flags: readonly CommandFlag[], fast: boolean, keySpecFlags: string[], handler: CommandHandler, tips?: string[]): CommandSpec {
  const write = flags.includes('write');
  return {
    name, arity, flags, firstKey: 1, lastKey: 1, step: 1,
    categories: [write ? 'write' : 'read', 'hash', fast ? 'fast' : 'slow'],
    keySpecFlags, tips, cluster: READ_WRITE, handler,
  };
}

export const hashCommands: CommandSpec[] = [
  spec('hset', -4, ['write', 'denyoom', 'fast'], true, ['RW', 'update'], hset),
  spec('hmset', -4, ['write', 'denyoom', 'fast'], true, ['RW', 'update'], hset),
  spec('hsetnx', 4, ['write', 'denyoom', 'fast'], true, ['RW', 'insert'], hsetnx),
  spec('hget', 3, ['readonly', 'fast'], true, ['RO', 'access'], hget),
  spec('hmget', -3, ['readonly', 'fast'], true, ['RO', 'access'], hmget),
  spec('hgetall', 2, ['readonly'], false, ['RO', 'access'], (ctx, argv) => getall(ctx, argv[1], true, true), ['nondeterministic_output_order']),
  spec('hkeys', 2, ['readonly'], false, ['RO', 'access'], (ctx, argv) => getall(ctx, argv[1], true, false), ['nondeterministic_output_order']),
  spec('hvals', 2, ['readonly'], false, ['RO', 'access'], (ctx, argv) => getall(ctx, argv[1], false, true), ['nondeterministic_output_order']),
  spec('hdel', -3, ['write', 'fast'], true, ['RW', 'delete'], hdel),
  spec('hexists', 3, ['readonly', 'fast'], true, ['RO'], hexists),
  spec('hincrby', 4, ['write', 'denyoom', 'fast'], true, ['RW', 'access', 'update'], hincrby),
  spec('hincrbyfloat', 4, ['write', 'denyoom', 'fast'], true, ['RW', 'access', 'update'], hincrbyfloat),
  spec('hlen', 2, ['readonly', 'fast'], true, ['RO'], hlen),
  spec('hstrlen', 3, ['readonly', 'fast'], true, ['RO'], hstrlen),
  spec('hrandfield', -2, ['readonly'], false, ['RO', 'access'], hrandfield, ['nondeterministic_output']),
  spec('hscan', -3, ['readonly'], false, ['RO', 'access'], hscan, ['nondeterministic_output']),
];
