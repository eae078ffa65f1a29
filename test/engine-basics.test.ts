// engine-basics.test.ts — the storage engine's core contract: put/get/delete,
// overwrites, missing keys, binary and empty keys/values, a 64 MiB value,
// info/has, sequence numbers, reopen, stats, segment rolling, the directory
// lock (ELOCKED) across and within processes, the fsync modes, use after close.
import test from 'ava';
import crypto from 'node:crypto';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { open, EngineError, FsyncMode } from '../engine/index';
import { tmpDir } from './helpers/tmpdir';
import { openEngine, dataFiles, readAll, removeHints, helperScript } from './helpers/engine';

test('put then get returns the value; missing keys read as null', (t) => {
  const e = openEngine(t, tmpDir(t));
  t.is(e.get('nope'), null);
  t.false(e.has('nope'));
  t.is(e.info('nope'), null);
  e.put('a', 'alpha');
  t.deepEqual(e.get('a'), Buffer.from('alpha'));
  t.deepEqual(e.get(Buffer.from('a')), Buffer.from('alpha'), 'string and Buffer keys are the same key');
  t.is(e.get('b'), null);
  t.is(e.get('A'), null, 'keys are case sensitive');
});

test('overwrite replaces the value, delete removes it and reports whether it existed', (t) => {
  const e = openEngine(t, tmpDir(t));
  e.put('k', 'v1');
  e.put('k', 'a longer second value');
  t.is(e.get('k')?.toString(), 'a longer second value');
  e.put('k', 'v3');
  t.is(e.get('k')?.toString(), 'v3');
  t.true(e.delete('k'));
  t.is(e.get('k'), null);
  t.false(e.has('k'));
  t.false(e.delete('k'), 'deleting an absent key returns false');
  t.false(e.delete('never-written'));
  e.put('k', 'reborn');
  t.is(e.get('k')?.toString(), 'reborn', 'a deleted key can be written again');
});

test('binary keys and values: every byte value, NUL bytes, prefixes are distinct keys', (t) => {
  const dir = tmpDir(t);
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const reversed = Buffer.from(all).reverse();
  const keys: Buffer[] = [
    all,
    reversed,
    Buffer.from('a'),
    Buffer.from('a\0'),
    Buffer.from('a\0\0'),
    Buffer.from('\0'),
    Buffer.from('\0\0'),
    Buffer.from([0xff, 0xfe, 0x00, 0x80]),
    Buffer.from('\r\n$5\r\n'),
  ];
  const valueOf = (i: number): Buffer => Buffer.concat([all, Buffer.from([i]), all.subarray(i % 256)]);
  let e = open(dir);
  keys.forEach((k, i) => e.put(k, valueOf(i)));
  const check = (): void => {
    keys.forEach((k, i) => t.deepEqual(e.get(k), valueOf(i), `key #${i}`));
    t.is(readAll(e).size, keys.length);
  };
  check();
  e.close();
  e = open(dir);
  t.teardown(() => e.close());
  check();
});

test('empty value reads back as an empty Buffer, not null; empty key works', (t) => {
  const dir = tmpDir(t);
  let e = open(dir);
  e.put('empty', Buffer.alloc(0));
  e.put('', 'value of the empty key');
  const check = (): void => {
    const v = e.get('empty');
    t.true(Buffer.isBuffer(v), 'empty value is present');
    t.is(v?.length, 0);
    t.true(e.has('empty'));
    t.deepEqual(e.info('empty'), { expireAt: 0, valueLength: 0 });
    t.is(e.get('')?.toString(), 'value of the empty key');
    t.true(e.has(''));
  };
  check();
  e.close();
  e = open(dir);
  t.teardown(() => e.close());
  check();
  t.true(e.delete(''));
  t.is(e.get(''), null);
});

