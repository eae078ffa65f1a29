// cluster/replica/data-dir.ts — makes a node's data directory ready at start: creates
// it and its missing parents (one mkdir per level, as Node's recursive mkdir
// loops forever under /proc; each new entry fsynced in its parent), checks
// that it is a directory and that a file can be created in it, so an
// unusable --dir fails the start with a message naming it instead of
// hanging or failing the first write.
import fs from 'node:fs';
import path from 'node:path';

/** The data directory cannot be created or written; the message names it. */
export class DataDirError extends Error {
  constructor(
    readonly dir: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DataDirError';
  }
}

function errnoOf(err: unknown): { code: string; text: string } {
  const e = err as NodeJS.ErrnoException;
  return { code: e.code ?? 'EIO', text: e.message };
}

/** Creates dir (and its missing parents) unless it exists as a directory. */
export function makeDirectory(dir: string): void {
  makeLevel(path.resolve(dir), dir);
}

/** mkdir of one level, after its parent when that is missing; errors name `dir`, the directory asked for. */
function makeLevel(absolute: string, dir: string): void {
  const fail = (err: unknown): DataDirError => {
    const d = errnoOf(err);
    return new DataDirError(dir, d.code, `data directory ${dir} cannot be created: ${d.text}`);
  };
  let made = false;
  try {
    fs.mkdirSync(absolute);
    made = true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!fs.statSync(absolute).isDirectory()) {
        const what = absolute === path.resolve(dir) ? 'exists and is not a directory' : `cannot be created: ${absolute} is not a directory`;
        throw new DataDirError(dir, 'ENOTDIR', `data directory ${dir} ${what}`);
      }
      return;
    }
    const parent = path.dirname(absolute);
    if (code !== 'ENOENT' || parent === absolute) throw fail(err);
    makeLevel(parent, dir);
  }
  if (made) {
    syncParent(absolute);
    return;
  }
  // The parent exists now: one more try, and a failure is final (/proc/foo).
  try {
    fs.mkdirSync(absolute);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(absolute).isDirectory()) return;
    throw fail(err);
  }
  syncParent(absolute);
}

/** fsyncs the directory holding a new entry, so a power cut does not lose it. */
function syncParent(absolute: string): void {
  const fd = fs.openSync(path.dirname(absolute), 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes dir, then creates and removes a probe file in it: a read-only or forbidden directory fails here. */
export function prepareDataDir(dir: string): void {
  try {
    makeDirectory(dir);
  } catch (err) {
    if (err instanceof DataDirError) throw err;
    const d = errnoOf(err);
    throw new DataDirError(dir, d.code, `data directory ${dir} cannot be used: ${d.text}`);
  }
  const probe = path.join(dir, `.probe-${process.pid}`);
  try {
    const fd = fs.openSync(probe, 'w');
    fs.closeSync(fd);
    fs.unlinkSync(probe);
  } catch (err) {
    const d = errnoOf(err);
    throw new DataDirError(dir, d.code, `data directory ${dir} is not writable: ${d.text}`);
  }
}
