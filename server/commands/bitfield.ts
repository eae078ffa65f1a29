// server/commands/bitfield.ts — BITFIELD and BITFIELD_RO, as Redis's
// bitops.c: GET/SET/INCRBY of signed (i1..i64) and unsigned (u1..u63)
// integers at any bit offset ('#n' = n times the width), OVERFLOW
// WRAP|SAT|FAIL applying to the operations after it, every parse error
// before the key is looked at. A write grows the string (zero padded) to
// its highest written bit first, as Redis does even when the write then
// fails; the TTL stays. Values are bigints: 64-bit wrap-around exactly.
import { BIT_ERR, CommandError, ERR } from '../errors';
import { int64Arg, isToken, readValue, string2ll } from './string-args';
import type { CommandContext, CommandSpec } from './types';

const GET = 0;
const SET = 1;
const INCRBY = 2;
const WRAP = 0;
const SAT = 1;
const FAIL = 2;

interface FieldOp {
  opcode: number;
  owtype: number;
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
}

/** getBitfieldTypeFromArgument: i1..i64 or u1..u63 (the width read as a C string). */
function fieldType(arg: Buffer): { signed: boolean; bits: number } {
  const signed = arg[0] === 0x69; // i
  if (!signed && arg[0] !== 0x75) throw new CommandError(BIT_ERR.fieldType); // u
  const nul = arg.indexOf(0, 1);
  const bits = string2ll(arg.subarray(1, nul < 0 ? arg.length : nul));
  if (bits === null || bits < 1 || bits > (signed ? 64 : 63)) throw new CommandError(BIT_ERR.fieldType);
  return { signed, bits: Number(bits) };
}

/** getBitOffsetFromArgument with '#': a bit offset below proto-max-bulk-len * 8 ('#n' is n * bits, in int64). */
function fieldOffset(ctx: CommandContext, arg: Buffer, bits: number): number {
  const hash = arg.length > 0 && arg[0] === 0x23; // #
  const v = string2ll(hash ? arg.subarray(1) : arg);
  if (v === null) throw new CommandError(ERR.bitOffset);
  const offset = hash ? BigInt.asIntN(64, BigInt(v) * BigInt(bits)) : BigInt(v);
  if (offset < 0n || offset >> 3n >= BigInt(ctx.server.config.protoMaxBulkLen)) throw new CommandError(ERR.bitOffset);
  return Number(offset);
}

function parse(ctx: CommandContext, argv: Buffer[]): FieldOp[] {
  const ops: FieldOp[] = [];
  let owtype = WRAP;
  for (let j = 2; j < argv.length; j++) {
    const remargs = argv.length - j - 1;
    const sub = argv[j];
    let opcode: number;
    if (isToken(sub, 'get') && remargs >= 2) opcode = GET;
    else if (isToken(sub, 'set') && remargs >= 3) opcode = SET;
    else if (isToken(sub, 'incrby') && remargs >= 3) opcode = INCRBY;
    else if (isToken(sub, 'overflow') && remargs >= 1) {
      const name = argv[++j];
      if (isToken(name, 'wrap')) owtype = WRAP;
      else if (isToken(name, 'sat')) owtype = SAT;
      else if (isToken(name, 'fail')) owtype = FAIL;
      else throw new CommandError(BIT_ERR.overflowType);
      continue;
    } else throw new CommandError(ERR.syntax);
    const { signed, bits } = fieldType(argv[j + 1]);
    const offset = fieldOffset(ctx, argv[j + 2], bits);
    const value = opcode === GET ? 0n : BigInt(int64Arg(argv[j + 3]));
    ops.push({ opcode, owtype, signed, bits, offset, value });
    j += opcode === GET ? 2 : 3;
  }
  return ops;
}

/** The unsigned integer of `bits` bits at bit offset (bit 0 = MSB of byte 0); bytes past the end read as zero. */
function getBits(p: Buffer | null, offset: number, bits: number): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++, offset++) {
    const byte = offset >>> 3;
    const bit = p !== null && byte < p.length ? (p[byte] >> (7 - (offset & 7))) & 1 : 0;
    v = (v << 1n) | BigInt(bit);
  }
  return v;
}

function setBits(p: Buffer, offset: number, bits: number, value: bigint): void {
  for (let j = 0; j < bits; j++, offset++) {
    const on = (value >> BigInt(bits - 1 - j)) & 1n;
    const mask = 1 << (7 - (offset & 7));
    const byte = offset >>> 3;
    p[byte] = on ? p[byte] | mask : p[byte] & ~mask;
  }
}

