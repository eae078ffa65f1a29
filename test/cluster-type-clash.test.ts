// cluster-type-clash.test.ts — type clashes through a partition of real
// dynkv processes (ioredis, DYN.FAULT): one key written as a string on one
// side and a hash on the other, INCR against PFADD, SET against INCR,
// PFADD against SET. Once the partition heals every replica holds both
// writes (DYN.VERSIONS LOCAL, the same siblings everywhere), every node
// answers the later write's type and value, and the merges that brought the
// two types together are counted (INFO cluster's dynamo_type_clashes).
import test from 'ava';
import Redis from 'ioredis';
import { client, eventually, heal, isolate, startCluster } from './helpers/cluster';

/** A node's own siblings of the key (DYN.VERSIONS LOCAL), raw, as comparable hex. */
async function localSiblings(r: Redis, key: string): Promise<string[]> {
  const [, siblings] = (await r.callBuffer('DYN.VERSIONS', key, 'LOCAL')) as [Buffer, [Buffer | null, number, Buffer][]];
  return siblings.map(([value, timestamp, node]) => `${value?.toString('hex') ?? 'nil'}@${timestamp}/${node.toString()}`);
}

/** Resolves once the wall clock is past the current millisecond (two processes on one machine share it). */
async function laterMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() <= now) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function typeClashes(r: Redis): Promise<number> {
  const m = /dynamo_type_clashes:(\d+)/.exec(await r.info('cluster'));
  if (m === null) throw new Error('INFO cluster has no dynamo_type_clashes');
  return Number(m[1]);
}

test('a partition: a key written as two types on two sides holds both writes on every replica after the healing, every node shows the later one, and the clashes are counted', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b] = clients;
  t.deepEqual(await Promise.all(clients.map(typeClashes)), [0, 0, 0]);

  await isolate(clients, nodes);
  // The earlier write on one side, the later on the other (a later millisecond: the winner order's first key): the later shows.
  t.is(await a.set('clash:str-hash', 'plain'), 'OK');
  t.is(await a.incrby('clash:incr-pfadd', 5), 5);
  t.is(await a.set('clash:set-incr', '100'), 'OK');
  t.is(await b.pfadd('clash:pfadd-set', 'x'), 1);
  await laterMillisecond();
  t.is(await b.hset('clash:str-hash', 'f', 'v'), 1);
  t.is(await b.pfadd('clash:incr-pfadd', 'x', 'y'), 1);
  t.is(await b.incrby('clash:set-incr', 7), 7);
  t.is(await a.set('clash:pfadd-set', 'later'), 'OK');
  t.deepEqual(await Promise.all(clients.map(typeClashes)), [0, 0, 0], 'no clash before the sides meet');

  await heal(t, clients);
  const keys = ['clash:str-hash', 'clash:incr-pfadd', 'clash:set-incr', 'clash:pfadd-set'];
  for (const key of keys) {
    let siblings: string[] = [];
    for (const [i, r] of clients.entries()) {
      await eventually(t, `${nodes[i].id} holds both writes of ${key}`, async () => (await localSiblings(r, key)).length === 2);
      const mine = await localSiblings(r, key);
      if (i === 0) siblings = mine;
      else t.deepEqual(mine, siblings, `${nodes[i].id}: the same siblings of ${key}`);
    }
  }
  const pfadded = await b.getBuffer('clash:incr-pfadd');
  // (Before any PFCOUNT: it writes the cached cardinality back.)
  for (const [i, r] of clients.entries()) t.deepEqual(await r.getBuffer('clash:incr-pfadd'), pfadded, `${nodes[i].id}: the PFADD's HLL`);
  for (const [i, r] of clients.entries()) {
    const at = nodes[i].id;
    t.is(await r.type('clash:str-hash'), 'hash', at);
    t.deepEqual(await r.hgetall('clash:str-hash'), { f: 'v' }, at);
    await t.throwsAsync(r.get('clash:str-hash'), { message: /^WRONGTYPE/ }, at);
    t.is(await r.type('clash:incr-pfadd'), 'string', at);
    t.is(await r.pfcount('clash:incr-pfadd'), 2, at);
    t.is(await r.get('clash:set-incr'), '7', `${at}: the INCRBY's counter (over nothing on its side)`);
    t.is(await r.get('clash:pfadd-set'), 'later', at);
  }
  const counted = (await Promise.all(clients.map(typeClashes))).reduce((x, y) => x + y, 0);
  t.true(counted >= keys.length, `merges counted ${counted} type clashes for ${keys.length} keys`);
});
