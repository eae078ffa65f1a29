// datatypes/rdb/intset.ts — Redis's intset, the blob a set of small
// integers is serialized as in RDB and DUMP payloads (type 11): encoding
// u32 LE (2, 4 or 8 bytes an element: the smallest that holds them all),
// count u32 LE, the integers ascending, little-endian. Pure.

/** The intset of these integers (any order; duplicates kept once). */
export function encodeIntset(values: readonly bigint[]): Buffer {
  const sorted = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of sorted) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const out = Buffer.allocUnsafe(8 + sorted.length * width);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(sorted.length, 4);
  sorted.forEach((v, i) => {
    const at = 8 + i * width;
    if (width === 2) out.writeInt16LE(Number(v), at);
    else if (width === 4) out.writeInt32LE(Number(v), at);
    else out.writeBigInt64LE(v, at);
  });
  return out;
}

/** The integers of an intset, as decimal text; null when the bytes are not a well-formed intset (strictly ascending). */
export function decodeIntset(bytes: Buffer): Buffer[] | null {
  if (bytes.length < 8) return null;
  const width = bytes.readUInt32LE(0);
  const count = bytes.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || bytes.length !== 8 + count * width || count === 0) return null;
  const out: Buffer[] = [];
  let last: bigint | null = null;
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    const v = width === 2 ? BigInt(bytes.readInt16LE(at)) : width === 4 ? BigInt(bytes.readInt32LE(at)) : bytes.readBigInt64LE(at);
    if (last !== null && v <= last) return null;
    last = v;
    out.push(Buffer.from(String(v), 'latin1'));
  }
  return out;
}
