// bench/recovery.ts — how a dynkv cluster recovers a node that missed writes
// (`npm run bench:recovery`), one scenario per row of the table:
// - handoff: 3 nodes (N=3 R=2 W=2), one stopped, 100,000 keys written
//   through the others (pipelined), the node restarted: the time until every
//   hint queue is empty (a hint leaves its queue only once the returned node
//   acked it), checked by reading every key on that node locally
//   (DYN.VERSIONS LOCAL: no quorum, no read repair).
// Client throughput: redis-benchmark (SET, 50 clients, -P 16) runs against a
// live node for the whole scenario; the node's total_commands_processed
// gives requests/s over 5 s before the outage, and over the recovery; the
// table shows both and their ratio.
// A scenario is a function returning its row, so others (anti-entropy
// refilling a wiped node) join the same table.
// Flags: --keys N (default 100000); DYNKV_BENCH_ARGS: extra dynkv-server flags
// for every node (e.g. '--cluster-hint-window 16').
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { exited, nodeArgs, planLocalCluster, spawnNode, writeSecretFile, type LocalCluster } from '../bin/cluster-launch';
import { reservePorts } from '../redis-compat/ports';
import { killOnExit } from '../redis-compat/servers';
import { pad } from './redis-benchmark';
import { formatRate, numberFlag } from './util';

/** One node of the bench's cluster: stopped and started again with the same port and directory. */
class BenchNode {
  private child: ChildProcess | null = null;
  private output = '';

  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    const child = spawnNode(this.args);
    killOnExit(child);
    this.child = child;
    const from = this.output.length;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!this.output.slice(from).includes(' ready: ')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`node ${this.port} did not start:\n${this.output.slice(from)}`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited(child);
  }
}

interface BenchCluster {
  nodes: BenchNode[];
  clients: Redis[];
  stop(): Promise<void>;
}

async function startCluster(root: string, cluster: LocalCluster, extra: string[]): Promise<BenchCluster> {
  const secretFile = writeSecretFile(cluster, root);
  const nodes = cluster.members.map((m) => new BenchNode(m.port, nodeArgs(cluster, m, path.join(root, `node-${m.port}`), secretFile, ['--appendfsync', 'everysec', ...extra])));
  await Promise.all(nodes.map((n) => n.start()));
  const clients = nodes.map((n) => {
    const client = new Redis({ port: n.port, host: '127.0.0.1', maxRetriesPerRequest: null, lazyConnect: false });
    // A stopped node's client reconnects until it is back; its commands wait meanwhile.
    client.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNREFUSED') console.error(`node ${n.port}: ${err.message}`);
    });
    return client;
  });
  return {
    nodes,
    clients,
    stop: async () => {
      for (const c of clients) c.disconnect();
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** redis-benchmark SET load on a port until stopped. */
function backgroundLoad(port: number): { stop(): Promise<void> } {
  const child = spawn('redis-benchmark', ['-p', String(port), '-t', 'set', '-n', '1000000000', '-c', '50', '-r', '100000', '-d', '32', '-P', '16', '-q'], { stdio: 'ignore' });
  killOnExit(child);
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

async function commandsProcessed(r: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await r.info('stats'))?.[1]);
}

/** Requests/s a node served over `ms` (total_commands_processed's growth). */
async function throughput(r: Redis, ms: number): Promise<number> {
  const before = await commandsProcessed(r);
  const t0 = Date.now();
  await sleep(ms);
  return ((await commandsProcessed(r)) - before) / ((Date.now() - t0) / 1000);
}

async function hintsQueued(r: Redis): Promise<number> {
  return Number(/dynamo_hints_queued:(\d+)/.exec(await r.info('cluster'))?.[1]);
}

async function writeKeys(clients: Redis[], keys: number): Promise<void> {
  const BATCH = 1000;
  for (let from = 0; from < keys; from += BATCH * clients.length) {
    await Promise.all(
      clients.map(async (c, i) => {
        const p = c.pipeline();
        const start = from + i * BATCH;
        for (let k = start; k < Math.min(start + BATCH, keys); k++) p.set(`recovery:${k}`, `value-${k}`);
        const results = (await p.exec()) ?? [];
        const failed = results.find(([err]) => err !== null);
        if (failed !== undefined) throw failed[0];
      }),
    );
  }
}

/** Keys of recovery:0..keys-1 the node does not hold, read locally. */
async function missingLocally(r: Redis, keys: number): Promise<number> {
  let missing = 0;
  const BATCH = 5000;
  for (let from = 0; from < keys; from += BATCH) {
    const p = r.pipeline();
    for (let k = from; k < Math.min(from + BATCH, keys); k++) p.call('DYN.VERSIONS', `recovery:${k}`, 'LOCAL');
    for (const [err, reply] of (await p.exec()) ?? []) if (err !== null || (reply as [string, unknown[]])[1].length === 0) missing++;
  }
  return missing;
}

interface Row {
  scenario: string;
  keys: number;
  seconds: number;
  before: number;
  during: number;
  check: string;
}

async function handoff(keys: number, extra: string[]): Promise<Row> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-bench-recovery-'));
  const plan = planLocalCluster({ ports: await reservePorts(3), n: 3, r: 2, w: 2 });
  const cluster = await startCluster(root, plan, extra);
  const [a, b, c] = cluster.clients;
  const load = backgroundLoad(cluster.nodes[0].port);
  try {
    await sleep(1000);
    const before = await throughput(a, 5000);
    await cluster.nodes[2].stop();
    await writeKeys([a, b], keys);
    const queued = (await hintsQueued(a)) + (await hintsQueued(b));
    if (queued < keys) throw new Error(`only ${queued} hints queued for ${keys} keys`);
    const served = await commandsProcessed(a);
    const t0 = Date.now();
    await cluster.nodes[2].start();
    while ((await hintsQueued(a)) + (await hintsQueued(b)) > 0) await sleep(50);
    const seconds = (Date.now() - t0) / 1000;
    const during = ((await commandsProcessed(a)) - served) / ((Date.now() - t0) / 1000);
    await load.stop();
    const missing = await missingLocally(c, keys);
    return { scenario: 'handoff to a returned node', keys, seconds, before, during, check: `${keys - missing}/${keys} keys on it` };
  } finally {
    await load.stop();
    await cluster.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  const keys = numberFlag(process.argv.slice(2), '--keys', 100_000);
  console.log('3 dynkv-server processes, N=3 R=2 W=2, appendfsync everysec; load: redis-benchmark -t set -c 50 -P 16 -r 100000 -d 32 on node 1 throughout');
  console.log('rps: node 1 total_commands_processed growth, over 5 s before the outage and over the recovery\n');
  const extra = (process.env.DYNKV_BENCH_ARGS ?? '').split(' ').filter((a) => a !== '');
  const rows = [await handoff(keys, extra)];
  console.log('| scenario                   |   keys  | recovery s | rps before | rps during | during/before | check                 |');
  console.log('|----------------------------|---------|------------|------------|------------|---------------|-----------------------|');
  for (const r of rows) {
    console.log(
      `| ${pad(r.scenario, 26, true)} | ${pad(String(r.keys), 7)} | ${pad(r.seconds.toFixed(2), 10)} | ${pad(formatRate(r.before), 10)} | ${pad(formatRate(r.during), 10)} | ${pad((r.during / r.before).toFixed(2), 13)} | ${pad(r.check, 21, true)} |`,
    );
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
