// test/cluster-handoff.test.ts — sloppy quorum and hinted handoff with real
// dynkv processes on loopback: writes made while replicas are down reach
// them once they return, with no client read (DYN.VERSIONS LOCAL reads a
// replica as it is, without a quorum or read repair); 5 nodes, N=3, W=2
// take writes with any 2 down (fallbacks stand in); hints survive a kill of
// the node holding them; INFO's hint queues empty out. Serial: each test
// runs thousands of pipelined writes through clusters of real processes.
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { client, eventually, hintCounts, missingLocally, startCluster } from './helpers/cluster';

const valueOf = (key: string): string => `v-${key}`;

/** How long a recovery may take on a busy 2-core machine. */
const BOUND_MS = 120_000;
/** Thousands of pipelined writes at once on a busy machine: a generous bus timeout, so a slow replica is not taken for a dead one. */
const ARGS = ['--cluster-timeout', '10000'];

/** SETs key -> value of every key, pipelined over the clients in turn; every reply must be OK. */
async function writeAll(t: ExecutionContext, clients: Redis[], keys: string[]): Promise<void> {
  const pipelines = clients.map((c) => c.pipeline());
  keys.forEach((k, i) => pipelines[i % clients.length].set(k, valueOf(k)));
  const results = await Promise.all(pipelines.map((p) => p.exec()));
  const failed = results.flatMap((res) => (res ?? []).filter(([err, reply]) => err !== null || reply !== 'OK'));
  t.deepEqual(failed.slice(0, 3), [], `all ${keys.length} writes acknowledged (${failed.length} failed)`);
}

test.serial('3 nodes, N=3 W=2: 10,000 keys written while one is down reach it by hinted handoff, with no client read', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, n: 3, w: 2, args: ARGS });
  const [a, b] = [client(t, nodes[0]), client(t, nodes[1])];
  await nodes[2].stop();
  const keys = Array.from({ length: 10_000 }, (_, i) => `handoff:${i}`);
  await writeAll(t, [a, b], keys);

  await nodes[2].restart();
  const c = client(t, nodes[2]);
  let missing = keys;
  await eventually(t, 'the returned node holds every key', async () => {
    missing = await missingLocally(c, missing, valueOf);
    return missing.length === 0;
  }, BOUND_MS);
  await eventually(t, 'every hint queue is empty', async () => (await Promise.all([a, b, c].map(hintCounts))).every((h) => h.queued === 0), BOUND_MS);
  const delivered = (await hintCounts(a)).delivered + (await hintCounts(b)).delivered;
  t.true(delivered >= keys.length, `hints delivered: ${delivered}`);
  for (const r of [a, b, c]) t.is((await hintCounts(r)).dropped, 0);
});

test.serial('5 nodes, N=3 W=2, two down: writes succeed through fallbacks; once back, every primary holds its keys', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 5, n: 3, w: 2, args: ARGS });
  const down = [nodes[3], nodes[4]];
  const downIds = new Set(down.map((n) => n.id));
  const up = nodes.slice(0, 3).map((n) => client(t, n));
  const keys = Array.from({ length: 2_000 }, (_, i) => `sloppy:${i}`);
  const preflists = await Promise.all(keys.map(async (k) => (await up[0].call('DYN.PREFLIST', k)) as string[]));
  const bothDown = preflists.filter((list) => list.filter((id) => downIds.has(id)).length === 2).length;
  t.true(bothDown > 0, `some keys have both down nodes among their primaries (${bothDown})`);
  await Promise.all(down.map((n) => n.kill()));

  await writeAll(t, up, keys);
  // Fallbacks took hints for the down primaries: their queues name them.
  const infos = await Promise.all(up.map((r) => r.info('cluster')));
  for (const id of downIds) t.true(infos.some((info) => info.includes(`node=${id},`)), `some node keeps hints for ${id}`);

  await Promise.all(down.map((n) => n.restart()));
  const all = nodes.map((n) => client(t, n));
  await eventually(t, 'every hint queue is empty', async () => (await Promise.all(all.map(hintCounts))).every((h) => h.queued === 0), BOUND_MS);
  for (const [i, node] of nodes.entries()) {
    const own = keys.filter((_, k) => preflists[k].includes(node.id));
    t.deepEqual((await missingLocally(all[i], own, valueOf)).slice(0, 5), [], `${node.id} holds its ${own.length} keys`);
  }
});

