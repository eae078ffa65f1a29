// cluster/replica/db-map.ts — which directory holds each Redis database: the
// logical index a client SELECTs -> the physical one in a directory's name
// (dir/db<physical>, databases.ts). Identity until SWAPDB exchanges two
// entries; the map is then persisted in dir/databases.map, written whole to a
// temporary file, fsynced, renamed over the old one and the directory fsynced
// before SWAPDB replies: after a crash or a power cut the swap is there
// entirely or not at all, and no key is copied.
import fs from 'node:fs';
import path from 'node:path';
import { prepareDataDir } from './data-dir';

const FILE = 'databases.map';
const HEADER = 'dynkv-databases 1';

/** The map file cannot be read: the start fails naming it rather than serving databases swapped wrongly. */
export class DbMapError extends Error {
  constructor(file: string, why: string) {
    super(`${file}: ${why}`);
    this.name = 'DbMapError';
  }
}

export class DbMap {
  /** logical -> physical; a permutation of 0 .. length-1 (longer than `count` when more databases were once configured). */
  private readonly physical: number[];
  private readonly file: string;

  constructor(
    private readonly dir: string,
    count: number,
  ) {
    this.file = path.join(dir, FILE);
    // The directory first: one that cannot be used fails the start with its own named error.
    prepareDataDir(dir);
    this.physical = this.load(count);
  }

  private load(count: number): number[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Array.from({ length: count }, (_, i) => i);
      throw err;
    }
    const [header, body, end] = text.split('\n');
    if (header !== HEADER || body === undefined || end !== '') throw new DbMapError(this.file, 'not a databases map');
    const map = body.split(' ').map(Number);
    const seen = new Set(map);
    if (map.some((p) => !Number.isInteger(p) || p < 0 || p >= map.length) || seen.size !== map.length) throw new DbMapError(this.file, 'not a permutation of the databases');
    for (let i = map.length; i < count; i++) map.push(i);
    return map;
  }

  /** The directory index of logical database db. */
  of(db: number): number {
    return this.physical[db];
  }

  /** SWAPDB: exchanges two databases' directories, durably, before it returns. */
  swap(a: number, b: number): void {
    const next = this.physical.slice();
    [next[a], next[b]] = [next[b], next[a]];
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, `${HEADER}\n${next.join(' ')}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    const dirFd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
    [this.physical[a], this.physical[b]] = [next[a], next[b]];
  }
}
