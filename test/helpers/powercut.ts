// test/helpers/powercut.ts — a simulated power cut for a data directory:
// builds the LD_PRELOAD shim powercut.c (which logs what each fsync made
// durable), records a directory's present state as durable (baseline), and
// after a SIGKILL cuts the power: every file is cut back to the length its
// last fsync covered, and every entry no directory fsync covered is removed,
// as the kernel's page cache is lost. (Deleted files are not brought back,
// and an inode number reused after a delete keeps the old record: the tests
// that use this write new keys only, so no merge deletes files.)
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { tmpDir } from './tmpdir';

/** The shim's source, beside this helper's source (tests run from dist/test/helpers). */
const SOURCE = path.resolve(__dirname, '../../../test/helpers/powercut.c');

/** Compiles the shim into a temporary directory; returns the .so's path. */
export function buildShim(t: ExecutionContext): string {
  const out = path.join(tmpDir(t, 'dynkv-powercut-'), 'powercut.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', out, SOURCE, '-ldl'], { stdio: 'pipe' });
  return out;
}

/** The environment a process needs to run under the shim, for the data directory dir. */
export function shimEnv(shim: string, dir: string, log: string, delayUs: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LD_PRELOAD: shim,
    DYNKV_POWERCUT_DIR: fs.realpathSync(dir),
    DYNKV_POWERCUT_LOG: log,
    DYNKV_POWERCUT_DELAY_US: String(delayUs),
  };
}

const idOf = (st: fs.Stats): string => `${st.dev}:${st.ino}`;

/** Appends to log that everything under dir is durable as it is now (a clean start): lines f and d, as the shim's F and D. */
export function baseline(dir: string, log: string): void {
  const lines: string[] = [];
  const walk = (d: string): void => {
    const self = idOf(fs.statSync(d));
    for (const name of fs.readdirSync(d)) {
      const st = fs.lstatSync(path.join(d, name));
      lines.push(`d ${self} ${name} ${idOf(st)}`);
      if (st.isDirectory()) walk(path.join(d, name));
      else lines.push(`f ${idOf(st)} ${st.size}`);
    }
  };
  walk(dir);
  fs.appendFileSync(log, lines.map((l) => `${l}\n`).join(''));
}

export interface PowerCut {
  /** Bytes written but never fsynced, now gone. */
  droppedBytes: number;
  /** Of those, the bytes of data files (NNNNNNNNNN.data): the log's records. */
  droppedDataBytes: number;
  /** Paths whose directory entry was never fsynced, now gone. */
  removed: string[];
  /** How many fsyncs of files and of directories the shim logged (directory fsyncs: runs of lines of one directory). */
  fileSyncs: number;
  dirSyncs: number;
}

/**
 * Cuts the power of dir (its processes must be dead or stopped): keeps what
 * the fsyncs in log covered, nothing else. With `dryRun` it only counts
 * what a cut would drop, changing nothing (a line the shim is still writing
 * is left out).
 */
export function cutPower(dir: string, log: string, dryRun = false): PowerCut {
  const synced = new Map<string, number>();
  const entries = new Map<string, Set<string>>();
  let fileSyncs = 0;
  let dirSyncs = 0;
  let lastDir = '';
  const lines = fs.readFileSync(log, 'utf8').split('\n');
  if (dryRun) lines.pop(); // what follows the last newline: '' or a line not yet whole
  for (const line of lines) {
    if (line === '') continue;
    const [kind, id, ...rest] = line.split(' ');
    if (kind === 'F' || kind === 'f') {
      synced.set(id, Number(rest[0]));
      if (kind === 'F') fileSyncs++;
      lastDir = '';
    } else if (kind === 'D' || kind === 'd') {
      // name may hold spaces: the entry's id is the last field.
      const entry = rest.join(' ');
      let set = entries.get(id);
      if (set === undefined) entries.set(id, (set = new Set()));
      set.add(entry);
      // One directory fsync logs its entries as consecutive lines.
      if (kind === 'D' && id !== lastDir) dirSyncs++;
      lastDir = kind === 'D' ? id : '';
    } else {
      throw new Error(`powercut log: bad line ${JSON.stringify(line)}`);
    }
  }
  const cut: PowerCut = { droppedBytes: 0, droppedDataBytes: 0, removed: [], fileSyncs, dirSyncs };
  const drop = (name: string, bytes: number): void => {
    cut.droppedBytes += bytes;
    if (name.endsWith('.data')) cut.droppedDataBytes += bytes;
  };
  const walk = (d: string): void => {
    const kept = entries.get(idOf(fs.statSync(d)));
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      if (kept === undefined || !kept.has(`${name} ${idOf(st)}`)) {
        cut.removed.push(path.relative(dir, p));
        drop(name, st.isDirectory() ? 0 : st.size);
        if (!dryRun) fs.rmSync(p, { recursive: true, force: true });
      } else if (st.isDirectory()) {
        walk(p);
      } else {
        const keep = synced.get(idOf(st)) ?? 0;
        if (st.size > keep) {
          drop(name, st.size - keep);
          if (!dryRun) fs.truncateSync(p, keep);
        }
      }
    }
  };
  walk(dir);
  return cut;
}

/** A process under the shim: its pid, data directory and fsync log. */
export interface ShimmedProcess {
  pid: number;
  dir: string;
  log: string;
}

/**
 * SIGKILLs the processes at a moment when at least one of them has written
 * data-file bytes that no finished fsync covers, so that the power cut has
 * something to drop: they are stopped together (SIGSTOP: nothing moves),
 * checked with a dry-run cut, then killed, or resumed and tried again a few
 * milliseconds later. Callers still reap them (their kill() or exit wait).
 */
export async function killWithUnsyncedData(procs: readonly ShimmedProcess[], ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const p of procs) process.kill(p.pid, 'SIGSTOP');
    if (procs.some((p) => cutPower(p.dir, p.log, true).droppedDataBytes > 0)) break;
    for (const p of procs) process.kill(p.pid, 'SIGCONT');
    if (Date.now() > deadline) throw new Error(`no unsynced data-file bytes seen within ${ms} ms: are the writers running?`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  for (const p of procs) process.kill(p.pid, 'SIGKILL');
}
