// datatypes/hyperloglog-count.ts — reading a stored HLL value whole, in either
// encoding: its cardinality estimate (PFCOUNT of one key) and the register
// max into a byte array (PFCOUNT of many keys, PFMERGE), as hllCount and
// hllMerge. Pure.
import { HLL_DENSE, HLL_ENCODING_AT, HLL_HDR_SIZE, denseHistogram, denseMergeInto, estimate } from './hyperloglog';
import { sparseHistogram, sparseMergeInto } from './hyperloglog-sparse';

const histo = new Int32Array(64);

/** The estimate of an HLL value (isHll already true); -1 when its sparse registers are corrupt. */
export function hllCount(value: Uint8Array, len: number): number {
  histo.fill(0);
  if (value[HLL_ENCODING_AT] === HLL_DENSE) denseHistogram(value, HLL_HDR_SIZE, histo);
  else if (!sparseHistogram(value, len, histo)) return -1;
  return estimate(histo);
}

/** The estimate of registers kept one per byte (Redis's internal HLL_RAW). */
export function rawCount(max: Uint8Array): number {
  histo.fill(0);
  for (let i = 0; i < max.length; i++) histo[max[i]]++;
  return estimate(histo);
}

/** max[i] = max(max[i], register i of value (its first len bytes)); false when a sparse value is corrupt. */
export function hllMerge(max: Uint8Array, value: Uint8Array, len: number): boolean {
  if (value[HLL_ENCODING_AT] === HLL_DENSE) {
    denseMergeInto(value, max);
    return true;
  }
  return sparseMergeInto(value, len, max);
}
