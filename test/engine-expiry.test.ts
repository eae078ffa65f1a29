// engine-expiry.test.ts — expiry semantics of the storage engine: past
// expiries read as missing, future ones read until they pass, expiry is kept
// across reopen, compaction drops expired records, and neither a delete nor
// an expiry ever lets an older value come back after compaction + reopen
// (full and threshold-based merges, with and without hint files).
import test, { ExecutionContext } from 'ava';
import { open, Engine } from '../engine/index';
import { tmpDir } from './helpers/tmpdir';
import { openEngine, sleep, filesContain, readAll, removeHints, dataFiles } from './helpers/engine';

const SMALL = { segmentSize: 4096, mergeIntervalMs: 0 };
const filler = (tag: string, i: number): string => `${tag}-${i}-`.padEnd(100, '.');

test('a put with expireAt in the past reads as missing and hides the older value', (t) => {
  const e = openEngine(t, tmpDir(t));
  e.put('gone', 'v', { expireAt: Date.now() - 1000 });
  t.is(e.get('gone'), null);
  t.false(e.has('gone'));
  t.is(e.info('gone'), null);
  e.put('k', 'old value');
  e.put('k', 'new value', { expireAt: Date.now() - 1 });
  t.is(e.get('k'), null, 'the expired overwrite does not reveal the old value');
  e.put('one', 'ms', { expireAt: 1 });
  t.is(e.get('one'), null, 'expireAt = 1 (1970) is in the past, not "never"');
});

test('a future expiry is readable until it passes, then missing', async (t) => {
  const e = openEngine(t, tmpDir(t));
  const expireAt = Date.now() + 200;
  e.put('soon', 'here for now', { expireAt });
  e.put('forever', 'always here');
  t.is(e.get('soon')?.toString(), 'here for now');
  t.deepEqual(e.info('soon'), { expireAt, valueLength: 12 });
  await sleep(expireAt - Date.now() + 100);
  t.is(e.get('soon'), null);
  t.false(e.has('soon'));
  t.is(e.info('soon'), null);
  t.is(e.get('forever')?.toString(), 'always here');
  e.put('soon', 'back');
  t.is(e.get('soon')?.toString(), 'back', 'an expired key can be written again');
  t.is(e.info('soon')?.expireAt, 0);
});

test('expiry survives reopen: expired keys stay gone, future expiries are kept', async (t) => {
  const dir = tmpDir(t);
  let e = open(dir, SMALL);
  t.teardown(() => e.close());
  const soon = Date.now() + 200;
  const later = Date.now() + 3_600_000;
  e.put('soon', 'a', { expireAt: soon });
  e.put('later', 'b', { expireAt: later });
  e.put('past', 'c', { expireAt: Date.now() - 5000 });
  e.put('shadowed', 'old');
  e.put('shadowed', 'new', { expireAt: soon });
  for (let i = 0; i < 100; i++) e.put(`fill-${i}`, filler('fill', i)); // roll so hints are written
  await e.flush();
  e.close();
  await sleep(soon - Date.now() + 100);
  const check = (from: 'hints' | 'scan'): void => {
    e = open(dir, SMALL);
    opened(t, e, from);
    t.is(e.get('soon'), null);
    t.is(e.get('past'), null);
    t.is(e.get('shadowed'), null, 'an expired overwrite does not resurrect the older value on reopen');
    t.deepEqual(e.info('later'), { expireAt: later, valueLength: 1 });
    t.is(e.get('fill-99')?.toString(), filler('fill', 99));
    e.close();
  };
  check('hints');
  t.true(removeHints(dir) > 0, 'hint files were written');
  check('scan');
});

test('compaction drops expired records; they do not come back after reopen', async (t) => {
  const dir = tmpDir(t);
  let e = open(dir, SMALL);
  t.teardown(() => e.close());
  const expireAt = Date.now() + 150;
  for (let i = 0; i < 100; i++) e.put(`exp-${i}`, `EXPIRING-VALUE-${i}`, { expireAt });
  for (let i = 0; i < 300; i++) e.put(`live-${i}`, filler('live', i));
  await e.flush();
  t.true(filesContain(dir, 'EXPIRING-VALUE-'), 'expiring records are on disk before compaction');
  await sleep(expireAt - Date.now() + 100);
  const before = e.stats();
  await e.compact({ all: true });
  const after = e.stats();
  t.false(filesContain(dir, 'EXPIRING-VALUE-'), 'compaction removed the expired records from the data files');
  t.true(after.liveBytes + after.deadBytes < before.liveBytes + before.deadBytes, 'fewer bytes on disk');
  for (let i = 0; i < 100; i++) t.is(e.get(`exp-${i}`), null);
  e.close();
  for (const withHints of [true, false]) {
    if (!withHints) t.true(removeHints(dir) > 0, 'hint files were written');
    e = open(dir, SMALL);
    opened(t, e, withHints ? 'hints' : 'scan');
    const all = readAll(e);
    t.is(all.size, 300, `only the live keys (hints: ${withHints})`);
    for (let i = 0; i < 100; i++) t.false(e.has(`exp-${i}`));
    t.is(all.get('live-0')?.toString(), filler('live', 0));
    e.close();
  }
});

/** Checks how the open just made read the data files: every one from its hint file, or every one scanned. */
function opened(t: ExecutionContext, e: Engine, from: 'hints' | 'scan'): void {
  const { openedFromHints, openedByScan } = e.stats();
  if (from === 'hints') t.true(openedFromHints > 0 && openedByScan === 0, `the open used hint files (${openedFromHints} from hints, ${openedByScan} scanned)`);
  else t.true(openedByScan > 0 && openedFromHints === 0, `the open scanned the data files (${openedFromHints} from hints, ${openedByScan} scanned)`);
}

