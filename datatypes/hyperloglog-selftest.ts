// datatypes/hyperloglog-selftest.ts — PFSELFTEST's checks, as Redis runs
// them: dense registers read back what was written without touching their
// neighbours (1000 rounds of random values), then 10M distinct elements
// added to a dense and a sparse HLL at once: at 1, 10, ... 10M elements the
// two agree, the sparse one is still sparse while small, and the estimate
// is within six standard errors. Pure (Math.random only).
import { HLL_DENSE_SIZE, HLL_HDR_SIZE, HLL_REGISTERS, HLL_SPARSE, denseGet, denseSet, denseSetRegister, patLen } from './hyperloglog';
import { hllCount } from './hyperloglog-count';
import { HllValue, hllAdd } from './hyperloglog-sparse';

const CYCLES = 1000;

/** null when every check passes, else the TESTFAILED error text. */
export function hllSelfTest(sparseMaxBytes: number): string | null {
  const dense = Buffer.alloc(HLL_DENSE_SIZE + 1);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < CYCLES; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(Math.random() * 64);
      expected[i] = r;
      denseSetRegister(dense, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseGet(dense, HLL_HDR_SIZE, i);
      if (val !== expected[i]) return `TESTFAILED Register ${i} should be ${expected[i]} but is ${val}`;
    }
  }

  dense.fill(0, HLL_HDR_SIZE);
  const sparse = HllValue.empty();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const element = Buffer.alloc(8);
  const seedLo = Math.floor(Math.random() * 0x100000000);
  element.writeUInt32LE(Math.floor(Math.random() * 0x100000000), 4);
  let checkpoint = 1;
  for (let j = 1; j <= 10000000; j++) {
    element.writeUInt32LE((j ^ seedLo) >>> 0, 0);
    const packed = patLen(element);
    denseSet(dense, packed >>> 6, packed & 63);
    hllAdd(sparse, element, sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < sparseMaxBytes / 2 && sparse.encoding !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used';
    const denseCount = hllCount(dense, HLL_DENSE_SIZE);
    if (denseCount !== hllCount(sparse.buf, sparse.len)) return 'TESTFAILED dense/sparse disagree';
    const abserr = Math.abs(checkpoint - denseCount);
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return null;
}
