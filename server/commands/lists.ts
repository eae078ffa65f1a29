// server/commands/lists.ts — the list family without its blocking forms, as
// Redis 7.0's t_list.c commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN
// LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP. The
// type's operations are the store's (cluster/coordinator/lists.ts, Redis's
// listType* API); here are argument parsing, the type check (WRONGTYPE) and
// replies, in the order Redis does them, so the same bad command fails with
// the same error. Every list command runs at the key's first live replica in
// a cluster (the element records are on its replicas): access 'read-write'.
// LMOVE, RPOPLPUSH and LMPOP need this node to hold a replica of every key
// they name (else -DYNUNAVAILABLE, from the store).
import { DataType } from '../../datatypes/types';
import { CommandError, ERR, wrongArity } from '../errors';
import { countLookup } from './keys';
import { clampToSafe, int64Arg, isToken, string2ll } from './string-args';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec, KeySpec } from './types';

const LIST_ERR = {
  noSuchKey: 'ERR no such key',
  indexOutOfRange: 'ERR index out of range',
  mustBePositive: 'ERR value is out of range, must be positive',
  rankZero: "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  countNegative: "ERR COUNT can't be negative",
  maxlenNegative: "ERR MAXLEN can't be negative",
  numkeys: 'ERR numkeys should be greater than 0',
  count: 'ERR count should be greater than 0',
} as const;

const LONG_MIN = -9223372036854775808n;

/** Whether the key holds a list: false when absent, WRONGTYPE when another type (lookupKeyWrite + checkType). */
function isList(ctx: CommandContext, key: Buffer): boolean {
  const meta = ctx.store.meta(ctx.client.db, key);
  if (meta === null) return false;
  if (meta.type !== DataType.list) throw new CommandError(ERR.wrongType);
  return true;
}

/** lookupKeyRead + checkType: counts the keyspace hit or miss. */
function readList(ctx: CommandContext, key: Buffer): boolean {
  const meta = ctx.store.meta(ctx.client.db, key);
  countLookup(ctx, meta !== null);
  if (meta === null) return false;
  if (meta.type !== DataType.list) throw new CommandError(ERR.wrongType);
  ctx.store.touch(ctx.client.db, key);
  return true;
}

/** A long argument as a safe number (beyond ±2^53 every index is out of range anyway). */
function longArg(arg: Buffer): number {
  return clampToSafe(int64Arg(arg));
}

/** LEFT / RIGHT (getListPositionFromObjectOrReply): true for LEFT. */
function leftArg(arg: Buffer): boolean {
  if (isToken(arg, 'left')) return true;
  if (isToken(arg, 'right')) return false;
  throw new CommandError(ERR.syntax);
}

/** getRangeLongFromObjectOrReply(min 1 or 0 .. LONG_MAX, message). */
function rangeArg(arg: Buffer, min: number, message: string): number {
  const v = string2ll(arg);
  if (v === null || v < min) throw new CommandError(message);
  return clampToSafe(v);
}

/** An array of items (latin1 strings, as the store gives them). */
function replyItems(ctx: CommandContext, items: readonly string[]): void {
  ctx.reply.arrayHeader(items.length);
  for (const item of items) ctx.reply.bulkLatin1(item);
}

function push(ctx: CommandContext, argv: Buffer[], left: boolean, onlyExisting: boolean): void {
  // push() refuses another type (WRONGTYPE) before writing: only LPUSHX and RPUSHX look first.
  if (onlyExisting && !isList(ctx, argv[1])) {
    ctx.reply.integer(0);
    return;
  }
  ctx.reply.integer(ctx.store.lists.push(ctx.client.db, argv[1], argv, 2, left));
}

function pop(ctx: CommandContext, argv: Buffer[], left: boolean): void {
  if (argv.length > 3) throw new CommandError(wrongArity(left ? 'lpop' : 'rpop'));
  const hasCount = argv.length === 3;
  const count = hasCount ? rangeArg(argv[2], 0, LIST_ERR.mustBePositive) : 1;
  if (!isList(ctx, argv[1])) {
    if (hasCount) ctx.reply.nullArray();
    else ctx.reply.nullBulk();
    return;
  }
  const items = count === 0 ? [] : ctx.store.lists.pop(ctx.client.db, argv[1], left, count);
  if (hasCount) replyItems(ctx, items);
  else ctx.reply.bulkLatin1(items[0]);
}

function llen(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(readList(ctx, argv[1]) ? ctx.store.lists.length(ctx.client.db, argv[1]) : 0);
}

