// cluster-hashes.test.ts — hashes through a cluster of real dynkv processes
// (ioredis): a field's record is stored on exactly the key's preference
// list (read back from each node's elements engine once the nodes stop);
// on both sides of a partition (DYN.FAULT) HSETs of different fields both
// survive the healing, HDEL concurrent with HSET of the same field keeps the
// HSET (add-wins), concurrent HSETs of one field show one winner
// everywhere, and every replica holds the merged hash afterwards.
import path from 'node:path';
import test from 'ava';
import { Engine } from '../engine/index';
import { fieldKey, visibleField } from '../cluster/replica/hash-replica';
import { decodeVersions } from '../cluster/versions/codec';
import { client, eventually, heal, isolate, startCluster, type ClusterTestNode } from './helpers/cluster';

/** A stopped node's field of a hash as its elements engine holds it: the visible value, or null. */
function storedField(node: ClusterTestNode, key: string, field: string): string | null {
  const engine = Engine.open(path.join(node.dir, 'db0.elements'));
  try {
    const record = engine.get(fieldKey(Buffer.from(key), Buffer.from(field)));
    return record === null ? null : (visibleField(decodeVersions(record))?.value.toString() ?? null);
  } finally {
    engine.close();
  }
}

test("a field's record is stored on the key's preference list, as the key's record is (N=2 of 3)", async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 2, r: 1, w: 2 });
  const { nodes } = cluster;
  const [a, b, c] = nodes.map((n) => client(t, n));
  t.is(await a.hset('user:1', 'name', 'ada', 'lang', 'en'), 2);
  t.is(await b.hset('user:1', 'name', 'grace'), 0);
  t.is(await c.hget('user:1', 'name'), 'grace');
  t.deepEqual(await c.hgetall('user:1'), { name: 'grace', lang: 'en' });
  const list = (await a.call('DYN.PREFLIST', 'user:1')) as string[];
  t.is(list.length, 2);
  await cluster.stop();
  for (const node of nodes) {
    const expected = list.includes(node.id) ? 'grace' : null;
    t.is(storedField(node, 'user:1', 'name'), expected, `${node.id} (${list.includes(node.id) ? 'a replica' : 'no replica'})`);
  }
});

test('a partition: HSETs of different fields on both sides survive the healing, HDEL loses to a concurrent HSET of its field (add-wins), every replica ends with the merged hash', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b, c] = clients;
  t.is(await a.hset('cart', 'shared', 'v0', 'gone', 'x'), 2);
  t.deepEqual(await b.hgetall('cart'), { shared: 'v0', gone: 'x' });

  await isolate(clients, nodes);
  // Each side coordinates its own writes (W=1): all acknowledged.
  t.is(await a.hset('cart', 'from-a', '1'), 1);
  t.is(await b.hset('cart', 'from-b', '2'), 1);
  // The HSET comes first: by the winner order alone (latest first) the HDEL would win.
  t.is(await b.hset('cart', 'shared', 'v1'), 0);
  t.is(await a.hdel('cart', 'shared'), 1);
  t.is(await a.hset('cart', 'both', 'a'), 1);
  t.is(await b.hset('cart', 'both', 'b'), 1);
  t.is(await c.hdel('cart', 'gone'), 1);
  t.deepEqual(await a.hgetall('cart'), { gone: 'x', 'from-a': '1', both: 'a' });
  t.deepEqual(await b.hgetall('cart'), { shared: 'v1', gone: 'x', 'from-b': '2', both: 'b' });

  await heal(t, clients);
  // R=1: the first read after the healing may see one side's header only; the read repair of the
  // header then shows the coordinator a clock its fields are not complete for, and it catches up.
  let merged: Record<string, string> = {};
  await eventually(t, 'the coordinator caught up with both sides', async () => {
    merged = await a.hgetall('cart');
    return 'from-a' in merged && 'from-b' in merged;
  });
  t.is(merged['from-a'], '1');
  t.is(merged['from-b'], '2');
  t.is(merged.shared, 'v1', 'HDEL of shared on one side, HSET of it on the other: the HSET wins');
  t.false('gone' in merged, 'an HDEL nobody raced stays');
  t.true(merged.both === 'a' || merged.both === 'b');
  t.deepEqual(Object.keys(merged).sort(), ['both', 'from-a', 'from-b', 'shared']);
  for (const r of [b, c]) t.deepEqual(await r.hgetall('cart'), merged);
  t.is(await c.hlen('cart'), 4);

  await cluster.stop();
  for (const node of nodes) {
    for (const [field, value] of Object.entries({ ...merged, gone: null })) t.is(storedField(node, 'cart', field), value, `${node.id} ${field}`);
  }
});
