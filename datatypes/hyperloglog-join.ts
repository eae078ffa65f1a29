// datatypes/hyperloglog-join.ts — the join of two HyperLogLog values (the
// internal tag hll, types.ts: what PFADD and PFMERGE write in a cluster), so
// that concurrent PFADDs on both sides of a partition merge in the version
// layer (merge.ts) instead of one side's winning: PFCOUNT after the healing
// counts the union. Pure.
//
// The join is Redis's PFMERGE of the two values into an empty key: the
// register-wise max (the HLL union), made dense when either value is dense,
// else sparse, promoted to dense as Redis promotes it (a register over the
// sparse VAL's 32, or a sparse value past the byte bound); its cached
// cardinality invalidated. The bound is Redis's default
// hll-sparse-max-bytes, a constant rather than the node's setting, so every
// replica, whatever its configuration, makes the same bytes from the same
// values. Registers join by max (commutative, associative, idempotent); the
// bytes are a function of the registers and of whether an input was dense,
// so the join is commutative and idempotent on bytes. Associative on bytes
// except in one corner: a sparse size is not monotone in the registers (two
// VALs merge when the register between them fills), so an intermediate
// union past the bound made dense can meet a third value whose full union
// would have fit; the registers (and so PFCOUNT) agree either way, and the
// version layer folds siblings in the winner order, the same on every
// replica, so replicas holding the same siblings show the same bytes.
import { HLL_DENSE, HLL_ENCODING_AT, HLL_REGISTERS, denseSet, invalidateCache, isHll } from './hyperloglog';
import { hllMerge } from './hyperloglog-count';
import { HllValue, sparseSet, sparseToDense } from './hyperloglog-sparse';

/** Redis's default hll-sparse-max-bytes: the join's sparse bound on every replica. */
export const JOIN_SPARSE_MAX_BYTES = 3000;

/** The register-wise max of two HLL values, as PFMERGE a b into an empty key; RangeError for bytes that are not a valid HLL. */
export function joinHllValues(a: Buffer, b: Buffer): Buffer {
  if (a.equals(b)) return a;
  const max = new Uint8Array(HLL_REGISTERS);
  for (const value of [a, b]) {
    if (!isHll(value, value.length) || !hllMerge(max, value, value.length)) throw new RangeError('hll join: a value that is not a valid HyperLogLog');
  }
  const joined = HllValue.empty();
  if (a[HLL_ENCODING_AT] === HLL_DENSE || b[HLL_ENCODING_AT] === HLL_DENSE) sparseToDense(joined);
  for (let i = 0; i < HLL_REGISTERS; i++) {
    if (max[i] === 0) continue;
    if (joined.encoding === HLL_DENSE) denseSet(joined.buf, i, max[i]);
    else if (sparseSet(joined, i, max[i], JOIN_SPARSE_MAX_BYTES) < 0) throw new RangeError('hll join: sparse registers corrupt');
  }
  invalidateCache(joined.buf);
  return Buffer.from(joined.bytes());
}
