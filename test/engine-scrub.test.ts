// engine-scrub.test.ts — Engine.scrub, the scrubber's step: it checks the
// crc of the records of sealed data files in file order, a budget of bytes
// at a time, and names each run of bad bytes by file and offset with the
// live keys whose records sat in it; a whole pass ends with the cursor back
// at { 0, 0 }. A directory opened from its hint files does not read values,
// so only a read or the scrubber meets a flipped value byte.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { EngineError, type Engine, type ScrubCursor, type ScrubFinding } from '../engine/index';
import { dataFiles, openEngine } from './helpers/engine';
import { tmpDir } from './helpers/tmpdir';

const OPTIONS = { segmentSize: 8192, mergeIntervalMs: 0 };
const keyOf = (i: number): string => `key-${String(i).padStart(4, '0')}`;
const valueOf = (i: number): string => `V${i}:`.padEnd(300, String.fromCharCode(97 + (i % 26)));

/** Scrubs a whole pass in steps of `budget` bytes: the bytes verified, the steps taken, what was found. */
function scrubPass(e: Engine, budget: number): { bytes: number; steps: number; found: ScrubFinding[] } {
  let cursor: ScrubCursor = { segment: 0, offset: 0 };
  let bytes = 0;
  let steps = 0;
  const found: ScrubFinding[] = [];
  do {
    const step = e.scrub(cursor, budget);
    cursor = step.cursor;
    bytes += step.bytes;
    found.push(...step.found);
    steps++;
  } while (cursor.segment !== 0 && steps < 100_000);
  return { bytes, steps, found };
}

test('scrub verifies every sealed record in steps of its budget and finds nothing in a sound directory', (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir, OPTIONS);
  for (let i = 0; i < 200; i++) e.put(keyOf(i), valueOf(i));
  e.close();
  const sealed = dataFiles(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size - 8, 0);
  const reopened = openEngine(t, dir, OPTIONS);
  const pass = scrubPass(reopened, 4096);
  t.deepEqual(pass.found, []);
  t.is(pass.bytes, sealed, 'every byte of every record of the sealed files, once');
  t.true(pass.steps > sealed / 8192, `${pass.steps} steps of about 4 KiB`);
  t.deepEqual(scrubPass(reopened, 1 << 20).bytes, sealed, 'a second pass starts over');
});

test('scrub names a flipped value byte by file and offset with its live key, which a read meets as ECORRUPT', (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir, OPTIONS);
  for (let i = 0; i < 200; i++) e.put(keyOf(i), valueOf(i));
  e.put(keyOf(3), 'overwritten');
  e.close();
  // Damage key 150's value and the dead first copy of key 3.
  const flips: { file: string; at: number }[] = [];
  for (const victim of [valueOf(150), valueOf(3)]) {
    for (const name of dataFiles(dir)) {
      const file = path.join(dir, name);
      const bytes = fs.readFileSync(file);
      const pos = bytes.indexOf(victim);
      if (pos < 0) continue;
      bytes[pos + 100] ^= 0xff;
      fs.writeFileSync(file, bytes);
      flips.push({ file, at: pos + 100 });
    }
  }
  t.is(flips.length, 2);
  const reopened = openEngine(t, dir, OPTIONS);
  t.is(reopened.stats().openedByScan, 0, 'opened from hints: values not read');
  const pass = scrubPass(reopened, 2048);
  t.is(pass.found.length, 2, JSON.stringify(pass.found));
  for (const [i, flip] of flips.entries()) {
    const f = pass.found.find((x) => x.file === flip.file && x.offset <= flip.at && flip.at < x.offset + x.length);
    t.truthy(f, `a finding covers ${flip.file} at ${flip.at}`);
    t.deepEqual(f?.keys.map(String), i === 0 ? [keyOf(150)] : [], i === 0 ? 'the live key whose record it was' : 'a dead record names no key');
    t.true((f?.length ?? 0) < 400, 'the run is about one record long');
  }
  const err = t.throws(() => reopened.get(keyOf(150)), { instanceOf: EngineError });
  t.is(err?.code, 'ECORRUPT');
  t.is(reopened.get(keyOf(3))?.toString(), 'overwritten');
  t.is(reopened.get(keyOf(151))?.toString(), valueOf(151), 'the next record is read as before');
});
