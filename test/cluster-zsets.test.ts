// cluster-zsets.test.ts — sorted sets through a cluster of real dynkv
// processes (3 nodes, N=3, ioredis): on both sides of a partition
// (DYN.FAULT) ZADDs of different members both survive the healing, ZREM
// concurrent with ZADD of the same member keeps the member with the ZADD's
// score (add-wins), concurrent ZADDs and ZINCRBYs of one member show one
// winner's score everywhere (a per-member register: datatypes/README.md,
// "Sorted sets"); and afterwards each replica, cut off and answering from
// its own index, shows the merged set (its index followed the element
// records the catch-up brought it).
import test from 'ava';
import type Redis from 'ioredis';
import { client, eventually, heal, isolate, startCluster } from './helpers/cluster';

async function withScores(r: Redis, key: string): Promise<Record<string, string>> {
  const flat = await r.zrange(key, 0, -1, 'WITHSCORES');
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

test('a partition: ZADDs on both sides survive the healing, ZREM loses to a concurrent ZADD of its member (add-wins), concurrent ZADD/ZINCRBY of one member show one winner, every replica ends with the merged set', async (t) => {
  t.timeout(300_000);
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b, c] = clients;
  t.is(await a.zadd('board', 1, 'shared', 5, 'gone', 10, 'inc', 20, 'both'), 4);
  t.deepEqual(await withScores(b, 'board'), { shared: '1', gone: '5', inc: '10', both: '20' });

  await isolate(clients, nodes);
  // Each side coordinates its own writes (W=1): all acknowledged.
  t.is(await a.zadd('board', 2, 'from-a'), 1);
  t.is(await b.zadd('board', 3, 'from-b'), 1);
  // The ZADD comes first: by the winner order alone (latest first) the ZREM would win.
  t.is(await b.zadd('board', 7, 'shared'), 0);
  t.is(await a.zrem('board', 'shared'), 1);
  t.is(await a.zadd('board', 100, 'both'), 0);
  t.is(await b.zadd('board', 200, 'both'), 0);
  t.is(await a.zincrby('board', 1, 'inc'), '11');
  t.is(await b.zincrby('board', 5, 'inc'), '15');
  t.is(await c.zrem('board', 'gone'), 1);
  t.deepEqual(await withScores(a, 'board'), { 'from-a': '2', gone: '5', inc: '11', both: '100' });
  t.deepEqual(await withScores(b, 'board'), { 'from-b': '3', gone: '5', shared: '7', inc: '15', both: '200' });

  await heal(t, clients);
  let merged: Record<string, string> = {};
  await eventually(t, 'the coordinator caught up with both sides', async () => {
    merged = await withScores(a, 'board');
    return 'from-a' in merged && 'from-b' in merged;
  });
  t.is(merged['from-a'], '2');
  t.is(merged['from-b'], '3');
  t.is(merged.shared, '7', 'ZREM of shared on one side, ZADD of it on the other: the ZADD wins, with its score');
  t.false('gone' in merged, 'a ZREM nobody raced stays');
  t.true(merged.both === '100' || merged.both === '200', `both: ${merged.both}`);
  t.true(merged.inc === '11' || merged.inc === '15', `concurrent ZINCRBYs: one side's result wins (a register), got ${merged.inc}`);
  t.deepEqual(Object.keys(merged).sort(), ['both', 'from-a', 'from-b', 'inc', 'shared']);
  for (const r of [b, c]) t.deepEqual(await withScores(r, 'board'), merged);

  // Each replica on its own (cut off, R=1 W=1: it coordinates and reads its own index): the same set, ranks and counts.
  await isolate(clients, nodes);
  const order = Object.entries(merged).sort((x, y) => Number(x[1]) - Number(y[1]) || (x[0] < y[0] ? -1 : 1)).map(([m]) => m);
  for (const [i, r] of clients.entries()) {
    const node = nodes[i].id;
    t.deepEqual(await withScores(r, 'board'), merged, node);
    t.deepEqual(await r.zrange('board', 0, -1), order, node);
    t.is(await r.zcard('board'), 5, node);
    t.is(await r.zrank('board', 'shared'), order.indexOf('shared'), node);
    t.is(await r.zcount('board', 3, 50), order.filter((m) => Number(merged[m]) >= 3 && Number(merged[m]) <= 50).length, node);
  }
});
