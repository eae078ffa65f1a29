// test/cluster-multikey.test.ts — multi-key collection commands on a cluster
// where no node holds every key (5 nodes, N=3): a command whose keys have
// different first replicas runs at a node that holds replicas of all of them,
// whichever node it was sent to; with no such node it answers DYNUNAVAILABLE
// naming the hash-tag remedy; keys of one hash tag work through any node.
import test from 'ava';
import type Redis from 'ioredis';
import { client, startCluster } from './helpers/cluster';

/** DYN.PREFLIST of each key, asked of one node. */
async function preflists(r: Redis, keys: readonly string[]): Promise<Map<string, string[]>> {
  const lists = await Promise.all(keys.map(async (k) => (await r.call('DYN.PREFLIST', k)) as string[]));
  return new Map(keys.map((k, i) => [k, lists[i]]));
}

test('5 nodes, N=3: SUNIONSTORE, SMOVE, LMOVE and ZUNIONSTORE across partitions run where every key has a replica', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 5, n: 3, r: 2, w: 2 });
  const clients = nodes.map((n) => client(t, n));
  const candidates = Array.from({ length: 400 }, (_, i) => `key:${i}`);
  const lists = await preflists(clients[0], candidates);
  const common = (keys: readonly string[]): string[] => nodes.map((n) => n.id).filter((id) => keys.every((k) => (lists.get(k) as string[]).includes(id)));

  // Three keys with different first replicas that still share a replica, and a node holding none of them all.
  let trio: string[] | null = null;
  for (let i = 0; i < candidates.length && trio === null; i++)
    for (let j = i + 1; j < candidates.length && trio === null; j++)
      for (let k = j + 1; k < Math.min(candidates.length, j + 40) && trio === null; k++) {
        const keys = [candidates[i], candidates[j], candidates[k]];
        const firsts = new Set(keys.map((key) => (lists.get(key) as string[])[0]));
        const shared = common(keys);
        if (firsts.size === 3 && shared.length === 1) trio = keys;
      }
  if (trio === null) return t.fail('no three keys with distinct first replicas and one shared replica among 400');
  const [dst, a, b] = trio;
  const holder = common(trio)[0];
  const outsider = nodes.findIndex((n) => !common(trio as string[]).includes(n.id) && !(lists.get(a) as string[]).includes(n.id));
  t.true(outsider >= 0, 'a node that holds a replica of neither the shared set nor a');
  const r = clients[outsider];
  t.log(`keys ${trio.join(' ')}, held together by ${holder} only; sent through ${nodes[outsider].id}`);

  await r.sadd(a, 'x', 'y');
  await r.sadd(b, 'y', 'z');
  t.is(await r.sunionstore(dst, a, b), 3);
  t.deepEqual((await r.smembers(dst)).sort(), ['x', 'y', 'z']);
  t.is(await r.smove(a, b, 'x'), 1);
  t.deepEqual((await r.smembers(b)).sort(), ['x', 'y', 'z']);
  await r.del(dst, a, b);
  await r.rpush(a, '1', '2');
  t.is(await r.lmove(a, b, 'LEFT', 'RIGHT'), '1');
  t.deepEqual(await r.lrange(b, 0, -1), ['1']);
  await r.del(a, b);
  await r.zadd(a, 1, 'm', 2, 'n');
  await r.zadd(b, 3, 'n');
  t.is(await r.zunionstore(dst, 2, a, b), 2);
  t.deepEqual(await r.zrange(dst, 0, -1, 'WITHSCORES'), ['m', '1', 'n', '5']);
  await r.del(dst, a, b);

  // Keys no node holds together (any two share one of the 5 nodes, three need not): the command says so, and what to do.
  let apart: string[] | null = null;
  for (let j = 1; j < candidates.length && apart === null; j++)
    for (let k = j + 1; k < candidates.length && apart === null; k++) if (common([candidates[0], candidates[j], candidates[k]]).length === 0) apart = [candidates[0], candidates[j], candidates[k]];
  if (apart === null) return t.fail('no three keys without a shared replica among 400');
  await r.sadd(apart[1], 'p');
  await t.throwsAsync(r.sunionstore(apart[0], apart[1], apart[2]), { message: /^DYNUNAVAILABLE collection commands run at a node holding replicas of every key they name.*hash tag/ });
  // The same with one hash tag works through every node.
  for (const [i, c] of clients.entries()) {
    await c.sadd(`{t${i}}a`, 'p', 'q');
    await c.sadd(`{t${i}}b`, 'q', 'r');
    t.is(await c.sunionstore(`{t${i}}c`, `{t${i}}a`, `{t${i}}b`), 3, `through node ${i}`);
  }
});
