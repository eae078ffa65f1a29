// redis-compat/servers.ts — starts the two servers the suite compares: a real
// redis-server (Debian's, no persistence, loopback only) and dynkv-server, each
// as a child process on a port reserved by ports.ts with its own temporary
// directory; a start whose bind fails (EADDRINUSE) is retried on another
// port. Standalone (no ava), so the benchmark uses it too.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeArgs, planLocalCluster, waitSynced, writeSecretFile } from '../bin/cluster-launch';
import { reservePort, reservePorts } from './ports';

export interface ServerProcess {
  name: 'redis' | 'dynkv';
  port: number;
  pid: number;
  dir: string;
  output(): string;
  /** SIGTERM (redis: SHUTDOWN NOSAVE semantics via SIGTERM), waits for the exit, removes the directory. */
  stop(): Promise<number | null>;
}

const DYNKV = path.resolve(__dirname, '../bin/dynkv-server.js');

/** Starts tried at most this many times, each on other ports, while the bind fails with EADDRINUSE. */
export const BIND_ATTEMPTS = 3;

/** A server's start failed because its port was taken between reserving and binding it. */
export class PortTakenError extends Error {}

/** Whether a server's output says its bind failed on a port in use (dynkv: EADDRINUSE; redis: "Address already in use"). */
export function bindFailed(output: string): boolean {
  return output.includes('EADDRINUSE') || output.includes('Address already in use');
}

/** Runs start() until it does not fail with PortTakenError, BIND_ATTEMPTS times at most. */
export async function retryOnPortTaken<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= BIND_ATTEMPTS || !(err instanceof PortTakenError)) throw err;
    }
  }
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/** Servers still running: killed if this process exits first (a crashed test run must not leave them behind). */
const running = new Set<ChildProcess>();
let guarded = false;

/** Kills `child` with SIGKILL should this process exit while it still runs. */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (guarded) return;
  guarded = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function launch(name: 'redis' | 'dynkv', cmd: string, args: string[], port: number, dir: string, ready: (out: string) => boolean, ownDir: boolean): Promise<ServerProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  const done = exited(child);
  const started = await Promise.race([
    (async () => {
      const deadline = Date.now() + 15000;
      while (Date.now() < deadline) {
        if (ready(out)) return true;
        await new Promise((r) => setTimeout(r, 15));
      }
      return false;
    })(),
    done.then(() => false),
    spawnFailed.then(() => false),
  ]);
  const cleanup = (): void => {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  if (!started) {
    child.kill('SIGKILL');
    cleanup();
    const message = `${name} did not start on port ${port}: ${out}`;
    throw bindFailed(out) ? new PortTakenError(message) : new Error(message);
  }
  return {
    name,
    port,
    pid: child.pid ?? -1,
    dir,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await Promise.race([done, new Promise<null>((r) => setTimeout(() => r(null), 10000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await done;
      }
      cleanup();
      return code;
    },
  };
}

/** redis-server with no persistence, on 127.0.0.1 and a reserved port. */
export function startRedis(extra: string[] = []): Promise<ServerProcess> {
  return retryOnPortTaken(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-compat-redis-'));
    const port = await reservePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
    return launch('redis', 'redis-server', args, port, dir, (out) => out.includes('Ready to accept connections'), true);
  });
}

/** dynkv-server (the compiled dist/bin/dynkv-server.js) on a reserved port; `dir` reuses a data directory. */
export function startDynkv(extra: string[] = [], dir?: string): Promise<ServerProcess> {
  return retryOnPortTaken(async () => {
    const ownDir = dir === undefined;
    const dataDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-compat-dynkv-'));
    const port = await reservePort();
    const args = [DYNKV, '--port', String(port), '--dir', dataDir, ...extra];
    return launch('dynkv', process.execPath, args, port, dataDir, (out) => out.includes(' ready: '), ownDir);
  });
}

/**
 * A local cluster of `nodes` dynkv processes (N=3, R=2, W=2 by default, as
 * bin/cluster-launch.ts plans it for `dynkv cluster start`) seen through its
 * first node: what the compatibility suite runs against with
 * COMPAT_TARGET=cluster, and the cluster benchmark. stop() stops every node.
 */
export function startDynkvCluster(extra: string[] = [], nodes = 3): Promise<ServerProcess> {
  return retryOnPortTaken(() => startClusterOnce(extra, nodes));
}

async function startClusterOnce(extra: string[], nodes: number): Promise<ServerProcess> {
  const cluster = planLocalCluster({ ports: await reservePorts(nodes) });
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-compat-secret-'));
  const secretFile = writeSecretFile(cluster, secretDir);
  const started = await Promise.allSettled(
    cluster.members.map((member) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-compat-node-'));
      return launch('dynkv', process.execPath, [DYNKV, ...nodeArgs(cluster, member, dataDir, secretFile, extra)], member.port, dataDir, (out) => out.includes(' ready: '), true);
    }),
  );
  const all = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(all.map((s) => s.stop()));
    fs.rmSync(secretDir, { recursive: true, force: true });
    throw failed.reason;
  }
  const requirepass = extra.lastIndexOf('--requirepass');
  try {
    await waitSynced('127.0.0.1', cluster.members.map((m) => m.port), 30_000, requirepass < 0 ? null : extra[requirepass + 1]);
  } catch (err) {
    await Promise.all(all.map((s) => s.stop()));
    fs.rmSync(secretDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...all[0],
    output: () => all.map((s) => `--- node ${s.port} ---\n${s.output()}`).join('\n'),
    stop: async () => {
      const [code] = await Promise.all(all.map((s) => s.stop()));
      fs.rmSync(secretDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Resident set size of a process in bytes (VmRSS of /proc/PID/status). */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}
