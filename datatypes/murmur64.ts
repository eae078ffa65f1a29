// datatypes/murmur64.ts — MurmurHash64A (Austin Appleby's MurmurHash2, 64-bit
// version), as Redis's hyperloglog.c hashes elements: little-endian 8-byte
// blocks, endian neutral. 64-bit arithmetic is done on 32-bit halves kept
// as int32 (no BigInt, no boxed doubles: V8 keeps them unboxed); the result
// is left in `hash64` ([0] high, [1] low 32 bits, as int32).

/** The last hash: [0] its high 32 bits, [1] its low 32 bits (signed int32 views of them). */
export const hash64 = new Int32Array(2);

const M_HI = 0xc6a4a793 | 0;
const M_LO = 0x5bd1e995 | 0;
const M_LO0 = M_LO & 0xffff;
const M_LO1 = M_LO >>> 16;

/** (hi, lo) * m mod 2^64 into mul[0] (high) and mul[1] (low). */
const mul = new Int32Array(2);
function mulM(hi: number, lo: number): void {
  // lo * M_LO exactly, from 16-bit pieces; the cross terms only matter mod 2^32.
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const p00 = a0 * M_LO0;
  const p01 = a0 * M_LO1;
  const p10 = a1 * M_LO0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  mul[1] = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  const carry = a1 * M_LO1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  mul[0] = carry + Math.imul(hi, M_LO) + Math.imul(lo, M_HI);
}

/** MurmurHash64A of data[from, to) with a 32-bit seed, into hash64. */
export function murmurHash64A(data: Uint8Array, from: number, to: number, seed: number): void {
  const len = to - from;
  mulM(0, len); // len * m
  let hHi = mul[0];
  let hLo = mul[1] ^ seed;
  const blocksEnd = from + (len - (len & 7));
  let i = from;
  for (; i < blocksEnd; i += 8) {
    const kLo = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    const kHi = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    mulM(kHi, kLo); // k *= m
    const k2Hi = mul[0];
    mulM(k2Hi, mul[1] ^ (k2Hi >>> 15)); // k ^= k >> 47; k *= m
    mulM(hHi ^ mul[0], hLo ^ mul[1]); // h ^= k; h *= m
    hHi = mul[0];
    hLo = mul[1];
  }
  const rest = len & 7;
  if (rest !== 0) {
    let tHi = 0;
    let tLo = 0;
    for (let j = rest - 1; j >= 0; j--) {
      if (j >= 4) tHi |= data[i + j] << ((j - 4) * 8);
      else tLo |= data[i + j] << (j * 8);
    }
    mulM(hHi ^ tHi, hLo ^ tLo);
    hHi = mul[0];
    hLo = mul[1];
  }
  mulM(hHi, hLo ^ (hHi >>> 15)); // h ^= h >> 47; h *= m
  hash64[0] = mul[0];
  hash64[1] = mul[1] ^ (mul[0] >>> 15); // h ^= h >> 47
}
