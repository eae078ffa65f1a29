// test/server-swapdb.test.ts — SWAPDB on a real dynkv-server: two databases
// holding every type (a string with a TTL, a hash, a list, a set, a sorted
// set) exchange their contents, which keep being read and written in their
// new place; the swap survives a restart, and a SIGKILL right after the reply
// followed by a power cut (the LD_PRELOAD shim drops what no fsync covered,
// helpers/powercut.ts); WATCHed keys are invalidated as Redis 7.0 does; a
// cluster of several nodes refuses it. Error replies byte for byte:
// redis-compat/scripts/swapdb.ts.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type Redis from 'ioredis';
import { client, startCluster } from './helpers/cluster';
import { baseline, buildShim, cutPower, shimEnv } from './helpers/powercut';
import { serverClient, startServer } from './helpers/server';
import { tmpDir } from './helpers/tmpdir';

/** Fills db with one key of each type, tagged by `tag` so both databases' contents differ. */
async function fill(r: Redis, db: number, tag: string): Promise<void> {
  await r.select(db);
  await r.set('str', `string-${tag}`, 'EX', 1000);
  await r.hset('hash', 'field', `hash-${tag}`);
  await r.rpush('list', `a-${tag}`, `b-${tag}`);
  await r.sadd('set', `m-${tag}`, '1');
  await r.zadd('zset', 1, `z-${tag}`, 2, 'two');
  await r.set(`only-${tag}`, '1');
}

/** What db holds, as one comparable record. */
async function contents(r: Redis, db: number): Promise<Record<string, unknown>> {
  await r.select(db);
  return {
    size: await r.dbsize(),
    str: await r.get('str'),
    ttl: (await r.ttl('str')) > 900,
    hash: await r.hgetall('hash'),
    list: await r.lrange('list', 0, -1),
    set: (await r.smembers('set')).sort(),
    zset: await r.zrange('zset', 0, -1, 'WITHSCORES'),
    keys: (await r.keys('only-*')).sort(),
  };
}

const expected = (tag: string): Record<string, unknown> => ({
  size: 6,
  str: `string-${tag}`,
  ttl: true,
  hash: { field: `hash-${tag}` },
  list: [`a-${tag}`, `b-${tag}`],
  set: ['1', `m-${tag}`].sort(),
  zset: [`z-${tag}`, '1', 'two', '2'],
  keys: [`only-${tag}`],
});

test('SWAPDB exchanges two databases of every type, and each keeps working in its new place', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  await fill(r, 0, 'zero');
  await fill(r, 1, 'one');
  // Indexes of sorted sets and lists are in memory: read them before the swap so stale ones would show.
  t.deepEqual(await contents(r, 0), expected('zero'));
  t.deepEqual(await contents(r, 1), expected('one'));
  t.is(await r.swapdb(0, 1), 'OK');
  t.deepEqual(await contents(r, 0), expected('one'));
  t.deepEqual(await contents(r, 1), expected('zero'));
  // Writes after the swap go to the database now under the index.
  await r.select(0);
  await r.rpush('list', 'c');
  await r.zadd('zset', 3, 'three');
  await r.select(1);
  t.deepEqual(await r.lrange('list', 0, -1), ['a-zero', 'b-zero']);
  t.deepEqual(await r.zrange('zset', 0, -1), ['z-zero', 'two']);
  await r.select(0);
  t.deepEqual(await r.lrange('list', 0, -1), ['a-one', 'b-one', 'c']);
  // An empty database swaps too; SWAPDB of one index with itself changes nothing.
  t.is(await r.swapdb(1, 5), 'OK');
  t.is(await r.swapdb(5, 5), 'OK');
  t.deepEqual(await contents(r, 1), { size: 0, str: null, ttl: false, hash: {}, list: [], set: [], zset: [], keys: [] });
  t.deepEqual(await contents(r, 5), expected('zero'));
});

