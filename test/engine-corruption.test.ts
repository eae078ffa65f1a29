// engine-corruption.test.ts — damaged data files: a torn tail (truncated last
// record, or a half record appended) is cut off on open with a warning on
// stderr and every earlier record kept; a flipped byte anywhere else stops
// the open with ECORRUPT naming the file and offset; repair() salvages every
// other record and reports what it dropped; a damaged value is never returned
// as if it were good.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { open, repair, EngineError } from '../engine/index';
import { tmpDir, copyDir } from './helpers/tmpdir';
import { dataFiles, hintFiles, removeHints, dumpInChild, readAll } from './helpers/engine';

const OPTIONS = { segmentSize: 4096, mergeIntervalMs: 0 };
const N = 300;
const keyOf = (i: number): string => `key-${String(i).padStart(4, '0')}`;
const valueOf = (i: number): string => `V${i}:`.padEnd(100, '#');

/** A closed directory holding keyOf(i) = valueOf(i) for i < N, each written once. */
function buildDir(dir: string): void {
  const e = open(dir, OPTIONS);
  for (let i = 0; i < N; i++) e.put(keyOf(i), valueOf(i));
  e.close();
}

/** Where each key's bytes sit: file name and offset (keys are unique in the files). */
function locateKeys(dir: string): Map<string, { file: string; pos: number }> {
  const where = new Map<string, { file: string; pos: number }>();
  for (const file of dataFiles(dir)) {
    const bytes = fs.readFileSync(path.join(dir, file));
    for (let i = 0; i < N; i++) {
      const pos = bytes.indexOf(keyOf(i));
      if (pos >= 0) where.set(keyOf(i), { file, pos });
    }
  }
  return where;
}

function lastDataFile(dir: string): string {
  const files = dataFiles(dir);
  return path.join(dir, files[files.length - 1]);
}

function flipByte(file: string, pos: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, pos);
  b[0] ^= 0xff;
  fs.writeSync(fd, b, 0, 1, pos);
  fs.closeSync(fd);
}

function entriesAsText(entries: [string, string][]): Map<string, string> {
  return new Map(entries.map(([k, v]) => [Buffer.from(k, 'hex').toString(), Buffer.from(v, 'hex').toString()]));
}

test('torn tail: a truncated last record is cut off with a warning; earlier records are intact', (t) => {
  const dir = tmpDir(t);
  buildDir(dir);
  const last = lastDataFile(dir);
  const where = locateKeys(dir);
  t.is(where.get(keyOf(N - 1))?.file, path.basename(last), 'the last key sits in the last data file');
  fs.truncateSync(last, fs.statSync(last).size - 3);
  const first = dumpInChild(dir, OPTIONS);
  t.true(first.ok, `open succeeds: ${first.code} ${first.message}`);
  t.regex(first.stderr, /\S/, 'a warning on stderr');
  t.log(`warning: ${first.stderr.trim()}`);
  const got = entriesAsText(first.entries ?? []);
  t.is(got.size, N - 1);
  t.false(got.has(keyOf(N - 1)), 'the torn record is gone');
  for (let i = 0; i < N - 1; i++) t.is(got.get(keyOf(i)), valueOf(i));
  // The tail was cut for good: the next open is silent, and writes go on.
  const second = dumpInChild(dir, OPTIONS);
  t.true(second.ok);
  t.is(second.stderr, '', 'no warning once the tail has been truncated');
  const e = open(dir, OPTIONS);
  e.put('after', 'repair');
  e.close();
  const third = open(dir, OPTIONS);
  t.is(third.get('after')?.toString(), 'repair');
  t.is(readAll(third).size, N);
  third.close();
});

for (const [name, garbage] of [
  ['a few random bytes', (): Buffer => Buffer.from([0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x01])],
  ['half a record', (d: string): Buffer => fs.readFileSync(lastDataFile(d)).subarray(8, 8 + 29 + 20)],
  ['a record header with no body', (d: string): Buffer => fs.readFileSync(lastDataFile(d)).subarray(8, 8 + 29)],
] as [string, (dir: string) => Buffer][]) {
  test(`torn tail: ${name} appended to the last file is cut off with a warning`, (t) => {
    const dir = tmpDir(t);
    buildDir(dir);
    const last = lastDataFile(dir);
    const size = fs.statSync(last).size;
    fs.appendFileSync(last, garbage(dir));
    const r = dumpInChild(dir, OPTIONS);
    t.true(r.ok, `open succeeds: ${r.code} ${r.message}`);
    t.regex(r.stderr, /\S/, 'a warning on stderr');
    const got = entriesAsText(r.entries ?? []);
    t.is(got.size, N);
    for (let i = 0; i < N; i++) t.is(got.get(keyOf(i)), valueOf(i));
    t.is(fs.statSync(last).size, size, 'the file is truncated back to its last good record');
  });
}

