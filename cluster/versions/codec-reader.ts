// cluster/versions/codec-reader.ts — the byte-level pieces of the version codec
// (codec.ts, fast-path.ts): unsigned LEB128 varints (size,
// write) and Reader, a bounds-checked cursor that throws a named error saying
// what is wrong and where, and allocates nothing while it reads. Varints
// are written by datatypes/varint.ts's, the one writer.
import { varintSize, writeVarint } from '../../datatypes/varint';

export { varintSize, writeVarint };

const MAX_VARINT_BYTES = 8;
/** expireAt's bound: 2^63, in a varint of up to 10 bytes (the other fields stay within 2^53 - 1). */
export const MAX_EXPIRE_AT = 2 ** 63;
const EXPIRE_AT_BYTES = 10;
export const NO_BYTES: Buffer = Buffer.alloc(0);

/**
 * A bounds-checked cursor over bytes[start, limit); every failure throws
 * `fail`'s error, with offsets relative to start. A field name may hold `{i}`,
 * standing for `index`: names are made only on failure, so reading allocates
 * nothing and one reader can serve every call.
 */
export class Reader {
  bytes: Buffer = NO_BYTES;
  start = 0;
  limit = 0;
  offset = 0;
  /** The last varint read. */
  value = 0;
  constructor(private readonly fail: (message: string) => Error) {}

  reset(bytes: Buffer, start = 0, limit = bytes.length): this {
    this.bytes = bytes;
    this.start = start;
    this.limit = limit;
    this.offset = start;
    return this;
  }

  error(what: string, problem: string, at = this.offset): Error {
    return this.fail(`${what} at offset ${at - this.start}: ${problem}`);
  }

  private failure(what: string, index: number, problem: string, at = this.offset): Error {
    return this.error(index < 0 ? what : what.replace('{i}', String(index)), problem, at);
  }

  byte(what: string): number {
    if (this.offset >= this.limit) throw this.failure(what, -1, 'truncated');
    return this.bytes[this.offset++];
  }

  varint(what: string, index = -1): number {
    this.readVarint(what, index);
    return this.value;
  }

  /**
   * Reads a varint into this.value. A field, not a return value: a number
   * above 2^31 (a timestamp) returned from a call that is not inlined is
   * boxed, which the fast paths must not allocate.
   */
  readVarint(what: string, index = -1, maxBytes = MAX_VARINT_BYTES, max = Number.MAX_SAFE_INTEGER): void {
    const start = this.offset;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (this.offset >= this.limit) throw this.failure(what, index, 'truncated varint', start);
      const byte = this.bytes[this.offset++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw this.failure(what, index, 'non-minimal varint', start);
        if (value > max) throw this.failure(what, index, max === MAX_EXPIRE_AT ? 'varint above 2^63' : 'varint above 2^53 - 1', start);
        this.value = value;
        return;
      }
      scale *= 0x80;
    }
    throw this.failure(what, index, `varint longer than ${maxBytes} bytes`, start);
  }

  /** An expireAt: as readVarint, up to 2^63 (Redis takes expiry times up to int64's largest, which a double rounds to 2^63). */
  readExpireAt(what: string, index = -1): void {
    this.readVarint(what, index, EXPIRE_AT_BYTES, MAX_EXPIRE_AT);
  }

  skip(what: string, length: number, index = -1): void {
    if (length > this.limit - this.offset) throw this.failure(what, index, `${length} bytes announced, ${this.limit - this.offset} left`);
    this.offset += length;
  }

  bytesOf(what: string, length: number, index = -1): Buffer {
    this.skip(what, length, index);
    return this.bytes.subarray(this.offset - length, this.offset);
  }

  format(expected: number): void {
    const at = this.offset;
    const format = this.byte('format version');
    if (format !== expected) throw this.error('format version', `${format} is not the known format ${expected}`, at);
  }

  /** The format byte, one of first..last (the formats a reader knows). */
  formatIn(first: number, last: number): number {
    const at = this.offset;
    const format = this.byte('format version');
    if (format < first || format > last) throw this.error('format version', `${format} is not a known format (${first} to ${last})`, at);
    return format;
  }

  end(): void {
    if (this.offset !== this.limit) throw this.error('end of input', `${this.limit - this.offset} trailing bytes`);
  }
}