test('a swap survives a restart', async (t) => {
  const dir = tmpDir(t);
  const first = await startServer(t, [], { dir });
  const r = serverClient(t, first.port);
  await fill(r, 2, 'two');
  await fill(r, 3, 'three');
  t.is(await r.swapdb(2, 3), 'OK');
  t.is(await r.swapdb(3, 4), 'OK'); // 2: three, 3: (empty), 4: two
  await r.select(2);
  await r.set('after', 'swap');
  r.disconnect();
  t.is(await first.stop(), 0);
  const second = await startServer(t, [], { dir });
  const again = serverClient(t, second.port);
  t.deepEqual({ ...(await contents(again, 2)), size: 0 }, { ...expected('three'), size: 0 });
  t.is(await again.dbsize(), 7);
  t.is(await again.get('after'), 'swap');
  t.is((await contents(again, 3)).size, 0);
  t.deepEqual(await contents(again, 4), expected('two'));
});

test('a swap acknowledged is there after a SIGKILL right after the reply and a power cut', async (t) => {
  const shim = buildShim(t);
  const root = tmpDir(t);
  const dir = path.join(root, 'data');
  fs.mkdirSync(dir);
  const log = path.join(root, 'fsync.log');
  baseline(dir, log);
  const srv = await startServer(t, ['--appendfsync', 'always'], { dir, env: shimEnv(shim, dir, log, 0) });
  const r = serverClient(t, srv.port);
  await fill(r, 0, 'zero');
  await fill(r, 1, 'one');
  t.is(await r.swapdb(0, 1), 'OK');
  await srv.kill();
  r.disconnect();
  const cut = cutPower(dir, log);
  t.log(`power cut: ${cut.droppedBytes} bytes dropped, ${cut.removed.length} entries removed (${cut.removed.join(', ')})`);
  const check = await startServer(t, [], { dir });
  const c = serverClient(t, check.port);
  t.deepEqual(await contents(c, 0), expected('one'));
  t.deepEqual(await contents(c, 1), expected('zero'));
});

test('SWAPDB fails the transactions watching a key that exists in either database, as Redis 7.0', async (t) => {
  const srv = await startServer(t);
  const admin = serverClient(t, srv.port);
  await admin.select(1);
  await admin.set('in-one', 'x');
  await admin.select(0);
  await admin.set('in-zero', 'x');
  await admin.select(2);
  await admin.set('elsewhere', 'x');
  /** WATCH key in db, SWAPDB a b from another client, then MULTI/EXEC: null when the transaction failed. */
  const watched = async (db: number, key: string, a: number, b: number): Promise<unknown> => {
    const w = serverClient(t, srv.port);
    await w.select(db);
    await w.watch(key);
    t.is(await admin.swapdb(a, b), 'OK');
    const result = await w.multi().ping().exec();
    w.disconnect();
    return result;
  };
  // Watched in db 0, existing only in db 1: the swap brings it in.
  t.is(await watched(0, 'in-one', 0, 1), null);
  // Watched in db 0 (db 1 before the last swap), existing there: the swap takes it away.
  t.is(await watched(0, 'in-zero', 0, 1), null);
  // Watched in db 1, existing in neither: nothing changes for it.
  t.deepEqual(await watched(1, 'nowhere', 0, 1), [[null, 'PONG']]);
  // Watched in db 2, not swapped.
  t.deepEqual(await watched(2, 'elsewhere', 0, 1), [[null, 'PONG']]);
  // A database swapped with itself: no change.
  t.deepEqual(await watched(0, 'in-one', 0, 0), [[null, 'PONG']]);
});

test('a cluster of several nodes refuses SWAPDB with Redis Cluster error', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 2, w: 2 });
  const node = client(t, cluster.nodes[0]);
  await node.set('k', 'v');
  await t.throwsAsync(node.swapdb(0, 1), { message: 'ERR SWAPDB is not allowed in cluster mode' });
  t.is(await node.get('k'), 'v');
});