test('a flipped byte in an older segment: open fails with ECORRUPT naming file and offset; repair salvages the rest', (t) => {
  const root = tmpDir(t);
  const original = path.join(root, 'original');
  const copy = path.join(root, 'copy');
  fs.mkdirSync(original);
  buildDir(original);
  copyDir(original, copy);
  removeHints(copy);
  const files = dataFiles(copy);
  t.true(files.length >= 4, `several segments (${files.length})`);
  const victim = files[1];
  const size = fs.statSync(path.join(copy, victim)).size;
  const flipAt = Math.floor(size / 2);
  flipByte(path.join(copy, victim), flipAt);

  const err = t.throws(() => open(copy, OPTIONS), { instanceOf: EngineError });
  t.is(err?.code, 'ECORRUPT');
  t.log(`open: ${err?.message}`);
  t.true(err?.message.includes(victim) ?? false, `message names the file: ${err?.message}`);
  const offset = Number(/offset\D{0,3}(\d+)/i.exec(err?.message ?? '')?.[1] ?? NaN);
  t.true(offset <= flipAt && flipAt - offset < 29 + 8 + 100, `message names the bad record's offset (${offset}, flipped ${flipAt})`);

  const sane = open(original, OPTIONS);
  t.is(readAll(sane).size, N, 'the untouched original still opens');
  sane.close();

  const report = repair(copy);
  t.true(report.segments >= files.length);
  t.true(report.records >= N - 1, `repair kept ${report.records} records`);
  const drop = report.dropped.find((d) => path.basename(d.file) === victim);
  t.truthy(drop, `the report names ${victim}: ${JSON.stringify(report.dropped)}`);
  if (drop !== undefined) t.true(drop.offset <= flipAt && flipAt < drop.offset + drop.length, 'the dropped range covers the flipped byte');

  const where = locateKeys(original);
  const lost = [...where].filter(([, w]) =>
    report.dropped.some((d) => path.basename(d.file) === w.file && w.pos >= d.offset && w.pos < d.offset + d.length),
  );
  t.is(lost.length, 1, `exactly the damaged record is dropped (${lost.map(([k]) => k).join(' ')})`);
  const e = open(copy, OPTIONS);
  const got = readAll(e);
  e.close();
  t.is(got.size, N - lost.length);
  for (let i = 0; i < N; i++) {
    if (lost.some(([k]) => k === keyOf(i))) continue;
    if (got.get(keyOf(i))?.toString() !== valueOf(i)) {
      t.fail(`${keyOf(i)} lost or wrong after repair`);
      return;
    }
  }
  const again = repair(copy);
  t.deepEqual(again.dropped, [], 'a repaired directory repairs to nothing');
  t.regex(dumpInChild(copy, OPTIONS).stderr, /^$/, 'and opens without warnings');
});

test('a flipped byte in the middle of the last file is corruption, not a torn tail', (t) => {
  const dir = tmpDir(t);
  buildDir(dir);
  removeHints(dir);
  const last = lastDataFile(dir);
  const before = fs.statSync(last).size;
  const where = locateKeys(dir);
  const inLast = [...where].filter(([, w]) => w.file === path.basename(last));
  t.true(inLast.length >= 3, 'the last file holds several records');
  const target = inLast[1][1].pos + 20; // inside the value of a record followed by good ones
  flipByte(last, target);
  const r = dumpInChild(dir, OPTIONS);
  t.false(r.ok, 'open refuses: good records follow the bad one');
  t.is(r.code, 'ECORRUPT', r.message);
  t.is(fs.statSync(last).size, before, 'nothing was truncated');
});

test('a damaged value behind a valid hint file is never returned as good data', (t) => {
  const dir = tmpDir(t);
  buildDir(dir);
  const where = locateKeys(dir);
  const files = dataFiles(dir);
  t.deepEqual(hintFiles(dir), files.map((f) => f.replace(/\.data$/, '.hint')), 'close left a hint file for every data file');
  const k = [...where].find(([, w]) => w.file === files[0])?.[0] ?? keyOf(0);
  const w = where.get(k)!;
  flipByte(path.join(dir, w.file), w.pos + k.length + 10);
  // The open reads the hint files, not the values: it does not see the damage.
  const engine = open(dir, OPTIONS);
  t.teardown(() => engine.close());
  const { openedFromHints, openedByScan } = engine.stats();
  t.true(openedFromHints === files.length && openedByScan === 0, `the open used the hint files (${openedFromHints} from hints, ${openedByScan} scanned)`);
  const err = t.throws(() => engine.get(k), { instanceOf: EngineError }, `get(${k}) must not return damaged bytes`);
  t.is(err?.code, 'ECORRUPT');
  t.log(`get: ${err?.message}`);
  t.is(engine.get(keyOf(N - 1))?.toString(), valueOf(N - 1), 'other keys stay readable');
});
