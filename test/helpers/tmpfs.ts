// test/helpers/tmpfs.ts — a small tmpfs mounted for one test (ENOSPC and
// read-only cases; mounting needs root, as the tests and CI run), unmounted
// at teardown.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { tmpDir } from './tmpdir';

/** Mounts a tmpfs of `size` (e.g. '2m'); `options` are extra mount options (e.g. 'ro'). */
export function mountTmpfs(t: ExecutionContext, size: string, options = ''): string {
  const mnt = path.join(tmpDir(t, 'dynkv-tmpfs-'), 'mnt');
  fs.mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${options === '' ? '' : `,${options}`}`, 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`cannot mount a tmpfs (these tests need root): ${(err as Error).message}`);
  }
  t.teardown(() => {
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
    }
  });
  return mnt;
}
