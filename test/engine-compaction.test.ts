// engine-compaction.test.ts — merging segments: compaction while writes,
// overwrites, deletes, reads and a scan go on (final state equals a Map
// model, also after reopen), dead bytes drop, stats().merging while one
// runs, background merges, close during
// a merge, and SIGKILL at random points of a merge (child process
// compact-crasher.ts; each kill waits for a merge to be running, and most
// must find one cut short) with no lost and no resurrected key.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { open, Engine, EngineError } from '../engine/index';
import { tmpDir } from './helpers/tmpdir';
import { openEngine, readAll, removeHints, dataFiles, helperScript, killDuringMerge, mergeOutputs, sleep } from './helpers/engine';
import { prng } from './helpers/random';
import type { ModelEntry } from './helpers/compact-crasher';

const OPTIONS = { segmentSize: 64 * 1024, mergeIntervalMs: 0 };
const MAX_BATCHES = 300; // writes during one compaction stop after this many batches
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** expiredLast collects keys whose latest write was a put with a past expireAt. */
function randomOps(e: Engine, model: Map<string, string>, rand: () => number, n: number, tag: string, expiredLast = new Set<string>()): void {
  for (let i = 0; i < n; i++) {
    const key = `k-${Math.floor(rand() * 3000)}`;
    const p = rand();
    expiredLast.delete(key);
    if (p < 0.2) {
      e.delete(key);
      model.delete(key);
    } else if (p < 0.25) {
      e.put(key, 'already expired', { expireAt: Date.now() - 1 });
      model.delete(key);
      expiredLast.add(key);
    } else {
      const value = `${tag}-${i}-`.padEnd(50 + Math.floor(rand() * 300), 'v');
      e.put(key, value);
      model.set(key, value);
    }
  }
}

function diffModel(model: Map<string, string>, got: Map<string, Buffer>): string[] {
  const bad: string[] = [];
  for (const [k, v] of model) if (got.get(k)?.toString() !== v) bad.push(`${k}: want ${v.slice(0, 16)}, got ${got.get(k)?.toString().slice(0, 16)}`);
  for (const k of got.keys()) if (!model.has(k)) bad.push(`${k}: resurrected/unexpected ${got.get(k)?.toString().slice(0, 16)}`);
  return bad;
}

test.serial('compaction under concurrent writes, reads and a scan ends in the model state, also after reopen', async (t) => {
  const dir = tmpDir(t);
  let e = open(dir, OPTIONS);
  t.teardown(() => e.close());
  const rand = prng(1234);
  const model = new Map<string, string>();
  const expiredLast = new Set<string>(); // absent keys that stats().keys may still count until merged
  for (let i = 0; i < 500; i++) e.put(`stable-${i}`, `s${i}`);
  for (let r = 0; r < 4; r++) randomOps(e, model, rand, 4000, `pre${r}`, expiredLast);
  await e.flush();
  for (let round = 0; round < 3; round++) {
    let done = false;
    const compaction = e.compact({ all: true }).finally(() => (done = true));
    let batches = 0;
    let cursor = 0n;
    const scanned = new Set<string>();
    let scanDone = false;
    while (!done || !scanDone) {
      if (batches < MAX_BATCHES) randomOps(e, model, rand, 200, `r${round}b${batches}`, expiredLast);
      for (let j = 0; j < 20; j++) {
        const k = `k-${Math.floor(rand() * 3000)}`;
        const v = e.get(k)?.toString();
        if (v !== model.get(k)) {
          t.fail(`round ${round}: read during compaction: ${k} = ${v?.slice(0, 16)}, want ${model.get(k)?.slice(0, 16)}`);
          await compaction;
          return;
        }
      }
      if (!scanDone) {
        const s = e.scan(cursor, 100);
        for (const k of s.keys) scanned.add(k.toString());
        cursor = s.cursor;
        scanDone = cursor === 0n;
      }
      batches++;
      await (batches < MAX_BATCHES ? nextTurn() : sleep(5));
    }
    const result = await compaction;
    t.true(result.segmentsIn > 0, `round ${round}: merged ${result.segmentsIn} segments`);
    const missing = Array.from({ length: 500 }, (_, i) => `stable-${i}`).filter((k) => !scanned.has(k));
    t.deepEqual(missing, [], `round ${round}: the scan across the compaction saw every stable key`);
    t.log(`round ${round}: ${batches} write batches during compaction, ${JSON.stringify(result)}`);
  }
  for (let i = 0; i < 500; i++) model.set(`stable-${i}`, `s${i}`);
  t.deepEqual(diffModel(model, readAll(e)).slice(0, 10), [], 'state after compaction');
  const keys = e.stats().keys;
  t.true(keys >= model.size && keys <= model.size + expiredLast.size, `stats().keys ${keys}, live ${model.size}, expired ${expiredLast.size}`);
  e.close();
  e = open(dir, OPTIONS);
  t.deepEqual(diffModel(model, readAll(e)).slice(0, 10), [], 'state after reopen');
  e.close();
  removeHints(dir);
  e = open(dir, OPTIONS);
  t.deepEqual(diffModel(model, readAll(e)).slice(0, 10), [], 'state after reopen without hints');
});

