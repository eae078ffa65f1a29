// server/commands/expire.ts — key expiry commands, as Redis's expire.c:
// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX XX GT LT, TTL, PTTL,
// EXPIRETIME, PEXPIRETIME, PERSIST. An expiry is an absolute time in ms
// stored with the value (0 = none), so changing it rewrites the record;
// an expire time already past deletes the key, as Redis does. Times beyond
// 2^53 ms (year 285,000+) keep Redis's overflow checks exactly but are
// stored as doubles, so their low digits round.
import { CommandError, ERR, KEY_ERR, invalidExpireTime, unsupportedOption } from '../errors';
import { countLookup } from './keys';
import { INT64_MAX, INT64_MIN, isToken, string2ll } from './string-args';
import type { CommandContext, CommandSpec } from './types';

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Below this many seconds (or ms), when * 1000 + now stays a safe integer: no overflow check needed. */
const SMALL_TIME = 9e12;

function parseExpireFlags(argv: Buffer[]): number {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (isToken(opt, 'nx')) flags |= EXPIRE_NX;
    else if (isToken(opt, 'xx')) flags |= EXPIRE_XX;
    else if (isToken(opt, 'gt')) flags |= EXPIRE_GT;
    else if (isToken(opt, 'lt')) flags |= EXPIRE_LT;
    else throw new CommandError(unsupportedOption(opt));
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) throw new CommandError(KEY_ERR.expireNxAndOthers);
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) throw new CommandError(KEY_ERR.expireGtAndLt);
  return flags;
}

/**
 * The absolute expiry in ms of argv[2], relative to `basetime`, with Redis's
 * checks: not an integer, or overflowing when converted to ms or added.
 */
function expireTime(argv: Buffer[], seconds: boolean, basetime: number): number {
  const raw = string2ll(argv[2]);
  if (raw === null) throw new CommandError(ERR.notInteger);
  if (typeof raw === 'number' && raw <= SMALL_TIME && raw >= -SMALL_TIME) return (seconds ? raw * 1000 : raw) + basetime;
  let when = BigInt(raw);
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw new CommandError(invalidExpireTime(argv[0].toString()));
    when *= 1000n;
  }
  if (when > INT64_MAX - BigInt(basetime)) throw new CommandError(invalidExpireTime(argv[0].toString()));
  return Number(when + BigInt(basetime));
}

function expireGeneric(ctx: CommandContext, argv: Buffer[], seconds: boolean, relative: boolean): void {
  const flags = parseExpireFlags(argv);
  const when = expireTime(argv, seconds, relative ? Date.now() : 0);
  const db = ctx.client.db;
  const key = argv[1];
  const meta = ctx.store.meta(db, key);
  if (meta === null) {
    ctx.reply.integer(0);
    return;
  }
  ctx.store.touch(db, key); // an access of the key even when a flag refuses the change (Redis's lookupKeyWrite)
  if (flags !== 0) {
    const current = meta.expireAt === 0 ? -1 : meta.expireAt;
    // No expiry counts as an infinite TTL: GT always fails, LT always passes.
    if (
      (flags & EXPIRE_NX && current !== -1) ||
      (flags & EXPIRE_XX && current === -1) ||
      (flags & EXPIRE_GT && (when <= current || current === -1)) ||
      (flags & EXPIRE_LT && current !== -1 && when >= current)
    ) {
      ctx.reply.integer(0);
      return;
    }
  }
  if (when <= Date.now()) {
    ctx.store.delete(db, key);
    ctx.reply.integer(1);
    return;
  }
  if (meta.type !== 0 || meta.tag !== undefined) {
    ctx.reply.integer(ctx.store.setExpiry(db, key, when) ? 1 : 0); // a collection: its header's expiry; a counter stays one
    return;
  }
  const value = ctx.store.get(db, key);
  if (value === null) {
    ctx.reply.integer(0); // expired between the two reads
    return;
  }
  ctx.store.set(db, key, value, when);
  ctx.reply.integer(1);
}

function expireCommand(ctx: CommandContext, argv: Buffer[]): void {
  expireGeneric(ctx, argv, true, true);
}

