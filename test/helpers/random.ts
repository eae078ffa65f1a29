// test/helpers/random.ts — a seeded PRNG (mulberry32) for randomized tests,
// so a failing seed can be replayed.
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of record with one byte changed, inserted or removed. */
export function mutate(rand: () => number, record: Buffer): Buffer {
  const position = Math.floor(rand() * record.length);
  const byte = Buffer.from([Math.floor(rand() * 256)]);
  const roll = rand();
  if (roll < 0.6) return Buffer.concat([record.subarray(0, position), byte, record.subarray(position + 1)]);
  if (roll < 0.8) return Buffer.concat([record.subarray(0, position), byte, record.subarray(position)]);
  return Buffer.concat([record.subarray(0, position), record.subarray(position + 1)]);
}
