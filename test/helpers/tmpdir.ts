// test/helpers/tmpdir.ts — a fresh temporary directory per test, removed when
// the test ends (ava runs teardowns last-registered first, so engines opened
// after the directory was made are closed before it is removed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';

export function tmpDir(t: ExecutionContext, prefix = 'dynkv-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies a flat data directory (the engine keeps no subdirectories). */
export function copyDir(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) {
    const src = path.join(from, name);
    if (fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(to, name));
  }
}