function lrange(ctx: CommandContext, argv: Buffer[]): void {
  let start = longArg(argv[2]);
  let end = longArg(argv[3]);
  if (!readList(ctx, argv[1])) {
    ctx.reply.arrayHeader(0);
    return;
  }
  const db = ctx.client.db;
  const llen = ctx.store.lists.length(db, argv[1]);
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    ctx.reply.arrayHeader(0);
    return;
  }
  if (end >= llen) end = llen - 1;
  replyItems(ctx, ctx.store.lists.range(db, argv[1], start, end));
}

function lindex(ctx: CommandContext, argv: Buffer[]): void {
  if (!readList(ctx, argv[1])) {
    ctx.reply.nullBulk();
    return;
  }
  const item = ctx.store.lists.item(ctx.client.db, argv[1], longArg(argv[2]));
  if (item === null) ctx.reply.nullBulk();
  else ctx.reply.bulkLatin1(item);
}

function lset(ctx: CommandContext, argv: Buffer[]): void {
  if (!isList(ctx, argv[1])) throw new CommandError(LIST_ERR.noSuchKey);
  const index = longArg(argv[2]);
  if (!ctx.store.lists.set(ctx.client.db, argv[1], index, argv[3])) throw new CommandError(LIST_ERR.indexOutOfRange);
  ctx.reply.ok();
}

function linsert(ctx: CommandContext, argv: Buffer[]): void {
  let after: boolean;
  if (isToken(argv[2], 'after')) after = true;
  else if (isToken(argv[2], 'before')) after = false;
  else throw new CommandError(ERR.syntax);
  if (!isList(ctx, argv[1])) {
    ctx.reply.integer(0);
    return;
  }
  ctx.reply.integer(ctx.store.lists.insert(ctx.client.db, argv[1], after, argv[3], argv[4]));
}

function lrem(ctx: CommandContext, argv: Buffer[]): void {
  const count = longArg(argv[2]);
  ctx.reply.integer(isList(ctx, argv[1]) ? ctx.store.lists.remove(ctx.client.db, argv[1], count, argv[3]) : 0);
}

function ltrim(ctx: CommandContext, argv: Buffer[]): void {
  const start = longArg(argv[2]);
  const stop = longArg(argv[3]);
  if (isList(ctx, argv[1])) ctx.store.lists.trim(ctx.client.db, argv[1], start, stop);
  ctx.reply.ok();
}

