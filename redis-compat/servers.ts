// redis-compat/servers.ts — starts the two servers the suite compares: a real
// redis-server (Debian's, no persistence, loopback only) and dynkv-server, each
// as a child process on a free port with its own temporary directory.
// Standalone (no ava), so the benchmark uses it too.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { nodeArgs, planLocalCluster } from '../bin/cluster-launch';

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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
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
    throw new Error(`${name} did not start on port ${port}: ${out}`);
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

/** redis-server with no persistence, on 127.0.0.1 and a free port. */
export async function startRedis(extra: string[] = []): Promise<ServerProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-compat-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
  return launch('redis', 'redis-server', args, port, dir, (out) => out.includes('Ready to accept connections'), true);
}

/** dynkv-server (the compiled dist/bin/dynkv-server.js) on a free port; `dir` reuses a data directory. */
export async function startDynkv(extra: string[] = [], dir?: string): Promise<ServerProcess> {
  const ownDir = dir === undefined;
  const dataDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-compat-dynkv-'));
  const port = await freePort();
  const args = [DYNKV, '--port', String(port), '--dir', dataDir, ...extra];
  return launch('dynkv', process.execPath, args, port, dataDir, (out) => out.includes(' ready: '), ownDir);
}

/**
 * A local cluster of `nodes` dynkv processes (N=3, R=2, W=2 by default, as
 * bin/cluster-launch.ts plans it for `dynkv cluster start`) seen through its
 * first node: what the compatibility suite runs against with
 * COMPAT_TARGET=cluster, and the cluster benchmark. stop() stops every node.
 */
export async function startDynkvCluster(extra: string[] = [], nodes = 3): Promise<ServerProcess> {
  const ports = new Set<number>();
  while (ports.size < nodes * 2) ports.add(await freePort());
  const [client, bus] = [[...ports].slice(0, nodes), [...ports].slice(nodes)];
  const cluster = planLocalCluster({ ports: client, busPorts: bus });
  const all = await Promise.all(
    cluster.members.map((member) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-compat-node-'));
      return launch('dynkv', process.execPath, [DYNKV, ...nodeArgs(cluster, member, dataDir, extra)], member.port, dataDir, (out) => out.includes(' ready: '), true);
    }),
  );
  return {
    ...all[0],
    output: () => all.map((s) => `--- node ${s.port} ---\n${s.output()}`).join('\n'),
    stop: async () => (await Promise.all(all.map((s) => s.stop())))[0],
  };
}

/** Resident set size of a process in bytes (VmRSS of /proc/PID/status). */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}
