// test/server-expiry.test.ts — active expiry and persisted TTLs against a
// real dynkv-server: keys that are never read are reclaimed (DBSIZE drops,
// INFO's expired_keys grows), also in a database where few keys expire and
// in other databases; TTLs survive a restart (SIGTERM or SIGKILL) and an
// expired key stays gone; INFO keyspace avg_ttl estimated from the TTLs;
// the in-memory indexes of sorted sets and lists that expire are freed.
import test from 'ava';
import Redis from 'ioredis';
import { serverClient, startServer } from './helpers/server';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function expiredKeys(r: Redis): Promise<number> {
  const m = /expired_keys:(\d+)/.exec(await r.info('stats'));
  if (m === null) throw new Error('INFO stats has no expired_keys');
  return Number(m[1]);
}

/** Polls until check() holds or the time is up; returns whether it held. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

test('keys that are never read are reclaimed: DBSIZE drops, expired_keys grows', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  const before = await expiredKeys(r);
  const pipe = r.pipeline();
  for (let i = 0; i < 300; i++) pipe.set(`short:${i}`, 'v', 'PX', 100 + (i % 50));
  pipe.dbsize();
  for (let i = 0; i < 50; i++) pipe.set(`long:${i}`, 'v');
  for (let i = 0; i < 20; i++) pipe.set(`later:${i}`, 'v', 'EX', 1000);
  const replies = await pipe.exec();
  t.is(replies?.[300]?.[1], 300, 'DBSIZE counts the keys written just before');
  t.true(await eventually(async () => (await r.dbsize()) === 70, 30_000), `DBSIZE is ${await r.dbsize()}`);
  t.is((await expiredKeys(r)) - before, 300);
  t.regex(await r.info('keyspace'), /db0:keys=70,expires=20,/);
  t.is(await r.exists('long:1', 'later:1', 'short:1'), 2);
});

async function collectionIndexes(r: Redis): Promise<number> {
  const m = /collection_indexes:(\d+)/.exec(await r.info('memory'));
  if (m === null) throw new Error('INFO memory has no collection_indexes');
  return Number(m[1]);
}

test('the indexes of sorted sets and lists that expire are freed without a command on them', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  const pipe = r.pipeline();
  // A rate limiter's pattern: a sorted set (and a list) per client, each with a TTL, never touched again.
  for (let i = 0; i < 150; i++) {
    pipe.zadd(`window:${i}`, i, `request:${i}`).pexpire(`window:${i}`, 3000);
    pipe.zrange(`window:${i}`, 0, -1); // builds the index
    pipe.rpush(`queue:${i}`, 'job').pexpire(`queue:${i}`, 3000);
  }
  pipe.zadd('kept', 1, 'a').zrange('kept', 0, -1).rpush('kept-list', 'x');
  await pipe.exec();
  t.is(await collectionIndexes(r), 302, 'every sorted set and list has its index');
  const freed = await eventually(async () => (await collectionIndexes(r)) === 2, 60_000);
  t.true(freed, `${await collectionIndexes(r)} indexes left, 2 expected`);
  t.deepEqual(await r.zrange('kept', 0, -1), ['a']);
  t.deepEqual(await r.lrange('kept-list', 0, -1), ['x']);
  t.is(await collectionIndexes(r), 2);
});

test('active expiry finds the few expiring keys among many, in every database', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  const fill = r.pipeline();
  for (let i = 0; i < 20_000; i++) fill.set(`persistent:${i}`, 'v');
  await fill.exec();
  await r.select(9);
  await r.set('p', 'v');
  const pipe = r.pipeline();
  for (let i = 0; i < 10; i++) pipe.set(`db9:${i}`, 'v', 'PX', 100);
  await pipe.exec();
  await r.select(0);
  const short = r.pipeline();
  for (let i = 0; i < 20; i++) short.set(`short:${i}`, 'v', 'PX', 100);
  short.dbsize();
  t.is((await short.exec())?.[20]?.[1], 20_020);
  t.true(await eventually(async () => (await r.dbsize()) === 20_000, 30_000), `db0 DBSIZE is ${await r.dbsize()}`);
  await r.select(9);
  t.true(await eventually(async () => (await r.dbsize()) === 1, 30_000), `db9 DBSIZE is ${await r.dbsize()}`);
  t.true((await expiredKeys(r)) >= 30);
});

test("INFO keyspace avg_ttl is active expiry's estimate of the TTLs left, 0 without expiring keys", async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  const avgTtl = async (db: number): Promise<number | null> => {
    const m = new RegExp(`^db${db}:keys=\\d+,expires=\\d+,avg_ttl=(\\d+)`, 'm').exec(await r.info('keyspace'));
    return m === null ? null : Number(m[1]);
  };
  // db0: TTLs between 1000 and 2000 s (mean 1500 s) among keys without one; db1: only keys without a TTL.
  const pipe = r.pipeline();
  for (let i = 0; i < 400; i++) pipe.set(`k:${i}`, 'v', 'EX', 1000 + ((i * 37) % 1001));
  for (let i = 0; i < 400; i++) pipe.set(`p:${i}`, 'v');
  pipe.select(1);
  pipe.set('forever', 'v');
  pipe.select(0);
  await pipe.exec();
  t.true(await eventually(async () => ((await avgTtl(0)) ?? 0) > 0, 10_000), 'active expiry sampled the TTLs');
  const estimate = (await avgTtl(0)) as number;
  t.true(estimate > 900_000 && estimate <= 2_000_000, `avg_ttl ${estimate} ms lies within the TTLs set (1000 to 2000 s)`);
  t.is(await avgTtl(1), 0, 'no key of db1 has a TTL');
  await r.flushdb();
  await r.set('again', 'v');
  t.true(await eventually(async () => (await avgTtl(0)) === 0, 10_000), 'no expiring key left: 0, as Redis');
});

test('TTLs survive a restart; an expired key stays gone', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  await r.set('long', 'v', 'EX', 100);
  await r.set('short', 'v', 'PX', 300);
  await r.set('persist', 'v');
  await r.set('persisted', 'v', 'EX', 100);
  await r.persist('persisted');
  await r.set('pastexpire', 'v');
  await r.expire('pastexpire', -1);
  await r.set('at', 'v');
  const at = Date.now() + 500_000;
  await r.pexpireat('at', at);
  await r.select(4);
  await r.set('db4', 'v', 'EX', 200);
  r.disconnect();
  t.is(await srv.stop(), 0);
  await sleep(400); // 'short' expires while the server is down

  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  const ttl = (await r2.ttl('long')) as number;
  t.true(ttl > 90 && ttl <= 100, `TTL after restart: ${ttl}`);
  t.is(await r2.exists('short'), 0);
  t.is(await r2.get('short'), null);
  t.is(await r2.ttl('short'), -2);
  t.is(await r2.ttl('persist'), -1);
  t.is(await r2.ttl('persisted'), -1, 'PERSIST is durable');
  t.is(await r2.exists('pastexpire'), 0, 'EXPIRE into the past is a durable delete');
  t.is(await r2.call('pexpiretime', 'at'), at);
  t.true(await eventually(async () => (await r2.dbsize()) === 4, 30_000), 'the expired key is reclaimed, not counted');
  t.deepEqual((await r2.keys('*')).sort(), ['at', 'long', 'persist', 'persisted']);
  await r2.select(4);
  t.true(((await r2.ttl('db4')) as number) > 190);
});

test('with appendfsync always, TTLs and expiries survive SIGKILL', async (t) => {
  const srv = await startServer(t, ['--appendfsync', 'always']);
  const r = serverClient(t, srv.port);
  for (let round = 0; round < 3; round++) {
    await r.set(`long:${round}`, 'v', 'EX', 100);
    await r.set(`short:${round}`, 'v', 'PX', 200);
    await r.set(`gone:${round}`, 'v');
    await r.pexpire(`gone:${round}`, 0);
    await r.set(`rename:${round}`, 'v', 'EX', 100);
    await r.rename(`rename:${round}`, `renamed:${round}`);
  }
  r.disconnect();
  await srv.kill();
  await sleep(300);
  const again = await startServer(t, ['--appendfsync', 'always'], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  for (let round = 0; round < 3; round++) {
    const ttl = (await r2.ttl(`long:${round}`)) as number;
    t.true(ttl > 90 && ttl <= 100, `long:${round} TTL ${ttl}`);
    t.is(await r2.exists(`short:${round}`, `gone:${round}`, `rename:${round}`), 0);
    t.true(((await r2.ttl(`renamed:${round}`)) as number) > 90);
  }
});