function lpos(ctx: CommandContext, argv: Buffer[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  let rankLongMin = false;
  for (let j = 3; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    if (more && isToken(argv[j], 'rank')) {
      const v = int64Arg(argv[++j]);
      if (v === 0) throw new CommandError(LIST_ERR.rankZero);
      // Redis negates LONG_MIN into itself: every match from the tail counts, COUNT never stops it.
      rankLongMin = v === LONG_MIN;
      rank = rankLongMin ? -1 : clampToSafe(v);
    } else if (more && isToken(argv[j], 'count')) {
      const v = int64Arg(argv[++j]);
      if (v < 0) throw new CommandError(LIST_ERR.countNegative);
      count = clampToSafe(v);
    } else if (more && isToken(argv[j], 'maxlen')) {
      const v = int64Arg(argv[++j]);
      if (v < 0) throw new CommandError(LIST_ERR.maxlenNegative);
      maxlen = clampToSafe(v);
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  if (rankLongMin && count > 0) count = 0;
  if (!readList(ctx, argv[1])) {
    if (count !== -1) ctx.reply.arrayHeader(0);
    else ctx.reply.nullBulk();
    return;
  }
  const found = ctx.store.lists.positions(ctx.client.db, argv[1], argv[2], rank, count === -1 ? 1 : count, maxlen);
  if (count !== -1) {
    ctx.reply.arrayHeader(found.length);
    for (const at of found) ctx.reply.integer(at);
  } else if (found.length === 0) {
    ctx.reply.nullBulk();
  } else {
    ctx.reply.integer(found[0]);
  }
}

/** LMOVE / RPOPLPUSH: one item from the source's end to the destination's. */
function move(ctx: CommandContext, source: Buffer, destination: Buffer, fromLeft: boolean, toLeft: boolean): void {
  if (!isList(ctx, source)) {
    ctx.reply.nullBulk();
    return;
  }
  isList(ctx, destination);
  const db = ctx.client.db;
  const [value] = ctx.store.lists.pop(db, source, fromLeft, 1);
  ctx.store.lists.push(db, destination, [Buffer.from(value, 'latin1')], 0, toLeft);
  ctx.reply.bulkLatin1(value);
}

function lmpop(ctx: CommandContext, argv: Buffer[]): void {
  const numkeys = rangeArg(argv[1], 1, LIST_ERR.numkeys);
  const whereAt = 2 + numkeys;
  if (whereAt >= argv.length) throw new CommandError(ERR.syntax);
  const left = leftArg(argv[whereAt]);
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (j + 1 < argv.length && count === -1 && isToken(argv[j], 'count')) count = rangeArg(argv[++j], 1, LIST_ERR.count);
    else throw new CommandError(ERR.syntax);
  }
  for (let k = 2; k < whereAt; k++) {
    if (!isList(ctx, argv[k])) continue;
    const items = ctx.store.lists.pop(ctx.client.db, argv[k], left, count === -1 ? 1 : count);
    ctx.reply.arrayHeader(2);
    ctx.reply.bulk(argv[k]);
    replyItems(ctx, items);
    return;
  }
  ctx.reply.nullArray();
}

/** LMPOP's keys: numkeys of them from argv[2] (its COMMAND INFO key spec is a keynum one). */
function lmpopKeys(argv: readonly Buffer[]): Buffer[] {
  const n = argv.length > 1 ? string2ll(argv[1]) : null;
  if (n === null || n < 1) return [];
  return argv.slice(2, Math.min(argv.length, 2 + clampToSafe(n)));
}

const READ_WRITE = (): { access: 'read-write' } => ({ access: 'read-write' });

function spec(name: string, arity: number, flags: readonly CommandFlag[], fast: boolean, keySpecFlags: string[], handler: CommandHandler): CommandSpec {
  const write = flags.includes('write');
  return {
    name, arity, flags, firstKey: 1, lastKey: 1, step: 1,
    categories: [write ? 'write' : 'read', 'list', fast ? 'fast' : 'slow'],
    keySpecFlags, cluster: READ_WRITE, handler,
  };
}

const MOVE_KEY_SPECS: readonly KeySpec[] = [
  { flags: ['RW', 'access', 'delete'], index: 1, lastKey: 0, keyStep: 1 },
  { flags: ['RW', 'insert'], index: 2, lastKey: 0, keyStep: 1 },
];

export const listCommands: CommandSpec[] = [
  spec('lpush', -3, ['write', 'denyoom', 'fast'], true, ['RW', 'insert'], (ctx, argv) => push(ctx, argv, true, false)),
  spec('rpush', -3, ['write', 'denyoom', 'fast'], true, ['RW', 'insert'], (ctx, argv) => push(ctx, argv, false, false)),
  spec('lpushx', -3, ['write', 'denyoom', 'fast'], true, ['RW', 'insert'], (ctx, argv) => push(ctx, argv, true, true)),
  spec('rpushx', -3, ['write', 'denyoom', 'fast'], true, ['RW', 'insert'], (ctx, argv) => push(ctx, argv, false, true)),
  spec('lpop', -2, ['write', 'fast'], true, ['RW', 'access', 'delete'], (ctx, argv) => pop(ctx, argv, true)),
  spec('rpop', -2, ['write', 'fast'], true, ['RW', 'access', 'delete'], (ctx, argv) => pop(ctx, argv, false)),
  spec('llen', 2, ['readonly', 'fast'], true, ['RO'], llen),
  spec('lrange', 4, ['readonly'], false, ['RO', 'access'], lrange),
  spec('lindex', 3, ['readonly'], false, ['RO', 'access'], lindex),
  spec('lset', 4, ['write', 'denyoom'], false, ['RW', 'update'], lset),
  spec('linsert', 5, ['write', 'denyoom'], false, ['RW', 'insert'], linsert),
  spec('lrem', 4, ['write'], false, ['RW', 'delete'], lrem),
  spec('ltrim', 4, ['write'], false, ['RW', 'delete'], ltrim),
  spec('lpos', -3, ['readonly'], false, ['RO', 'access'], lpos),
  {
    ...spec('lmove', 5, ['write', 'denyoom'], false, [], (ctx, argv) => {
      const fromLeft = leftArg(argv[3]);
      move(ctx, argv[1], argv[2], fromLeft, leftArg(argv[4]));
    }),
    lastKey: 2, keySpecFlags: undefined, keySpecs: MOVE_KEY_SPECS,
  },
  {
    ...spec('rpoplpush', 3, ['write', 'denyoom'], false, [], (ctx, argv) => move(ctx, argv[1], argv[2], false, true)),
    lastKey: 2, keySpecFlags: undefined, keySpecs: MOVE_KEY_SPECS,
  },
  {
    ...spec('lmpop', -4, ['write', 'movablekeys'], false, [], lmpop),
    firstKey: 0, lastKey: 0, step: 0, keySpecFlags: undefined,
    keySpecs: [{ flags: ['RW', 'access', 'delete'], index: 1, lastKey: 0, keyStep: 0, keynum: { keynumIdx: 0, firstKey: 1, keyStep: 1 } }],
    cluster: (argv) => ({ access: 'read-write', keys: lmpopKeys(argv) }),
  },
];
