// cluster-counters.test.ts — INCR's counters through a cluster of real dynkv
// processes (ioredis): on every side of a partition (DYN.FAULT) INCRBY and
// DECRBY are acknowledged; once it heals every replica holds the counter
// siblings of each side (DYN.VERSIONS LOCAL shows them raw) and answers their
// sum, so no acknowledged increment is lost (an EXPIRE on one side keeps
// its counter); the next INCR collapses them into one version on every
// replica.
import test from 'ava';
import Redis from 'ioredis';
import { counterValue, decodeCounter } from '../datatypes/counter';
import { client, eventually, heal, isolate, startCluster } from './helpers/cluster';

/** The values of a node's own replica of the key (DYN.VERSIONS LOCAL), raw, winner first. */
async function localValues(r: Redis, key: string): Promise<Buffer[]> {
  const [, siblings] = (await r.callBuffer('DYN.VERSIONS', key, 'LOCAL')) as [Buffer, [Buffer | null, number, Buffer][]];
  return siblings.map(([value]) => value ?? Buffer.alloc(0));
}

test('a partition: INCRBY and DECRBY on every side all count once it heals, on every replica; the next INCR collapses the siblings', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b, c] = clients;
  t.is(await a.set('views', '10'), 'OK');
  for (const r of clients) {
    await eventually(t, 'every replica holds the SET', async () => (await localValues(r, 'views')).map(String).join() === '10');
  }

  await isolate(clients, nodes);
  // Each side coordinates its own increments (W=1): all acknowledged, each over the same 10.
  t.is(await a.incrby('views', 5), 15);
  t.is(await b.incrby('views', 7), 17);
  t.is(await c.decrby('views', 2), 8);
  t.is(await a.incr('views'), 16);
  // EXPIRE keeps the counter: its increments still merge (a string written by EXPIRE would be a type clash).
  t.is(await a.expire('views', 1000), 1);

  await heal(t, clients);
  // Hinted handoff brings each side's version to the others: 10 + 5 + 7 - 2 + 1.
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds every side's counter`, async () => (await localValues(r, 'views')).length === 3);
    t.is(await r.get('views'), '21', `${nodes[i].id} answers the sum`);
    // Raw siblings, one counter per side: each side's own value.
    const siblings = await localValues(r, 'views');
    t.deepEqual(siblings.map((v) => counterValue(decodeCounter(v))).sort((x, y) => Number(x - y)), [8n, 16n, 17n], nodes[i].id);
    t.is(await r.strlen('views'), 2);
    t.is(await r.type('views'), 'string');
    t.is(await r.call('OBJECT', 'ENCODING', 'views'), 'int');
    // The latest write was the EXPIRE: its expiry is the key's.
    const ttl = await r.ttl('views');
    t.true(ttl > 900 && ttl <= 1000, `${nodes[i].id} TTL ${ttl}`);
  }

  // The next INCR reads the join and supersedes every sibling: one version everywhere.
  t.is(await b.incr('views'), 22);
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds the one collapsed version`, async () => (await localValues(r, 'views')).length === 1);
    t.is(await r.get('views'), '22', nodes[i].id);
  }
});
