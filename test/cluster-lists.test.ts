// cluster-lists.test.ts — lists through a cluster of real dynkv processes
// (ioredis; 3 nodes, N=3): on both sides of a partition (DYN.FAULT) LPUSH
// and RPUSH all survive the healing, in one order that every replica holds
// (read back from each node's elements engine once the nodes stop: the
// live element records sorted by position id); both sides popping the
// head each get the same item and it is gone once (as Redis Enterprise's
// Active-Active lists); an LSET on one side shows after the healing; LMOVE,
// RPOPLPUSH and LMPOP between two keys work where the node holds replicas
// of both.
import path from 'node:path';
import test from 'ava';
import { Engine } from '../engine/index';
import { fieldKey, visibleField } from '../cluster/replica/hash-replica';
import { decodeVersions } from '../cluster/versions/codec';
import { client, eventually, heal, isolate, startCluster, type ClusterTestNode } from './helpers/cluster';

/** A stopped node's list as its elements engine holds it: the live items' values, in position-id order. */
function storedList(node: ClusterTestNode, key: string): string[] {
  const engine = Engine.open(path.join(node.dir, 'db0.elements'));
  try {
    const prefix = fieldKey(Buffer.from(key), Buffer.alloc(0));
    const items: [Buffer, string][] = [];
    let cursor = 0n;
    do {
      const page = engine.scan(cursor, 1000);
      for (const k of page.keys) {
        if (k.length <= prefix.length || !k.subarray(0, prefix.length).equals(prefix)) continue;
        const record = engine.get(k);
        const visible = record === null ? null : visibleField(decodeVersions(record));
        if (visible !== null) items.push([k.subarray(prefix.length), visible.value.toString()]);
      }
      cursor = page.cursor;
    } while (cursor !== 0n);
    return items.sort((x, y) => Buffer.compare(x[0], y[0])).map(([, v]) => v);
  } finally {
    engine.close();
  }
}

test('a partition: LPUSH and RPUSH on both sides all survive the healing, in one order on every replica; two sides pop the same head, it is gone once', async (t) => {
  t.timeout(240_000);
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b, c] = clients;
  t.is(await a.rpush('q', 'x0', 'x1', 'x2', 'x3'), 4);
  // A transaction runs at the node it was sent to, after the catch-up: each replica then holds every item.
  for (const r of clients) t.deepEqual(await r.multi().llen('q').exec(), [[null, 4]]);

  await isolate(clients, nodes);
  // Each side coordinates its own writes (W=1): all acknowledged. a and b both pop x0.
  t.is(await a.lpop('q'), 'x0');
  t.is(await b.lpop('q'), 'x0');
  t.is(await a.lpush('q', 'a-head1', 'a-head2'), 5);
  t.is(await a.rpush('q', 'a-tail'), 6);
  t.is(await b.lpush('q', 'b-head'), 4);
  t.is(await b.rpush('q', 'b-tail1', 'b-tail2'), 6);
  t.is(await c.rpush('q', 'c-tail'), 5);
  t.is(await c.linsert('q', 'AFTER', 'x1', 'c-mid'), 6);
  t.is(await a.rpop('q'), 'a-tail');
  t.is(await b.rpop('q'), 'b-tail2');
  t.is(await c.rpop('q'), 'c-tail');
  t.is(await c.rpop('q'), 'x3');
  t.is(await a.lset('q', 2, 'x1-by-a'), 'OK');
  t.deepEqual(await a.lrange('q', 0, -1), ['a-head2', 'a-head1', 'x1-by-a', 'x2', 'x3']);
  t.deepEqual(await b.lrange('q', 0, -1), ['b-head', 'x1', 'x2', 'x3', 'b-tail1']);
  t.deepEqual(await c.lrange('q', 0, -1), ['x0', 'x1', 'c-mid', 'x2']);

  await heal(t, clients);
  // R=1: the first read after the healing may see one side's header only; its read repair then shows the
  // coordinator a clock its elements are not complete for, and the next command catches up.
  const pushed = ['a-head1', 'a-head2', 'b-head', 'b-tail1', 'c-mid'];
  let merged: string[] = [];
  await eventually(t, 'the coordinator caught up with every side', async () => {
    merged = await a.lrange('q', 0, -1);
    return pushed.every((v) => merged.includes(v));
  });
  t.log(`merged: ${merged.join(' ')}`);
  for (const v of pushed) t.is(merged.filter((x) => x === v).length, 1, `${v} once`);
  t.false(merged.includes('x0'), 'x0, popped on two sides, is gone once');
  t.false(merged.includes('x3'), 'x3 popped on one side stays popped');
  t.false(merged.includes('a-tail') || merged.includes('b-tail2') || merged.includes('c-tail'), 'popped items stay popped');
  t.is(merged.length, 7);
  // Each side's own order is kept: heads before x1, x1 (set by a) before c-mid before x2 before b's tail.
  const at = (v: string): number => merged.indexOf(v);
  t.true(at('a-head2') < at('a-head1') && at('a-head1') < at('x1-by-a'));
  t.true(at('b-head') < at('x1-by-a'));
  t.true(at('x1-by-a') < at('c-mid') && at('c-mid') < at('x2') && at('x2') < at('b-tail1'));
  t.is(await c.llen('q'), merged.length);
  for (const r of [b, c]) t.deepEqual(await r.lrange('q', 0, -1), merged);

  // Every replica's own element records hold the same list (a transaction runs where it was sent).
  for (const r of clients) t.deepEqual(await r.multi().lrange('q', 0, -1).exec(), [[null, merged]]);
  await cluster.stop();
  for (const node of nodes) t.deepEqual(storedList(node, 'q'), merged, node.id);
});

test('LMOVE, RPOPLPUSH and LMPOP between keys every node holds replicas of (N=3 of 3), sent to different nodes', async (t) => {
  t.timeout(120_000);
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 2, w: 2 });
  const [a, b, c] = cluster.nodes.map((n) => client(t, n));
  t.is(await a.rpush('src', '1', '2', '3'), 3);
  t.is(await b.lmove('src', 'dst', 'LEFT', 'RIGHT'), '1');
  t.is(await c.rpoplpush('src', 'dst'), '3');
  t.deepEqual(await a.lrange('dst', 0, -1), ['3', '1']);
  t.deepEqual(await b.lrange('src', 0, -1), ['2']);
  t.deepEqual(await c.call('LMPOP', '2', 'nokey', 'dst', 'RIGHT', 'COUNT', '5'), ['dst', ['1', '3']]);
  t.is(await a.exists('dst'), 0);
});
