// server/commands/strings.ts — the string family's plain reads and writes, as
// Redis's t_string.c: GET, SET (and its options), SETNX, SETEX, PSETEX,
// GETSET, GETDEL, GETEX, MGET, MSET, MSETNX, APPEND, STRLEN. Counters live in
// counters.ts, ranges and LCS in ranges.ts. A read of a key of another type
// answers WRONGTYPE (the store's string reads throw it; MGET answers nil),
// and SET overwrites any type, as Redis.
import { CommandError, ERR, wrongArity } from '../errors';
import { checkStringLength, expireAtArg, isToken, readValue, replyValue, replyValueOrNull, stringMeta } from './string-args';
import type { CommandContext, CommandSpec } from './types';

// SET / GETEX option flags, as Redis's OBJ_SET_* and OBJ_* flags.
const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const PERSIST = 16;
const EX = 32;
const PX = 64;
const EXAT = 128;
const PXAT = 256;
const EXPIRES = EX | PX | EXAT | PXAT;

/** The EX/PX/EXAT/PXAT argument of the last parseExtended (handlers are synchronous). */
let expireArg: Buffer = Buffer.alloc(0);

/**
 * Redis's parseExtendedStringArgumentsOrReply: options of SET (from argv[3])
 * or GETEX (from argv[2]), conflicts rejected as a syntax error.
 */
function parseExtended(argv: Buffer[], first: number, isSet: boolean): number {
  let flags = 0;
  for (let j = first; j < argv.length; j++) {
    const opt = argv[j];
    const hasNext = j < argv.length - 1;
    if (isSet && isToken(opt, 'nx') && !(flags & XX)) flags |= NX;
    else if (isSet && isToken(opt, 'xx') && !(flags & NX)) flags |= XX;
    else if (isSet && isToken(opt, 'get')) flags |= GET;
    else if (isSet && isToken(opt, 'keepttl') && !(flags & (PERSIST | EXPIRES))) flags |= KEEPTTL;
    else if (!isSet && isToken(opt, 'persist') && !(flags & (EXPIRES | KEEPTTL))) flags |= PERSIST;
    else if (hasNext && isToken(opt, 'ex') && !(flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT))) flags |= expiry(EX, argv[++j]);
    else if (hasNext && isToken(opt, 'px') && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT))) flags |= expiry(PX, argv[++j]);
    else if (hasNext && isToken(opt, 'exat') && !(flags & (KEEPTTL | PERSIST | EX | PX | PXAT))) flags |= expiry(EXAT, argv[++j]);
    else if (hasNext && isToken(opt, 'pxat') && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PX))) flags |= expiry(PXAT, argv[++j]);
    else throw new CommandError(ERR.syntax);
  }
  return flags;
}

function expiry(flag: number, arg: Buffer): number {
  expireArg = arg;
  return flag;
}

function expireAtOf(flags: number, command: string): number {
  return expireAtArg(expireArg, (flags & (EX | EXAT)) !== 0, (flags & (EX | PX)) !== 0, command);
}

function set(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const key = argv[1];
  if (argv.length === 3) {
    ctx.store.set(db, key, argv[2], 0);
    ctx.reply.ok();
    return;
  }
  const flags = parseExtended(argv, 3, true);
  let expireAt = flags & EXPIRES ? expireAtOf(flags, 'set') : 0;
  let found: boolean;
  if (flags & GET) {
    const old = readValue(ctx, key);
    ctx.reply.bulk(old);
    found = old !== null;
  } else {
    found = flags & (NX | XX) ? ctx.store.meta(db, key) !== null : false;
  }
  if ((flags & NX && found) || (flags & XX && !found)) {
    if (!(flags & GET)) ctx.reply.nullBulk();
    return;
  }
  if (flags & KEEPTTL) expireAt = ctx.store.meta(db, key)?.expireAt ?? 0;
  ctx.store.set(db, key, argv[2], expireAt);
  if (!(flags & GET)) ctx.reply.ok();
}

function setnx(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  if (ctx.store.meta(db, argv[1]) !== null) {
    ctx.reply.integer(0);
    return;
  }
  ctx.store.set(db, argv[1], argv[2], 0);
  ctx.reply.integer(1);
}

function setex(ctx: CommandContext, argv: Buffer[]): void {
  const expireAt = expireAtArg(argv[2], true, true, 'setex');
  ctx.store.set(ctx.client.db, argv[1], argv[3], expireAt);
  ctx.reply.ok();
}

function psetex(ctx: CommandContext, argv: Buffer[]): void {
  const expireAt = expireAtArg(argv[2], false, true, 'psetex');
  ctx.store.set(ctx.client.db, argv[1], argv[3], expireAt);
  ctx.reply.ok();
}

function get(ctx: CommandContext, argv: Buffer[]): void {
  replyValue(ctx, argv[1]);
}

function getset(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.bulk(readValue(ctx, argv[1]));
  ctx.store.set(ctx.client.db, argv[1], argv[2], 0);
}

function getdel(ctx: CommandContext, argv: Buffer[]): void {
  const value = readValue(ctx, argv[1]);
  ctx.reply.bulk(value);
  if (value !== null) ctx.store.delete(ctx.client.db, argv[1]);
}

