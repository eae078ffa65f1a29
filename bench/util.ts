// bench/util.ts — small helpers shared by the benchmarks: flags, a seeded RNG,
// fixed-size keys written into one reused buffer, formatting, page-cache eviction.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function flag(argv: string[], name: string): string | null {
  const i = argv.indexOf(name);
  if (i < 0) return null;
  const v = argv[i + 1];
  if (v === undefined) throw new Error(`${name} wants a value`);
  return v;
}

export function numberFlag(argv: string[], name: string, fallback: number): number {
  const v = flag(argv, name);
  return v === null ? fallback : Number(v.replace(/_/g, ''));
}

/** mulberry32: a small, fast, seeded PRNG so every run reads the same keys. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  below(n: number): number {
    return Math.floor((this.next() / 0x100000000) * n);
  }
  fill(buf: Buffer): void {
    for (let i = 0; i < buf.length; i++) buf[i] = this.next() & 0xff;
  }
}

/**
 * Key i as 16 bytes "key:" + 12 decimal digits, written into one reused buffer
 * (the engine copies what it keeps), so the loop allocates nothing.
 */
export class KeyMaker {
  private readonly buf = Buffer.from('key:000000000000', 'latin1');
  key(i: number): Buffer {
    const b = this.buf;
    for (let p = 15; p >= 4; p--) {
      b[p] = 48 + (i % 10);
      i = Math.floor(i / 10);
    }
    return b;
  }
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

/** Milliseconds since t0 (from process.hrtime.bigint()). */
export function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

export function listFiles(dir: string, suffix: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith(suffix)).sort();
}

/** Drops a directory's files from the page cache (dd iflag=nocache: posix_fadvise DONTNEED). */
export function evictFromPageCache(dir: string): boolean {
  for (const f of fs.readdirSync(dir)) {
    const r = spawnSync('dd', [`if=${path.join(dir, f)}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: 'ignore' });
    if (r.status !== 0) return false;
  }
  return true;
}

/** Whether evictFromPageCache works here (GNU dd present); says so when it does not. */
export function canEvict(dir: string): boolean {
  const ok = evictFromPageCache(dir);
  if (!ok) console.log('  (dd iflag=nocache unavailable: cold-cache reopen skipped)');
  return ok;
}
