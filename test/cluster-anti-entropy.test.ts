// cluster-anti-entropy.test.ts — Merkle anti-entropy and safe rejoin with real
// dynkv processes on loopback (3 nodes, N=3, R=2, W=2): a replica that
// missed writes while stopped holds every key again without any client
// read; replicas that agree exchange their roots and nothing else; a node
// whose data directory was wiped never makes an acknowledged key read as
// nil (issue 10's scenario), and syncs once every other replica is back.
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { requestSize, replySize } from '../cluster/anti-entropy/exchange';
import { DEFAULT_PARTITIONS } from '../cluster/ring/ring';
import { client, eventually, isSyncing, startCluster, type ClusterTestNode } from './helpers/cluster';

/** INFO cluster's integer fields. */
async function clusterInfo(r: Redis): Promise<Record<string, number>> {
  const fields: Record<string, number> = {};
  for (const line of (await r.info('cluster')).split('\r\n')) {
    const m = /^(dynamo_[a-z_]+):(\d+)$/.exec(line);
    if (m !== null) fields[m[1]] = Number(m[2]);
  }
  return fields;
}

/** Keys whose versions this node's own replica lacks (DYN.VERSIONS LOCAL: no quorum, no read repair). */
async function missingLocally(r: Redis, keys: readonly string[]): Promise<string[]> {
  const pipeline = r.pipeline();
  for (const key of keys) pipeline.call('DYN.VERSIONS', key, 'LOCAL');
  const replies = (await pipeline.exec()) ?? [];
  return keys.filter((_, i) => {
    const [err, reply] = replies[i];
    if (err !== null) throw err;
    return (reply as [unknown, unknown[]])[1].length === 0;
  });
}

/**
 * SETs every key to valueOf(key) through r until each is acknowledged: on a
 * busy machine a replica may miss the request timeout and a write come back
 * DYNUNAVAILABLE (not acknowledged); it is written again.
 */
async function writeAll(t: ExecutionContext, r: Redis, keys: readonly string[], valueOf: (key: string) => string): Promise<void> {
  let left = keys;
  for (let attempt = 0; attempt < 5 && left.length > 0; attempt++) {
    const pipeline = r.pipeline();
    for (const key of left) pipeline.set(key, valueOf(key));
    const replies = (await pipeline.exec()) ?? [];
    left = left.filter((_, i) => {
      const [err, reply] = replies[i];
      if (err === null) return reply !== 'OK';
      t.regex(err.message, /^DYNUNAVAILABLE /);
      return true;
    });
  }
  t.deepEqual(left, [], 'every key is acknowledged');
}

const keysOf = (count: number, prefix: string): string[] => Array.from({ length: count }, (_, i) => `${prefix}:${i}`);

test('a replica stopped while keys were written holds every key again, without client reads', async (t) => {
  // Hints are delivered at 1 byte/s: the keys must come by anti-entropy.
  const { nodes } = await startCluster(t, { nodes: 3, args: ['--cluster-anti-entropy-interval-ms', '300', '--cluster-hint-rate', '1'] });
  const [a, , c] = nodes;
  await c.stop();
  const ra = client(t, a);
  const keys = keysOf(2000, 'missed');
  await writeAll(t, ra, keys, (key) => `value of ${key}`);

  await c.restart();
  const rc = client(t, c);
  t.false(await isSyncing(c), 'a restarted node kept its synced partitions: it does not resync');
  await eventually(t, 'the restarted replica holds every key', async () => (await missingLocally(rc, keys)).length === 0);
  const info = await clusterInfo(rc);
  // At 1 byte/s a hint or two still trickles through: anti-entropy brought every other key.
  const hinted = (await clusterInfo(ra)).dynamo_hints_delivered + (await clusterInfo(client(t, nodes[1]))).dynamo_hints_delivered;
  t.true(info.dynamo_ae_keys_repaired + hinted >= keys.length, `${info.dynamo_ae_keys_repaired} keys repaired by anti-entropy, ${hinted} hints delivered`);
  t.true(hinted < 10, `${hinted} hints delivered`);
  t.is(info.dynamo_read_repairs, 0, 'no read repair was involved');
  const values = await rc.call('DYN.VERSIONS', keys[1234], 'LOCAL');
  t.is((values as [string, [string][]])[1][0][0], `value of ${keys[1234]}`);
});

