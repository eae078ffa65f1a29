// test/cluster-netns.test.ts — a 3-node cluster whose nodes are hosts of
// their own (network namespaces, root only), with a link cut by the kernel:
// nothing answers, nothing resets, as a pulled cable (a stopped process on
// loopback refuses connections at once instead). With node 3 cut off, writes
// through node 1 go on (W=2), node 1 marks node 3 down from its silence, and
// once the link is back node 3 holds every key by hinted handoff, with no
// client read, and every hint queue is empty. Skipped, saying why, where
// namespaces cannot be made (not root).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { SERVER_SCRIPT, exited, nodeArgs, randomSecret, waitSynced, writeSecretFile, type LocalCluster } from '../bin/cluster-launch';
import { eventually, hintCounts, missingLocally } from './helpers/cluster';
import { NetnsHosts, unavailable } from './helpers/netns';
import { tmpDir } from './helpers/tmpdir';

const PORT = 7001;
const why = unavailable();
const valueOf = (key: string): string => `v-${key}`;

async function stateOf(r: Redis, id: string): Promise<string | undefined> {
  return ((await r.call('DYN.NODES')) as string[][]).find((m) => m[0] === id)?.[5];
}

/** The cluster's nodes, one per namespace, all on PORT (each host has its own). */
async function startNodes(t: ExecutionContext, hosts: NetnsHosts): Promise<{ ids: string[]; connect: (i: number) => Redis }> {
  const root = tmpDir(t, 'dynkv-netns-');
  const cluster: LocalCluster = {
    members: hosts.addresses.map((host) => ({ host, port: PORT, busPort: PORT + 10000, weight: 1 })),
    n: 3,
    r: 2,
    w: 2,
    secret: randomSecret(),
    faultInjection: false,
  };
  const secretFile = writeSecretFile(cluster, root);
  const children: ChildProcess[] = [];
  const outputs: string[] = [];
  t.teardown(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => exited(c)));
  });
  cluster.members.forEach((member, i) => {
    // The test's client comes from the bridge, not loopback: protected mode would refuse it.
    const args = nodeArgs(cluster, member, path.join(root, `node-${i}`), secretFile, ['--protected-mode', 'no']);
    const [cmd, argv] = hosts.exec(i, [process.execPath, SERVER_SCRIPT, ...args]);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    outputs[i] = '';
    child.stdout?.on('data', (d: Buffer) => (outputs[i] += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (outputs[i] += d.toString()));
    children.push(child);
  });
  try {
    for (const host of hosts.addresses) await waitSynced(host, [PORT], 60_000);
  } catch (err) {
    t.log(outputs.join('\n---\n'));
    throw err;
  }
  const connect = (i: number): Redis => {
    const r = new Redis({ host: hosts.addresses[i], port: PORT, maxRetriesPerRequest: null });
    t.teardown(() => r.disconnect());
    return r;
  };
  return { ids: hosts.addresses.map((host) => `${host}:${PORT}`), connect };
}

const netnsTest = why === null ? test : test.skip;
if (why !== null) console.error(`cluster-netns: skipped: ${why}`);

netnsTest('a node cut off by the kernel: writes go on, it is marked down, and after the heal it holds every key by handoff', async (t) => {
  const hosts = new NetnsHosts(3);
  t.teardown(() => hosts.remove());
  const { ids, connect } = await startNodes(t, hosts);
  const [a, b] = [connect(0), connect(1)];

  hosts.cut(2);
  const keys = Array.from({ length: 1000 }, (_, i) => `netns:${i}`);
  const p = a.pipeline();
  for (const k of keys) p.set(k, valueOf(k));
  const replies = (await p.exec()) ?? [];
  const failed = replies.filter(([err, reply]) => err !== null || reply !== 'OK');
  t.deepEqual(failed.slice(0, 3), [], `every write through node 1 acknowledged with node 3 cut off (${failed.length} failed)`);
  await eventually(t, 'node 1 marks node 3 down from its silence', async () => (await stateOf(a, ids[2])) === 'down');
  t.true((await hintCounts(a)).queued + (await hintCounts(b)).queued >= keys.length, 'hints kept for node 3');

  hosts.heal(2);
  await eventually(t, 'node 1 sees node 3 up again', async () => (await stateOf(a, ids[2])) === 'up');
  const c = connect(2); // not before: a client of a host cut off only retries its connection
  let missing: string[] = keys;
  await eventually(t, 'node 3 holds every key, with no client read', async () => {
    missing = await missingLocally(c, missing, valueOf);
    return missing.length === 0;
  }, 120_000);
  await eventually(t, 'every hint queue is empty', async () => (await hintCounts(a)).queued === 0 && (await hintCounts(b)).queued === 0);
  t.is((await hintCounts(a)).dropped + (await hintCounts(b)).dropped, 0);
});
