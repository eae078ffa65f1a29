// protocol/parser.ts — the RESP request parser: socket bytes in, argv out.
// Owns multibulk (`*N\r\n$len\r\n...`) and inline commands (split as Redis's
// sdssplitargs) and the protocol errors and limits of redis-server 7.0
// networking.c (processMultibulkBuffer, processInlineBuffer), with their
// exact messages. Pure: no sockets. Hand-written because bench/protocol.ts
// shows it faster than redis-parser and respjs on request streams.
//
// argv Buffers are views of the chunks fed in (Node never reuses a socket
// chunk) or of buffers allocated for one argument, so callers may keep them.
// A header line split across chunks is joined once its end arrives; a bulk
// split across chunks is gathered as a list and joined once (no quadratic
// copying for 64 MiB values). After an error the parser ignores all input.

import { splitArgs } from './inline';

export interface ParserOptions {
  maxBulkLen: number;
  onCommand: (argv: Buffer[]) => void;
  onError: (message: string) => void;
  /** Most arguments in one multibulk; 1024*1024 unless set (see the note at MAX_MULTIBULK). */
  maxMultibulkLen?: number;
}

/** PROTO_INLINE_MAX_SIZE: an unterminated line (inline or a count) over this is an error. */
export const INLINE_MAX = 64 * 1024;
/**
 * Redis up to 6.2 refused more than 1024*1024 arguments; 7.0 (redis#9528)
 * raised that to INT_MAX. dynkv keeps the 1M bound (issue 3) unless
 * maxMultibulkLen says otherwise.
 */
export const MAX_MULTIBULK = 1024 * 1024;
/** Limits for a client that has not authenticated yet (redis 7.0, CVE-2021-32675). */
const UNAUTH_MAX_MULTIBULK = 10;
const UNAUTH_MAX_BULK = 16384;
const INT_MAX = 2147483647;

const STAR = 42; // *
const DOLLAR = 36; // $
const CR = 13;
const LF = 10;

export class RequestParser {
  private maxBulkLen: number;
  private readonly maxMultibulk: number;
  private readonly onCommand: (argv: Buffer[]) => void;
  private readonly onError: (message: string) => void;
  private authRequired = false;
  private dead = false;
  private paused = false;
  /** The unparsed rest of a chunk, from a command boundary, while paused. */
  private held: Buffer | null = null;

  /** Arguments of the multibulk being read (null between commands). */
  private argv: Buffer[] | null = null;
  private argc = 0;
  private argsLeft = 0;

  /** Length of the bulk whose bytes are being gathered, -1 when reading a header. */
  private bulkLen = -1;
  private parts: Buffer[] = [];
  private partsLen = 0;
  private tailLeft = 0;

  /** An unfinished line (inline, `*N` or `$N`) kept until its end arrives. */
  private pending: Buffer[] = [];
  private pendingLen = 0;

  constructor(opts: ParserOptions) {
    this.maxBulkLen = opts.maxBulkLen;
    this.maxMultibulk = opts.maxMultibulkLen ?? MAX_MULTIBULK;
    this.onCommand = opts.onCommand;
    this.onError = opts.onError;
  }

  setMaxBulkLen(n: number): void {
    this.maxBulkLen = n;
  }

  /**
   * With true, counts over 10 and bulks over 16 KiB are refused as Redis
   * refuses them before AUTH. Call it from onCommand (AUTH, HELLO) so the
   * next command in the same chunk sees the change.
   */
  setAuthRequired(required: boolean): void {
    this.authRequired = required;
  }

  /**
   * Stops parsing after the command being delivered: the rest of the chunk
   * is held, unparsed, until resume(). For a command that must run before
   * the limits for what follows are known (AUTH while earlier replies are
   * awaited). Feed nothing while paused.
   */
  pause(): void {
    this.paused = true;
  }