test('replicas that agree exchange their roots only: one small request and reply per exchange', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, args: ['--cluster-anti-entropy-interval-ms', '100'] });
  const clients = nodes.map((n) => client(t, n));
  const keys = keysOf(1000, 'agreed');
  await writeAll(t, clients[0], keys, (key) => key);
  // Every replica holds every key (the third ack comes after W=2 answered).
  for (const r of clients) await eventually(t, 'every replica holds every key', async () => (await missingLocally(r, keys)).length === 0);

  // A write whose first attempt timed out on a loaded machine may have left a replica an older version than its
  // retry: anti-entropy repairs that first. Measure once a whole round of node 1 found its peers equal.
  await eventually(t, 'a round of exchanges that all stop at the roots', async () => {
    const start = await clusterInfo(clients[1]);
    while ((await clusterInfo(clients[1])).dynamo_ae_exchanges < start.dynamo_ae_exchanges + 2) await delay(50);
    const end = await clusterInfo(clients[1]);
    const equal = end.dynamo_ae_exchanges_equal - start.dynamo_ae_exchanges_equal === end.dynamo_ae_exchanges - start.dynamo_ae_exchanges;
    if (!equal) t.log(`replicas still differed: ${end.dynamo_ae_keys_repaired} keys repaired by anti-entropy so far`);
    return equal;
  });
  const before = await clusterInfo(clients[1]);
  await eventually(t, '20 more exchanges', async () => (await clusterInfo(clients[1])).dynamo_ae_exchanges >= before.dynamo_ae_exchanges + 20);
  const after = await clusterInfo(clients[1]);
  const exchanges = after.dynamo_ae_exchanges - before.dynamo_ae_exchanges;
  const sent = after.dynamo_ae_bytes_sent - before.dynamo_ae_bytes_sent;
  const received = after.dynamo_ae_bytes_received - before.dynamo_ae_bytes_received;
  t.is(after.dynamo_ae_exchanges_equal - before.dynamo_ae_exchanges_equal, exchanges, 'every exchange stopped at the roots');
  const request = requestSize(['REPLICA.ROOTS']);
  // Each partition's root, and a bit per partition the peer is syncing.
  const reply = replySize(Buffer.alloc(DEFAULT_PARTITIONS * 8 + DEFAULT_PARTITIONS / 8));
  t.log(`${exchanges} exchanges: ${sent} bytes sent (${request} a request), ${received} received (${reply} a reply)`);
  // One exchange may have sent its request before the first INFO and ended after it, one before the second.
  t.true(sent >= (exchanges - 1) * request && sent <= (exchanges + 1) * request, `${sent} bytes sent for ${exchanges} exchanges of the roots`);
  t.true(received >= (exchanges - 1) * reply && received <= (exchanges + 1) * reply, `${received} bytes received for ${exchanges} exchanges of the roots`);
  t.is(after.dynamo_ae_keys_repaired - before.dynamo_ae_keys_repaired, 0, 'nothing was repaired while the replicas agreed');
});

test('a wiped node never makes an acknowledged key read as nil (issue 10), and syncs once every replica is back', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3 });
  const [one, two, three] = nodes;
  await three.stop();
  const keys = keysOf(1000, 'acked');
  await writeAll(t, client(t, one), keys, (key) => `v:${key}`);

  /** GETs the keys through each node (25 connections each, pipelined): values (checked), DYNUNAVAILABLE errors (checked) and nils, counted. */
  const readAll = async (through: ClusterTestNode[], keys: readonly string[]): Promise<{ values: number; errors: number; nils: number }> => {
    const counts = { values: 0, errors: 0, nils: 0 };
    for (const node of through) {
      const readers = Array.from({ length: 25 }, () => client(t, node));
      await Promise.all(
        readers.map(async (r, i) => {
          const p = r.pipeline();
          const mine = keys.filter((_, k) => k % readers.length === i);
          for (const key of mine) p.get(key);
          ((await p.exec()) ?? []).forEach(([err, value], k) => {
            if (err !== null) {
              // got 0 when node 3, just restarted, did not answer node 2 in time either.
              t.regex(err.message, /^DYNUNAVAILABLE needed R=2, got [01]$/);
              counts.errors++;
            } else if (value === null) counts.nils++;
            else {
              t.is(value, `v:${mine[k]}`);
              counts.values++;
            }
          });
        }),
      );
    }
    return counts;
  };

  // Node 2 loses its data and comes back slowly pulling (50 keys/s): it cannot have them all when node 1 stops.
  await two.stop();
  fs.rmSync(two.dir, { recursive: true, force: true });
  // A short request timeout: reads through nodes 2 and 3 wait for paused node 1 that long.
  const slow = ['--cluster-anti-entropy-keys-per-sec', '50', '--cluster-timeout', '250'];
  await two.restart(slow);
  t.true(await isSyncing(two), 'the wiped node is syncing');
  // A tenth of the keys only: a read through node 1 that succeeds read-repairs node 2.
  const early = await readAll([one], keys.slice(0, 100));
  t.log(`100 keys through node 1 with node 2 syncing and node 3 down: ${early.values} values, ${early.errors} DYNUNAVAILABLE, ${early.nils} nil`);
  t.is(early.nils, 0, 'node 2 refuses to call a key it lacks missing');

  process.kill(one.pid(), 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(one.pid(), 'SIGCONT');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH' && !/not running/.test((err as Error).message)) throw err;
    }
  });
  await three.restart(slow);
  const { values, errors, nils } = await readAll([two, three], keys);
  t.log(`through nodes 2 and 3 with node 1 paused: ${values} values, ${errors} DYNUNAVAILABLE, ${nils} nil`);
  t.is(nils, 0, 'no acknowledged key read as nil');
  t.true(errors > 0, 'some keys were on node 1 only (the scenario held)');
  t.true(await isSyncing(two), 'node 2 cannot finish syncing while node 1 is paused');

  process.kill(one.pid(), 'SIGCONT');
  const r2 = client(t, two);
  await eventually(t, 'node 2 synced with nodes 1 and 3', async () => !(await isSyncing(two)), 120_000);
  t.deepEqual(await missingLocally(r2, keys), [], 'once synced, node 2 holds every key');
  t.deepEqual(await r2.mget(...keys.slice(0, 50)), keys.slice(0, 50).map((k) => `v:${k}`));
  t.regex(two.output(), /anti-entropy: syncing \d+ partitions with the other replicas: its data directory is new/);
});
