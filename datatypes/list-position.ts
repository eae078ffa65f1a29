// datatypes/list-position.ts — a list item's position identifier: the name of
// its element record, whose byte order is the list order (a dense sequence
// CRDT in the Logoot/LSEQ family). Pure.
//
// An id is: an integer in an order-preserving, prefix-free encoding (a
// header byte 0x80 ± n, then n big-endian bytes), then zero or more
// fraction bytes, then a 12-byte suffix unique to the write (6 bytes naming
// the writer process, 6 bytes of its counter). LPUSH takes the head's
// integer minus one, RPUSH the tail's plus one, so ids made by pushes at the
// ends stay a few bytes long however many there are; LINSERT takes an
// integer strictly between its neighbours' when there is one, else their
// integer and fraction bytes strictly between theirs. Concurrent writes at
// the same place on different replicas make the same integer and fraction
// but different suffixes: distinct ids, ordered by suffix the same way
// everywhere. Two writes never share a suffix, so never an id.
//
// Ids are handled as latin1 strings (one char per byte): JavaScript compares
// them by code unit, which is their byte order, and they cost less memory
// than Buffers in the per-list index.

/** Bytes of the writer part and of the counter part of the suffix. */
export const WRITER_BYTES = 6;
const COUNTER_BYTES = 6;
export const SUFFIX_BYTES = WRITER_BYTES + COUNTER_BYTES;
const HEADER_ZERO = 0x80;

function byteLength(n: number): number {
  let len = 0;
  for (; n > 0; n = Math.floor(n / 256)) len++;
  return len;
}

function bigEndian(n: number, len: number): string {
  let out = '';
  for (let i = 0; i < len; i++) {
    out = String.fromCharCode(n % 256) + out;
    n = Math.floor(n / 256);
  }
  return out;
}

/** The order-preserving encoding of a safe integer (shorter encodings for smaller magnitudes). */
export function encodeInteger(v: number): string {
  if (!Number.isSafeInteger(v)) throw new RangeError(`list position ${v} is not a safe integer`);
  if (v >= 0) {
    const n = byteLength(v);
    return String.fromCharCode(HEADER_ZERO + n) + bigEndian(v, n);
  }
  // Negative: the magnitude's bytes complemented (256^n - 1 - |v|, exact past 2^53), so a larger magnitude sorts first.
  const n = byteLength(-v);
  let out = String.fromCharCode(HEADER_ZERO - n);
  const magnitude = bigEndian(-v, n);
  for (let i = 0; i < n; i++) out += String.fromCharCode(255 - magnitude.charCodeAt(i));
  return out;
}

/** Bytes of the integer at the start of id. */
function integerLength(id: string): number {
  return 1 + Math.abs(id.charCodeAt(0) - HEADER_ZERO);
}

/** The integer an id starts with. Throws RangeError on bytes that are not an id. */
export function decodeInteger(id: string): number {
  const header = id.charCodeAt(0);
  const n = Math.abs(header - HEADER_ZERO);
  if (id.length < 1 + n + SUFFIX_BYTES || n > 7) throw new RangeError('list position: not a position identifier');
  const negative = header < HEADER_ZERO;
  let v = 0;
  for (let i = 1; i <= n; i++) v = v * 256 + (negative ? 255 - id.charCodeAt(i) : id.charCodeAt(i));
  return negative ? -v : v;
}

/**
 * Bytes r with lo < r and, when hi is given, r < hi where r is no prefix of
 * hi: so r + any suffix stays strictly between lo and hi. Needs lo < hi.
 */
export function fractionBetween(lo: string, hi: string | null): string {
  // Digits of base 256; lo reads as padded with zeros. The last byte is always
  // above lo's (padded) byte there, so never 0: the next insert before it
  // finds room at that position again.
  let out = '';
  let high = hi;
  for (let i = 0; ; i++) {
    if (high !== null && i >= high.length) throw new RangeError('list position: no identifier between these two');
    const dl = i < lo.length ? lo.charCodeAt(i) : 0;
    const dh = high === null ? 256 : high.charCodeAt(i);
    if (dh - dl > 1) return out + String.fromCharCode((dl + dh) >> 1);
    out += String.fromCharCode(dl);
    if (dh - dl === 1) high = null;
  }
}

/** Makes ids for one writer (a process): each call takes the next counter value. */
export class PositionWriter {
  private counter = 0;
  private readonly writer: string;

  constructor(writer: Buffer) {
    if (writer.length !== WRITER_BYTES) throw new RangeError(`list position writer must be ${WRITER_BYTES} bytes`);
    this.writer = writer.toString('latin1');
  }

  private suffix(): string {
    if (this.counter >= 256 ** COUNTER_BYTES - 1) throw new RangeError('list position counter exhausted');
    return this.writer + bigEndian(++this.counter, COUNTER_BYTES);
  }

  /** The id of an empty list's first item. */
  first(): string {
    return encodeInteger(0) + this.suffix();
  }

  /** An id before head (LPUSH). */
  before(head: string): string {
    return encodeInteger(decodeInteger(head) - 1) + this.suffix();
  }

  /** An id after tail (RPUSH). */
  after(tail: string): string {
    return encodeInteger(decodeInteger(tail) + 1) + this.suffix();
  }

  /** An id strictly between two neighbours lo < hi (LINSERT). */
  between(lo: string, hi: string): string {
    const a = decodeInteger(lo);
    const b = decodeInteger(hi);
    if (b - a >= 2) return encodeInteger(a + Math.floor((b - a) / 2)) + this.suffix();
    const head = integerLength(lo);
    const fraction = fractionBetween(lo.slice(head), a === b ? hi.slice(head) : null);
    return lo.slice(0, head) + fraction + this.suffix();
  }
}
