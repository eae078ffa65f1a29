// datatypes/hyperloglog-sparse.ts — the sparse HyperLogLog encoding of Redis
// 7.0 (hyperloglog.c) and the editable HLL value the commands change:
// ZERO 00xxxxxx (1-64 zero registers), XZERO 01xxxxxx yyyyyyyy (1-16384),
// VAL 1vvvvvxx (value 1-32, 1-4 registers). A register set splits the
// opcode covering it in place and merges equal VALs next to it, exactly as
// Redis does (the bytes GET shows depend on it); a value over 32, or a value
// longer than hll-sparse-max-bytes, promotes the value to dense. Pure.
import {
  HLL_DENSE, HLL_DENSE_SIZE, HLL_ENCODING_AT, HLL_HDR_SIZE, HLL_REGISTERS, HLL_SPARSE,
  denseSet, denseSetRegister, invalidateCache, patLen,
} from './hyperloglog';

const VAL_MAX_VALUE = 32;
const VAL_MAX_LEN = 4;
const ZERO_MAX_LEN = 64;

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXzero = (op: number): boolean => (op & 0xc0) === 0x40;
const valValue = (op: number): number => ((op >>> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 3) + 1;
const valOp = (value: number, len: number): number => 0x80 | ((value - 1) << 2) | (len - 1);

/**
 * An HLL value being changed: bytes [0, len) of buf, and always a zero byte
 * at buf[len] (as the NUL ending Redis's sds string, which its decoders may
 * read as the second byte of a truncated XZERO).
 */
export class HllValue {
  constructor(
    public buf: Buffer,
    public len: number,
  ) {}

  /** A copy of a stored value (its first len bytes) with room to grow. */
  static of(value: Buffer, len: number): HllValue {
    const buf = Buffer.alloc(len + (value[HLL_ENCODING_AT] === HLL_SPARSE ? 64 : 1));
    value.copy(buf, 0, 0, len);
    return new HllValue(buf, len);
  }

  /** createHLLObject: sparse, every register zero (XZERO:16384), cached cardinality 0. */
  static empty(): HllValue {
    const v = new HllValue(Buffer.alloc(HLL_HDR_SIZE + 2 + 64), HLL_HDR_SIZE + 2);
    v.buf.write('HYLL', 0, 'latin1');
    v.buf[HLL_ENCODING_AT] = HLL_SPARSE;
    writeXzero(v.buf, HLL_HDR_SIZE, HLL_REGISTERS);
    return v;
  }

  get encoding(): number {
    return this.buf[HLL_ENCODING_AT];
  }

  /** The bytes to store. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Room for `extra` more bytes (and the zero after them). */
  reserve(extra: number): void {
    if (this.len + extra < this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.len + extra + 1));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
}

function writeXzero(p: Uint8Array, at: number, len: number): void {
  p[at] = ((len - 1) >>> 8) | 0x40;
  p[at + 1] = (len - 1) & 0xff;
}

/** Writes a run of `len` zero registers at p[at] (ZERO, or XZERO past 64): its byte count. */
function writeZeros(p: Uint8Array, at: number, len: number): number {
  if (len > ZERO_MAX_LEN) {
    writeXzero(p, at, len);
    return 2;
  }
  p[at] = len - 1;
  return 1;
}

/** hllAdd: adds one element; 1 when a register changed, 0 when not, -1 for a corrupt sparse value. */
export function hllAdd(v: HllValue, element: Uint8Array, sparseMaxBytes: number): number {
  const packed = patLen(element);
  const index = packed >>> 6;
  const count = packed & 63;
  if (v.encoding === HLL_DENSE) return denseSet(v.buf, index, count);
  return sparseSet(v, index, count, sparseMaxBytes);
}

const seq = new Uint8Array(5);

/** hllSparseSet: raises register index to count; 1 changed, 0 not, -1 corrupt. May promote v to dense. */
export function sparseSet(v: HllValue, index: number, count: number, sparseMaxBytes: number): number {
  if (count > VAL_MAX_VALUE) return promote(v, index, count);
  v.reserve(3);
  const p = v.buf;
  let end = v.len;
  // Step 1: the opcode covering the register.
  let at = HLL_HDR_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (at < end) {
    const op = p[at];
    let oplen = 1;
    if (isZero(op)) span = (op & 0x3f) + 1;
    else if (op & 0x80) span = valLen(op);
    else {
      span = (((op & 0x3f) << 8) | p[at + 1]) + 1;
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = at;
    at += oplen;
    first += span;
  }
  if (span === 0 || at >= end) return -1;
  const op = p[at];
  const xzero = isXzero(op);
  const next = xzero ? at + 2 : at + 1;
  // Step 2: the trivial cases, in place.
  if (op & 0x80) {
    if (valValue(op) >= count) return 0;
    if (valLen(op) === 1) {
      p[at] = valOp(count, 1);
      return updated(v, p, prev, end);
    }
  } else if (isZero(op) && span === 1) {
    p[at] = valOp(count, 1);
    return updated(v, p, prev, end);
  }
  // The general case: split the opcode into up to three (XZERO-VAL-XZERO: 5 bytes).
  const last = first + span - 1;
  let n = 0;
  if (op & 0x80) {
    const current = valValue(op);
    if (index !== first) seq[n++] = valOp(current, index - first);
    seq[n++] = valOp(count, 1);
    if (index !== last) seq[n++] = valOp(current, last - index);
  } else {
    if (index !== first) n += writeZeros(seq, n, index - first);
    seq[n++] = valOp(count, 1);
    if (index !== last) n += writeZeros(seq, n, last - index);
  }
  // Step 3: put the sequence in place of the old opcode.
  const delta = n - (xzero ? 2 : 1);
  if (delta > 0 && v.len + delta > sparseMaxBytes) return promote(v, index, count);
  if (delta !== 0 && next < end) p.copyWithin(next + delta, next, end);
  end += delta;
  v.len = end;
  p[end] = 0;
  p.set(seq.subarray(0, n), at);
  return updated(v, p, prev, end);
}

/** Step 4 of hllSparseSet: merges equal adjacent VALs over up to 5 opcodes from prev; invalidates the cache. */
function updated(v: HllValue, p: Buffer, prev: number, end: number): number {
  let at = prev >= 0 ? prev : HLL_HDR_SIZE;
  let scan = 5;
  while (at < end && scan-- > 0) {
    const op = p[at];
    if (isXzero(op)) {
      at += 2;
      continue;
    }
    if (isZero(op)) {
      at++;
      continue;
    }
    if (at + 1 < end && p[at + 1] & 0x80) {
      const value = valValue(op);
      if (value === valValue(p[at + 1])) {
        const len = valLen(op) + valLen(p[at + 1]);
        if (len <= VAL_MAX_LEN) {
          p[at + 1] = valOp(value, len);
          p.copyWithin(at, at + 1, end + 1); // the zero after the end comes along
          end--;
          continue; // the merged VAL may merge with the next one
        }
      }
    }
    at++;
  }
  v.len = end;
  invalidateCache(p);
  return 1;
}

/** Promotion to dense, then the register set there (which must change it). */
function promote(v: HllValue, index: number, count: number): number {
  if (!sparseToDense(v)) return -1;
  return denseSet(v.buf, index, count);
}

/** hllSparseToDense: v becomes dense (header and cached cardinality kept); false when the sparse value is corrupt. */
export function sparseToDense(v: HllValue): boolean {
  if (v.encoding === HLL_DENSE) return true;
  const dense = Buffer.alloc(HLL_DENSE_SIZE + 1);
  v.buf.copy(dense, 0, 0, HLL_HDR_SIZE);
  dense[HLL_ENCODING_AT] = HLL_DENSE;
  const p = v.buf;
  const end = v.len;
  let idx = 0;
  let at = HLL_HDR_SIZE;
  while (at < end) {
    const op = p[at];
    if (isZero(op)) {
      idx += (op & 0x3f) + 1;
      at++;
    } else if (isXzero(op)) {
      idx += (((op & 0x3f) << 8) | p[at + 1]) + 1;
      at += 2;
    } else {
      let runlen = valLen(op);
      const value = valValue(op);
      if (runlen + idx > HLL_REGISTERS) return false; // a VAL past the last register
      while (runlen-- > 0) denseSetRegister(dense, HLL_HDR_SIZE, idx++, value);
      at++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  v.buf = dense;
  v.len = HLL_DENSE_SIZE;
  return true;
}

/** hllSparseRegHisto: adds the registers to histo; false when they do not number 16384. */
export function sparseHistogram(p: Uint8Array, end: number, histo: Int32Array): boolean {
  let idx = 0;
  let at = HLL_HDR_SIZE;
  while (at < end) {
    const op = p[at];
    let runlen: number;
    if (isZero(op)) {
      runlen = (op & 0x3f) + 1;
      histo[0] += runlen;
      at++;
    } else if (isXzero(op)) {
      runlen = (((op & 0x3f) << 8) | (at + 1 < end ? p[at + 1] : 0)) + 1;
      histo[0] += runlen;
      at += 2;
    } else {
      runlen = valLen(op);
      histo[valValue(op)] += runlen;
      at++;
    }
    idx += runlen;
  }
  return idx === HLL_REGISTERS;
}

/** hllMerge of a sparse HLL: raises max[i] to each register; false when corrupt. */
export function sparseMergeInto(p: Uint8Array, end: number, max: Uint8Array): boolean {
  let i = 0;
  let at = HLL_HDR_SIZE;
  while (at < end) {
    const op = p[at];
    if (isZero(op)) {
      i += (op & 0x3f) + 1;
      at++;
    } else if (isXzero(op)) {
      i += (((op & 0x3f) << 8) | (at + 1 < end ? p[at + 1] : 0)) + 1;
      at += 2;
    } else {
      let runlen = valLen(op);
      const value = valValue(op);
      if (runlen + i > HLL_REGISTERS) return false; // a VAL past the last register
      while (runlen-- > 0) {
        if (value > max[i]) max[i] = value;
        i++;
      }
      at++;
    }
  }
  return i === HLL_REGISTERS;
}

/** PFDEBUG DECODE's text: "Z:n" (XZERO), "z:n" (ZERO), "v:value,len" (VAL), space separated. */
export function sparseDecode(p: Uint8Array, end: number): string {
  const parts: string[] = [];
  let at = HLL_HDR_SIZE;
  while (at < end) {
    const op = p[at];
    if (isZero(op)) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      at++;
    } else if (isXzero(op)) {
      parts.push(`Z:${(((op & 0x3f) << 8) | (at + 1 < end ? p[at + 1] : 0)) + 1}`);
      at += 2;
    } else {
      parts.push(`v:${valValue(op)},${valLen(op)}`);
      at++;
    }
  }
  return parts.join(' ');
}
