// datatypes/hyperloglog.ts — Redis's HyperLogLog as a string value, byte for
// byte (hyperloglog.c, Redis 7.0): the 16-byte header ("HYLL", encoding,
// three unused bytes, the cached cardinality little endian whose top bit
// says "stale"), the dense encoding (16384 6-bit registers, LSB first), the
// element hash (MurmurHash64A, seed 0xadc83b19: low 14 bits pick the
// register, the run of zeros above them the value) and Ertl's estimator
// from the register histogram. The sparse encoding is in
// hyperloglog-sparse.ts. Pure: no I/O.
import { hash64, murmurHash64A } from './murmur64';

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * 6) / 8;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
/** Byte offset of the encoding in the header, and of the cached cardinality. */
export const HLL_ENCODING_AT = 4;
const CARD_AT = 8;
const SEED = 0xadc83b19 | 0;
const ALPHA_INF = 0.721347520444481703680; // 0.5 / ln(2)

/** isHLLObjectOrReply's test: a string that reads as an HLL (magic, known encoding, a dense one of the exact size). */
export function isHll(value: Uint8Array, len: number): boolean {
  if (len < HLL_HDR_SIZE) return false;
  if (value[0] !== 0x48 || value[1] !== 0x59 || value[2] !== 0x4c || value[3] !== 0x4c) return false; // HYLL
  const encoding = value[HLL_ENCODING_AT];
  if (encoding > HLL_SPARSE) return false;
  return encoding !== HLL_DENSE || len === HLL_DENSE_SIZE;
}

/**
 * The register (bits 0-13) and run length (bits 14+) of an element, packed
 * as `index << 6 | count`: count is 1 + the zeros above the index bits, at
 * most Q + 1 = 51.
 */
export function patLen(element: Uint8Array): number {
  murmurHash64A(element, 0, element.length, SEED);
  const hi = hash64[0];
  const lo = hash64[1];
  const index = lo & (HLL_REGISTERS - 1);
  const low = lo >>> HLL_P; // 18 bits of the 50
  let count: number;
  if (low !== 0) count = 32 - Math.clz32(low & -low);
  else if (hi !== 0) count = 18 + 32 - Math.clz32(hi & -hi);
  else count = HLL_Q + 1;
  return (index << 6) | count;
}

// ---- dense registers (at `base`, the first register byte) ----

export function denseGet(p: Uint8Array, base: number, index: number): number {
  const bit = index * 6;
  const byte = base + (bit >>> 3);
  const fb = bit & 7;
  if (fb <= 2) return (p[byte] >>> fb) & 63; // within one byte (the last register always is)
  return ((p[byte] >>> fb) | (p[byte + 1] << (8 - fb))) & 63;
}

export function denseSetRegister(p: Uint8Array, base: number, index: number, value: number): void {
  const bit = index * 6;
  const byte = base + (bit >>> 3);
  const fb = bit & 7;
  p[byte] = (p[byte] & ~(63 << fb)) | (value << fb);
  if (fb > 2) p[byte + 1] = (p[byte + 1] & ~(63 >>> (8 - fb))) | (value >>> (8 - fb));
}

/** hllDenseSet: raises the register to count; 1 when it changed. */
export function denseSet(p: Uint8Array, index: number, count: number): number {
  if (denseGet(p, HLL_HDR_SIZE, index) >= count) return 0;
  denseSetRegister(p, HLL_HDR_SIZE, index, count);
  return 1;
}

/** Adds the dense registers at `base` to histo (4 registers per 3 bytes). */
export function denseHistogram(p: Uint8Array, base: number, histo: Int32Array): void {
  const end = base + (HLL_REGISTERS * 6) / 8;
  for (let i = base; i < end; i += 3) {
    const b0 = p[i];
    const b1 = p[i + 1];
    const b2 = p[i + 2];
    histo[b0 & 63]++;
    histo[((b0 >>> 6) | (b1 << 2)) & 63]++;
    histo[((b1 >>> 4) | (b2 << 4)) & 63]++;
    histo[b2 >>> 2]++;
  }
}

/** Raises max[i] to each dense register (hllMerge of a dense HLL). */
export function denseMergeInto(p: Uint8Array, max: Uint8Array): void {
  let r = 0;
  const end = HLL_HDR_SIZE + (HLL_REGISTERS * 6) / 8;
  for (let i = HLL_HDR_SIZE; i < end; i += 3, r += 4) {
    const b0 = p[i];
    const b1 = p[i + 1];
    const b2 = p[i + 2];
    const v0 = b0 & 63;
    const v1 = ((b0 >>> 6) | (b1 << 2)) & 63;
    const v2 = ((b1 >>> 4) | (b2 << 4)) & 63;
    const v3 = b2 >>> 2;
    if (v0 > max[r]) max[r] = v0;
    if (v1 > max[r + 1]) max[r + 1] = v1;
    if (v2 > max[r + 2]) max[r + 2] = v2;
    if (v3 > max[r + 3]) max[r + 3] = v3;
  }
}

// ---- the estimator ----

/** sigma of Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (arXiv:1702.01284). */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zPrime: number;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** tau of the same paper. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrime: number;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}

/** What Redis's llroundl gives for an estimate past int64 (all registers very high): LLONG_MIN, read back as uint64 2^63. */
export const CARD_OVERFLOW = 2 ** 63;

/** A cardinality as PFCOUNT replies it (Redis's long long). */
export function cardReply(card: number): number | bigint {
  return card === CARD_OVERFLOW ? -(2n ** 63n) : card;
}

/** The cardinality estimate from a register histogram (histo[v] = registers holding v), as hllCount. */
export function estimate(histo: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * sigma(histo[0] / m);
  const e = Math.round((ALPHA_INF * m * m) / z);
  return e < CARD_OVERFLOW ? e : CARD_OVERFLOW; // Infinity too (z = 0: every register 63)
}

// ---- the header's cached cardinality ----

export function cacheValid(value: Uint8Array): boolean {
  return (value[CARD_AT + 7] & 0x80) === 0;
}

export function invalidateCache(value: Uint8Array): void {
  value[CARD_AT + 7] |= 0x80;
}

/** The cached cardinality (valid bit clear): a number, or a bigint beyond 2^53. */
export function readCache(value: Buffer): number | bigint {
  const lo = value.readUInt32LE(CARD_AT);
  const hi = value.readUInt32LE(CARD_AT + 4);
  if (hi < 0x200000) return hi * 0x100000000 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function writeCache(value: Buffer, card: number): void {
  value.writeUInt32LE(card % 0x100000000, CARD_AT);
  value.writeUInt32LE(Math.floor(card / 0x100000000), CARD_AT + 4);
}
