// test/helpers/cluster.ts — a real cluster for tests: one dynkv-server child
// process per node (started as bin/cluster-launch.ts starts them for `dynkv
// cluster start`), on client ports reserved by redis-compat/ports.ts with
// their default bus ports (+ 10000), each with a temporary data directory
// and fault injection enabled. Nodes can be stopped, killed and
// restarted with the same port, directory and flags. Every node still
// running at teardown is killed (SIGKILL): the directories go anyway.
// A new cluster is ready once every node has synced its partitions with the
// others (anti-entropy: until then a new node's not-found is no answer).
// isSyncing() tells whether a node is still syncing.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { askNode, exited, nodeArgs, planLocalCluster, spawnNode, waitSynced, writeSecretFile } from '../../bin/cluster-launch';
import { reservePorts } from '../../redis-compat/ports';
import { PortTakenError, bindFailed, killOnExit, retryOnPortTaken } from '../../redis-compat/servers';
import { tmpDir } from './tmpdir';

export interface ClusterTestNode {
  /** "127.0.0.1:port": the node id and client address. */
  id: string;
  port: number;
  busPort: number;
  /** Data directory, kept across restarts. */
  dir: string;
  /** What the node printed on stdout and stderr so far, over all its runs. */
  output(): string;
  /** The pid of the running process (throws when the node is not running). */
  pid(): number;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Starts the node again after stop() or kill(), `extra` flags after its own (and so winning); resolves when it is ready. */
  restart(extra?: readonly string[]): Promise<void>;
}

export interface TestCluster {
  /** In the order of their ports as picked (in no particular order); not sorted by id. */
  nodes: ClusterTestNode[];
  secret: string;
  /** Stops every node still running (SIGTERM), waiting for each to exit. */
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  nodes: number;
  n?: number;
  r?: number;
  w?: number;
  /** Extra dynkv-server flags for every node, after the cluster's own. */
  args?: string[];
  /** A node's environment, asked at each start with its data directory and index in `nodes` (this process's by default). */
  env?: (dir: string, index: number) => NodeJS.ProcessEnv;
}

const READY_TIMEOUT_MS = 30_000;

/** Tries other sets of ports (at most BIND_ATTEMPTS) when a port was taken by another process before a node bound it. */
export function startCluster(t: ExecutionContext, options: TestClusterOptions): Promise<TestCluster> {
  return retryOnPortTaken(() => startOnce(t, options));
}

async function startOnce(t: ExecutionContext, options: TestClusterOptions): Promise<TestCluster> {
  const root = tmpDir(t, 'dynkv-cluster-');
  const cluster = planLocalCluster({ ports: await reservePorts(options.nodes), n: options.n, r: options.r, w: options.w, faultInjection: true });
  const secretFile = writeSecretFile(cluster, root);
  const children: (ChildProcess | null)[] = cluster.members.map(() => null);
  t.teardown(async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child === null || child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGKILL');
        await exited(child);
      }),
    );
  });
  const nodes = cluster.members.map((member, i): ClusterTestNode => {
    const dir = path.join(root, `node-${member.port}`);
    const args = nodeArgs(cluster, member, dir, secretFile, options.args);
    const id = `${member.host}:${member.port}`;
    let out = '';
    const running = (): ChildProcess | null => {
      const child = children[i];
      return child !== null && child.exitCode === null && child.signalCode === null ? child : null;
    };
    const signal = async (name: NodeJS.Signals): Promise<number | null> => {
      const child = children[i];
      if (child === null) throw new Error(`node ${id} was never started`);
      running()?.kill(name);
      return exited(child);
    };
    const start = async (extra: readonly string[] = []): Promise<void> => {
      if (running() !== null) throw new Error(`node ${id} is still running: stop() or kill() it before restart()`);
      const child = spawnNode([...args, ...extra], undefined, options.env?.(dir, i));
      killOnExit(child);
      children[i] = child;
      const from = out.length;
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      await waitReady(id, child, () => out.slice(from));
    };
    return {
      id,
      port: member.port,
      busPort: member.busPort,
      dir,
      output: () => out,
      pid: () => {
        const child = running();
        if (child === null || child.pid === undefined) throw new Error(`node ${id} is not running`);
        return child.pid;
      },
      kill: async () => void (await signal('SIGKILL')),
      stop: () => signal('SIGTERM'),
      restart: start,
    };
  });
  const started = await Promise.allSettled(nodes.map((n) => n.restart()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(nodes.map((n) => n.kill()));
    const message = (failed.reason as Error).message;
    throw bindFailed(message) ? new PortTakenError(message) : failed.reason;
  }
  await waitSynced('127.0.0.1', nodes.map((n) => n.port), READY_TIMEOUT_MS);
  return {
    nodes,
    secret: cluster.secret,
    stop: async () => void (await Promise.all(nodes.map((n, i) => (children[i] !== null ? n.stop() : null)))),
  };
}

