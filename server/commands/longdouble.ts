// server/commands/longdouble.ts — INCRBYFLOAT's arithmetic, bit for bit as
// redis-server on x86-64 does it in C `long double` (x87 80-bit: 64-bit
// significand, exponents down to 2^-16445 subnormal, overflow at 2^16384):
// parsing as glibc's strtold behind Redis's string2ld, one correctly rounded
// addition, and printing as Redis's ld2string(LD_STR_HUMAN) ("%.17Lf" with
// trailing zeros cut). JS doubles would differ ("10.5 + 0.1" must give
// "10.6"; "1e400" must be accepted), so values are exact BigInt binary
// fractions rounded to nearest, ties to even, as the FPU and printf do.

/** ±mant·2^exp (mant < 2^64, 0 for zero), or an infinity. */
export interface LongDouble {
  neg: boolean;
  inf: boolean;
  mant: bigint;
  exp: number;
}

const MANT_BITS = 64;
const MIN_LSB = -16445; // the smallest subnormal is 2^-16445
const MAX_EXP = 16384; // values at or above 2^16384 overflow
const MAX_CHARS = 5 * 1024; // MAX_LONG_DOUBLE_CHARS: string2ld refuses longer input
const TEN_17 = 10n ** 17n;

const DECIMAL = /^([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

export const ZERO: LongDouble = { neg: false, inf: false, mant: 0n, exp: 0 };

function zero(neg: boolean): LongDouble {
  return { neg, inf: false, mant: 0n, exp: 0 };
}

function infinity(neg: boolean): LongDouble {
  return { neg, inf: true, mant: 0n, exp: 0 };
}

function bitLength(n: bigint): number {
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)));
}

/** num/den·2^exp2 (num, den > 0) rounded to a long double, ties to even; may overflow to infinity. */
function round(neg: boolean, num: bigint, den: bigint, exp2: number): LongDouble {
  let e = bitLength(num) - bitLength(den); // floor(log2(num/den)) is e or e - 1
  if ((e >= 0 ? num : num << BigInt(-e)) < (e >= 0 ? den << BigInt(e) : den)) e--;
  e += exp2;
  if (e >= MAX_EXP) return infinity(neg);
  let lsb = Math.max(e - (MANT_BITS - 1), MIN_LSB);
  const shift = exp2 - lsb;
  const n = shift >= 0 ? num << BigInt(shift) : num;
  const d = shift >= 0 ? den : den << BigInt(-shift);
  let q = n / d;
  const twice = (n - q * d) * 2n;
  if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
  if (q === 0n) return zero(neg);
  if (q === 1n << BigInt(MANT_BITS)) {
    q >>= 1n;
    lsb++;
  }
  if (bitLength(q) + lsb > MAX_EXP) return infinity(neg);
  return { neg, inf: false, mant: q, exp: lsb };
}

/** A decimal exponent as a number, clamped so absurd ones stay finite. */
function exponent(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  return Math.max(-1e7, Math.min(1e7, n));
}

/**
 * Redis's string2ld: the long double in buf, or null when it is not a valid
 * float (empty, too long, leading space, trailing garbage or NUL, NaN, overflow,
 * or a non-zero value that underflows to zero). "inf" is valid.
 */
export function parseLongDouble(buf: Buffer): LongDouble | null {
  if (buf.length === 0 || buf.length >= MAX_CHARS) return null;
  const text = buf.toString('latin1'); // a NUL byte fails every pattern, as strtold must read all of buf
  let m = DECIMAL.exec(text);
  if (m !== null) {
    const neg = m[1] === '-';
    const int = m[2] ?? '';
    const frac = m[3] ?? m[4] ?? '';
    const digits = BigInt(int + frac);
    if (digits === 0n) return zero(neg);
    const e10 = exponent(m[5]) - frac.length;
    const magnitude = (int + frac).replace(/^0+/, '').length + e10; // value < 10^magnitude
    if (magnitude > 4934) return null; // overflow: > 1.19e4932
    if (magnitude < -4960) return null; // underflow to zero: < 2^-16446
    const r = e10 >= 0 ? round(neg, digits * 10n ** BigInt(e10), 1n, 0) : round(neg, digits, 10n ** BigInt(-e10), 0);
    return r.inf || r.mant === 0n ? null : r;
  }
  m = HEX.exec(text);
  if (m !== null) {
    const neg = m[1] === '-';
    const frac = m[3] ?? m[4] ?? '';
    const digits = BigInt('0x' + (m[2] ?? '') + frac);
    if (digits === 0n) return zero(neg);
    const e2 = exponent(m[5]) - 4 * frac.length;
    const top = bitLength(digits) + e2;
    if (top > MAX_EXP + 1 || top < MIN_LSB - 2) return null;
    const r = round(neg, digits, 1n, e2);
    return r.inf || r.mant === 0n ? null : r;
  }
  m = INFINITY.exec(text);
  if (m !== null) return infinity(m[1] === '-');
  return null; // NaN in every spelling, and everything else
}

/** a + b rounded once; null when the sum is NaN or infinite. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) return null; // inf + x is inf, inf - inf is NaN: both refused
  if (a.mant === 0n) return b.mant === 0n ? zero(a.neg && b.neg) : b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const x = a.mant << BigInt(a.exp - e);
  const y = b.mant << BigInt(b.exp - e);
  const sum = (a.neg ? -x : x) + (b.neg ? -y : y);
  if (sum === 0n) return zero(false);
  const r = sum < 0n ? round(true, -sum, 1n, e) : round(false, sum, 1n, e);
  return r.inf ? null : r;
}

/** ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros and a bare '.' removed, "-0" as "0". */
export function formatLongDouble(v: LongDouble): string {
  let n: bigint;
  if (v.mant === 0n) {
    n = 0n;
  } else if (v.exp >= 0) {
    n = (v.mant << BigInt(v.exp)) * TEN_17;
  } else {
    const scaled = v.mant * TEN_17;
    const shift = BigInt(-v.exp);
    n = scaled >> shift;
    const rest = scaled - (n << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (n & 1n) === 1n)) n++;
  }
  const digits = n.toString().padStart(18, '0');
  let text = `${digits.slice(0, -17)}.${digits.slice(-17)}`;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 0x30) end--;
  if (text.charCodeAt(end - 1) === 0x2e) end--;
  text = text.slice(0, end);
  if (v.neg) text = `-${text}`;
  return text === '-0' ? '0' : text;
}
