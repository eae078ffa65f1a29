// server/commands/bitops.ts — the bitmap commands on string values, as
// Redis's bitops.c: GETBIT, SETBIT (zero padding, TTL kept), BITCOUNT and
// BITPOS with BYTE|BIT ranges. Bit 0 is the most significant bit of byte 0.
// Offsets are capped by proto-max-bulk-len, as Redis caps them.
import { CommandError, ERR, STRING_ERR } from '../errors';
import { clampToSafe, int64Arg, isToken, readValue, string2ll } from './string-args';
import type { CommandContext, CommandSpec } from './types';

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** getBitOffsetFromArgument: a bit offset below proto-max-bulk-len * 8. */
function bitOffsetArg(ctx: CommandContext, arg: Buffer): number {
  const v = string2ll(arg);
  const limit = ctx.server.config.protoMaxBulkLen;
  if (v === null || v < 0 || (typeof v === 'bigint' ? v >> 3n >= BigInt(limit) : Math.floor(v / 8) >= limit)) {
    throw new CommandError(ERR.bitOffset);
  }
  return Number(v);
}

function getbit(ctx: CommandContext, argv: Buffer[]): void {
  const offset = bitOffsetArg(ctx, argv[2]);
  const value = readValue(ctx, argv[1]);
  const byte = Math.floor(offset / 8);
  ctx.reply.integer(value !== null && byte < value.length ? (value[byte] >> (7 - (offset % 8))) & 1 : 0);
}

function setbit(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const key = argv[1];
  const offset = bitOffsetArg(ctx, argv[2]);
  const on = int64Arg(argv[3], ERR.bitValue);
  if (on !== 0 && on !== 1) throw new CommandError(ERR.bitValue);
  const meta = ctx.store.meta(db, key);
  const old = meta === null ? null : ctx.store.get(db, key);
  const byte = Math.floor(offset / 8);
  let value: Buffer;
  let grown = false;
  if (old !== null && byte < old.length) {
    value = old; // the coordinator hands out a fresh copy: change it in place
  } else {
    value = Buffer.alloc(byte + 1); // zero padding up to the new byte
    if (old !== null) old.copy(value, 0);
    grown = true;
  }
  const mask = 1 << (7 - (offset % 8));
  const was = value[byte] & mask ? 1 : 0;
  if (grown || was !== on) {
    value[byte] = on ? value[byte] | mask : value[byte] & ~mask;
    ctx.store.set(db, key, value, old === null || meta === null ? 0 : meta.expireAt);
  }
  ctx.reply.integer(was);
}

function popcount(value: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += POPCOUNT[value[i]];
  return n;
}

/** BYTE or BIT (the unit argument); anything else is a syntax error. */
function isBitUnit(arg: Buffer): boolean {
  if (isToken(arg, 'bit')) return true;
  if (isToken(arg, 'byte')) return false;
  throw new CommandError(ERR.syntax);
}

/** Redis's index normalisation: negatives count from the end, then clamp into [0, total). */
function normalize(v: number | bigint, total: number): number {
  let n = clampToSafe(v);
  if (n < 0) n = Math.max(total + n, 0);
  return n;
}

function bitcount(ctx: CommandContext, argv: Buffer[]): void {
  const value = readValue(ctx, argv[1]);
  if (value === null) {
    ctx.reply.integer(0); // Redis answers before looking at the range
    return;
  }
  const argc = argv.length;
  let start = 0;
  let end = value.length - 1;
  let firstMask = 0;
  let lastMask = 0;
  if (argc === 4 || argc === 5) {
    const s = int64Arg(argv[2]);
    const e = int64Arg(argv[3]);
    const isBit = argc === 5 && isBitUnit(argv[4]);
    if (s < 0 && e < 0 && s > e) {
      ctx.reply.integer(0);
      return;
    }
    const total = isBit ? value.length * 8 : value.length;
    start = normalize(s, total);
    end = Math.min(normalize(e, total), total - 1);
    if (isBit && start <= end) {
      firstMask = ~((1 << (8 - (start % 8))) - 1) & 0xff; // bits of the first byte before start
      lastMask = (1 << (7 - (end % 8))) - 1; // bits of the last byte after end
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else if (argc !== 2) {
    throw new CommandError(ERR.syntax);
  }
  if (start > end) {
    ctx.reply.integer(0);
    return;
  }
  let count = popcount(value, start, end + 1);
  if (firstMask !== 0) count -= POPCOUNT[value[start] & firstMask];
  if (lastMask !== 0) count -= POPCOUNT[value[end] & lastMask];
  ctx.reply.integer(count);
}

/** The first bit equal to `bit` among bits [from, to] of value, or -1. */
function findBit(value: Buffer, from: number, to: number, bit: number): number {
  const skip = bit === 1 ? 0x00 : 0xff; // a byte with no such bit
  const firstByte = Math.floor(from / 8);
  const lastByte = Math.floor(to / 8);
  for (let byte = firstByte; byte <= lastByte; byte++) {
    const v = value[byte];
    if (v === skip) continue;
    const lo = byte === firstByte ? from % 8 : 0;
    const hi = byte === lastByte ? to % 8 : 7;
    for (let k = lo; k <= hi; k++) if (((v >> (7 - k)) & 1) === bit) return byte * 8 + k;
  }
  return -1;
}

function bitpos(ctx: CommandContext, argv: Buffer[]): void {
  const bit = int64Arg(argv[2]);
  if (bit !== 0 && bit !== 1) throw new CommandError(STRING_ERR.bitposBit);
  const value = readValue(ctx, argv[1]);
  if (value === null) {
    ctx.reply.integer(bit === 1 ? -1 : 0); // a missing key is an endless run of zeros
    return;
  }
  const argc = argv.length;
  let from = 0;
  let to = value.length * 8 - 1;
  let endGiven = false;
  if (argc >= 4 && argc <= 6) {
    const s = int64Arg(argv[3]);
    const isBit = argc === 6 && isBitUnit(argv[5]);
    const total = isBit ? value.length * 8 : value.length;
    let e: number | bigint = total - 1;
    if (argc >= 5) {
      e = int64Arg(argv[4]);
      endGiven = true;
    }
    const start = normalize(s, total);
    const end = Math.min(normalize(e, total), total - 1);
    if (start > end) {
      ctx.reply.integer(-1);
      return;
    }
    from = isBit ? start : start * 8;
    to = isBit ? end : end * 8 + 7;
  } else if (argc !== 3) {
    throw new CommandError(ERR.syntax);
  }
  if (from > to) {
    ctx.reply.integer(-1); // an empty string holds neither a 0 nor a 1
    return;
  }
  const pos = findBit(value, from, to, bit);
  // Past the end, a string without an explicit end reads as zero padded.
  ctx.reply.integer(pos !== -1 ? pos : bit === 0 && !endGiven ? to + 1 : -1);
}

export const bitCommands: CommandSpec[] = [
  {
    name: 'getbit', arity: 3, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'bitmap', 'fast'],
    keySpecFlags: ['RO', 'access'],
    handler: getbit,
  },
  {
    name: 'setbit', arity: 4, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'bitmap', 'slow'],
    keySpecFlags: ['RW', 'access', 'update'],
    handler: setbit,
  },
  {
    name: 'bitcount', arity: -2, flags: ['readonly'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'bitmap', 'slow'],
    keySpecFlags: ['RO', 'access'],
    handler: bitcount,
  },
  {
    name: 'bitpos', arity: -3, flags: ['readonly'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'bitmap', 'slow'],
    keySpecFlags: ['RO', 'access'],
    handler: bitpos,
  },
];
