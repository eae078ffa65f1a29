// bench/supersedes.ts — the time per call of supersedes (cluster/versions/
// supersedes.ts: does a peer's record hold everything the stored one has,
// read from the bytes) against what it saves: decode both records, merge,
// compare. Best of a few rounds each. Usage: npm run bench:supersedes
import { EMPTY_VERSIONS, equalVersions, merge, update, type KeyVersions } from '../cluster/versions/versions';
import { decodeVersions, encodeVersions } from '../cluster/versions/codec';
import { supersedes } from '../cluster/versions/supersedes';

/** ns per call of run, best of a few rounds. */
function timePerCall(run: () => unknown, calls: number): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / calls);
  }
  return best;
}

function main(): void {
  const value = Buffer.alloc(100, 7);
  const actors = ['10.0.0.1:7000#3', '10.0.0.2:7000#1', '10.0.0.3:7000#2'];
  let plain = EMPTY_VERSIONS;
  for (let i = 0; i < 30; i++) plain = update(plain, plain.clock, actors[i % 3], { value, timestamp: 1_760_000_000_000 + i, expireAt: 0 }).versions;
  let siblings = plain;
  for (let i = 0; i < 4; i++) siblings = update(siblings, new Map(), actors[i % 3], { value, timestamp: 1_760_000_001_000 + i, expireAt: 0 }).versions;
  const cases: [string, KeyVersions, KeyVersions][] = [
    ['plain write, 3 actors, 100-byte value', plain, update(plain, plain.clock, actors[1], { value, timestamp: 1_760_000_002_000, expireAt: 0 }).versions],
    ['4 siblings + a concurrent write', siblings, update(siblings, new Map(), actors[2], { value, timestamp: 1_760_000_003_000, expireAt: 0 }).versions],
  ];
  console.log('| case | supersedes | decode + merge + equalVersions | ratio |');
  console.log('|------|------------|--------------------------------|-------|');
  for (const [name, currentVersions, incomingVersions] of cases) {
    const current = encodeVersions(currentVersions);
    const incoming = encodeVersions(incomingVersions);
    const full = (): boolean => {
      const decoded = decodeVersions(incoming);
      const merged = merge(decodeVersions(current), decoded, 32);
      return merged.pruned === 0 && equalVersions(merged.versions, decoded);
    };
    if (!supersedes(incoming, current, 32) || !full()) throw new Error(`${name}: the incoming record should supersede`);
    const fast = timePerCall(() => supersedes(incoming, current, 32), 200_000);
    const slow = timePerCall(full, 50_000);
    console.log(`| ${name} | ${fast.toFixed(0)} ns | ${slow.toFixed(0)} ns | ${(slow / fast).toFixed(1)}x |`);
  }
}

main();
