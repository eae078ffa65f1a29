// protocol/reply-parser.ts — the RESP2 reply parser: the client side of a
// RESP link (dynkv's cluster bus reads its peers' replies with it). Bytes
// in, one callback per complete reply: simple string, error, integer, bulk
// (Buffer or null) and array (nested, or null). Pure: no sockets.
//
// As parser.ts (which reads requests): a line split across chunks is kept
// and joined once its end arrives; a bulk split across chunks is gathered as
// a list and joined once, so a 64 MiB value costs one copy, not one per
// chunk. Bulks that arrive whole are views of the chunk fed in (Node never
// reuses a socket chunk), so callers may keep them. Arrays are built with an
// explicit stack, not recursion. Bad bytes end in one onError call, never an
// exception; after it the parser ignores all input.

/** An error reply (`-ERR ...`): a value, not a thrown error. `message` is the line, code first. */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

/**
 * A RESP2 reply: simple string (string), error (ReplyError), integer (number,
 * or bigint past 2^53), bulk string (Buffer, null for `$-1`), array (nested
 * values, null for `*-1`).
 */
export type ReplyValue = string | ReplyError | number | bigint | Buffer | null | ReplyValue[];

export interface ReplyParserOptions {
  onReply: (reply: ReplyValue) => void;
  /** Called once with `Protocol error: ...`; the parser is dead afterwards. */
  onError: (message: string) => void;
  /** Longest bulk accepted; 512 MiB (Redis's proto-max-bulk-len) unless set. */
  maxBulkLen?: number;
}

/** A line (type byte to LF) longer than this is an error: no simple string or header is that long. */
export const MAX_REPLY_LINE = 1024 * 1024;
/** Arrays nested deeper than this are an error: no dynkv reply comes close, and consumers may recurse. */
export const MAX_REPLY_DEPTH = 128;
const DEFAULT_MAX_BULK = 512 * 1024 * 1024;
/** The most elements a JavaScript array can hold. */
const MAX_ARRAY_LEN = 2 ** 32 - 1;

const PLUS = 43; // +
const MINUS = 45; // -
const COLON = 58; // :
const DOLLAR = 36; // $
const STAR = 42; // *
const CR = 13;
const LF = 10;

/** An array being filled: its elements so far and how many are still to come. */
interface OpenArray {
  items: ReplyValue[];
  left: number;
}

export class ReplyParser {
  private readonly onReply: (reply: ReplyValue) => void;
  private readonly onError: (message: string) => void;
  private readonly maxBulkLen: number;
  private dead = false;

  /** Arrays being filled, innermost last. */
  private readonly open: OpenArray[] = [];

  /** Length of the bulk whose bytes are being gathered, -1 when reading a line. */
  private bulkLen = -1;
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** CRLF bytes still expected after the gathered bulk (2, 1 or 0). */
  private tailLeft = 0;

  /** An unfinished line kept until its LF arrives. */
  private lineParts: Buffer[] = [];
  private lineLen = 0;

  constructor(opts: ReplyParserOptions) {
    this.onReply = opts.onReply;
    this.onError = opts.onError;
    this.maxBulkLen = opts.maxBulkLen ?? DEFAULT_MAX_BULK;
  }

