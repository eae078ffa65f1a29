// cluster-hash-counters.test.ts — HINCRBY's field counters through a cluster
// of real dynkv processes (ioredis): on every side of a partition (DYN.FAULT)
// HINCRBYs of one field are acknowledged; once it heals the field shows their
// sum (HGET, HGETALL, HVALS, HSTRLEN, HRANDFIELD, HSCAN, DUMP), every replica
// holds one counter sibling per side (DYN.ELEMENTS) and, read from its own
// engine after the cluster stops, the same sum; HSET then replaces the
// counter with its value; an HSET concurrent with an HINCRBY of the field is
// a type clash the later write wins everywhere, counted in INFO's
// dynamo_type_clashes. On a single node (N = 1) HINCRBY keeps writing the
// plain decimal.
import path from 'node:path';
import test from 'ava';
import Redis from 'ioredis';
import { Engine } from '../engine/index';
import { counterValue } from '../datatypes/counter';
import { decodeFieldCounter } from '../datatypes/hash-counter';
import { fieldKey, visibleField } from '../cluster/replica/hash-replica';
import { decodeVersions } from '../cluster/versions/codec';
import { client, eventually, heal, isolate, startCluster, type ClusterTestNode } from './helpers/cluster';
import { serverClient, startServer } from './helpers/server';

type Sibling = [Buffer | null, number, Buffer];
type ElementRow = [Buffer, number, Buffer, Sibling[]];

/** A node's own siblings of one field (DYN.ELEMENTS): their raw values (null: a tombstone). */
async function localSiblings(r: Redis, key: string, field: string): Promise<(Buffer | null)[]> {
  const [, rows] = (await r.callBuffer('DYN.ELEMENTS', key)) as [number | null, ElementRow[]];
  const row = rows.find(([member]) => member.toString() === field);
  return row === undefined ? [] : row[3].map(([value]) => value);
}

/** A stopped node's field as its elements engine holds it: the visible value, or null. */
function storedField(node: ClusterTestNode, key: string, field: string): string | null {
  const engine = Engine.open(path.join(node.dir, 'db0.elements'));
  try {
    const record = engine.get(fieldKey(Buffer.from(key), Buffer.from(field)));
    return record === null ? null : (visibleField(decodeVersions(record))?.value.toString() ?? null);
  } finally {
    engine.close();
  }
}

