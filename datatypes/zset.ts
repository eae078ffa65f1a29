// datatypes/zset.ts — a sorted set's pure parts apart from its commands (as
// Redis's t_zset.c zsl*/zzl* helpers): the score as an element record's
// value bytes, score parsing as Redis's getDoubleFromObject (strtod, whole
// string) and zslParseRange, lex ranges as zslParseLexRange, score printing
// as Redis 7.0's addReplyDouble ("%.17g"), and the listpack/skiplist rule.
// The index that orders the members is zset-skiplist.ts. Pure.
//
// Element value (after the insertion number the collection seam carries,
// datatypes/hash.ts's FieldValue): the score, an IEEE-754 double, 8 bytes
// big-endian.

/** Redis's zset-max-listpack-entries and zset-max-listpack-value. */
export interface ZsetListpackLimits {
  readonly entries: number;
  readonly value: number;
}

export const SCORE_BYTES = 8;

export function encodeScore(score: number): Buffer {
  const bytes = Buffer.allocUnsafe(SCORE_BYTES);
  bytes.writeDoubleBE(score, 0);
  return bytes;
}

/** The score in an element value's bytes; null when they are not a score (another type's element). */
export function decodeScore(bytes: Buffer): number | null {
  return bytes.length === SCORE_BYTES ? bytes.readDoubleBE(0) : null;
}

const SPACE = /^[ \t\n\v\f\r]/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX = /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/;
const INFINITY = /^([+-]?)inf(?:inity)?/i;
const NAN = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?/i;

/**
 * C's strtod on text (leading white space skipped): the value and how many
 * characters it read (0: none, the value 0), and whether it overflowed or
 * underflowed to zero (ERANGE). NaN comes back as NaN.
 */
export function strtod(text: string): { value: number; end: number; range: boolean } {
  let start = 0;
  while (start < text.length && SPACE.test(text[start])) start++;
  const rest = text.slice(start);
  let m = HEX.exec(rest);
  if (m !== null) {
    const frac = m[3] ?? m[4] ?? '';
    const digits = BigInt('0x' + (m[2] ?? '') + frac);
    const e2 = (m[5] === undefined ? 0 : Math.max(-1e6, Math.min(1e6, Number(m[5])))) - 4 * frac.length;
    const half = Math.trunc(e2 / 2);
    let value = Number(digits) * 2 ** half * 2 ** (e2 - half);
    if (m[1] === '-') value = -value;
    const range = !Number.isFinite(value) || (value === 0 && digits !== 0n);
    return { value, end: start + m[0].length, range };
  }
  m = DECIMAL.exec(rest);
  if (m !== null) {
    const value = Number(m[0]);
    const range = !Number.isFinite(value) || (value === 0 && /[1-9]/.test(m[0].replace(/[eE].*$/, '')));
    return { value, end: start + m[0].length, range };
  }
  m = INFINITY.exec(rest);
  if (m !== null) return { value: m[1] === '-' ? -Infinity : Infinity, end: start + m[0].length, range: false };
  m = NAN.exec(rest);
  if (m !== null) return { value: NaN, end: start + m[0].length, range: false };
  return { value: 0, end: 0, range: false };
}

/** The text as C sees it: up to its first NUL byte. */
export function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return (nul < 0 ? buf : buf.subarray(0, nul)).toString('latin1');
}

/**
 * Redis's getDoubleFromObject: the whole argument must be a double (no
 * leading space, no overflow, no underflow to zero, not NaN); "inf" is one.
 * null: 'value is not a valid float'.
 */
export function parseScore(buf: Buffer): number | null {
  if (buf.length === 0 || SPACE.test(String.fromCharCode(buf[0]))) return null;
  const text = buf.toString('latin1');
  const r = strtod(text);
  if (r.end !== text.length || Number.isNaN(r.value)) return null;
  if (r.range && (!Number.isFinite(r.value) || r.value === 0)) return null;
  return r.value;
}