test.serial('a 64 MiB value round-trips, also after reopen', async (t) => {
  const dir = tmpDir(t);
  const big = crypto.randomBytes(64 * 1024 * 1024);
  let e = open(dir);
  const seq = e.put('big', big);
  e.put('after', 'small');
  await e.waitDurable(seq);
  t.true(e.get('big')?.equals(big) ?? false, '64 MiB value read back before reopen');
  t.is(e.info('big')?.valueLength, big.length);
  e.close();
  e = open(dir);
  t.teardown(() => e.close());
  t.true(e.get('big')?.equals(big) ?? false, '64 MiB value read back after reopen');
  t.is(e.get('after')?.toString(), 'small');
});

test('info() gives expiry and value length; has() tracks presence', (t) => {
  const e = openEngine(t, tmpDir(t));
  const expireAt = Date.now() + 3_600_000;
  e.put('plain', 'abc');
  e.put('timed', 'abcdef', { expireAt });
  t.deepEqual(e.info('plain'), { expireAt: 0, valueLength: 3 });
  t.deepEqual(e.info('timed'), { expireAt, valueLength: 6 });
  t.true(e.has('plain'));
  e.put('timed', 'x');
  t.deepEqual(e.info('timed'), { expireAt: 0, valueLength: 1 }, 'a put without expireAt clears the expiry');
  e.delete('plain');
  t.false(e.has('plain'));
});

test('put returns increasing sequence numbers; lastSeq follows writes', (t) => {
  const e = openEngine(t, tmpDir(t));
  const s1 = e.put('a', '1');
  const s2 = e.put('b', '2');
  const s3 = e.put('a', '3');
  t.true(s1 < s2 && s2 < s3, `${s1} < ${s2} < ${s3}`);
  t.is(e.lastSeq, s3);
  e.delete('a');
  t.true(e.lastSeq > s3, 'a delete (tombstone) is a write with its own sequence number');
});

test('reopen keeps every key, overwrite and delete', (t) => {
  const dir = tmpDir(t);
  let e = open(dir);
  const model = new Map<string, string>();
  for (let i = 0; i < 2000; i++) {
    const k = `key-${i % 700}`;
    if (i % 11 === 0) {
      e.delete(k);
      model.delete(k);
    } else {
      e.put(k, `value-${i}`);
      model.set(k, `value-${i}`);
    }
  }
  e.close();
  e = open(dir);
  t.teardown(() => e.close());
  const got = readAll(e);
  t.is(got.size, model.size);
  for (const [k, v] of model) t.is(got.get(k)?.toString(), v, k);
  t.is(e.stats().keys, model.size);
});

test('stats: keys, live and dead bytes move the right way', (t) => {
  const e = openEngine(t, tmpDir(t));
  const s0 = e.stats();
  t.is(s0.keys, 0);
  for (let i = 0; i < 100; i++) e.put(`k${i}`, 'x'.repeat(100));
  const s1 = e.stats();
  t.is(s1.keys, 100);
  t.true(s1.liveBytes >= 100 * 100, `liveBytes ${s1.liveBytes} covers the values`);
  t.is(s1.deadBytes, s0.deadBytes);
  t.true(s1.segments >= 1, 'the first write opened a segment');
  for (let i = 0; i < 50; i++) e.put(`k${i}`, 'y'.repeat(100));
  const s2 = e.stats();
  t.is(s2.keys, 100, 'overwrites do not add keys');
  t.true(s2.deadBytes >= s1.deadBytes + 50 * 100, `deadBytes ${s2.deadBytes} grew by the overwritten values`);
  t.true(Math.abs(s2.liveBytes - s1.liveBytes) < 50 * 100, 'live bytes stay about the same');
  for (let i = 0; i < 10; i++) e.delete(`k${i}`);
  const s3 = e.stats();
  t.is(s3.keys, 90);
  t.true(s3.liveBytes < s2.liveBytes);
  t.true(s3.deadBytes > s2.deadBytes);
  t.is(s3.writeError, null);
});