test('a partition: HINCRBYs of one field on every side all count once it heals, on every replica; HSET replaces the counter', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b, c] = clients;
  t.is(await a.hset('stats', 'views', '10', 'name', 'ada'), 2);
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds the HSET`, async () => (await localSiblings(r, 'stats', 'views')).length === 1 && (await localSiblings(r, 'stats', 'name')).length === 1);
  }

  await isolate(clients, nodes);
  // Each side coordinates its own increments (W=1): all acknowledged, each over the same 10.
  t.is(await a.hincrby('stats', 'views', 5), 15);
  t.is(await b.hincrby('stats', 'views', 7), 17);
  t.is(await c.hincrby('stats', 'views', -2), 8);
  t.is(await a.hincrby('stats', 'views', 1), 16);
  // A field new on two sides: both increments count.
  t.is(await a.hincrby('stats', 'likes', 3), 3);
  t.is(await b.hincrby('stats', 'likes', 4), 4);

  await heal(t, clients);
  // 10 + 5 + 7 - 2 + 1 = 21; 3 + 4 = 7. Hinted handoff and the catch-up bring each side's records to the others.
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds every side's counter`, async () => (await localSiblings(r, 'stats', 'views')).length === 3 && (await localSiblings(r, 'stats', 'likes')).length === 2);
  }
  t.is(await a.hget('stats', 'views'), '21', 'every increment counts');
  t.is(await a.hget('stats', 'likes'), '7', 'every increment counts');
  for (const [i, r] of clients.entries()) {
    const sides = (await localSiblings(r, 'stats', 'views')).map((v) => counterValue(decodeFieldCounter(v as Buffer).counter));
    t.deepEqual(sides.sort((x, y) => Number(x - y)), [8n, 16n, 17n], `${nodes[i].id}: one counter per side, raw`);
  }
  for (const [i, r] of clients.entries()) {
    const at = nodes[i].id;
    await eventually(t, `${at} answers the merged hash`, async () => (await r.hget('stats', 'likes')) === '7');
    t.is(await r.hget('stats', 'views'), '21', at);
    t.deepEqual(await r.hgetall('stats'), { views: '21', name: 'ada', likes: '7' }, at);
    t.deepEqual(await r.hvals('stats'), ['21', 'ada', '7'], at);
    t.is(await r.hstrlen('stats', 'views'), 2, at);
    t.deepEqual(await r.hscan('stats', 0), ['0', ['views', '21', 'name', 'ada', 'likes', '7']], at);
    const picks = (await r.call('HRANDFIELD', 'stats', -20, 'WITHVALUES')) as string[];
    t.is(picks.length, 40, at);
    for (let k = 0; k < picks.length; k += 2) t.is(picks[k + 1], ({ views: '21', name: 'ada', likes: '7' } as Record<string, string>)[picks[k]], `${at} HRANDFIELD ${picks[k]}`);
    t.is(await r.call('OBJECT', 'ENCODING', 'stats'), 'listpack', at);
    t.is(await r.hlen('stats'), 3, at);
  }
  // DUMP shows the sum: RESTOREd as a plain hash.
  const dumped = await a.dumpBuffer('stats');
  t.is(await a.restore('copy', 0, dumped), 'OK');
  t.deepEqual(await a.hgetall('copy'), { views: '21', name: 'ada', likes: '7' });

  // The next HINCRBY reads the join and supersedes every sibling: one counter everywhere.
  t.is(await b.hincrby('stats', 'views', 1), 22);
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds the collapsed counter`, async () => (await localSiblings(r, 'stats', 'views')).length === 1);
  }
  // HSET replaces the counter (as SET over an INCR counter).
  t.is(await c.hset('stats', 'likes', 'many'), 0);
  t.is(await a.hget('stats', 'likes'), 'many');
  await t.throwsAsync(a.hincrby('stats', 'likes', 1), { message: 'ERR hash value is not an integer' });

  await cluster.stop();
  for (const node of nodes) {
    t.is(storedField(node, 'stats', 'views'), '22', `${node.id} views`);
    t.is(storedField(node, 'stats', 'likes'), 'many', `${node.id} likes`);
  }
});

/** Resolves once the wall clock is past the current millisecond (the processes share it): the winner order's first key. */
async function laterMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() <= now) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function typeClashes(r: Redis): Promise<number> {
  const m = /dynamo_type_clashes:(\d+)/.exec(await r.info('cluster'));
  if (m === null) throw new Error('INFO cluster has no dynamo_type_clashes');
  return Number(m[1]);
}

test('a partition: HSET of a field on one side, HINCRBY of it on the other: the later write shows on every replica, and the field clash is counted', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b] = clients;
  await isolate(clients, nodes);
  t.is(await a.hset('form', 'n', 'text'), 1);
  await laterMillisecond();
  t.is(await b.hincrby('form', 'n', 5), 5);
  t.deepEqual(await Promise.all(clients.map(typeClashes)), [0, 0, 0]);
  await heal(t, clients);
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds both writes of the field`, async () => (await localSiblings(r, 'form', 'n')).length === 2);
  }
  for (const [i, r] of clients.entries()) t.is(await r.hget('form', 'n'), '5', `${nodes[i].id}: the later write (the counter)`);
  const counted = (await Promise.all(clients.map(typeClashes))).reduce((x, y) => x + y, 0);
  t.true(counted >= 1, `merges counted ${counted} field type clashes`);
});

test('a single node (N = 1): HINCRBY writes the plain decimal, no counter', async (t) => {
  const server = await startServer(t);
  const r = serverClient(t, server.port);
  t.is(await r.hincrby('stats', 'views', 5), 5);
  t.is(await r.hincrby('stats', 'views', 7), 12);
  t.deepEqual(await localSiblings(r, 'stats', 'views'), [Buffer.concat([Buffer.from([1]), Buffer.from('12')])], 'insertion number 1, then the decimal');
  t.is(await r.hget('stats', 'views'), '12');
});
