// bench/engine.ts — storage engine benchmark, run by hand (`npm run bench:engine`).
// Prints one line per figure, with 16-byte keys and 100-byte values:
//   puts/s in each durability mode ('always' pipelined in batches that share one
//   fsync, as the server does: group commit), random gets/s, resident bytes per
//   key (measured by RSS in a fresh child process), and the time to reopen the
//   data set with hint files and without (segments scanned), page cache warm
//   and with the files evicted from it (dd iflag=nocache).
// Usage: node --expose-gc dist/bench/engine.js [--keys N] [--batch B[,B...]]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open, type Engine, type FsyncMode } from '../engine/index';
import { KeyMaker, Rng, canEvict, evictFromPageCache, flag, formatRate, gc, listFiles, ms, numberFlag } from './util';

const VALUE_SIZE = 100;

interface Args {
  keys: number;
  batches: number[];
  rssChild: string | null;
}

function parseArgs(argv: string[]): Args {
  const keys = numberFlag(argv, '--keys', 1_000_000);
  const batches = (flag(argv, '--batch') ?? '64,256').split(',').map((s) => Number(s));
  if (!Number.isInteger(keys) || keys < 1) throw new Error('--keys wants a positive integer');
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new Error('--batch wants positive integers');
  return { keys, batches, rssChild: flag(argv, '--rss-child') };
}

function value(): Buffer {
  const v = Buffer.alloc(VALUE_SIZE);
  new Rng(42).fill(v);
  return v;
}

function label(n: number): string {
  return n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** Plain synchronous puts of keys 0..n-1, then flush(); returns puts/s. */
async function loadSync(engine: Engine, n: number): Promise<number> {
  const keys = new KeyMaker();
  const v = value();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) engine.put(keys.key(i), v);
  await engine.flush();
  return n / ((Number(process.hrtime.bigint() - t0) / 1e9) || 1e-9);
}

/** Group commit: `batch` puts, then wait for the fsync covering the last one. */
async function loadBatched(engine: Engine, n: number, batch: number): Promise<number> {
  const keys = new KeyMaker();
  const v = value();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; ) {
    let seq = 0;
    const end = Math.min(n, i + batch);
    for (; i < end; i++) seq = engine.put(keys.key(i), v);
    await engine.waitDurable(seq);
  }
  return n / ((Number(process.hrtime.bigint() - t0) / 1e9) || 1e-9);
}

/** n random gets over keys 0..n-1; returns gets/s and how many came back wrong. */
function randomGets(engine: Engine, n: number): { rate: number; bad: number } {
  const keys = new KeyMaker();
  const rng = new Rng(7);
  let bad = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const got = engine.get(keys.key(rng.below(n)));
    if (got === null || got.length !== VALUE_SIZE) bad++;
  }
  return { rate: n / ((Number(process.hrtime.bigint() - t0) / 1e9) || 1e-9), bad };
}

/**
 * Opens the directory and times it: after deleting its hint files when
 * `hints` is false (the engine may write them again), and after evicting its
 * files from the page cache when `cold`.
 */
function timedOpen(dir: string, expectKeys: number, hints: boolean, cold: boolean): number {
  if (!hints) for (const h of listFiles(dir, '.hint')) fs.unlinkSync(path.join(dir, h));
  if (cold) evictFromPageCache(dir);
  gc();
  const t0 = process.hrtime.bigint();
  const engine = open(dir, { fsync: 'no', mergeIntervalMs: 0 });
  const elapsed = ms(t0);
  const keys = engine.stats().keys;
  engine.close();
  if (keys !== expectKeys) console.log(`  !! reopen found ${keys} keys, expected ${expectKeys}`);
  return elapsed;
}

/** Child mode: RSS growth of loading n keys into a fresh engine, as JSON on stdout. */
async function rssChild(dir: string, n: number): Promise<void> {
  gc();
  const before = process.memoryUsage().rss;
  const engine = open(dir, { fsync: 'no', mergeIntervalMs: 0 });
  await loadSync(engine, n);
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const after = process.memoryUsage().rss;
  const stats = engine.stats();
  engine.close();
  console.log(JSON.stringify({ before, after, keydirBytes: stats.keydirBytes, keys: stats.keys }));
}