  feed(chunk: Buffer): void {
    if (this.dead || chunk.length === 0) return;
    let pos = 0;
    if (this.lineLen > 0) {
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.keepLine(chunk);
        return;
      }
      this.lineParts.push(chunk.subarray(0, lf + 1));
      const line = Buffer.concat(this.lineParts, this.lineLen + lf + 1);
      this.lineParts = [];
      this.lineLen = 0;
      // A bulk's header read this way never holds the bulk, so the line is used up.
      this.line(line, 0, line.length - 1);
      pos = lf + 1;
    }
    while (pos < chunk.length && !this.dead) {
      if (this.bulkLen >= 0) {
        pos = this.gatherBulk(chunk, pos);
        if (pos < 0) return;
        continue;
      }
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) {
        this.keepLine(pos === 0 ? chunk : chunk.subarray(pos));
        return;
      }
      pos = this.line(chunk, pos, lf);
    }
  }

  /**
   * The complete line data[start..lf]: emits its value, opens an array, or
   * starts gathering a bulk. Returns the position after what it used: after
   * the bulk when the whole bulk is in data, else lf + 1.
   */
  private line(data: Buffer, start: number, lf: number): number {
    if (lf + 1 - start > MAX_REPLY_LINE) return this.fail('too long reply line');
    if (lf === start || data[lf - 1] !== CR) return this.fail('line not terminated by CRLF');
    const type = data[start];
    const from = start + 1;
    const to = lf - 1; // the CR
    switch (type) {
      case PLUS:
        this.emit(data.toString('utf8', from, to));
        break;
      case MINUS:
        this.emit(new ReplyError(data.toString('utf8', from, to)));
        break;
      case COLON: {
        const n = parseInteger(data, from, to);
        if (n === null) return this.fail('invalid integer');
        this.emit(n);
        break;
      }
      case DOLLAR: {
        const len = parseLength(data, from, to);
        if (len === -1) {
          this.emit(null);
          break;
        }
        if (len < 0 || len > this.maxBulkLen) return this.fail('invalid bulk length');
        const end = lf + 1 + len;
        if (end + 2 > data.length) {
          this.bulkLen = len;
          this.partsLen = 0;
          this.tailLeft = 2;
          break;
        }
        if (data[end] !== CR || data[end + 1] !== LF) return this.fail('bulk not terminated by CRLF');
        this.emit(data.subarray(lf + 1, end));
        return end + 2;
      }
      case STAR: {
        const n = parseLength(data, from, to);
        if (n === -1) this.emit(null);
        else if (n < 0 || n > MAX_ARRAY_LEN) return this.fail('invalid multibulk length');
        else if (n === 0) this.emit([]);
        else if (this.open.length >= MAX_REPLY_DEPTH) return this.fail('reply nested too deeply');
        else this.open.push({ items: [], left: n });
        break;
      }
      default:
        return this.fail(`invalid reply type byte ${JSON.stringify(String.fromCharCode(type))}`);
    }
    return lf + 1;
  }

  /** Takes the current bulk's bytes from data[pos..]: the position after it and its CRLF, or -1 when data ran out first. */
  private gatherBulk(data: Buffer, pos: number): number {
    const need = this.bulkLen - this.partsLen;
    if (need > 0) {
      const avail = data.length - pos;
      if (avail < need) {
        this.parts.push(pos === 0 ? data : data.subarray(pos));
        this.partsLen += avail;
        return -1;
      }
      this.parts.push(data.subarray(pos, pos + need));
      this.partsLen += need;
      pos += need;
    }
    while (this.tailLeft > 0) {
      if (pos === data.length) return -1;
      if (data[pos] !== (this.tailLeft === 2 ? CR : LF)) {
        this.fail('bulk not terminated by CRLF');
        return -1;
      }
      pos++;
      this.tailLeft--;
    }
    const parts = this.parts;
    const value = parts.length === 1 ? parts[0] : Buffer.concat(parts, this.bulkLen);
    this.parts = [];
    this.partsLen = 0;
    this.bulkLen = -1;
    this.emit(value);
    return pos;
  }

  /** Hands a value to the innermost open array, closing every array it completes, or to onReply. */
  private emit(value: ReplyValue): void {
    const open = this.open;
    while (open.length > 0) {
      const top = open[open.length - 1];
      top.items.push(value);
      if (--top.left > 0) return;
      open.pop();
      value = top.items;
    }
    this.onReply(value);
  }

  private keepLine(piece: Buffer): void {
    this.lineParts.push(piece);
    this.lineLen += piece.length;
    // Its LF is still to come, so the line is already longer than lineLen.
    if (this.lineLen >= MAX_REPLY_LINE) this.fail('too long reply line');
  }

  /** Returns -1 so callers can `return this.fail(...)` from a position-returning method. */
  private fail(message: string): number {
    this.dead = true;
    this.open.length = 0;
    this.parts = [];
    this.lineParts = [];
    this.lineLen = 0;
    this.onError(`Protocol error: ${message}`);
    return -1;
  }
}

/**
 * A length or count in data[from, to): `-1` or digits without a sign or
 * leading zeros, at most 15 of them (past any limit the parser applies).
 * -1 for `-1`, -2 for anything else.
 */
function parseLength(data: Buffer, from: number, to: number): number {
  const len = to - from;
  if (len === 2 && data[from] === MINUS && data[from + 1] === 49) return -1;
  if (len === 0 || len > 15 || (data[from] === 48 && len > 1)) return -2;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = data[i] - 48;
    if (d < 0 || d > 9) return -2;
    n = n * 10 + d;
  }
  return n;
}

/** A signed 64-bit integer in data[from, to): a number when it is safe, else a bigint; null when it is not one. */
function parseInteger(data: Buffer, from: number, to: number): number | bigint | null {
  const negative = data[from] === MINUS;
  const first = negative ? from + 1 : from;
  const len = to - first;
  if (len === 0 || len > 19) return null;
  for (let i = first; i < to; i++) {
    const c = data[i];
    if (c < 48 || c > 57) return null;
  }
  if (len < 16) {
    let n = 0;
    for (let i = first; i < to; i++) n = n * 10 + data[i] - 48;
    return negative && n !== 0 ? -n : n;
  }
  const big = BigInt(data.toString('latin1', from, to));
  if (big > 9223372036854775807n || big < -9223372036854775808n) return null;
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}
