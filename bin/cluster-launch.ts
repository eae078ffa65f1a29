// bin/cluster-launch.ts — starting the dynkv-server processes of a cluster
// on one machine: each node's flags (every member in --cluster-nodes, with
// its bus port and weight, and N/R/W), checked by the server's own
// clusterSetup before anything starts; the secret, in a file only its
// owner reads; the spawn itself; a PING to see a node answer, and PING and
// INFO to hear what a node says of itself (its pid). Shared by `dynkv
// cluster`, bench/cluster.ts, the compatibility suite and the tests' cluster
// helper, so they all run nodes the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { clusterSetup } from '../server/cluster-config';
import { ConfigError, parseArgs } from '../server/config';

/** The compiled server, beside this file in dist/bin. */
export const SERVER_SCRIPT = path.resolve(__dirname, 'dynkv-server.js');

export interface LocalMember {
  host: string;
  port: number;
  busPort: number;
  weight: number;
}

export interface LocalClusterOptions {
  /** Address every node binds and is named by (default 127.0.0.1). */
  host?: string;
  /** Client port of each node. */
  ports: number[];
  /** Bus port of each node (default port + 10000). */
  busPorts?: number[];
  /** Weight of each node (default 1). */
  weights?: number[];
  /** 0 or absent: the server's defaults (N = min(3, nodes), R = W = a majority). */
  n?: number;
  r?: number;
  w?: number;
  /** Default: a random one. */
  secret?: string;
  faultInjection?: boolean;
}

/** A checked cluster plan: N/R/W resolved, the secret chosen. */
export interface LocalCluster {
  members: LocalMember[];
  n: number;
  r: number;
  w: number;
  secret: string;
  faultInjection: boolean;
}

export function randomSecret(): string {
  return crypto.randomBytes(24).toString('hex');
}

/** The cluster these options describe, checked as every node will check it; throws ConfigError. */
export function planLocalCluster(options: LocalClusterOptions): LocalCluster {
  const { ports, busPorts, weights } = options;
  if (ports.length === 0) throw new RangeError('a cluster needs at least one node');
  if (busPorts !== undefined && busPorts.length !== ports.length) throw new RangeError(`${busPorts.length} bus ports for ${ports.length} nodes`);
  if (weights !== undefined && weights.length !== ports.length) throw new RangeError(`${weights.length} weights for ${ports.length} nodes`);
  const host = options.host ?? '127.0.0.1';
  const members = ports.map((port, i) => ({ host, port, busPort: busPorts?.[i] ?? port + 10000, weight: weights?.[i] ?? 1 }));
  for (const m of members) {
    if (m.port > 65535) throw new ConfigError(`node ${m.host}:${m.port}: port ${m.port} is above 65535`);
    if (m.busPort > 65535) throw new ConfigError(`node ${m.host}:${m.port}: its bus port ${m.busPort} (port + 10000) is above 65535`);
  }
  const draft: LocalCluster = { members, n: options.n ?? 0, r: options.r ?? 0, w: options.w ?? 0, secret: options.secret ?? randomSecret(), faultInjection: options.faultInjection ?? false };
  const [first] = members.map((m) => clusterSetup({ ...parseArgs(clusterFlags(draft, m, '.')), clusterSecret: draft.secret }, m.port));
  return { ...draft, n: first.n, r: first.r, w: first.w };
}

/**
 * Writes the cluster's secret to DIR/cluster-secret, readable by its owner
 * only (mode 600), for nodeArgs' --cluster-secret-file; returns its path.
 */
