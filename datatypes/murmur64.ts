// datatypes/murmur64.ts — MurmurHash64A (Austin Appleby's MurmurHash2, 64-bit
// version), as Redis's hyperloglog.c hashes elements: little-endian 8-byte
// blocks, endian neutral. 64-bit arithmetic is done on 32-bit halves (no
// BigInt, no allocation); the result is left in `hashHi` / `hashLo`.

/** The last hash's high and low 32 bits (unsigned). */
export let hashHi = 0;
export let hashLo = 0;

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const M_LO0 = M_LO & 0xffff;
const M_LO1 = M_LO >>> 16;

/** (hi, lo) * m mod 2^64 into mulHi / mulLo. */
let mulHi = 0;
let mulLo = 0;
function mulM(hi: number, lo: number): void {
  // lo * M_LO exactly, from 16-bit pieces; the cross terms only matter mod 2^32.
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const p00 = a0 * M_LO0;
  const p01 = a0 * M_LO1;
  const p10 = a1 * M_LO0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  mulLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = a1 * M_LO1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  mulHi = (carry + Math.imul(hi, M_LO) + Math.imul(lo, M_HI)) >>> 0;
}

/** MurmurHash64A of data[from, to) with a 32-bit seed. */
export function murmurHash64A(data: Uint8Array, from: number, to: number, seed: number): void {
  const len = to - from;
  mulM(0, len); // len * m
  let hHi = mulHi;
  let hLo = (mulLo ^ seed) >>> 0;
  const blocksEnd = from + (len - (len & 7));
  let i = from;
  for (; i < blocksEnd; i += 8) {
    const kLo = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
    const kHi = (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24)) >>> 0;
    mulM(kHi, kLo); // k *= m
    const k2Hi = mulHi;
    const k2Lo = (mulLo ^ (mulHi >>> 15)) >>> 0; // k ^= k >> 47
    mulM(k2Hi, k2Lo); // k *= m
    mulM((hHi ^ mulHi) >>> 0, (hLo ^ mulLo) >>> 0); // h ^= k; h *= m
    hHi = mulHi;
    hLo = mulLo;
  }
  const rest = len & 7;
  if (rest !== 0) {
    let tHi = 0;
    let tLo = 0;
    for (let j = rest - 1; j >= 0; j--) {
      if (j >= 4) tHi |= data[i + j] << ((j - 4) * 8);
      else tLo |= data[i + j] << (j * 8);
    }
    mulM((hHi ^ tHi) >>> 0, (hLo ^ tLo) >>> 0);
    hHi = mulHi;
    hLo = mulLo;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0; // h ^= h >> 47
  mulM(hHi, hLo); // h *= m
  hashHi = mulHi;
  hashLo = (mulLo ^ (mulHi >>> 15)) >>> 0; // h ^= h >> 47
}
