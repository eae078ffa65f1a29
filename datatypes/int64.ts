// datatypes/int64.ts — Redis's string2ll: which bytes are a canonical int64
// (no '+', no spaces, no leading zeros, int64 range, exact beyond 2^53).
// Commands parse arguments with it (server/commands/string-args.ts); value
// encodings use it to pick integer forms (the RDB codec's integer strings,
// listpack entries), as Redis does. Pure.

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/**
 * Redis's string2ll: the int64 written in buf, or null when buf is not one.
 * Values within ±(2^53 - 1) come back as numbers, others as bigints.
 */
export function string2ll(buf: Buffer): number | bigint | null {
  const len = buf.length;
  if (len === 0 || len >= 21) return null;
  if (len === 1 && buf[0] === 0x30) return 0;
  let i = 0;
  const negative = buf[0] === 0x2d; // -
  if (negative) {
    if (len === 1) return null;
    i = 1;
  }
  if (buf[i] < 0x31 || buf[i] > 0x39) return null; // first digit 1-9
  let n = 0;
  for (let j = i; j < len; j++) {
    const d = buf[j] - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  // Below 2^53 every step was exact; at or above it the sum can only have
  // rounded to a value at or above 2^53, so this test is exact.
  if (n <= Number.MAX_SAFE_INTEGER) return negative ? -n : n;
  const big = BigInt(buf.toString('latin1', i, len));
  if (negative) return big > -INT64_MIN ? null : -big;
  return big > INT64_MAX ? null : big;
}