  /** Parses what pause() held; it may pause again. */
  resume(): void {
    this.paused = false;
    const held = this.held;
    if (held === null) return;
    this.held = null;
    this.parse(held, 0);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes read but not yet made into a command: an unfinished line or bulk, and what pause() held (CLIENT LIST's qbuf). */
  get bufferedBytes(): number {
    return this.pendingLen + this.partsLen + (this.held === null ? 0 : this.held.length);
  }

  /** Bytes of the arguments already read of an unfinished command (CLIENT LIST's argv-mem). */
  get partialArgvBytes(): number {
    let n = 0;
    if (this.argv !== null) for (let i = 0; i < this.argc; i++) n += this.argv[i].length;
    return n;
  }

  feed(chunk: Buffer): void {
    if (this.dead || chunk.length === 0) return;
    if (this.paused) throw new Error('RequestParser.feed while paused');
    let pos = 0;
    if (this.pendingLen > 0) {
      pos = this.completeLine(chunk);
      if (pos < 0) return;
    }
    this.parse(chunk, pos);
  }

  private parse(data: Buffer, pos: number): void {
    const end = data.length;
    const memory = data.buffer as ArrayBuffer;
    const base = data.byteOffset;
    while (pos < end) {
      if (this.paused) {
        this.held = data.subarray(pos);
        return;
      }
      if (this.bulkLen >= 0) {
        pos = this.gatherBulk(data, pos);
        if (pos < 0) return;
        continue;
      }

      if (this.argv === null) {
        if (data[pos] !== STAR) {
          pos = this.inline(data, pos);
          if (pos < 0) return;
          continue;
        }
        // *<count>\r\n
        let n = digits(data, pos + 1, end);
        let cr = digitsEnd;
        if (n < 0) {
          cr = lineEnd(data, pos + 1);
          if (cr < 0 || cr + 1 >= end) {
            this.keep(data, pos, cr < 0, 'too big mbulk count string');
            return;
          }
          n = string2ll(data, pos + 1, cr);
          if (n !== n) return this.fail('invalid multibulk length');
        }
        if (n > INT_MAX || n > this.maxMultibulk) return this.fail('invalid multibulk length');
        if (n > UNAUTH_MAX_MULTIBULK && this.authRequired) return this.fail('unauthenticated multibulk length');
        pos = cr + 2;
        if (n <= 0) continue; // *0, *-1: nothing to run, as Redis
        this.argv = new Array<Buffer>(n < 1024 ? n : 1024);
        this.argc = 0;
        this.argsLeft = n;
        continue;
      }

      // $<len>\r\n
      let len = data[pos] === DOLLAR ? digits(data, pos + 1, end) : -1;
      let cr = digitsEnd;
      if (len < 0) {
        // Searched from its first byte: "\r\n" where '$' belongs is "expected '$', got '\r'".
        cr = lineEnd(data, pos);
        if (cr < 0 || cr + 1 >= end) {
          this.keep(data, pos, cr < 0, 'too big bulk count string');
          return;
        }
        const first = data[pos];
        if (first !== DOLLAR) return this.fail(`expected '$', got '${String.fromCharCode(first)}'`);
        len = string2ll(data, pos + 1, cr);
        if (len !== len || len < 0) return this.fail('invalid bulk length');
      }
      if (len > this.maxBulkLen) return this.fail('invalid bulk length');
      if (len > UNAUTH_MAX_BULK && this.authRequired) return this.fail('unauthenticated bulk length');
      pos = cr + 2;
      if (pos + len + 2 <= end) {
        // Redis skips the two bytes after a bulk without looking at them.
        const arg = new ArgBuffer(memory, base + pos, len) as unknown as Buffer;
        pos += len + 2;
        this.addArg(arg);
      } else {
        this.bulkLen = len;
        this.partsLen = 0;
        this.tailLeft = 2;
      }
    }
  }

  /** Takes the bytes of the current bulk from data[pos..]; the position after it, or -1 when data ran out first. */
  private gatherBulk(data: Buffer, pos: number): number {
    const avail = data.length - pos;
    const need = this.bulkLen - this.partsLen;
    if (need > 0) {
      if (avail < need) {
        this.parts.push(pos === 0 ? data : data.subarray(pos));
        this.partsLen += avail;
        return -1;
      }
      this.parts.push(data.subarray(pos, pos + need));
      this.partsLen += need;
      pos += need;
    }
    const rest = data.length - pos;
    if (rest < this.tailLeft) {
      this.tailLeft -= rest;
      return -1;
    }
    pos += this.tailLeft;
    const parts = this.parts;
    const arg = parts.length === 1 ? parts[0] : parts.length === 0 ? Buffer.alloc(0) : Buffer.concat(parts, this.bulkLen);
    this.parts = [];
    this.partsLen = 0;
    this.bulkLen = -1;
    this.addArg(arg);
    return pos;
  }

  private addArg(arg: Buffer): void {
    const argv = this.argv as Buffer[];
    argv[this.argc++] = arg;
    if (--this.argsLeft === 0) {
      this.argv = null;
      this.onCommand(argv);
    }
  }

  /** One inline line at data[pos..]: the position after it, or -1 when it is not complete. */
  private inline(data: Buffer, pos: number): number {
    const nl = data.indexOf(LF, pos);
    if (nl < 0) {
      this.keep(data, pos, true, 'too big inline request');
      return -1;
    }
    const stop = nl > pos && data[nl - 1] === CR ? nl - 1 : nl;
    const argv = splitArgs(data, pos, stop);
    if (argv === null) {
      this.fail('unbalanced quotes in request');
      return -1;
    }
    if (argv.length > 0) this.onCommand(argv); // an empty line is ignored
    return nl + 1;
  }

  /** Keeps an unfinished line; `noEnd` when it has no CR (or LF) yet, so the size limit applies. */
  private keep(data: Buffer, pos: number, noEnd: boolean, tooBig: string): void {
    const size = data.length - pos;
    if (noEnd && size > INLINE_MAX) {
      this.fail(tooBig);
      return;
    }
    this.pending.push(pos === 0 ? data : data.subarray(pos));
    this.pendingLen += size;
  }

  /**
   * Finishes the kept line with the start of chunk: parses the joined line and
   * returns where chunk goes on, or -1 when chunk did not end the line either.
   */
  private completeLine(chunk: Buffer): number {
    const head = this.pending[0];
    let upto: number;
    let tooBig: string;
    if (this.argv === null && head[0] !== STAR) {
      upto = chunk.indexOf(LF) + 1;
      tooBig = 'too big inline request';
    } else {
      const last = this.pending[this.pending.length - 1];
      // Kept lines hold no CR except, perhaps, as their last byte.
      if (last[last.length - 1] === CR) upto = 1;
      else {
        const cr = chunk.indexOf(CR);
        upto = cr < 0 ? 0 : cr + 1 < chunk.length ? cr + 2 : -1;
      }
      tooBig = this.argv === null ? 'too big mbulk count string' : 'too big bulk count string';
    }
    if (upto <= 0) {
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
      if (upto === 0 && this.pendingLen > INLINE_MAX) this.fail(tooBig);
      return -1;
    }
    this.pending.push(chunk.subarray(0, upto));
    const line = Buffer.concat(this.pending, this.pendingLen + upto);
    this.pending = [];
    this.pendingLen = 0;
    this.parse(line, 0);
    return this.dead ? -1 : upto;
  }

  private fail(message: string): void {
    this.dead = true;
    this.argv = null;
    this.parts = [];
    this.pending = [];
    this.pendingLen = 0;
    this.onError(`ERR Protocol error: ${message}`);
  }
}

/**
 * Argument views are built as Node builds its own Buffers (FastBuffer: a
 * Uint8Array subclass whose prototype is Buffer.prototype). Buffer#subarray
 * does the same through bounds adjustment and the ArrayBuffer getter and
 * costs three times as much; with three arguments per SET that is most of
 * the parser's own time (bench/protocol.ts). The views are Buffers to every
 * test: instanceof Buffer, Buffer.isBuffer, all Buffer methods, native code,
 * and their constructor is Buffer.
 */
class ArgBuffer extends Uint8Array {}
Object.setPrototypeOf(ArgBuffer.prototype, Buffer.prototype);
Object.defineProperty(ArgBuffer.prototype, 'constructor', { value: Buffer, writable: true, configurable: true, enumerable: false });

/** Where the line read by the last successful digits() call ends (its CR). */
let digitsEnd = 0;

/**
 * The hot path of header lines: the number in `[1-9][0-9]{0,14}\r` plus at
 * least one byte after the CR, with digitsEnd set; -1 for anything else
 * (zero, signs, long or unfinished lines, bad bytes), which the caller
 * then reads the general way.
 */
function digits(data: Buffer, from: number, end: number): number {
  let c = data[from];
  if (!(c >= 49 && c <= 57)) return -1; // also past the end (undefined)
  let n = c - 48;
  const max = from + 15 < end ? from + 15 : end;
  let i = from + 1;
  for (; i < max; i++) {
    c = data[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + c - 48;
  }
  if (i + 1 >= end || data[i] !== CR) return -1;
  digitsEnd = i;
  return n;
}

/** Index of the first CR at or after `from`, -1 if none. Short lines are scanned in JS (cheaper than indexOf's call). */
function lineEnd(data: Buffer, from: number): number {
  const end = data.length;
  const stop = from + 24 < end ? from + 24 : end;
  for (let i = from; i < stop; i++) if (data[i] === CR) return i;
  return stop === end ? -1 : data.indexOf(CR, stop);
}

/**
 * The integer in data[start, stop) as Redis's string2ll reads it: optional
 * '-', no leading zeros or '+', under 21 characters, within a signed 64-bit
 * range. NaN when it is not one; values past 2^53 are approximate (they are
 * only compared against limits). The slow path: digits() takes the usual lines.
 */
function string2ll(data: Buffer, start: number, stop: number): number {
  const len = stop - start;
  if (len === 0 || len >= 21) return NaN;
  if (len === 1 && data[start] === 48) return 0;
  let p = start;
  const negative = data[p] === 45; // -
  if (negative) p++;
  if (p === stop || data[p] < 49 || data[p] > 57) return NaN;
  let v = 0n;
  for (; p < stop; p++) {
    const c = data[p] - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10n + BigInt(c);
  }
  if (v > (negative ? 9223372036854775808n : 9223372036854775807n)) return NaN;
  return negative ? -Number(v) : Number(v);
}
