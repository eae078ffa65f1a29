// protocol/request-writer.ts — the RESP request encoder: the client side's
// counterpart of writer.ts (which writes replies). Commands are appended as
// multibulks to a shared slab; take() hands out everything written since the
// last call as a few Buffers, ready for one gathered socket write (cork,
// write each, uncork). Small arguments are copied into the slab; large
// Buffer arguments are handed out as they are, not copied, so the caller
// must not change one until it is written. The slab is replaced when it runs
// low, so a Buffer handed out is never overwritten.

import { writeDecimal } from './decimal';

const SLAB_SIZE = 64 * 1024;
/** Buffer arguments this long or longer go out as themselves instead of being copied. */
const LARGE_ARG = 16 * 1024;

export class RequestWriter {
  private slab: Buffer = Buffer.allocUnsafe(SLAB_SIZE);
  private start = 0;
  private pos = 0;
  /** Pieces already cut off since the last take(): slab views and large arguments. */
  private pieces: Buffer[] = [];

  /** Appends one command as a RESP multibulk (`*N`, then `$len` and the bytes of each argument). */
  command(argv: readonly (Buffer | string)[]): void {
    this.header(0x2a, argv.length); // *
    for (const arg of argv) {
      if (typeof arg === 'string') {
        const len = Buffer.byteLength(arg);
        this.header(0x24, len); // $
        this.ensure(len);
        this.pos += this.slab.write(arg, this.pos, 'utf8');
      } else if (arg.length >= LARGE_ARG) {
        this.header(0x24, arg.length);
        this.cut();
        this.pieces.push(arg);
      } else {
        this.header(0x24, arg.length);
        this.ensure(arg.length);
        this.pos += arg.copy(this.slab, this.pos);
      }
      this.ensure(0);
      this.slab[this.pos++] = 0x0d;
      this.slab[this.pos++] = 0x0a;
    }
  }

  /** Everything written since the last call, in order; empty when nothing was. */
  take(): Buffer[] {
    this.cut();
    const out = this.pieces;
    this.pieces = [];
    if (this.slab.length - this.pos < 1024) this.newSlab(SLAB_SIZE);
    return out;
  }

  /** `*n\r\n` or `$n\r\n`. */
  private header(type: number, n: number): void {
    this.ensure(24);
    const slab = this.slab;
    slab[this.pos++] = type;
    this.pos = writeDecimal(slab, this.pos, n);
    slab[this.pos++] = 0x0d;
    slab[this.pos++] = 0x0a;
  }

  /** Makes room for n bytes and a CRLF. */
  private ensure(n: number): void {
    if (this.pos + n + 2 > this.slab.length) {
      this.cut();
      this.newSlab(Math.max(SLAB_SIZE, n + 2));
    }
  }

  /** Moves the slab bytes written so far into the pieces. */
  private cut(): void {
    if (this.pos > this.start) this.pieces.push(this.slab.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  private newSlab(size: number): void {
    this.slab = Buffer.allocUnsafe(size);
    this.start = 0;
    this.pos = 0;
  }
}