test('small segmentSize rolls segments; all data survives reopen, with and without hints', (t) => {
  const dir = tmpDir(t);
  let e = open(dir, { segmentSize: 4096, mergeIntervalMs: 0 });
  const model = new Map<string, Buffer>();
  for (let i = 0; i < 600; i++) {
    const k = `seg-${i % 400}`;
    const v = crypto.randomBytes(50 + (i % 150));
    e.put(k, v);
    model.set(k, v);
  }
  const huge = crypto.randomBytes(10_000); // one record larger than a whole segment
  e.put('huge', huge);
  model.set('huge', huge);
  e.put('tail', 'last');
  model.set('tail', Buffer.from('last'));
  t.true(e.stats().segments > 10, `segments: ${e.stats().segments}`);
  e.close();
  t.true(dataFiles(dir).length > 10, `data files: ${dataFiles(dir).join(' ')}`);
  for (const f of dataFiles(dir)) t.regex(f, /^\d{10}\.data$/);
  const verify = (): void => {
    e = open(dir, { segmentSize: 4096, mergeIntervalMs: 0 });
    const got = readAll(e);
    t.is(got.size, model.size);
    for (const [k, v] of model) t.true(got.get(k)?.equals(v) ?? false, k);
    e.close();
  };
  verify();
  t.true(removeHints(dir) > 0, 'hint files were written at segment roll');
  verify();
});

test.serial('a backlog spanning a thousand small segments is written and flushed in seconds, not minutes', async (t) => {
  // Each sealed segment needs one fsync; the cost must grow linearly with
  // the number of segments (a healthy engine needs well under a second here).
  const e = openEngine(t, tmpDir(t), { segmentSize: 16 * 1024, mergeIntervalMs: 0, fsync: 'no' });
  const value = Buffer.alloc(100, 0x78);
  for (let i = 0; i < 120_000; i++) e.put(`k${i % 5000}`, value);
  const started = Date.now();
  await e.flush();
  const ms = Date.now() - started;
  t.log(`flush of ${e.stats().segments} segments took ${ms} ms`);
  t.true(e.stats().segments > 800);
  t.true(ms < 15_000, `flush took ${ms} ms`);
});

test.serial('ELOCKED: a directory open in another process cannot be opened; it can once that process dies', async (t) => {
  const dir = tmpDir(t);
  const child = spawn(process.execPath, [helperScript('hold-open'), dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`hold-open exited ${code}: ${stderr}`)));
  });
  const err = t.throws(() => open(dir), { instanceOf: EngineError });
  t.is(err?.code, 'ELOCKED');
  t.truthy(err?.message);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const e = open(dir);
  t.teardown(() => e.close());
  t.is(e.get('held-by')?.toString(), String(child.pid), 'the dead holder\'s write is there');
});

test('ELOCKED: a second open in the same process fails; after close it succeeds', (t) => {
  const dir = tmpDir(t);
  const first = open(dir);
  t.teardown(() => first.close());
  first.put('k', 'v');
  const err = t.throws(() => open(dir), { instanceOf: EngineError });
  t.is(err?.code, 'ELOCKED');
  const viaOtherPath = t.throws(() => open(`${dir}${path.sep}`), { instanceOf: EngineError });
  t.is(viaOtherPath?.code, 'ELOCKED');
  t.is(first.get('k')?.toString(), 'v', 'the failed open did not disturb the open engine');
  first.close();
  const second = open(dir);
  t.teardown(() => second.close());
  t.is(second.get('k')?.toString(), 'v');
});