function getex(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const key = argv[1];
  const flags = parseExtended(argv, 2, false);
  const value = readValue(ctx, key);
  if (value === null) {
    ctx.reply.nullBulk();
    return;
  }
  const expireAt = flags & EXPIRES ? expireAtOf(flags, 'getex') : 0;
  ctx.reply.bulk(value);
  if (flags & (EXAT | PXAT) && expireAt <= Date.now()) {
    ctx.store.delete(db, key); // an absolute time already past deletes the key
  } else if (flags & EXPIRES) {
    ctx.store.set(db, key, value, expireAt);
  } else if (flags & PERSIST && (ctx.store.meta(db, key)?.expireAt ?? 0) !== 0) {
    ctx.store.set(db, key, value, 0);
  }
}

function mget(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.arrayHeader(argv.length - 1);
  for (let j = 1; j < argv.length; j++) replyValueOrNull(ctx, argv[j]);
}

function mset(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 === 0) throw new CommandError(wrongArity('mset'));
  const db = ctx.client.db;
  for (let j = 1; j < argv.length; j += 2) ctx.store.set(db, argv[j], argv[j + 1], 0);
  ctx.reply.ok();
}

function msetnx(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 === 0) throw new CommandError(wrongArity('msetnx'));
  const db = ctx.client.db;
  for (let j = 1; j < argv.length; j += 2) {
    if (ctx.store.meta(db, argv[j]) !== null) {
      ctx.reply.integer(0);
      return;
    }
  }
  for (let j = 1; j < argv.length; j += 2) ctx.store.set(db, argv[j], argv[j + 1], 0);
  ctx.reply.integer(1);
}

function append(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const key = argv[1];
  const tail = argv[2];
  // meta before get: a key that expires between the two reads counts as absent.
  const meta = ctx.store.meta(db, key);
  const old = meta === null ? null : ctx.store.get(db, key);
  if (meta === null || old === null) {
    ctx.store.set(db, key, tail, 0);
    ctx.reply.integer(tail.length);
    return;
  }
  checkStringLength(ctx, old.length, tail.length);
  const value = Buffer.allocUnsafe(old.length + tail.length);
  old.copy(value, 0);
  tail.copy(value, old.length);
  ctx.store.set(db, key, value, meta.expireAt); // APPEND keeps the TTL
  ctx.reply.integer(value.length);
}

function strlen(ctx: CommandContext, argv: Buffer[]): void {
  const meta = stringMeta(ctx, argv[1]);
  if (meta === null) ctx.server.stats.keyspaceMisses++;
  else {
    ctx.server.stats.keyspaceHits++;
    ctx.store.touch(ctx.client.db, argv[1]); // a read of the key, as Redis's lookupKeyRead
  }
  ctx.reply.integer(meta === null ? 0 : meta.length);
}

export const stringCommands: CommandSpec[] = [
  {
    name: 'get', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'string', 'fast'],
    keySpecFlags: ['RO', 'access'],
    handler: get,
  },
  {
    name: 'set', arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'slow'],
    keySpecs: [{ notes: 'RW and ACCESS due to the optional `GET` argument', flags: ['RW', 'access', 'update', 'variable_flags'], index: 1, lastKey: 0, keyStep: 1 }],
    handler: set,
  },
  {
    name: 'setnx', arity: 3, flags: ['write', 'denyoom', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'fast'],
    keySpecFlags: ['OW', 'insert'],
    handler: setnx,
  },
  {
    name: 'setex', arity: 4, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'slow'],
    keySpecFlags: ['OW', 'update'],
    handler: setex,
  },
  {
    name: 'psetex', arity: 4, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'slow'],
    keySpecFlags: ['OW', 'update'],
    handler: psetex,
  },
  {
    name: 'getset', arity: 3, flags: ['write', 'denyoom', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'fast'],
    keySpecFlags: ['RW', 'access', 'update'],
    handler: getset,
  },
  {
    name: 'getdel', arity: 2, flags: ['write', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'fast'],
    keySpecFlags: ['RW', 'access', 'delete'],
    handler: getdel,
  },
  {
    name: 'getex', arity: -2, flags: ['write', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'fast'],
    keySpecs: [{ notes: 'RW and UPDATE because it changes the TTL', flags: ['RW', 'access', 'update'], index: 1, lastKey: 0, keyStep: 1 }],
    handler: getex,
  },
  {
    name: 'mget', arity: -2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: -1, step: 1,
    categories: ['read', 'string', 'fast'],
    tips: ['request_policy:multi_shard'], keySpecFlags: ['RO', 'access'],
    handler: mget,
  },
  {
    name: 'mset', arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: -1, step: 2,
    categories: ['write', 'string', 'slow'],
    tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'], keySpecFlags: ['OW', 'update'],
    handler: mset,
  },
  {
    name: 'msetnx', arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: -1, step: 2,
    categories: ['write', 'string', 'slow'],
    tips: ['request_policy:multi_shard', 'response_policy:agg_min'], keySpecFlags: ['OW', 'insert'],
    handler: msetnx,
  },
  {
    name: 'append', arity: 3, flags: ['write', 'denyoom', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'fast'],
    keySpecFlags: ['RW', 'insert'],
    handler: append,
  },
  {
    name: 'strlen', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'string', 'fast'],
    keySpecFlags: ['RO'],
    handler: strlen,
  },
];