test.serial('hints survive a kill of the node holding them and are delivered after its restart', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, n: 3, w: 2, args: ARGS });
  const [holder, other, away] = nodes;
  const a = client(t, holder);
  await away.stop();
  const keys = Array.from({ length: 2_000 }, (_, i) => `durable-hint:${i}`);
  await writeAll(t, [a], keys);
  t.true((await hintCounts(a)).queued >= keys.length);
  await holder.kill();
  await holder.restart();
  const a2 = client(t, holder);
  t.true((await hintCounts(a2)).queued >= keys.length, 'the hints were read back from the log after the kill');
  t.regex(holder.output(), /hints for 127\.0\.0\.1:\d+ wait in /);

  await away.restart();
  const c = client(t, away);
  await eventually(t, 'the holder delivered its hints', async () => (await hintCounts(a2)).queued === 0, BOUND_MS);
  t.deepEqual((await missingLocally(c, keys, valueOf)).slice(0, 5), [], 'the returned node holds every key');
  t.is((await hintCounts(client(t, other))).queued, 0);
});

/** INFO's line for the hints this node keeps for target. */
async function targetLine(r: Redis, target: string): Promise<{ queued: number; bytes: number; dropped: number }> {
  const m = new RegExp(`node=${target.replace(/\./g, '\\.')},queued=(\\d+),bytes=(\\d+),delivered=\\d+,dropped=(\\d+)`).exec(await r.info('cluster'));
  return m === null ? { queued: 0, bytes: 0, dropped: 0 } : { queued: Number(m[1]), bytes: Number(m[2]), dropped: Number(m[3]) };
}

test.serial('cluster-hint-* settings act: CONFIG SET of the size bound, the age bound and the rate cap', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, n: 3, w: 2, args: ARGS });
  const [a, away] = [client(t, nodes[0]), nodes[2]];
  t.deepEqual(await a.config('GET', 'cluster-hint-*'), [
    'cluster-hint-max-bytes', String(256 * 1024 * 1024),
    'cluster-hint-max-age', '10800',
    'cluster-hint-window', '64',
    'cluster-hint-rate', String(16 * 1024 * 1024),
  ]);
  await t.throwsAsync(a.config('SET', 'cluster-hint-window', '0'), {
    message: "ERR CONFIG SET failed (possibly related to argument 'cluster-hint-window') - argument must be between 1 and 65536 inclusive",
  });
  await away.stop();

  // Size: 4 KB of hints, the rest dropped and counted.
  t.is(await a.config('SET', 'cluster-hint-max-bytes', '4kb'), 'OK');
  await writeAll(t, [a], Array.from({ length: 300 }, (_, i) => `bounded:${i}`));
  const bounded = await targetLine(a, away.id);
  t.true(bounded.bytes <= 4096 && bounded.queued > 0, `at most 4096 bytes kept (${bounded.bytes} in ${bounded.queued} hints)`);
  t.is(bounded.dropped, 300 - bounded.queued);

  // Age: with a 1 s bound, hints of an away node are dropped within a few seconds.
  t.is(await a.config('SET', 'cluster-hint-max-age', '1'), 'OK');
  await eventually(t, 'the hints past 1 s are dropped', async () => (await targetLine(a, away.id)).queued === 0, BOUND_MS);
  t.is((await targetLine(a, away.id)).dropped, 300);

  // Rate: 20,000 bytes/s paces the delivery of the hints queued next.
  t.is(await a.config('SET', 'cluster-hint-max-age', '3600'), 'OK');
  t.is(await a.config('SET', 'cluster-hint-max-bytes', '64mb'), 'OK');
  t.is(await a.config('SET', 'cluster-hint-rate', '20000'), 'OK');
  const keys = Array.from({ length: 1_500 }, (_, i) => `paced:${i}`);
  await writeAll(t, [a], keys);
  const queued = await targetLine(a, away.id);
  t.is(queued.queued, keys.length);
  // The cap counts key and record bytes; the log adds 24 bytes of framing per hint. A tenth of a second's worth may go at once.
  const payload = queued.bytes - 24 * queued.queued;
  const floorMs = ((payload - 2000) / 20_000) * 1000;
  const started = Date.now();
  await away.restart();
  await eventually(t, 'the paced hints are delivered', async () => (await targetLine(a, away.id)).queued === 0, BOUND_MS);
  const took = Date.now() - started;
  t.true(took >= floorMs, `${payload} bytes at 20,000 bytes/s took ${took} ms (at least ${Math.round(floorMs)})`);
  t.deepEqual(await missingLocally(client(t, away), keys, valueOf), []);
});
