// protocol/writer.ts — the RESP2/RESP3 reply writer. Replies for one batch
// of commands are appended to a shared slab and handed out as one Buffer
// (a view of the slab: no copy); the slab is replaced when it runs low, so a
// Buffer handed to a socket is never overwritten. Types RESP2 lacks are
// downgraded the way Redis does (map -> flat array, null -> $-1 or *-1,
// double -> bulk string, boolean -> integer).

import { writeDecimal } from './decimal';

const SLAB_SIZE = 64 * 1024;

export type RespVersion = 2 | 3;

export class ReplyWriter {
  resp: RespVersion = 2;
  private slab: Buffer = Buffer.allocUnsafe(SLAB_SIZE);
  private start = 0;
  private pos = 0;

  /** Bytes written since the last take(). */
  get length(): number {
    return this.pos - this.start;
  }

  /** The replies written since the last call, or null when there are none. */
  take(): Buffer | null {
    if (this.pos === this.start) return null;
    const out = this.slab.subarray(this.start, this.pos);
    this.start = this.pos;
    if (this.slab.length - this.pos < 1024) this.newSlab(SLAB_SIZE);
    return out;
  }

  simple(text: string): void {
    this.ensure(text.length * 3 + 3);
    this.slab[this.pos++] = 0x2b; // +
    this.pos += this.slab.write(text, this.pos, 'utf8');
    this.crlf();
  }

  ok(): void {
    this.ensure(5);
    const slab = this.slab;
    const p = this.pos;
    slab[p] = 0x2b; // +
    slab[p + 1] = 0x4f; // O
    slab[p + 2] = 0x4b; // K
    slab[p + 3] = 0x0d;
    slab[p + 4] = 0x0a;
    this.pos = p + 5;
  }

  /**
   * An error reply; `message` starts with its code (ERR, WRONGTYPE, ...).
   * It is a binary string, one char per byte (latin1): a client's bytes
   * quoted in it go back unchanged; dynkv's own text is ASCII (a message
   * with a char above 0xff is not one, and is written as UTF-8). CR/LF are
   * cleaned as addReplyErrorFormat does: trimmed at both ends, each one
   * left inside becomes a space.
   */
  error(message: string): void {
    const clean =
      message.includes('\r') || message.includes('\n') ? message.replace(/^[\r\n]+|[\r\n]+$/g, '').replace(/[\r\n]/g, ' ') : message;
    const bytes = /[^\x00-\xff]/.test(clean) ? 'utf8' : 'latin1'; // a message that is not a binary string (a peer's, an exception's)
    this.ensure(clean.length * 3 + 3);
    this.slab[this.pos++] = 0x2d; // -
    this.pos += this.slab.write(clean, this.pos, bytes);
    this.crlf();
  }

  integer(n: number | bigint): void {
    this.header(0x3a, n); // :
  }

  bulk(value: Buffer | string | null): void {
    if (value === null) {
      this.nullBulk();
      return;
    }
    if (typeof value === 'string') {
      const len = Buffer.byteLength(value);
      this.header(0x24, len);
      this.ensure(len + 2);
      this.pos += this.slab.write(value, this.pos, 'utf8');
    } else {
      this.header(0x24, value.length);
      this.ensure(value.length + 2);
      this.pos += value.copy(this.slab, this.pos);
    }
    this.crlf();
  }

  /** A bulk string of a latin1 string's bytes (one byte per char, as the lists keep values in memory). */
  bulkLatin1(value: string): void {
    const len = value.length;
    this.header(0x24, len);
    this.ensure(len + 2);
    if (len <= 64) {
      // Short values: a loop costs less than a call into the buffer binding.
      const slab = this.slab;
      let pos = this.pos;
      for (let i = 0; i < len; i++) slab[pos++] = value.charCodeAt(i);
      this.pos = pos;
    } else {
      this.pos += this.slab.write(value, this.pos, 'latin1');
    }
    this.crlf();
  }

  /**
   * A bulk string read straight into the reply, with no Buffer in between:
   * read(slab, offset, room) puts the value at offset and returns its
   * length, or -1 for a null reply; a length over `room` means it read
   * nothing and wants asking again with that much room. Returns the length.
   */
  bulkRead(read: (slab: Buffer, offset: number, room: number) => number): number {
    const headroom = 16; // "$" + up to 13 digits + CRLF
    this.ensure(headroom + 256);
    let at = this.pos + headroom;
    let len = read(this.slab, at, this.slab.length - at - 2);
    if (len > this.slab.length - at - 2) {
      this.ensure(headroom + len);
      at = this.pos + headroom;
      len = read(this.slab, at, this.slab.length - at - 2);
    }
    if (len < 0) {
      this.nullBulk();
      return len;
    }
    this.slab[this.pos++] = 0x24; // $
    this.digits(len);
    this.crlf();
    if (this.pos !== at) this.slab.copyWithin(this.pos, at, at + len);
    this.pos += len;
    this.crlf();
    return len;
  }