type Ending = 'delete' | 'expire';

/** Writes v1, rolls segments, then ends the key with a tombstone or an expiring v2. */
async function endKeyAfterV1(e: Engine, ending: Ending, deadAround: boolean): Promise<number> {
  for (let i = 0; i < 40; i++) e.put(`live-a-${i}`, filler('live-a', i));
  e.put('victim', 'OLD-VALUE-V1-MARKER');
  for (let i = 0; i < 80; i++) e.put(`live-b-${i}`, filler('live-b', i));
  // The ending record sits among records that are overwritten below, so its
  // segment becomes mostly dead while v1's segment stays mostly live.
  for (let i = 0; i < 80; i++) e.put(`dead-${i}`, filler('dead', i));
  const expireAt = Date.now() + 150;
  if (ending === 'delete') e.delete('victim');
  else e.put('victim', 'NEW-VALUE-V2', { expireAt });
  for (let i = 80; i < 160; i++) e.put(`dead-${i}`, filler('dead', i));
  if (deadAround) for (let i = 0; i < 160; i++) e.put(`dead-${i}`, filler('dead-again', i));
  for (let i = 0; i < 40; i++) e.put(`tail-${i}`, filler('tail', i));
  await e.flush();
  return expireAt;
}

async function checkVictimAbsentAfterReopen(t: ExecutionContext, dir: string): Promise<void> {
  let e = open(dir, SMALL);
  opened(t, e, 'hints');
  t.is(e.get('victim'), null, 'absent after reopen with hints');
  t.is(e.get('live-a-0')?.toString(), filler('live-a', 0));
  t.is(e.get('dead-5')?.toString(), filler('dead-again', 5));
  e.close();
  t.true(removeHints(dir) > 0, 'hint files were written');
  e = open(dir, SMALL);
  opened(t, e, 'scan');
  t.is(e.get('victim'), null, 'absent after reopen scanning the data files');
  t.false(readAll(e).has('victim'));
  e.close();
}

for (const ending of ['delete', 'expire'] as Ending[]) {
  test(`${ending}: full compaction + reopen never resurrects the older value`, async (t) => {
    const dir = tmpDir(t);
    const e = open(dir, SMALL);
    t.teardown(() => e.close());
    const expireAt = await endKeyAfterV1(e, ending, true);
    await sleep(Math.max(0, expireAt - Date.now() + 100));
    t.is(e.get('victim'), null);
    const r = await e.compact({ all: true });
    t.true(r.segmentsIn > 1, `compaction merged ${r.segmentsIn} segments`);
    t.is(e.get('victim'), null, 'absent right after compaction');
    t.false(filesContain(dir, 'NEW-VALUE-V2'), 'expired v2 dropped');
    e.close();
    await checkVictimAbsentAfterReopen(t, dir);
  });

  test(`${ending}: threshold compaction that merges the ${ending === 'delete' ? 'tombstone' : 'expired record'}'s segment but keeps v1's never resurrects v1`, async (t) => {
    const dir = tmpDir(t);
    const e = open(dir, { ...SMALL, mergeThreshold: 0.5 });
    t.teardown(() => e.close());
    const expireAt = await endKeyAfterV1(e, ending, true);
    await sleep(Math.max(0, expireAt - Date.now() + 100));
    const segmentsBefore = dataFiles(dir);
    const r = await e.compact();
    t.true(r.segmentsIn >= 1, 'the mostly-dead segments were merged');
    t.true(filesContain(dir, 'OLD-VALUE-V1-MARKER'), "scenario: v1's mostly-live segment was kept");
    t.notDeepEqual(dataFiles(dir), segmentsBefore);
    t.is(e.get('victim'), null, 'absent right after compaction');
    e.close();
    await checkVictimAbsentAfterReopen(t, dir);
    // A second full compaction afterwards must not bring it back either.
    const again = open(dir, SMALL);
    t.teardown(() => again.close());
    await again.compact({ all: true });
    t.is(again.get('victim'), null);
    again.close();
    await checkVictimAbsentAfterReopen(t, dir);
  });
}

test('an expiry in the future survives compaction with its expireAt intact', async (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir, SMALL);
  const expireAt = Date.now() + 3_600_000;
  e.put('timed', 'value', { expireAt });
  for (let i = 0; i < 200; i++) e.put(`f-${i % 50}`, filler('f', i));
  await e.compact({ all: true });
  t.deepEqual(e.info('timed'), { expireAt, valueLength: 5 });
  e.close();
  const again = openEngine(t, dir, SMALL);
  t.deepEqual(again.info('timed'), { expireAt, valueLength: 5 });
});

test('expireIfDue reclaims an expired key with a tombstone, and only an expired one', (t) => {
  const dir = tmpDir(t);
  let e = openEngine(t, dir);
  e.put('old', 'v1');
  e.put('old', 'v2', { expireAt: Date.now() - 1 });
  e.put('live', 'v', { expireAt: Date.now() + 60_000 });
  e.put('plain', 'v');
  t.is(e.stats().keys, 3, 'an expired key is counted until reclaimed');
  t.false(e.expireIfDue('live'));
  t.false(e.expireIfDue('plain'));
  t.false(e.expireIfDue('absent'));
  t.true(e.expireIfDue('old'));
  t.false(e.expireIfDue('old'), 'already gone');
  t.is(e.stats().keys, 2);
  e.close();
  e = openEngine(t, dir);
  t.is(e.get('old'), null, 'the tombstone keeps v1 hidden after reopen');
  t.is(e.stats().keys, 2);
});
