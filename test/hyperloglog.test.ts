// hyperloglog.test.ts — the HyperLogLog value (datatypes/hyperloglog*.ts),
// pure: MurmurHash64A against a BigInt transcription of its definition; the
// estimate of 100k and 1M distinct elements within a few of Redis's
// standard errors (1.04 / sqrt(16384) = 0.81%); a sparse value and its dense
// promotion hold the same registers and count; a merge is the register-wise
// max whatever the order. Seeded fast-check: the same runs every time.
import test from 'ava';
import fc from 'fast-check';
import { HLL_DENSE, HLL_HDR_SIZE, HLL_REGISTERS, patLen } from '../datatypes/hyperloglog';
import { hllCount, hllMerge } from '../datatypes/hyperloglog-count';
import { HllValue, hllAdd, sparseToDense } from '../datatypes/hyperloglog-sparse';
import { hash64, murmurHash64A } from '../datatypes/murmur64';

const MASK = (1n << 64n) - 1n;

/** MurmurHash64A as its definition reads, in 64-bit BigInt arithmetic. */
function murmurReference(data: Uint8Array, seed: bigint): bigint {
  const m = 0xc6a4a7935bd1e995n;
  const len = BigInt(data.length);
  let h = (seed ^ (len * m)) & MASK;
  const blocks = data.length - (data.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let b = 7; b >= 0; b--) k = (k << 8n) | BigInt(data[i + b]);
    k = (k * m) & MASK;
    k ^= k >> 47n;
    k = (k * m) & MASK;
    h ^= k;
    h = (h * m) & MASK;
  }
  const rest = data.length & 7;
  if (rest > 0) {
    for (let b = rest - 1; b >= 0; b--) h ^= BigInt(data[blocks + b]) << BigInt(8 * b);
    h = (h * m) & MASK;
  }
  h ^= h >> 47n;
  h = (h * m) & MASK;
  h ^= h >> 47n;
  return h;
}

const STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);

function addAll(n: number, prefix: string, sparseMax = 3000): HllValue {
  const hll = HllValue.empty();
  for (let i = 0; i < n; i++) hllAdd(hll, Buffer.from(`${prefix}${i}`), sparseMax);
  return hll;
}

test('MurmurHash64A with 32-bit halves equals its 64-bit definition', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70 }), fc.integer({ min: 0, max: 0xffffffff }), (data, seed) => {
      murmurHash64A(data, 0, data.length, seed);
      return ((BigInt(hash64[0] >>> 0) << 32n) | BigInt(hash64[1] >>> 0)) === murmurReference(data, BigInt(seed));
    }),
    { seed: 11, numRuns: 2000 },
  );
  t.pass();
});

for (const n of [100_000, 1_000_000]) {
  test(`the estimate of ${n} distinct elements is within 3.5 standard errors (${(STANDARD_ERROR * 100).toFixed(2)}% each)`, (t) => {
    const runs = n === 1_000_000 ? 2 : 5;
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }), (prefix) => {
        const hll = addAll(n, `${prefix}:`);
        const estimate = hllCount(hll.buf, hll.len);
        const error = Math.abs(estimate - n) / n;
        t.log(`prefix ${JSON.stringify(prefix)}: ${estimate} (error ${(error * 100).toFixed(3)}%)`);
        return error < 3.5 * STANDARD_ERROR;
      }),
      { seed: 7, numRuns: runs },
    );
    t.pass();
  });
}

test('a sparse HLL and its dense promotion hold the same registers and count', (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 6 }), fc.integer({ min: 0, max: 4000 }), (prefix, n) => {
      const sparse = HllValue.empty();
      const dense = HllValue.empty();
      sparseToDense(dense);
      for (let i = 0; i < n; i++) {
        const e = Buffer.from(`${prefix}/${i}`);
        hllAdd(sparse, e, 1 << 20); // promoted only by a value over 32
        hllAdd(dense, e, 1 << 20);
      }
      if (hllCount(sparse.buf, sparse.len) !== hllCount(dense.buf, dense.len)) return false;
      const promoted = new HllValue(Buffer.from(sparse.bytes()), sparse.len);
      if (!sparseToDense(promoted) || promoted.encoding !== HLL_DENSE) return false;
      return promoted.bytes().subarray(HLL_HDR_SIZE).equals(dense.bytes().subarray(HLL_HDR_SIZE));
    }),
    { seed: 3, numRuns: 60 },
  );
  t.pass();
});

test('merging HLLs is the register-wise max, whatever the order: the registers of the union of the elements', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 2500 })), { minLength: 1, maxLength: 4 }), (specs) => {
      const sets = specs.map(([prefix, n]) => Array.from({ length: n }, (_, i) => `${prefix}/${i}`));
      const union = new Uint8Array(HLL_REGISTERS); // the oracle: each register's max run length over every element
      const values = sets.map((set) => {
        const hll = HllValue.empty();
        for (const e of set) {
          hllAdd(hll, Buffer.from(e), 300); // sparse, promoted past 300 bytes
          const packed = patLen(Buffer.from(e));
          union[packed >>> 6] = Math.max(union[packed >>> 6], packed & 63);
        }
        return Buffer.from(hll.bytes());
      });
      const forward = new Uint8Array(HLL_REGISTERS);
      const backward = new Uint8Array(HLL_REGISTERS);
      for (const v of values) hllMerge(forward, v, v.length);
      for (const v of [...values].reverse()) hllMerge(backward, v, v.length);
      return Buffer.from(forward).equals(Buffer.from(union)) && Buffer.from(backward).equals(Buffer.from(union));
    }),
    { seed: 5, numRuns: 40 },
  );
  t.pass();
});