  /** RESP2 $-1, RESP3 _ */
  nullBulk(): void {
    this.raw(this.resp === 3 ? '_\r\n' : '$-1\r\n');
  }

  /** RESP2 *-1, RESP3 _ */
  nullArray(): void {
    this.raw(this.resp === 3 ? '_\r\n' : '*-1\r\n');
  }

  arrayHeader(n: number): void {
    this.header(0x2a, n); // *
  }

  /** RESP3 %n; RESP2 a flat array of 2n items. */
  mapHeader(n: number): void {
    if (this.resp === 3) this.header(0x25, n);
    else this.header(0x2a, 2 * n);
  }

  /** RESP3 ~n; RESP2 *n. */
  setHeader(n: number): void {
    this.header(this.resp === 3 ? 0x7e : 0x2a, n);
  }

  /** RESP3 >n; RESP2 *n. */
  pushHeader(n: number): void {
    this.header(this.resp === 3 ? 0x3e : 0x2a, n);
  }

  /** An array of bulk strings (null items are null bulks). */
  bulkArray(items: readonly (Buffer | string | null)[]): void {
    this.arrayHeader(items.length);
    for (const item of items) this.bulk(item);
  }

  /** RESP3 ,<double>; RESP2 a bulk string. `text` is the number as Redis prints it. */
  double(text: string): void {
    if (this.resp === 3) this.raw(`,${text}\r\n`);
    else this.bulk(text);
  }

  /** RESP3 #t/#f; RESP2 :1/:0. */
  boolean(value: boolean): void {
    if (this.resp === 3) this.raw(value ? '#t\r\n' : '#f\r\n');
    else this.raw(value ? ':1\r\n' : ':0\r\n');
  }

  /** RESP3 =len\r\ntxt:...; RESP2 a bulk string. */
  verbatim(text: string, format = 'txt'): void {
    if (this.resp !== 3) {
      this.bulk(text);
      return;
    }
    const len = Buffer.byteLength(text) + 4;
    this.header(0x3d, len); // =
    this.ensure(len + 2);
    this.pos += this.slab.write(`${format}:${text}`, this.pos, 'utf8');
    this.crlf();
  }

  /** Bytes already in RESP form. */
  raw(resp: string | Buffer): void {
    if (typeof resp === 'string') {
      this.ensure(resp.length * 3);
      this.pos += this.slab.write(resp, this.pos, 'latin1');
    } else {
      this.ensure(resp.length);
      this.pos += resp.copy(this.slab, this.pos);
    }
  }

  private header(type: number, n: number | bigint): void {
    this.ensure(24);
    this.slab[this.pos++] = type;
    if (typeof n === 'number' && n >= 0 && n <= 0xffffffff && Number.isInteger(n)) this.digits(n);
    else this.pos += this.slab.write(String(n), this.pos, 'latin1');
    this.crlf();
  }

  /** A whole number in [0, 2^32) in decimal: the lengths and counts of nearly every reply, without a string. */
  private digits(n: number): void {
    this.pos = writeDecimal(this.slab, this.pos, n);
  }

  private crlf(): void {
    const p = this.pos;
    this.slab[p] = 0x0d;
    this.slab[p + 1] = 0x0a;
    this.pos = p + 2;
  }

  /**
   * Room for n more bytes (and a CRLF). A reply bigger than a slab gets a
   * slab of its own size, not twice it: the view handed to the socket pins
   * the whole slab until sent. What is pending is given twice its room, so
   * that many big items in one batch (MGET) still grow geometrically.
   */
  private ensure(n: number): void {
    if (this.pos + n + 2 <= this.slab.length) return;
    this.newSlab(Math.max(SLAB_SIZE, 2 * (this.pos - this.start) + n + 2));
  }

  /** Moves the pending bytes to a fresh slab; handed-out views keep the old one. */
  private newSlab(size: number): void {
    const next = Buffer.allocUnsafe(size);
    this.slab.copy(next, 0, this.start, this.pos);
    this.pos -= this.start;
    this.start = 0;
    this.slab = next;
  }
}