/** Whether the node's INFO says it is still syncing partitions after data loss (anti-entropy). */
export async function isSyncing(node: ClusterTestNode): Promise<boolean> {
  const answer = await askNode('127.0.0.1', node.port);
  if (answer === null || typeof answer === 'string') throw new Error(`node ${node.id} did not answer INFO: ${answer ?? 'no answer'}`);
  return answer.syncing;
}

/** Resolves once the node prints its ' ready: ' line; rejects, with its output, if it exits first or takes too long. */
async function waitReady(id: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let ended = false;
  const done = exited(child).then(() => (ended = true));
  while (!output().includes(' ready: ')) {
    if (ended) throw new Error(`node ${id} exited before it was ready:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`node ${id} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${output()}`);
    await Promise.race([done, new Promise((r) => setTimeout(r, 20))]);
  }
}

/** An ioredis client of the node's database db that fails a command at once instead of retrying; disconnected when the test ends. */
export function client(t: ExecutionContext, node: ClusterTestNode, db = 0): Redis {
  const r = new Redis({ port: node.port, host: '127.0.0.1', db, maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => r.disconnect());
  return r;
}

/** Polls check every 100 ms until it holds; fails the test when it has not within ms. */
export async function eventually(t: ExecutionContext, what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.fail(`not within ${ms} ms: ${what}`);
}

/** INFO cluster's hint figures of a node: queued now, delivered and dropped since start. */
export async function hintCounts(r: Redis): Promise<{ queued: number; delivered: number; dropped: number }> {
  const info = await r.info('cluster');
  const field = (name: string): number => Number(new RegExp(`^dynamo_hints_${name}:(\\d+)\\r?$`, 'm').exec(info)?.[1] ?? NaN);
  return { queued: field('queued'), delivered: field('delivered'), dropped: field('dropped') };
}

/** Keys whose value `valueOf(key)` this node's own replica lacks (DYN.VERSIONS LOCAL: no quorum, no read repair). */
export async function missingLocally(r: Redis, keys: readonly string[], valueOf: (key: string) => string): Promise<string[]> {
  const p = r.pipeline();
  for (const k of keys) p.call('DYN.VERSIONS', k, 'LOCAL');
  const replies = (await p.exec()) ?? [];
  return keys.filter((k, i) => {
    const [err, reply] = replies[i];
    if (err !== null) return true;
    const siblings = (reply as [string, [string | null, number, string][]])[1];
    return !siblings.some(([value]) => value === valueOf(k));
  });
}

/** Cuts every link between the nodes, both ways (DYN.FAULT DROP). */
export async function isolate(clients: Redis[], nodes: ClusterTestNode[]): Promise<void> {
  for (let i = 0; i < nodes.length; i++) for (let j = 0; j < nodes.length; j++) if (i !== j) await clients[i].call('DYN.FAULT', 'DROP', nodes[j].id);
}

/** Mends every cut link, then waits until each node sees no member down. */
export async function heal(t: ExecutionContext, clients: Redis[]): Promise<void> {
  for (const r of clients) await r.call('DYN.FAULT', 'HEAL');
  for (const r of clients) {
    await eventually(t, 'every node sees the others up again (a probe each second)', async () => ((await r.call('DYN.NODES')) as string[][]).every((m) => m[5] !== 'down'));
  }
}