test('compaction drops dead bytes and shrinks the directory', async (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir, { segmentSize: 8 * 1024, mergeIntervalMs: 0 });
  for (let r = 0; r < 3; r++) for (let i = 0; i < 500; i++) e.put(`key-${i}`, `r${r}`.padEnd(200, '.'));
  for (let i = 0; i < 100; i++) e.delete(`key-${i}`);
  await e.flush();
  const diskBytes = (): number => dataFiles(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  const before = e.stats();
  const diskBefore = diskBytes();
  t.true(before.deadBytes > 2 * 500 * 200, `dead bytes before: ${before.deadBytes}`);
  const result = await e.compact({ all: true });
  const after = e.stats();
  t.true(after.deadBytes < before.deadBytes / 10, `dead bytes ${before.deadBytes} -> ${after.deadBytes}`);
  t.true(result.bytesOut < result.bytesIn, JSON.stringify(result));
  t.true(after.merges > before.merges);
  t.true(after.segments < before.segments, `segments ${before.segments} -> ${after.segments}`);
  t.true(diskBytes() < diskBefore / 2, `data files ${diskBefore} -> ${diskBytes()} bytes`);
  t.is(after.keys, 400);
  t.is(e.get('key-0'), null);
  t.is(e.get('key-499')?.toString(), 'r2'.padEnd(200, '.'));
});

test('stats().merging is set while a compaction runs and cleared when it ends', async (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir, { segmentSize: 4 * 1024 * 1024, mergeIntervalMs: 0 });
  // 48 MiB of live records to copy and fsync: a merge that takes long enough to be seen running.
  const value = Buffer.alloc(16 * 1024, 'm');
  for (let i = 0; i < 3072; i++) e.put(`big-${i}`, value);
  await e.flush();
  t.false(e.stats().merging, 'no merge before compact()');
  let ended = false;
  const compaction = e.compact({ all: true }).finally(() => (ended = true));
  let seen = false;
  while (!ended) {
    if (e.stats().merging) seen = true;
    await nextTurn();
  }
  await compaction;
  t.true(seen, 'merging was seen while compact() ran');
  t.false(e.stats().merging, 'merging is cleared once the compaction resolved');
  t.false(e.stats().lastMergeFailed);
});

test('background merges run on their own and keep every key', async (t) => {
  const dir = tmpDir(t);
  const e = openEngine(t, dir, { segmentSize: 8 * 1024, mergeIntervalMs: 20, mergeThreshold: 0.3 });
  const model = new Map<string, string>();
  const rand = prng(99);
  for (let r = 0; r < 20 && e.stats().merges === 0; r++) {
    randomOps(e, model, rand, 1000, `bg${r}`);
    await sleep(50);
  }
  const deadline = Date.now() + 3000;
  while (e.stats().merges === 0 && Date.now() < deadline) await sleep(20);
  t.true(e.stats().merges > 0, 'a background merge ran');
  t.deepEqual(diffModel(model, readAll(e)).slice(0, 10), []);
  e.close();
  const again = openEngine(t, dir, OPTIONS);
  t.deepEqual(diffModel(model, readAll(again)).slice(0, 10), [], 'after reopen');
});

