// datatypes/fixed-decimal.ts — C's printf("%.Nf") of a double, digit for
// digit as glibc prints it: the exact binary value rounded to N decimals
// (ties to even), however large, with the sign of a negative zero. JS's
// toFixed rounds ties away from zero and switches to exponents past 1e21, so
// it cannot stand in. Redis prints coordinates with "%.17Lf" (a long double
// holding the double exactly, zeros trimmed) and out-of-range coordinates in
// errors with "%f"; geo distances with its fixedpoint_d2string, which rounds
// the product x * 10^4 (itself rounded to a double) instead of x. Pure.

const view = new DataView(new ArrayBuffer(8));

/** printf("%.<digits>f", x). */
export function fixedDecimal(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  const negative = x < 0 || Object.is(x, -0);
  if (!Number.isFinite(x)) return negative ? '-inf' : 'inf';
  view.setFloat64(0, x);
  const biased = (view.getUint32(0) >>> 20) & 0x7ff;
  let mantissa = (BigInt(view.getUint32(0) & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exponent: number;
  if (biased === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  // |x| = mantissa * 2^exponent; scaled = round(|x| * 10^digits), ties to even.
  let scaled = mantissa * 10n ** BigInt(digits);
  if (exponent >= 0) {
    scaled <<= BigInt(exponent);
  } else {
    const shift = BigInt(-exponent);
    const quotient = scaled >> shift;
    const twice = (scaled - (quotient << shift)) << 1n;
    const half = 1n << shift;
    scaled = twice > half || (twice === half && (quotient & 1n) === 1n) ? quotient + 1n : quotient;
  }
  let text = scaled.toString();
  if (digits > 0) {
    text = text.padStart(digits + 1, '0');
    text = `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * Redis 7.0.15's fixedpoint_d2string (addReplyDoubleDistance): llrint of the
 * double x * 10^digits (ties to even), printed with the point put in and at
 * least one integer digit. It differs from "%.<digits>f" where the product
 * lands on a tie the exact value does not (GEODIST ... ft of 43551999.02494999...
 * is 0250 here, 0249 by printf). NaN, and a product past the int64 range,
 * print as llrint's LLONG_MIN (x86-64's cvtsd2si) does.
 */
export function fixedPoint(x: number, digits: number): string {
  if (x === 0) return `0.${'0'.repeat(digits)}`;
  const product = x * 10 ** digits;
  let scaled: bigint;
  if (Number.isNaN(product) || Math.abs(product) >= 2 ** 63) {
    scaled = -(2n ** 63n);
  } else {
    const floor = Math.floor(product);
    const fraction = product - floor;
    scaled = BigInt(fraction > 0.5 || (fraction === 0.5 && floor % 2 !== 0) ? floor + 1 : floor);
  }
  const negative = scaled < 0n;
  const text = (negative ? -scaled : scaled).toString().padStart(digits + 1, '0');
  return `${negative ? '-' : ''}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/**
 * Redis's ld2string(LD_STR_HUMAN) of a double: "%.17Lf" with the trailing
 * zeros (and a bare point) dropped, "-0" made "0". GEOPOS and WITHCOORD.
 */
export function humanDecimal(x: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  let text = fixedDecimal(x, 17);
  text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}
