// redis-compat/ports.ts — the one place tests, the compatibility suite and
// the benchmarks pick TCP ports for the servers they start. The rule:
//
// - A client port p is drawn at random from [10000, 22767], so that p and
//   its cluster bus port p + 10000 are both below 32768, outside the
//   kernel's ephemeral range (32768-60999 on Linux): an outgoing connection
//   of any process on the machine can hold an ephemeral port at any time,
//   so a port picked there (listen(0), or p + 10000 for p above 22767) can
//   be taken between picking it and binding it.
// - Both p and p + 10000 must be free to bind on 127.0.0.1 when picked.
// - p is claimed with an O_EXCL lock file, os.tmpdir()/dynkv-ports/p.lock
//   holding the claimer's pid, kept until that process exits: a port picked
//   by one test process (ava runs two files at once, other developers run
//   suites alongside) is not picked by another, even while its server is
//   stopped to be restarted on it. A lock left by a process that died
//   without cleaning up (SIGKILL) is removed once its pid is gone and the
//   file is older than STALE_LOCK_MS; until then that port is skipped.
//
// A process that does not follow the rule can still take a port between the
// check and the bind, so whoever starts a server retries with another port
// when the bind fails with EADDRINUSE (see startServer, startCluster,
// redis-compat/servers.ts).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const MIN_CLIENT_PORT = 10000;
export const MAX_CLIENT_PORT = 22767;
/** A cluster node's default bus port is its client port + this (Redis Cluster's convention). */
export const BUS_PORT_OFFSET = 10000;

const LOCK_DIR = path.join(os.tmpdir(), 'dynkv-ports');
const STALE_LOCK_MS = 10 * 60_000;
const ATTEMPTS = 500;

/** Lock files this process holds, removed when it exits. */
const held = new Set<string>();
let cleanupInstalled = false;

/** The lock file of a port. */
export function lockPath(port: number): string {
  return path.join(LOCK_DIR, `${port}.lock`);
}

/** Whether host:port can be listened on now. */
export function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(err);
    });
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the lock of a process that is gone, if it is old enough that its
 * owner cannot be between creating and filling it; true when it did (or the
 * lock is gone already).
 */
function removeIfStale(file: string): boolean {
  let stat: fs.Stats;
  let text: string;
  try {
    stat = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const pid = Number(text);
  if (Date.now() - stat.mtimeMs < STALE_LOCK_MS || (Number.isInteger(pid) && pid > 0 && alive(pid))) return false;
  fs.rmSync(file, { force: true });
  return true;
}

/** Claims the port's lock file for this process (see the rule above); false when another process holds it. */
export function lockPort(port: number): boolean {
  fs.mkdirSync(LOCK_DIR, { recursive: true });
  const file = lockPath(port);
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return removeIfStale(file) && lockPort(port);
  }
  try {
    fs.writeSync(fd, String(process.pid));
  } finally {
    fs.closeSync(fd);
  }
  held.add(file);
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.once('exit', () => {
      for (const f of held) fs.rmSync(f, { force: true });
    });
  }
  return true;
}

function unlock(port: number): void {
  const file = lockPath(port);
  held.delete(file);
  fs.rmSync(file, { force: true });
}

/**
 * `count` consecutive client ports p..p+count-1 (as `dynkv cluster start
 * --base-port p` uses them), each with its bus port + 10000, all free and
 * all locked for this process; resolves with p.
 */
export async function reservePortRun(count: number): Promise<number> {
  if (count < 1 || count > MAX_CLIENT_PORT - MIN_CLIENT_PORT + 1) throw new RangeError(`cannot reserve ${count} consecutive ports`);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const base = MIN_CLIENT_PORT + Math.floor(Math.random() * (MAX_CLIENT_PORT - MIN_CLIENT_PORT + 2 - count));
    const locked: number[] = [];
    let ok = true;
    for (let port = base; port < base + count && ok; port++) {
      if (lockPort(port)) locked.push(port);
      else ok = false;
    }
    if (ok) {
      const free = await Promise.all(locked.flatMap((p) => [canListen(p), canListen(p + BUS_PORT_OFFSET)]));
      if (free.every(Boolean)) return base;
    }
    for (const port of locked) unlock(port);
  }
  throw new Error(`no ${count} free consecutive ports found in ${MIN_CLIENT_PORT}-${MAX_CLIENT_PORT} after ${ATTEMPTS} attempts`);
}

/** One client port (its bus port + 10000 free too), locked for this process. */
export function reservePort(): Promise<number> {
  return reservePortRun(1);
}

/** `count` client ports, not necessarily consecutive, each locked for this process. */
export async function reservePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await reservePort());
  return ports;
}
