// hyperloglog-join.test.ts — the join of two HyperLogLogs (datatypes/
// hyperloglog-join.ts, the merge of PFADDs concurrent on both sides of a
// partition), pure: commutative, associative and idempotent (fast-check, on
// HLLs of both encodings), its registers the register-wise max, its bytes a
// valid HLL with the cached cardinality invalidated; through the version
// layer, concurrent PFADD siblings read as their union and are never cut by
// the sibling bound; and its bytes are exactly what a real redis-server
// 7.0's PFMERGE of the same two values into an empty key makes (sparse or
// dense by Redis's rules).
import test from 'ava';
import fc from 'fast-check';
import Redis from 'ioredis';
import { HLL_DENSE, HLL_ENCODING_AT, HLL_REGISTERS, HLL_SPARSE, cacheValid, isHll } from '../datatypes/hyperloglog';
import { hllCount, hllMerge } from '../datatypes/hyperloglog-count';
import { JOIN_SPARSE_MAX_BYTES, joinHllValues } from '../datatypes/hyperloglog-join';
import { HllValue, hllAdd, sparseToDense } from '../datatypes/hyperloglog-sparse';
import { DataType } from '../datatypes/types';
import { stringRead } from '../cluster/versions/counter-read';
import { EMPTY_VERSIONS, actorId, merge, update, type KeyVersions } from '../cluster/versions/versions';
import { redisServerAvailable, startRedis } from '../redis-compat/servers';

/** An HLL of these elements as PFADD makes it (sparse, promoted past sparseMax), made dense when `dense`. */
function hllOf(elements: readonly string[], sparseMax = JOIN_SPARSE_MAX_BYTES, dense = false): Buffer {
  const v = HllValue.empty();
  for (const e of elements) hllAdd(v, Buffer.from(e), sparseMax);
  if (dense && v.encoding === HLL_SPARSE) sparseToDense(v);
  return Buffer.from(v.bytes());
}

function registers(value: Buffer): Uint8Array {
  const max = new Uint8Array(HLL_REGISTERS);
  if (!hllMerge(max, value, value.length)) throw new Error('corrupt HLL');
  return max;
}

/** Few elements from a small pool (shared registers are common), sometimes many (past the sparse bound), sometimes dense. */
const hll: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 40 }), fc.boolean()).map(([ids, dense]) => hllOf(ids.map((i) => `e${i}`), JOIN_SPARSE_MAX_BYTES, dense)) },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 3000 }).map((n) => hllOf(Array.from({ length: n }, (_, i) => `big${i}`))) },
);

test('the HLL join is commutative, associative and idempotent, its registers the max, its bytes a valid HLL (fast-check)', (t) => {
  fc.assert(
    fc.property(hll, hll, hll, (a, b, c) => {
      const ab = joinHllValues(a, b);
      if (!ab.equals(joinHllValues(b, a))) return false;
      if (!joinHllValues(ab, c).equals(joinHllValues(a, joinHllValues(b, c)))) return false;
      if (!joinHllValues(a, a).equals(a)) return false;
      // An upper bound: joining either side in again changes nothing.
      if (!joinHllValues(ab, a).equals(ab) || !joinHllValues(ab, b).equals(ab)) return false;
      const [ra, rb, rab] = [registers(a), registers(b), registers(ab)];
      for (let i = 0; i < HLL_REGISTERS; i++) if (rab[i] !== Math.max(ra[i], rb[i])) return false;
      if (!isHll(ab, ab.length) || hllCount(ab, ab.length) < 0) return false;
      const dense = a[HLL_ENCODING_AT] === HLL_DENSE || b[HLL_ENCODING_AT] === HLL_DENSE;
      if (dense && ab[HLL_ENCODING_AT] !== HLL_DENSE) return false;
      if (ab[HLL_ENCODING_AT] === HLL_SPARSE && ab.length > JOIN_SPARSE_MAX_BYTES) return false;
      return a.equals(b) || !cacheValid(ab);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('concurrent PFADD siblings read as their union, and are never cut by the sibling bound', (t) => {
  let synced: KeyVersions = EMPTY_VERSIONS;
  const elements: string[] = [];
  for (let i = 0; i < 5; i++) {
    const mine = Array.from({ length: 20 }, (_, k) => `side${i}-${k}`);
    elements.push(...mine);
    const side = update(EMPTY_VERSIONS, new Map(), actorId(`node-${i}`, 1), { value: hllOf(mine), timestamp: 1000 + i, expireAt: 0, type: DataType.hll }, 2).versions;
    synced = merge(synced, side, 2).versions;
  }
  t.is(synced.siblings.length, 5);
  const read = stringRead(synced, 2000) as Buffer;
  t.deepEqual(registers(read), registers(hllOf(elements)));
  t.is(Math.round(hllCount(read, read.length)), Math.round(hllCount(hllOf(elements), hllOf(elements).length)));
});

test('the join makes the bytes a real redis-server makes with PFMERGE of the same two values into an empty key', async (t) => {
  if (!redisServerAvailable()) throw new Error('redis-server is not on PATH');
  const real = await startRedis();
  t.teardown(async () => {
    await real.stop();
  });
  const r = new Redis({ port: real.port, lazyConnect: true });
  await r.connect();
  t.teardown(() => r.disconnect());
  const pool = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const cases: [string, Buffer, Buffer][] = [
    ['two small sparse', hllOf(pool('a', 30)), hllOf(pool('b', 25).concat(pool('a', 10)))],
    ['sparse and dense', hllOf(pool('a', 50)), hllOf(pool('c', 40), JOIN_SPARSE_MAX_BYTES, true)],
    ['two sparse whose union passes the sparse bound', hllOf(pool('x', 900)), hllOf(pool('y', 900))],
    ['two dense', hllOf(pool('p', 5000)), hllOf(pool('q', 7000))],
    ['one empty', HllValue.empty().bytes(), hllOf(pool('z', 12))],
  ];
  for (const [name, a, b] of cases) {
    await r.del('a', 'b', 'dest');
    await r.set('a', a);
    await r.set('b', b);
    t.is(await r.pfmerge('dest', 'a', 'b'), 'OK');
    t.deepEqual(joinHllValues(a, b), await r.getBuffer('dest'), name);
  }
});
