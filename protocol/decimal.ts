// protocol/decimal.ts — writes a whole number in decimal straight into a
// buffer, without making a string: the lengths and counts in front of nearly
// every RESP reply and request. Shared by writer.ts and request-writer.ts.

/** n (a whole number in [0, 2^32)) in decimal into slab at pos; returns the position after it. */
export function writeDecimal(slab: Buffer, pos: number, n: number): number {
  let width = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) width++;
  const end = pos + width;
  let p = end;
  do {
    const q = Math.floor(n / 10);
    slab[--p] = 48 + n - q * 10;
    n = q;
  } while (n > 0);
  return end;
}