function pexpireCommand(ctx: CommandContext, argv: Buffer[]): void {
  expireGeneric(ctx, argv, false, true);
}

function expireatCommand(ctx: CommandContext, argv: Buffer[]): void {
  expireGeneric(ctx, argv, true, false);
}

function pexpireatCommand(ctx: CommandContext, argv: Buffer[]): void {
  expireGeneric(ctx, argv, false, false);
}

/** -2 no key, -1 no expiry; else the TTL or the absolute time, in ms or rounded to seconds. */
function ttlGeneric(ctx: CommandContext, argv: Buffer[], ms: boolean, absolute: boolean): void {
  const meta = ctx.store.meta(ctx.client.db, argv[1]);
  countLookup(ctx, meta !== null);
  if (meta === null) {
    ctx.reply.integer(-2);
    return;
  }
  if (meta.expireAt === 0) {
    ctx.reply.integer(-1);
    return;
  }
  let ttl = absolute ? meta.expireAt : meta.expireAt - Date.now();
  if (ttl < 0) ttl = 0;
  ctx.reply.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function ttlCommand(ctx: CommandContext, argv: Buffer[]): void {
  ttlGeneric(ctx, argv, false, false);
}

function pttlCommand(ctx: CommandContext, argv: Buffer[]): void {
  ttlGeneric(ctx, argv, true, false);
}

function expiretimeCommand(ctx: CommandContext, argv: Buffer[]): void {
  ttlGeneric(ctx, argv, false, true);
}

function pexpiretimeCommand(ctx: CommandContext, argv: Buffer[]): void {
  ttlGeneric(ctx, argv, true, true);
}

function persistCommand(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const meta = ctx.store.meta(db, argv[1]);
  if (meta !== null) ctx.store.touch(db, argv[1]); // an access, as Redis's lookupKeyWrite
  if (meta !== null && (meta.type !== 0 || meta.tag !== undefined)) {
    ctx.reply.integer(meta.expireAt !== 0 && ctx.store.setExpiry(db, argv[1], 0) ? 1 : 0);
    return;
  }
  const value = meta === null || meta.expireAt === 0 ? null : ctx.store.get(db, argv[1]);
  if (value === null) {
    ctx.reply.integer(0);
    return;
  }
  ctx.store.set(db, argv[1], value, 0);
  ctx.reply.integer(1);
}

// Metadata as redis-server 7.0.15's COMMAND INFO reports it (COMMAND DOCS: docs.ts).
export const expireCommands: CommandSpec[] = [
  {
    name: 'expire', arity: -3, flags: ['write', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'write', 'fast'],
    keySpecFlags: ['RW', 'update'],
    handler: expireCommand,
  },
  {
    name: 'pexpire', arity: -3, flags: ['write', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'write', 'fast'],
    keySpecFlags: ['RW', 'update'],
    handler: pexpireCommand,
  },
  {
    name: 'expireat', arity: -3, flags: ['write', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'write', 'fast'],
    keySpecFlags: ['RW', 'update'],
    handler: expireatCommand,
  },
  {
    name: 'pexpireat', arity: -3, flags: ['write', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'write', 'fast'],
    keySpecFlags: ['RW', 'update'],
    handler: pexpireatCommand,
  },
  {
    name: 'ttl', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'read', 'fast'],
    tips: ['nondeterministic_output'], keySpecFlags: ['RO', 'access'],
    handler: ttlCommand,
  },
  {
    name: 'pttl', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'read', 'fast'],
    tips: ['nondeterministic_output'], keySpecFlags: ['RO', 'access'],
    handler: pttlCommand,
  },
  {
    name: 'expiretime', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'read', 'fast'],
    keySpecFlags: ['RO', 'access'],
    handler: expiretimeCommand,
  },
  {
    name: 'pexpiretime', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'read', 'fast'],
    keySpecFlags: ['RO', 'access'],
    handler: pexpiretimeCommand,
  },
  {
    name: 'persist', arity: 2, flags: ['write', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['keyspace', 'write', 'fast'],
    keySpecFlags: ['RW', 'update'],
    handler: persistCommand,
  },
];
