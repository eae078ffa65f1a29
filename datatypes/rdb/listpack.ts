// datatypes/rdb/listpack.ts — Redis's listpack, the blob small hashes,
// sorted sets and lists are serialized as in RDB and DUMP payloads (type 16
// hash, 17 zset, 18 quicklist nodes), written from the format: total bytes
// u32 LE, element count u16 LE (65535: unknown), entries, 0xff. An entry is
// its encoding and data, then its length again as a backward varint
// (backlen); a string that is a canonical int64 is stored as an integer of
// the smallest encoding (7-bit unsigned, 13, 16, 24, 32, 64 bits), others as
// strings with a 6-bit, 12-bit or 32-bit length. Pure.
import { string2ll } from '../int64';

/** The integer encodings: the largest magnitude each holds. */
function intEncoding(v: bigint): Buffer {
  if (v >= 0n && v <= 127n) return Buffer.from([Number(v)]);
  if (v >= -4096n && v <= 4095n) {
    const u = Number(v < 0n ? v + 8192n : v);
    return Buffer.from([0xc0 | (u >> 8), u & 0xff]);
  }
  const sized = (tag: number, bytes: number): Buffer => {
    const b = Buffer.allocUnsafe(1 + bytes);
    b[0] = tag;
    let u = BigInt.asUintN(bytes * 8, v);
    for (let i = 1; i <= bytes; i++) {
      b[i] = Number(u & 0xffn);
      u >>= 8n;
    }
    return b;
  };
  if (v >= -32768n && v <= 32767n) return sized(0xf1, 2);
  if (v >= -8388608n && v <= 8388607n) return sized(0xf2, 3);
  if (v >= -2147483648n && v <= 2147483647n) return sized(0xf3, 4);
  return sized(0xf4, 8);
}

function stringEncoding(s: Buffer): Buffer {
  let head: Buffer;
  if (s.length < 64) head = Buffer.from([0x80 | s.length]);
  else if (s.length < 4096) head = Buffer.from([0xe0 | (s.length >> 8), s.length & 0xff]);
  else {
    head = Buffer.allocUnsafe(5);
    head[0] = 0xf0;
    head.writeUInt32LE(s.length, 1);
  }
  return Buffer.concat([head, s]);
}

/** The backward length of an entry of l bytes: 7 bits a byte, the first byte the most significant, every byte but the first with bit 7 set. */
function backlen(l: number): Buffer {
  const bytes = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  const b = Buffer.allocUnsafe(bytes);
  let rest = l;
  for (let i = bytes - 1; i >= 0; i--) {
    b[i] = (rest & 127) | (i === 0 ? 0 : 128);
    rest = Math.floor(rest / 128);
  }
  return b;
}

/** The bytes one element takes in a listpack: its encoding and data, then its backlen (MEMORY USAGE's model of list nodes). */
export function listpackEntryBytes(e: Buffer): number {
  const n = e.length <= 20 ? string2ll(e) : null;
  let entry: number;
  if (n === null) entry = (e.length < 64 ? 1 : e.length < 4096 ? 2 : 5) + e.length;
  else {
    const v = BigInt(n);
    const fits = (bits: number): boolean => v >= -(1n << BigInt(bits - 1)) && v < 1n << BigInt(bits - 1);
    entry = v >= 0n && v <= 127n ? 1 : fits(13) ? 2 : fits(16) ? 3 : fits(24) ? 4 : fits(32) ? 5 : 9;
  }
  return entry + (entry <= 127 ? 1 : entry < 16383 ? 2 : entry < 2097151 ? 3 : entry < 268435455 ? 4 : 5);
}

/** A listpack of these elements, in order. */
export function encodeListpack(elements: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(6)];
  let total = 6;
  for (const e of elements) {
    const n = e.length <= 20 ? string2ll(e) : null;
    const entry = n === null ? stringEncoding(e) : intEncoding(BigInt(n));
    const back = backlen(entry.length);
    parts.push(entry, back);
    total += entry.length + back.length;
  }
  parts.push(Buffer.from([0xff]));
  total += 1;
  const out = Buffer.concat(parts, total);
  out.writeUInt32LE(total, 0);
  out.writeUInt16LE(elements.length < 65535 ? elements.length : 65535, 4);
  return out;
}

/** The elements of a listpack (integers as their decimal text); null when the bytes are not a well-formed listpack. */
export function decodeListpack(lp: Buffer): Buffer[] | null {
  if (lp.length < 7 || lp.readUInt32LE(0) !== lp.length || lp[lp.length - 1] !== 0xff) return null;
  const count = lp.readUInt16LE(4);
  const out: Buffer[] = [];
  let p = 6;
  const end = lp.length - 1;
  while (p < end) {
    const start = p;
    const b = lp[p];
    let value: Buffer;
    const need = (n: number): boolean => p + n <= end;
    if (b < 0x80) {
      value = Buffer.from(String(b), 'latin1');
      p += 1;
    } else if (b < 0xc0) {
      const len = b & 0x3f;
      if (!need(1 + len)) return null;
      value = lp.subarray(p + 1, p + 1 + len);
      p += 1 + len;
    } else if (b < 0xe0) {
      if (!need(2)) return null;
      let u = ((b & 0x1f) << 8) | lp[p + 1];
      if (u >= 4096) u -= 8192;
      value = Buffer.from(String(u), 'latin1');
      p += 2;
    } else if (b < 0xf0) {
      if (!need(2)) return null;
      const len = ((b & 0x0f) << 8) | lp[p + 1];
      if (!need(2 + len)) return null;
      value = lp.subarray(p + 2, p + 2 + len);
      p += 2 + len;
    } else if (b === 0xf0) {
      if (!need(5)) return null;
      const len = lp.readUInt32LE(p + 1);
      if (!need(5 + len)) return null;
      value = lp.subarray(p + 5, p + 5 + len);
      p += 5 + len;
    } else if (b >= 0xf1 && b <= 0xf4) {
      const bytes = b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : 8;
      if (!need(1 + bytes)) return null;
      let u = 0n;
      for (let i = bytes; i >= 1; i--) u = (u << 8n) | BigInt(lp[p + i]);
      value = Buffer.from(String(BigInt.asIntN(bytes * 8, u)), 'latin1');
      p += 1 + bytes;
    } else {
      return null;
    }
    const back = backlen(p - start);
    if (!need(back.length) || !lp.subarray(p, p + back.length).equals(back)) return null;
    p += back.length;
    out.push(value);
  }
  if (p !== end || (count !== 65535 && count !== out.length)) return null;
  return out;
}