/** One bound of a score range (zslParseRange): '(' makes it exclusive; strtod's rules, NaN refused. */
function parseBound(buf: Buffer): { value: number; exclusive: boolean } | null {
  const text = cString(buf);
  const exclusive = text.startsWith('(');
  const body = exclusive ? text.slice(1) : text;
  const r = strtod(body);
  if (r.end !== body.length || Number.isNaN(r.value)) return null;
  return { value: r.value, exclusive };
}

export interface ScoreRange {
  readonly min: number;
  readonly max: number;
  readonly minex: boolean;
  readonly maxex: boolean;
}

/** zslParseRange; null: 'min or max is not a float'. */
export function parseScoreRange(min: Buffer, max: Buffer): ScoreRange | null {
  const lo = parseBound(min);
  const hi = parseBound(max);
  if (lo === null || hi === null) return null;
  return { min: lo.value, max: hi.value, minex: lo.exclusive, maxex: hi.exclusive };
}

export function aboveMin(range: ScoreRange, score: number): boolean {
  return range.minex ? score > range.min : score >= range.min;
}

export function belowMax(range: ScoreRange, score: number): boolean {
  return range.maxex ? score < range.max : score <= range.max;
}

/** Members as latin1 strings: JS compares their code units as memcmp compares bytes. */
export interface LexRange {
  /** null: '-' (below every member) for min, '+' (above every member) for max. */
  readonly min: string | null;
  readonly max: string | null;
  readonly minex: boolean;
  readonly maxex: boolean;
  /** '+' as min or '-' as max: nothing is in range. */
  readonly empty: boolean;
}

/** zslParseLexRange; null: 'min or max not valid string range item'. */
export function parseLexRange(min: Buffer, max: Buffer): LexRange | null {
  const lo = lexItem(min);
  const hi = lexItem(max);
  if (lo === null || hi === null) return null;
  return {
    min: lo.infinite === 0 ? lo.text : null,
    max: hi.infinite === 0 ? hi.text : null,
    minex: lo.exclusive,
    maxex: hi.exclusive,
    empty: lo.infinite === 1 || hi.infinite === -1,
  };
}

function lexItem(buf: Buffer): { text: string; exclusive: boolean; infinite: -1 | 0 | 1 } | null {
  if (buf.length === 0) return null;
  const first = buf[0];
  if (first === 0x2b && buf.length === 1) return { text: '', exclusive: false, infinite: 1 };
  if (first === 0x2d && buf.length === 1) return { text: '', exclusive: false, infinite: -1 };
  if (first === 0x28) return { text: buf.toString('latin1', 1), exclusive: true, infinite: 0 };
  if (first === 0x5b) return { text: buf.toString('latin1', 1), exclusive: false, infinite: 0 };
  return null;
}

export function lexAboveMin(range: LexRange, member: string): boolean {
  if (range.min === null) return true;
  return range.minex ? member > range.min : member >= range.min;
}

export function lexBelowMax(range: LexRange, member: string): boolean {
  if (range.max === null) return true;
  return range.maxex ? member < range.max : member <= range.max;
}

/** Redis 7.0's addReplyDouble text: "%.17g", inf as "inf"/"-inf". */
export function formatScore(score: number): string {
  if (score === Infinity) return 'inf';
  if (score === -Infinity) return '-inf';
  if (score === 0) return Object.is(score, -0) ? '-0' : '0';
  const [mantissa, expText] = score.toExponential(16).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 17) {
    let m = mantissa;
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    const abs = Math.abs(exp);
    return `${m}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  const neg = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exp >= 0) {
    text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    text = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return neg ? `-${text}` : text;
}

/** (double)(LLONG_MAX / 2): past it Redis's double2ll gives up. */
const LL_HALF = 4611686018427387904;

/** A score as a listpack holds it (Redis 7.0's d2string): an integer when it is one (-0 too), else "%.17g". ZSCAN shows it. */
export function listpackScoreText(score: number): string {
  if (Number.isInteger(score) && score >= -LL_HALF && score <= LL_HALF) return BigInt(score).toString();
  return formatScore(score);
}

/** What OBJECT ENCODING answers. */
export function zsetEncoding(skiplist: boolean): 'listpack' | 'skiplist' {
  return skiplist ? 'skiplist' : 'listpack';
}