function measureRss(dir: string, n: number): { perKey: number; keydirPerKey: number; before: number; after: number } {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', __filename, '--rss-child', dir, '--keys', String(n)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`rss child failed: status ${child.status} signal ${child.signal}\n${child.stdout}`);
  const r = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
    before: number; after: number; keydirBytes: number; keys: number;
  };
  if (r.keys !== n) console.log(`  !! rss child ended with ${r.keys} keys, expected ${n}`);
  return { perKey: (r.after - r.before) / n, keydirPerKey: r.keydirBytes / n, before: r.before, after: r.after };
}

async function runMode(root: string, mode: FsyncMode, n: number, batch?: number): Promise<{ dir: string; engine: Engine }> {
  const dir = path.join(root, mode + (batch === undefined ? '' : `-${batch}`));
  fs.mkdirSync(dir);
  gc();
  const engine = open(dir, { fsync: mode, mergeIntervalMs: 0 });
  const rate = batch === undefined ? await loadSync(engine, n) : await loadBatched(engine, n, batch);
  const how = batch === undefined ? 'sync puts, then flush()' : `group commit, batch ${batch} puts per waitDurable`;
  console.log(`puts/s  fsync=${mode.padEnd(8)} ${formatRate(rate).padStart(12)}   (${label(n)} keys, ${how})`);
  return { dir, engine };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.rssChild !== null) return rssChild(args.rssChild, args.keys);
  const n = args.keys;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-bench-'));
  console.log(`dynkv engine bench: ${label(n)} keys, 16-byte keys, ${VALUE_SIZE}-byte values, ` +
    `node ${process.version}, ${os.cpus().length} cpus, dir ${root}`);
  try {
    for (const batch of args.batches) {
      const r = await runMode(root, 'always', n, batch);
      r.engine.close();
      fs.rmSync(r.dir, { recursive: true, force: true });
    }

    const everysec = await runMode(root, 'everysec', n);
    const gets = randomGets(everysec.engine, n);
    console.log(`gets/s  random     ${formatRate(gets.rate).padStart(12)}   (${label(n)} gets over ${label(n)} keys, after the everysec load)`);
    if (gets.bad > 0) console.log(`  !! ${gets.bad} gets returned null or a wrong-sized value`);
    everysec.engine.close();

    const no = await runMode(root, 'no', n);
    no.engine.close();
    fs.rmSync(no.dir, { recursive: true, force: true });

    const rss = measureRss(path.join(root, 'rss'), n);
    console.log(`resident bytes/key ${rss.perKey.toFixed(1).padStart(10)}   (RSS ${(rss.before / 2 ** 20).toFixed(1)} -> ` +
      `${(rss.after / 2 ** 20).toFixed(1)} MiB loading ${label(n)} keys in a fresh process; stats.keydirBytes/key ${rss.keydirPerKey.toFixed(1)})`);
    fs.rmSync(path.join(root, 'rss'), { recursive: true, force: true });

    const dir = everysec.dir;
    const hints = listFiles(dir, '.hint');
    const files = `${listFiles(dir, '.data').length} data, ${hints.length} hint files`;
    if (hints.length === 0) console.log('  !! no hint files after close');
    const cold = canEvict(dir);
    for (const withHints of [true, false]) {
      const name = withHints ? 'with hints' : 'no hints  ';
      const what = withHints ? files : 'hints deleted, segments scanned';
      const warm = timedOpen(dir, n, withHints, false);
      console.log(`reopen  ${name} ${warm.toFixed(0).padStart(7)} ms   (${label(n)} keys, ${what}; page cache warm)`);
      if (!cold) continue;
      const t = timedOpen(dir, n, withHints, true);
      console.log(`reopen  ${name} ${t.toFixed(0).padStart(7)} ms   (${label(n)} keys, ${what}; files evicted from page cache)`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