/** checkUnsignedBitfieldOverflow: [0 | 1 up | -1 down, the value WRAP or SAT gives]. */
function unsignedOverflow(value: bigint, incr: bigint, bits: number, owtype: number): [number, bigint] {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  const wrapped = BigInt.asUintN(bits, value + incr);
  if (value > max || (incr > 0n && incr > maxincr)) return [1, owtype === SAT ? max : wrapped];
  if (incr < 0n && incr < minincr) return [-1, owtype === SAT ? 0n : wrapped];
  return [0, 0n];
}

/** checkSignedBitfieldOverflow, its int64 arithmetic included. */
function signedOverflow(value: bigint, incr: bigint, bits: number, owtype: number): [number, bigint] {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  const wrapped = BigInt.asIntN(bits, value + incr);
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) return [1, owtype === SAT ? max : wrapped];
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) return [-1, owtype === SAT ? min : wrapped];
  return [0, 0n];
}

/** SET or INCRBY on p (long enough): the reply value, or null when it overflowed under FAIL (nothing written). */
function write(p: Buffer, op: FieldOp): bigint | null {
  const raw = getBits(p, op.offset, op.bits);
  const old = op.signed ? BigInt.asIntN(op.bits, raw) : raw;
  let next: bigint;
  let overflow: number;
  let limit: bigint;
  if (op.opcode === INCRBY) {
    [overflow, limit] = op.signed ? signedOverflow(old, op.value, op.bits, op.owtype) : unsignedOverflow(old, op.value, op.bits, op.owtype);
    next = overflow !== 0 ? limit : old + op.value;
  } else {
    next = op.signed ? op.value : BigInt.asUintN(64, op.value);
    [overflow, limit] = op.signed ? signedOverflow(next, 0n, op.bits, op.owtype) : unsignedOverflow(next, 0n, op.bits, op.owtype);
    if (overflow !== 0) next = limit;
  }
  if (overflow !== 0 && op.owtype === FAIL) return null;
  setBits(p, op.offset, op.bits, BigInt.asUintN(op.bits, next));
  return op.opcode === INCRBY ? next : old;
}

function bitfieldGeneric(ctx: CommandContext, argv: Buffer[], readOnlyCommand: boolean): void {
  const ops = parse(ctx, argv);
  const db = ctx.client.db;
  const key = argv[1];
  let highest = -1;
  for (const op of ops) if (op.opcode !== GET && op.offset + op.bits - 1 > highest) highest = op.offset + op.bits - 1;
  let p: Buffer | null;
  let grown = false;
  let expireAt = 0;
  if (highest < 0) {
    p = readValue(ctx, key); // WRONGTYPE for another type
  } else {
    if (readOnlyCommand) throw new CommandError(BIT_ERR.readOnly);
    const meta = ctx.store.meta(db, key);
    const old = meta === null ? null : ctx.store.get(db, key);
    const size = Math.floor(highest / 8) + 1;
    if (meta !== null && old !== null) {
      expireAt = meta.expireAt;
      p = old; // a fresh copy: changed in place
    } else p = null;
    if (p === null || p.length < size) {
      const zeroPadded = Buffer.alloc(Math.max(size, p?.length ?? 0));
      p?.copy(zeroPadded, 0);
      p = zeroPadded;
      grown = true;
    }
  }
  let changed = grown;
  ctx.reply.arrayHeader(ops.length);
  for (const op of ops) {
    if (op.opcode === GET) {
      const raw = getBits(p, op.offset, op.bits);
      ctx.reply.integer(op.signed ? BigInt.asIntN(op.bits, raw) : raw);
      continue;
    }
    const target = p as Buffer;
    const before = getBits(target, op.offset, op.bits);
    const reply = write(target, op);
    if (reply === null) ctx.reply.nullBulk();
    else {
      ctx.reply.integer(BigInt.asIntN(64, reply));
      if (getBits(target, op.offset, op.bits) !== before) changed = true;
    }
  }
  if (changed && p !== null) ctx.store.set(db, key, p, expireAt);
}

export const bitfieldCommands: CommandSpec[] = [
  {
    name: 'bitfield', arity: -2, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'bitmap', 'slow'],
    keySpecs: [{ notes: 'This command allows both access and modification of the key', flags: ['RW', 'access', 'update', 'variable_flags'], index: 1, lastKey: 0, keyStep: 1 }],
    handler: (ctx, argv) => bitfieldGeneric(ctx, argv, false),
  },
  {
    name: 'bitfield_ro', arity: -2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'bitmap', 'fast'],
    keySpecFlags: ['RO', 'access'],
    handler: (ctx, argv) => bitfieldGeneric(ctx, argv, true),
  },
];
