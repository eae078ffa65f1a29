// datatypes/varint.ts — unsigned LEB128 varints: their writer, for the
// datatypes' value encodings and the version codec alike (cluster/versions/
// codec-reader.ts reads records with its own allocation-free Reader), and a
// cursor for the datatypes' encodings that checks bounds and throws
// RangeError naming the field.

export function varintSize(n: number): number {
  let size = 1;
  for (; n >= 0x80; n = Math.floor(n / 0x80)) size++;
  return size;
}

export function writeVarint(target: Buffer, offset: number, n: number): number {
  for (; n >= 0x80; n = Math.floor(n / 0x80)) target[offset++] = (n % 0x80) | 0x80;
  target[offset++] = n;
  return offset;
}

/** A cursor over bytes: each read checks bounds. */
export class ByteCursor {
  offset = 0;
  constructor(readonly bytes: Buffer) {}

  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.offset >= this.bytes.length) throw new RangeError(`${what}: truncated varint`);
      const byte = this.bytes[this.offset++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw new RangeError(`${what}: non-minimal varint`);
        return value;
      }
      scale *= 0x80;
    }
    throw new RangeError(`${what}: varint longer than 8 bytes`);
  }

  bytesOf(what: string, length: number): Buffer {
    if (length > this.bytes.length - this.offset) throw new RangeError(`${what}: ${length} bytes announced, ${this.bytes.length - this.offset} left`);
    this.offset += length;
    return this.bytes.subarray(this.offset - length, this.offset);
  }

  end(what: string): void {
    if (this.offset !== this.bytes.length) throw new RangeError(`${what}: ${this.bytes.length - this.offset} trailing bytes`);
  }
}
