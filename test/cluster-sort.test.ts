// test/cluster-sort.test.ts — SORT's BY and GET patterns in a cluster whose
// nodes do not all hold every key (3 nodes, N=1): pattern keys held by the node
// that runs the command (the sorted key's replica; a hash tag puts them there)
// are read, a pattern key held only elsewhere answers -DYNUNAVAILABLE rather
// than a wrong nil, and so does a STORE destination no node holds with the
// source. (On a cluster where every node holds every key, the compatibility
// script redis-compat/scripts/sort.ts runs through a node: test/redis-compat-cluster.test.ts.)
import test from 'ava';
import type Redis from 'ioredis';
import { client, startCluster } from './helpers/cluster';

async function holder(r: Redis, key: string): Promise<string> {
  const list = (await r.call('DYN.PREFLIST', key)) as string[];
  return list[0];
}

test('SORT reads BY/GET keys held with the sorted key, and answers DYNUNAVAILABLE for one held elsewhere', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 1, r: 1, w: 1 });
  const r = client(t, cluster.nodes[0]);
  const src = '{s}list';
  const here = await holder(r, src);
  await r.rpush(src, '3', '1', '2');
  // Keys with the source's hash tag live on its node.
  await r.mset('{s}w_1', '30', '{s}w_2', '20', '{s}w_3', '10');
  await r.hset('{s}h_1', 'name', 'one');
  await r.hset('{s}h_2', 'name', 'two');
  t.deepEqual(await r.sort(src, 'BY', '{s}w_*'), ['3', '2', '1']);
  t.deepEqual(await r.sort(src, 'BY', '{s}w_*', 'GET', '#', 'GET', '{s}h_*->name'), ['3', null, '2', 'two', '1', 'one']);
  t.deepEqual(await r.call('SORT_RO', src, 'BY', 'nosort', 'GET', '{s}w_*'), ['10', '30', '20']);

  // A pattern whose key for some element lives on another node.
  let away: string | null = null;
  for (let i = 0; i < 200 && away === null; i++) if ((await holder(r, `w_${i}`)) !== here) away = String(i);
  if (away === null) throw new Error('no key of 200 lives on another node');
  await r.rpush('{s}away', away);
  await r.set(`w_${away}`, '5');
  await t.throwsAsync(r.sort('{s}away', 'BY', 'w_*'), { message: /^DYNUNAVAILABLE SORT reads BY\/GET keys at this node's replicas and it holds none of 'w_/ });
  await t.throwsAsync(r.sort('{s}away', 'GET', 'w_*'), { message: /^DYNUNAVAILABLE SORT reads BY\/GET keys/ });
  // '#' and patterns without '*' read no key: they work wherever.
  t.deepEqual(await r.sort('{s}away', 'BY', 'nosort', 'GET', '#', 'GET', 'fixed'), [away, null]);

  // STORE to a key held by another node than the source's.
  let dst: string | null = null;
  for (let i = 0; i < 200 && dst === null; i++) if ((await holder(r, `dst${i}`)) !== here) dst = `dst${i}`;
  if (dst === null) throw new Error('no key of 200 lives on another node');
  await t.throwsAsync(r.sort(src, 'STORE', dst), { message: /^DYNUNAVAILABLE/ });
  t.is(await r.exists(dst), 0);
  t.is(await r.sort(src, 'STORE', '{s}dst'), 3);
  t.deepEqual(await r.lrange('{s}dst', 0, -1), ['1', '2', '3']);
});