for (const mode of ['always', 'everysec', 'no'] as FsyncMode[]) {
  test(`fsync '${mode}': writes round-trip and waitDurable resolves`, async (t) => {
    const dir = tmpDir(t);
    let e = open(dir, { fsync: mode });
    t.is(e.fsync, mode);
    const seqs: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) seqs.push(e.waitDurable(e.put(`k${i}`, `v${i}`)));
    e.delete('k0');
    await Promise.all(seqs);
    await e.flush();
    t.is(e.stats().pendingBytes, 0, 'nothing waits for the disk after flush');
    e.close();
    e = open(dir, { fsync: mode });
    t.teardown(() => e.close());
    t.is(e.get('k0'), null);
    for (let i = 1; i < 300; i++) t.is(e.get(`k${i}`)?.toString(), `v${i}`);
  });
}

test("an unknown fsync mode is rejected with code 'EINVAL'", (t) => {
  const dir = tmpDir(t);
  const err = t.throws(() => open(dir, { fsync: 'sometimes' as FsyncMode }), { instanceOf: EngineError });
  t.is(err?.code, 'EINVAL');
});

test("after close: reads and writes fail with 'ECLOSED', close is idempotent", async (t) => {
  const dir = tmpDir(t);
  const e = open(dir);
  e.put('k', 'v');
  e.close();
  e.close();
  t.is(t.throws(() => e.get('k'), { instanceOf: EngineError })?.code, 'ECLOSED');
  t.is(t.throws(() => e.put('k', 'w'), { instanceOf: EngineError })?.code, 'ECLOSED');
  t.is(t.throws(() => e.delete('k'), { instanceOf: EngineError })?.code, 'ECLOSED');
  // Promise-returning calls reject, they do not throw synchronously.
  for (const [name, call] of [
    ['flush', () => e.flush()],
    ['waitDurable', () => e.waitDurable(1)],
    ['compact', () => e.compact()],
  ] as [string, () => Promise<unknown>][]) {
    let p: Promise<unknown> | undefined;
    t.notThrows(() => void (p = call()), `${name}() after close returns a rejected promise`);
    if (p !== undefined) t.is((await t.throwsAsync(p, { instanceOf: EngineError }))?.code, 'ECLOSED', name);
  }
  const again = open(dir);
  t.teardown(() => again.close());
  t.is(again.get('k')?.toString(), 'v', 'the write before close is durable');
});

test('always mode: thousands of concurrent waitDurable calls all resolve, in sequence order', async (t) => {
  const e = openEngine(t, tmpDir(t), { fsync: 'always' });
  const order: number[] = [];
  const waits: Promise<void>[] = [];
  const wait = (seq: number): void => void waits.push(e.waitDurable(seq).then(() => void order.push(seq)));
  for (let i = 0; i < 2000; i++) wait(e.put(`k${i}`, crypto.randomBytes(64)));
  // One more write, then give the syncer time to fsync it before JS asks:
  // its promise must still not resolve before those of the earlier writes.
  const late = e.put('late', 'x');
  const until = Date.now() + 200;
  while (Date.now() < until) e.get('k0');
  wait(late);
  await Promise.all(waits);
  t.is(order.length, 2001);
  t.deepEqual(order, [...order].sort((a, b) => a - b));
});

test('deleting one slot\'s keys in hash order (a scan deleting as it goes) keeps the key index\'s upkeep linear', (t) => {
  // A collection's element records share a slot; clearing one walks them in hash order. Shrinks of the slot's
  // table used to fail and grow back on every delete, or leave one long displaced run each delete shifted.
  const e = openEngine(t, tmpDir(t), { fsync: 'no' });
  const N = 60_000;
  for (let i = 0; i < N; i++) e.put(`{ab}k${i}`, 'v');
  const before = e.stats().keydirMoves;
  let cursor = 0n;
  let deleted = 0;
  do {
    const page = e.scanRange(cursor, 1n << 64n, 256);
    for (const k of page.keys) if (e.delete(k)) deleted++;
    cursor = page.cursor;
  } while (cursor !== 0n);
  t.is(deleted, N);
  const moves = e.stats().keydirMoves - before;
  t.true(moves < 10 * N, `${moves} index slots moved for ${N} deletes`);
});
