// datatypes/rdb/crc64.ts — the CRC-64 of Redis's RDB and DUMP payloads
// (Jones polynomial 0xad93d23594c935a9, reflected, init 0, no final xor:
// crc64("123456789") = 0xe9c6d914c4b8d9ca), one table of 256 entries.
// Written from the polynomial; BigInt-free (two 32-bit halves). Pure.

const LO = new Uint32Array(256);
const HI = new Uint32Array(256);
(() => {
  // The reflected polynomial, 0x95ac9329ac4bc9b5, as two halves.
  const polyHi = 0x95ac9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi >>>= 1;
      if (carry) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    LO[n] = lo;
    HI[n] = hi;
  }
})();

/** The CRC-64 of bytes[from, to), as 8 bytes little-endian (how a payload's footer stores it). */
export function crc64(bytes: Uint8Array, from = 0, to = bytes.length): Buffer {
  let lo = 0;
  let hi = 0;
  for (let i = from; i < to; i++) {
    const t = (lo ^ bytes[i]) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ LO[t]) >>> 0;
    hi = ((hi >>> 8) ^ HI[t]) >>> 0;
  }
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE(lo, 0);
  out.writeUInt32LE(hi, 4);
  return out;
}
