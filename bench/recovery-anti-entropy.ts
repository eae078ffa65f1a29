// bench/recovery-anti-entropy.ts — anti-entropy's half of the recovery benchmark
// (the second half of `npm run bench:recovery`): a 3-node cluster (N=3 R=2 W=2) holding
// 100,000 keys (redis-benchmark's key:000000000000... with 32-byte values).
//   1. Equal replicas: what one exchange costs node 2 (bytes sent and
//      received, from INFO's counters; CPU: all of the idle node's CPU over
//      the period divided by its exchanges, an upper bound); and in this
//      process, the CPU of the exchange's own work on trees of 100,000 keys:
//      the peer's roots (REPLICA.ROOTS) and their comparison.
//   2. Node 3's data directory wiped and the node restarted: the time until
//      it has synced with both peers and holds every key, and the client
//      throughput through node 1 meanwhile (redis-benchmark SET and GET,
//      back to back) as a ratio to the throughput before the wipe.
//   3. A control: node 3 restarted again, its data kept (nothing to pull),
//      and as many redis-benchmark runs right after: what a restart alone
//      costs the clients on this machine.
// Flags: --keys N (100000), --keys-per-sec N (anti-entropy's pull rate, the
// server's default unless given), --interval-ms N (1000: rounds between equal
// replicas), --requests N per redis-benchmark run (20000).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { exited, nodeArgs, planLocalCluster, spawnNode, waitSynced, waitUntilAnswering, writeSecretFile } from '../bin/cluster-launch';
import { reservePorts } from '../redis-compat/ports';
import { PartitionTrees } from '../cluster/anti-entropy/partition-trees';
import { NODE_BYTES } from '../cluster/anti-entropy/merkle-tree';
import { ReplicaStore } from '../cluster/replica/store';
import { DEFAULT_PARTITIONS } from '../cluster/ring/ring';
import { actorId } from '../cluster/versions/versions';
import { median, pad } from './redis-benchmark';
import { flag, formatRate, numberFlag } from './util';

interface Node {
  port: number;
  dir: string;
  args: string[];
  child: ChildProcess;
  output: () => string;
}

async function info(port: number, section: string): Promise<Record<string, string>> {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    const fields: Record<string, string> = {};
    for (const line of (await r.info(section)).split('\r\n')) {
      const at = line.indexOf(':');
      if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
    }
    return fields;
  } finally {
    r.disconnect();
  }
}

const keysIn = (fields: Record<string, string>): number => Number(/keys=(\d+)/.exec(fields.db0 ?? '')?.[1] ?? 0);
const cpuOf = (fields: Record<string, string>): number => Number(fields.used_cpu_user) + Number(fields.used_cpu_sys);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One redis-benchmark run of SET then GET (50 clients, pipeline 1): requests/s of the whole run. */
function benchmarkRun(port: number, requests: number, keys: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = ['-p', String(port), '-t', 'set,get', '-n', String(requests), '-c', '50', '-r', String(keys), '-d', '32', '-q'];
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const started = performance.now();
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`redis-benchmark ${args.join(' ')} failed (${code}): ${out}`));
      else resolve((2 * requests * 1000) / (performance.now() - started));
    });
  });
}

async function startNode(node: Omit<Node, 'child' | 'output'>): Promise<Node> {
  const child = spawnNode(node.args);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes(' ready: ')) {
    if (child.exitCode !== null) throw new Error(`node ${node.port} exited: ${out}`);
    await sleep(20);
  }
  return { ...node, child, output: () => out };
}

async function load(port: number, keys: number): Promise<void> {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  const value = 'x'.repeat(32);
  try {
    for (let from = 0; from < keys; from += 1000) {
      const pipeline = r.pipeline();
      for (let i = from; i < Math.min(from + 1000, keys); i++) pipeline.set(`key:${String(i).padStart(12, '0')}`, value);
      for (const [err] of (await pipeline.exec()) ?? []) if (err !== null) throw err;
    }
  } finally {
    r.disconnect();
  }
}

