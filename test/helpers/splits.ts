// test/helpers/splits.ts — cutting a byte stream into pieces, for parsers
// that must give the same result however the bytes arrive.

/** Every way to cut `data` into 2 and 3 pieces, and one byte at a time. */
export function* splits(data: Buffer): Generator<Buffer[]> {
  yield [data];
  for (let i = 1; i < data.length; i++) {
    yield [data.subarray(0, i), data.subarray(i)];
    for (let j = i + 1; j < data.length; j++) yield [data.subarray(0, i), data.subarray(i, j), data.subarray(j)];
  }
  yield Array.from(data, (byte) => Buffer.from([byte]));
}

/** Copies of the pieces, so no test relies on pieces sharing one buffer. */
export const copies = (pieces: Buffer[]): Buffer[] => pieces.map((p) => Buffer.from(p));