test('close during a compaction rejects it with ECLOSED and loses nothing', async (t) => {
  const dir = tmpDir(t);
  const e = open(dir, OPTIONS);
  const model = new Map<string, string>();
  const rand = prng(7);
  for (let r = 0; r < 5; r++) randomOps(e, model, rand, 3000, `c${r}`);
  const compaction = e.compact({ all: true });
  e.close();
  const err = await t.throwsAsync(compaction, { instanceOf: EngineError });
  t.is(err?.code, 'ECLOSED');
  const again = openEngine(t, dir, OPTIONS);
  t.deepEqual(diffModel(model, readAll(again)).slice(0, 10), []);
});

interface CrasherRound {
  compactions: number;
  stderr: string;
  /** A merge's output files were there when the crasher died: the kill cut a compaction short. */
  mergeAtKill: boolean;
}

/** After its delay, a kill waits until a merge runs, this long at most. */
const MERGE_WAIT_MS = 5000;

function runCrasher(dataDir: string, modelPath: string, seed: number, round: number, delayMs: number): Promise<CrasherRound> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [helperScript('compact-crasher'), dataDir, modelPath, String(seed), String(round)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!armed && out.includes('ready\n')) {
        armed = true;
        setTimeout(() => killDuringMerge(child, dataDir, MERGE_WAIT_MS), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`round ${round}: crasher exited (code ${code}): ${stderr}`));
      else resolve({ compactions: out.split('compacted ').length - 1, stderr, mergeAtKill: mergeOutputs(dataDir).length > 0 });
    });
  });
}

test.serial('SIGKILL at random points of compaction loses no key and resurrects none', async (t) => {
  const root = tmpDir(t);
  const dataDir = path.join(root, 'data');
  const modelPath = path.join(root, 'model.json');
  fs.mkdirSync(dataDir);
  const seed = Number(process.env.DYNKV_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.log(`seed ${seed}`);
  const delays = prng(seed);
  const rounds = 15;
  const perRound: number[] = [];
  let mergesCut = 0;
  for (let round = 0; round < rounds; round++) {
    const delayMs = Math.floor(delays() * 201);
    const r = await runCrasher(dataDir, modelPath, seed, round, delayMs);
    perRound.push(r.compactions);
    if (r.mergeAtKill) mergesCut++;
    const model = new Map(JSON.parse(fs.readFileSync(modelPath, 'utf8')) as [string, ModelEntry][]);
    let e: Engine;
    try {
      e = open(dataDir, { segmentSize: 32 * 1024, mergeIntervalMs: 0 });
    } catch (err) {
      t.fail(`round ${round} (killed ${delayMs} ms into compaction): open failed: ${(err as Error).message}`);
      return;
    }
    try {
      const got = readAll(e);
      const bad: string[] = [];
      for (const [k, m] of model) {
        const v = got.get(k)?.toString();
        if (v !== m.value) bad.push(`${k}: lost or wrong (want ${m.value.slice(0, 12)}, got ${v?.slice(0, 12)})`);
        else if ((e.info(k)?.expireAt ?? -1) !== m.expireAt) bad.push(`${k}: expireAt ${e.info(k)?.expireAt}, want ${m.expireAt}`);
      }
      for (const [k, v] of got) if (!model.has(k)) bad.push(`${k}: resurrected (${v.toString().slice(0, 12)})`);
      if (bad.length > 0) {
        t.fail(`round ${round} (seed ${seed}, killed ${delayMs} ms into compaction, after ${r.compactions} compactions):\n${bad.slice(0, 10).join('\n')}`);
        return;
      }
    } finally {
      e.close();
    }
  }
  t.log(`compactions completed before each kill: ${perRound.join(' ')}; ${mergesCut} of ${rounds} kills during a merge`);
  t.true(mergesCut >= rounds / 2, `a merge was running at ${mergesCut} of ${rounds} kills`);
  const model = new Map(JSON.parse(fs.readFileSync(modelPath, 'utf8')) as [string, ModelEntry][]);
  removeHints(dataDir);
  const e = openEngine(t, dataDir, OPTIONS);
  const got = readAll(e);
  t.is(got.size, model.size, 'same keys when rebuilt without hints');
  t.true([...model].every(([k, m]) => got.get(k)?.toString() === m.value));
});
