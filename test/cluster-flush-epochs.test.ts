// cluster-flush-epochs.test.ts — FLUSHALL/FLUSHDB with a member down, on a
// 3-node cluster of real dynkv processes (N=3, R=2, W=2): the flush is
// acknowledged by the members up, and the member that missed it drops its
// older data as soon as it is back (flush epochs swapped at start), so
// nothing flushed is listed or read again through any node, while writes
// made after the flush survive.
import test from 'ava';
import Redis from 'ioredis';
import { client, eventually, startCluster } from './helpers/cluster';

async function infoField(r: Redis, field: string): Promise<number> {
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(await r.info('cluster'));
  if (match === null) throw new Error(`INFO cluster has no ${field}`);
  return Number(match[1]);
}

test('FLUSHALL and FLUSHDB with a member down: the member does not bring the data back when it returns', async (t) => {
  t.timeout(180_000);
  const { nodes } = await startCluster(t, { nodes: 3 });
  const [a, b, c] = nodes.map((n) => client(t, n));
  const old = Array.from({ length: 200 }, (_, i) => `old:${i}`);
  await a.mset(...old.flatMap((k) => [k, `before-${k}`]));
  const a5 = client(t, nodes[0], 5);
  await a5.mset('five:a', '1', 'five:b', '2');
  // A replication request may time out on a busy machine: a read through c repairs what it missed.
  const c5 = client(t, nodes[2], 5);
  await c.mget(...old);
  await c5.mget('five:a', 'five:b');
  await eventually(t, 'c holds every key', async () => (await c.dbsize()) === 200 && (await c5.dbsize()) === 2);

  await nodes[2].stop();
  t.is(await b.flushall(), 'OK', 'W=2 of the members hold the flush');
  t.is(await a.set('new:1', 'after'), 'OK');
  t.is(await b.set('old:7', 'rewritten'), 'OK', 'a key written again after the flush');
  t.is(await a5.dbsize(), 0);

  await nodes[2].restart();
  const c2 = client(t, nodes[2]);
  // Its start swapped flush epochs with the members up before it served clients.
  // old:7, written again after the flush, may have reached it already (a hint, anti-entropy): with its new value.
  t.deepEqual((await c2.keys('old:*')).filter((k) => k !== 'old:7'), [], 'the returned member lists none of the flushed keys');
  t.true([null, 'rewritten'].includes(await c2.get('old:7')), 'old:7 is only ever its value from after the flush');
  t.is(await client(t, nodes[2], 5).dbsize(), 0, 'nor in another database');
  t.true((await infoField(c2, 'dynamo_flushes_learned')) >= 2, 'it learned db0\'s and db5\'s flushes from a peer');
  t.regex(nodes[2].output(), /db 0 was flushed while this node was away/);

  for (const r of [c2, a, b]) {
    t.deepEqual(await r.mget('old:0', 'old:1', 'old:199'), [null, null, null], 'a flushed key reads as nil through every node');
    t.is(await r.get('old:7'), 'rewritten', 'a write after the flush survives');
    t.is(await r.get('new:1'), 'after');
  }
  for (const r of [a, b, c2]) t.deepEqual((await r.keys('*')).sort(), ['new:1', 'old:7'], 'no node lists a flushed key (no read repair brought one back)');

  // FLUSHDB of one database while a member is down, then that member restarted twice: the epoch is on its disk.
  await a.set('later', 'x');
  await c2.get('later');
  await eventually(t, 'c holds the later key', async () => (await c2.dbsize()) === 3);
  await nodes[1].stop();
  t.is(await a.flushdb(), 'OK');
  await nodes[1].restart();
  const b2 = client(t, nodes[1]);
  t.deepEqual(await b2.keys('*'), []);
  await nodes[1].stop();
  await nodes[1].restart();
  const b3 = client(t, nodes[1]);
  t.deepEqual(await b3.keys('*'), [], 'still flushed after another restart');
  t.is(await b3.set('fresh', 'y'), 'OK');
  t.is(await c2.get('fresh'), 'y');
  for (const r of [a, c2, b3]) await eventually(t, 'every node lists only the key written after the flush', async () => JSON.stringify(await r.keys('*')) === '["fresh"]');
});

test('FLUSHALL with two of three members down is not acknowledged (W=2), yet the members learn it when they are back', async (t) => {
  t.timeout(120_000);
  const { nodes } = await startCluster(t, { nodes: 3 });
  const [a, , c] = nodes.map((n) => client(t, n));
  await a.mset('x', '1', 'y', '2');
  await c.mget('x', 'y');
  await eventually(t, 'c holds both keys', async () => (await c.dbsize()) === 2);
  await Promise.all([nodes[1].stop(), nodes[2].stop()]);
  await t.throwsAsync(a.flushall(), { message: /^DYNUNAVAILABLE the flush reached 1 of 3 nodes, needed W=2/ });
  await Promise.all([nodes[1].restart(), nodes[2].restart()]);
  for (const n of nodes.slice(1)) t.deepEqual(await client(t, n).keys('*'), [], `${n.id} took the flush on its return`);
});
