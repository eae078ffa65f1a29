// engine-inline.test.ts — small values kept in their keydir entry
// (inlineValueMax): a read of them touches no segment. Shown by damaging the
// record on disk after the fact: an inlined value still reads back whole,
// while a larger one (or any, with inlineValueMax 0) is caught as ECORRUPT.
// Also overwrites that change a value's size or expiry, deletes, compaction
// and reopen, where values join their entries on first read.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError, type Engine } from '../engine/index';
import { tmpDir } from './helpers/tmpdir';
import { dataFiles, openEngine } from './helpers/engine';

/** Overwrites the first occurrence of `pattern` in the directory's data files with 'X's; false if none. */
function damage(dir: string, pattern: string): boolean {
  for (const name of dataFiles(dir)) {
    const file = path.join(dir, name);
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf(pattern);
    if (at < 0) continue;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(pattern.length, 'X'), 0, pattern.length, at);
    fs.closeSync(fd);
    return true;
  }
  return false;
}

function corrupt(t: { is: (a: unknown, b: unknown, m?: string) => void }, e: Engine, key: string): void {
  try {
    e.get(key);
  } catch (err) {
    t.is((err as EngineError).code, 'ECORRUPT', `${key}: ${(err as Error).message}`);
    return;
  }
  t.is('no error', 'ECORRUPT', `${key} read back damaged bytes without an error`);
}

const small = (tag: string): string => `small-${tag}-`.padEnd(40, '.');
const large = (tag: string): string => `large-${tag}-`.padEnd(200, '.');

test('a small value is read from its entry; a large one from its record, checked', async (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir);
  e.put('s', small('a'));
  e.put('l', large('a'));
  await e.flush();
  t.true(damage(dir, small('a')));
  t.true(damage(dir, large('a')));
  t.is(e.get('s')?.toString(), small('a'), 'the entry kept the value');
  corrupt(t, e, 'l');
});

test('with inlineValueMax 0 every read goes to the record', async (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir, { inlineValueMax: 0 });
  e.put('s', small('b'));
  await e.flush();
  t.true(damage(dir, small('b')));
  corrupt(t, e, 's');
});

test('after a reopen a small value joins its entry on the first read', async (t) => {
  const dir = tmpDir(t);
  const first = openEngine(t, dir);
  first.put('s', small('c'));
  first.put('t', small('d'));
  await first.flush();
  first.close();
  const e = openEngine(t, dir);
  t.is(e.get('s')?.toString(), small('c'), 'read from the record');
  t.true(damage(dir, small('c')));
  t.true(damage(dir, small('d')));
  t.is(e.get('s')?.toString(), small('c'), 'then from the entry');
  corrupt(t, e, 't');
});

test('overwrites across the size limit, expiry changes and deletes keep the right value', async (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir);
  const later = Date.now() + 3_600_000;
  const steps: [string | null, number][] = [
    [small('1'), 0],
    [large('2'), 0],
    [small('3'), later],
    [small('4'), later],
    ['', 0],
    [small('5'), 0],
    [null, 0],
    [small('6'), later],
    [large('7'), later],
    [small('8'), 0],
  ];
  for (const [value, expireAt] of steps) {
    if (value === null) e.delete('k');
    else e.put('k', value, { expireAt });
    t.is(e.get('k')?.toString() ?? null, value);
    t.is(e.info('k')?.expireAt ?? null, value === null ? null : expireAt);
  }
  await e.flush();
  t.true(damage(dir, small('8')));
  t.is(e.get('k')?.toString(), small('8'), 'the last value is in its entry');
});

test('compaction moves records under inlined values; reads stay right, also after reopen', async (t) => {
  const dir = tmpDir(t);
  let e = openEngine(t, dir, { segmentSize: 4096 });
  const expect = new Map<string, string>();
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 200; i++) {
      const key = `key${i}`;
      const value = (i + round) % 3 === 0 ? large(`${i}.${round}`) : small(`${i}.${round}`);
      e.put(key, value);
      expect.set(key, value);
    }
  }
  for (let i = 0; i < 200; i += 7) {
    e.delete(`key${i}`);
    expect.delete(`key${i}`);
  }
  await e.flush();
  const result = await e.compact({ all: true });
  t.true(result.segmentsIn > 0, 'segments were merged');
  for (let i = 0; i < 200; i++) t.is(e.get(`key${i}`)?.toString() ?? null, expect.get(`key${i}`) ?? null);
  e.close();
  e = openEngine(t, dir, { segmentSize: 4096 });
  for (let i = 0; i < 200; i++) t.is(e.get(`key${i}`)?.toString() ?? null, expect.get(`key${i}`) ?? null);
  for (let i = 0; i < 200; i++) t.is(e.get(`key${i}`)?.toString() ?? null, expect.get(`key${i}`) ?? null, 'second read, from entries');
});

test('a read with cache false leaves a small value on disk: the next read goes to the record again', (t) => {
  const dir = tmpDir(t);
  const first = openEngine(t, dir);
  first.put('s', small('c'));
  first.put('t', small('d'));
  first.close();
  const e = openEngine(t, dir);
  const before = e.stats().keydirBytes;
  t.is(e.get('s', false, false)?.toString(), small('c'));
  t.is(e.stats().keydirBytes, before, 'nothing joined the entry');
  t.true(damage(dir, small('c')));
  corrupt(t, e, 's');
  t.is(e.get('t')?.toString(), small('d'), 'a plain read keeps it');
  t.true(e.stats().keydirBytes > before);
  t.true(damage(dir, small('d')));
  t.is(e.get('t')?.toString(), small('d'), 'and later reads come from the entry');
});