/** CPU µs of one exchange's work on equal trees of `keys` keys: building the roots, comparing them (in this process). */
function rootsExchangeMicros(keys: number, root: string): number {
  const store = new ReplicaStore(path.join(root, 'in-process'), { fsync: 'no', mergeIntervalMs: 0 }, 1);
  try {
    const actor = actorId('bench', 1);
    const value = Buffer.alloc(32, 'x');
    for (let i = 0; i < keys; i++) store.localWrite(0, Buffer.from(`key:${String(i).padStart(12, '0')}`), actor, { value, timestamp: 1, expireAt: 0 });
    const all = Array.from({ length: DEFAULT_PARTITIONS }, (_, p) => p);
    const trees = new PartitionTrees(store, DEFAULT_PARTITIONS, all);
    trees.build();
    const theirs = trees.roots();
    const rounds = 2000;
    const cpu = process.cpuUsage();
    let differing = 0;
    for (let i = 0; i < rounds; i++) {
      const mine = trees.roots();
      differing += all.filter((p) => mine.compare(theirs, p * NODE_BYTES, (p + 1) * NODE_BYTES, p * NODE_BYTES, (p + 1) * NODE_BYTES) !== 0).length;
    }
    const used = process.cpuUsage(cpu);
    if (differing !== 0) throw new Error('equal trees differ');
    return (used.user + used.system) / rounds;
  } finally {
    store.close();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const keys = numberFlag(argv, '--keys', 100_000);
  const requests = numberFlag(argv, '--requests', 20_000);
  const intervalMs = numberFlag(argv, '--interval-ms', 1000);
  const rate = flag(argv, '--keys-per-sec');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-bench-ae-'));
  const cluster = planLocalCluster({ ports: await reservePorts(3) });
  const secret = writeSecretFile(cluster, root);
  const extra = ['--appendfsync', 'everysec', '--cluster-anti-entropy-interval-ms', String(intervalMs), ...(rate === null ? [] : ['--cluster-anti-entropy-keys-per-sec', rate])];
  const nodes = await Promise.all(
    cluster.members.map((m) => {
      const dir = path.join(root, `node-${m.port}`);
      return startNode({ port: m.port, dir, args: nodeArgs(cluster, m, dir, secret, extra) });
    }),
  );
  const ports = nodes.map((n) => n.port);
  try {
    const answering = await waitUntilAnswering(cluster.members, nodes.map((n) => n.child), 30_000);
    if (answering !== null) throw new Error(`node ${answering.index} ${answering.why}`);
    await waitSynced('127.0.0.1', ports, 30_000);
    const loadStart = performance.now();
    await load(ports[0], keys);
    console.log(`loaded ${keys} keys through node 1 in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
    for (const port of ports) while (keysIn(await info(port, 'keyspace')) < keys) await sleep(200);

    // 1. Equal replicas.
    const before = { ...(await info(ports[1], 'cluster')), ...(await info(ports[1], 'cpu')) };
    await sleep(Math.max(10_000, 20 * intervalMs));
    const after = { ...(await info(ports[1], 'cluster')), ...(await info(ports[1], 'cpu')) };
    const delta = (name: string): number => Number(after[name]) - Number(before[name]);
    const exchanges = delta('dynamo_ae_exchanges');
    const equal = delta('dynamo_ae_exchanges_equal');
    const cpuPerExchange = ((cpuOf(after) - cpuOf(before)) * 1e6) / exchanges;

    // 2. Throughput before, then node 3 wiped and refilled under the same load.
    const baseline: number[] = [];
    for (let i = 0; i < 5; i++) baseline.push(await benchmarkRun(ports[0], requests, keys));
    const wiped = nodes[2];
    wiped.child.kill('SIGTERM');
    await exited(wiped.child);
    fs.rmSync(wiped.dir, { recursive: true, force: true });
    const wipedAt = performance.now();
    nodes[2] = await startNode({ port: wiped.port, dir: wiped.dir, args: wiped.args });
    let refilledMs = 0;
    const watch = (async () => {
      for (;;) {
        const fields = { ...(await info(wiped.port, 'cluster')), ...(await info(wiped.port, 'keyspace')) };
        if (fields.dynamo_sync_state === 'synced' && keysIn(fields) >= keys) {
          refilledMs = performance.now() - wipedAt;
          return fields;
        }
        await sleep(100);
      }
    })();
    const during: number[] = [];
    while (refilledMs === 0) during.push(await benchmarkRun(ports[0], requests, keys));
    const refilled = await watch;

    // 3. The control: a restart with nothing to pull, the same number of runs.
    const control: number[] = [];
    nodes[2].child.kill('SIGTERM');
    await exited(nodes[2].child);
    nodes[2] = await startNode({ port: wiped.port, dir: wiped.dir, args: wiped.args });
    while (control.length < during.length) control.push(await benchmarkRun(ports[0], requests, keys));

    const rows: [string, string][] = [
      ['keys', String(keys)],
      ['equal replicas: exchanges (roots only)', `${exchanges} (${equal})`],
      ['equal replicas: bytes sent per exchange', (delta('dynamo_ae_bytes_sent') / exchanges).toFixed(1)],
      ['equal replicas: bytes received per exchange', (delta('dynamo_ae_bytes_received') / exchanges).toFixed(1)],
      ['equal replicas: node CPU per exchange, µs (upper bound)', cpuPerExchange.toFixed(0)],
      ['equal replicas: CPU of roots + compare, µs (in process)', rootsExchangeMicros(keys, root).toFixed(1)],
      ['wiped node: time to sync and hold every key', `${(refilledMs / 1000).toFixed(1)} s`],
      ['wiped node: keys repaired by anti-entropy', refilled.dynamo_ae_keys_repaired],
      ['wiped node: keys pulled per second', formatRate((Number(refilled.dynamo_ae_keys_repaired) * 1000) / refilledMs)],
      ['client SET+GET rps before (median of 5 runs)', formatRate(median(baseline))],
      [`client SET+GET rps during refill (median of ${during.length} runs)`, formatRate(median(during))],
      ['throughput during / before', (median(during) / median(baseline)).toFixed(2)],
      [`control, node 3 restarted with its data: rps (median of ${control.length} runs)`, formatRate(median(control))],
      ['control: throughput after a plain restart / before', (median(control) / median(baseline)).toFixed(2)],
    ];
    console.log(`\nanti-entropy recovery: 3 nodes N=3 R=2 W=2, interval ${intervalMs} ms, pull rate ${rate ?? 'default'} keys/s; redis-benchmark -t set,get -n ${requests} -c 50 -r ${keys} -d 32 through node 1\n`);
    console.log('| figure | value |');
    console.log('|---|---|');
    for (const [name, value] of rows) console.log(`| ${pad(name, 58, true)} | ${pad(value, 12)} |`);
  } catch (err) {
    for (const n of nodes) console.error(`--- node ${n.port} ---\n${n.output()}`);
    throw err;
  } finally {
    for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => exited(n.child)));
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