export function writeSecretFile(cluster: LocalCluster, dir: string): string {
  const file = path.resolve(dir, 'cluster-secret');
  fs.writeFileSync(file, `${cluster.secret}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600); // a file that was there keeps its mode through writeFileSync
  return file;
}

/** `host:port@busport=weight,...` for --cluster-nodes. */
export function clusterNodesFlag(members: readonly LocalMember[]): string {
  return members.map((m) => `${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}@${m.busPort}=${m.weight}`).join(',');
}

/** Every flag of a member but its secret. */
function clusterFlags(cluster: LocalCluster, member: LocalMember, dataDir: string): string[] {
  const args = ['--port', String(member.port), '--bind', member.host, '--dir', dataDir, '--cluster-nodes', clusterNodesFlag(cluster.members), '--cluster-port', String(member.busPort)];
  if (cluster.n !== 0) args.push('--cluster-n', String(cluster.n));
  if (cluster.r !== 0) args.push('--cluster-r', String(cluster.r));
  if (cluster.w !== 0) args.push('--cluster-w', String(cluster.w));
  if (cluster.faultInjection) args.push('--enable-fault-injection', 'yes');
  return args;
}

/**
 * dynkv-server's flags for one member, with its data directory and the file
 * holding the cluster secret (writeSecretFile): the secret itself is never
 * on a command line, where ps shows it. `extra` goes last (and so wins).
 */
export function nodeArgs(cluster: LocalCluster, member: LocalMember, dataDir: string, secretFile: string, extra: readonly string[] = []): string[] {
  return [...clusterFlags(cluster, member, dataDir), '--cluster-secret-file', secretFile, ...extra];
}

/**
 * Starts dynkv-server with these flags (and `env`, this process's environment
 * unless given). With `logFile`, the server is detached (its own process
 * group, output appended to the file) and outlives this process; without,
 * its stdout and stderr are pipes to read.
 */
export function spawnNode(args: readonly string[], logFile?: string, env?: NodeJS.ProcessEnv): ChildProcess {
  if (logFile === undefined) return spawn(process.execPath, [SERVER_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(process.execPath, [SERVER_SCRIPT, ...args], { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/** Resolves with the exit code once the child has exited (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Whether a server answers PING with +PONG on host:port within `timeoutMs`. */
export function ping(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG\r\n'));
    });
    socket.once('close', () => done(false));
  });
}

/** What a node says of itself: PING answered, and INFO's process_id and dynamo_node. */
export interface NodeAnswer {
  pid: number;
  /** INFO's dynamo_node: the node id it was started as (host:port). */
  nodeId: string;
  /** INFO's dynamo_sync_state is syncing: it lost data and has not synced with the other replicas yet. */
  syncing: boolean;
}

/**
 * Asks the server on host:port PING and INFO (server, cluster) on one
 * connection. Resolves with what it says of itself; with a string saying
 * what went wrong when something answered otherwise (not PONG, an error,
 * not a dynkv node); null when nothing answered within `timeoutMs`.
 */
export function askNode(host: string, port: number, timeoutMs = 1000, password: string | null = null): Promise<NodeAnswer | string | null> {
  const auth = password === null ? '' : `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n`;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let data = Buffer.alloc(0);
    const done = (answer: NodeAnswer | string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.once('error', () => done(null));
    socket.once('close', () => done(null));
    socket.once('connect', () => socket.write(`${auth}*1\r\n$4\r\nPING\r\n*3\r\n$4\r\nINFO\r\n$6\r\nserver\r\n$7\r\ncluster\r\n`));
    let authed = password === null;
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (!authed) {
        const end = data.indexOf('\r\n');
        if (end < 0) return;
        const reply = data.subarray(0, end).toString('latin1');
        if (reply !== '+OK') {
          done(`it answered AUTH with ${JSON.stringify(reply.slice(0, 80))}`);
          return;
        }
        authed = true;
        data = data.subarray(end + 2);
      }
      const pong = data.indexOf('\r\n');
      if (pong < 0) return;
      const first = data.subarray(0, pong).toString('latin1');
      if (first !== '+PONG') {
        done(`it answered PING with ${JSON.stringify(first.slice(0, 80))}`);
        return;
      }
      const header = data.indexOf('\r\n', pong + 2);
      if (header < 0) return;
      const line = data.subarray(pong + 2, header).toString('latin1');
      if (!line.startsWith('$')) {
        done(`it answered INFO with ${JSON.stringify(line.slice(0, 80))}`);
        return;
      }
      const length = Number(line.slice(1));
      if (data.length < header + 2 + length) return;
      const info = data.subarray(header + 2, header + 2 + length).toString('utf8');
      const field = (name: string): string | undefined => new RegExp(`^${name}:(.*?)\r?$`, 'm').exec(info)?.[1];
      const pid = Number(field('process_id'));
      const nodeId = field('dynamo_node');
      if (nodeId === undefined || !Number.isInteger(pid) || pid <= 0) done('its INFO has no process_id and dynamo_node: not a dynkv node');
      else done({ pid, nodeId, syncing: field('dynamo_sync_state') === 'syncing' });
    });
  });
}

/**
 * Resolves once none of the nodes on these ports is syncing (a new cluster:
 * one exchange of empty trees with each peer); throws after timeoutMs.
 */
export async function waitSynced(host: string, ports: readonly number[], timeoutMs: number, password: string | null = null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      const answer = await askNode(host, port, 1000, password);
      if (answer !== null && typeof answer !== 'string' && !answer.syncing) break;
      if (Date.now() > deadline) throw new Error(`the node on port ${port} was not synced within ${timeoutMs / 1000} s: ${answer === null ? 'no answer' : typeof answer === 'string' ? answer : 'still syncing'}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Whether host:port can be listened on now. */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Null once every member answers PING; else the first that failed and how (exited, or silent for `timeoutMs`). */
export async function waitUntilAnswering(members: readonly LocalMember[], children: readonly ChildProcess[], timeoutMs: number): Promise<{ index: number; why: string } | null> {
  const deadline = Date.now() + timeoutMs;
  const exitCodes: (number | null | undefined)[] = children.map(() => undefined);
  children.forEach((c, i) => void exited(c).then((code) => (exitCodes[i] = code)));
  const up = members.map(() => false);
  for (;;) {
    const gone = exitCodes.findIndex((c) => c !== undefined);
    if (gone >= 0) return { index: gone, why: `exited (${exitCodes[gone] === null ? 'killed by a signal' : `code ${exitCodes[gone]}`}) while starting` };
    await Promise.all(members.map(async (m, i) => (up[i] ||= await ping(m.host, m.port, 500))));
    if (up.every(Boolean)) return null;
    if (Date.now() > deadline) return { index: up.indexOf(false), why: `did not answer PING within ${timeoutMs / 1000} s` };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a process with this pid exists (signal 0: ESRCH when not; EPERM means it does, owned by another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return true;
    throw err;
  }
}
