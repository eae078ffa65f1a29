// server-dump.test.ts — DUMP and RESTORE between a real redis-server 7.0 and
// dynkv, both ways: strings (integers, short, long and LZF-compressed with
// rdbcompression on), small (listpack) and big (hashtable) hashes, TTLs and
// IDLETIME, lists, sets and sorted sets of both encodings; a payload DUMPed by one restores into the other with the same
// contents. The byte-for-byte replies (errors, uncompressed payloads) are
// the compatibility script's (redis-compat/scripts/dump.ts).
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { redisServerAvailable, startRedis } from '../redis-compat/servers';
import { serverClient, startServer } from './helpers/server';

async function both(t: ExecutionContext): Promise<{ redis: Redis; dynkv: Redis }> {
  if (!redisServerAvailable()) throw new Error('redis-server is not on PATH');
  const real = await startRedis();
  t.teardown(async () => {
    await real.stop();
  });
  const srv = await startServer(t);
  return { redis: serverClient(t, real.port), dynkv: serverClient(t, srv.port) };
}

/** Fills a server with the same keys: strings of every encoding, a small and a big hash. */
async function fill(r: Redis): Promise<void> {
  await r.set('int8', '-7');
  await r.set('int32', '2147483647');
  await r.set('big-int', '9223372036854775807');
  await r.set('short', 'hello');
  await r.set('long', 'abcdefgh'.repeat(500)); // compresses
  await r.set('random', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 251)));
  await r.set('with-ttl', 'v', 'PX', 600_000);
  await r.hset('small-hash', 'a', '1', 'bb', '-5000', 'ccc', 'x'.repeat(60), 'n', '123456789012');
  const fields: string[] = [];
  for (let i = 0; i < 700; i++) fields.push(`field:${i}`, `value:${i}`.repeat(i % 5 + 1));
  await r.hset('big-hash', ...fields);
  await r.sadd('intset', '5', '-70000', '3000000000', '1');
  await r.sadd('strset', 'a', 'b', '17');
  await r.sadd('bigset', ...Array.from({ length: 600 }, (_, i) => String(i)));
  await r.zadd('zsmall', '1', 'a', '1.5', 'b', '0.1', 'c', '-inf', 'd', '1e+20', 'e');
  await r.rpush('lsmall', 'a', '1', '-70000', 'x'.repeat(100));
  await r.rpush('lbig', ...Array.from({ length: 1000 }, (_, i) => `item:${i}`.repeat(i % 7 + 1)));
  await r.zadd('zbig', ...Array.from({ length: 300 }, (_, i) => [String(i / 3), `member:${i}`]).flat());
}

async function contents(r: Redis, prefix: string): Promise<unknown[]> {
  return [
    await r.get(`${prefix}int8`), await r.get(`${prefix}int32`), await r.get(`${prefix}big-int`), await r.get(`${prefix}short`),
    await r.get(`${prefix}long`), await r.getBuffer(`${prefix}random`), await r.hgetall(`${prefix}small-hash`), await r.hgetall(`${prefix}big-hash`),
    await r.object('ENCODING', `${prefix}small-hash`), await r.object('ENCODING', `${prefix}big-hash`),
    await r.smembers(`${prefix}intset`), (await r.smembers(`${prefix}strset`)).sort(), (await r.smembers(`${prefix}bigset`)).sort(),
    await r.object('ENCODING', `${prefix}intset`), await r.object('ENCODING', `${prefix}strset`), await r.object('ENCODING', `${prefix}bigset`),
    await r.zrange(`${prefix}zsmall`, 0, -1, 'WITHSCORES'), await r.zrange(`${prefix}zbig`, 0, -1, 'WITHSCORES'),
    await r.object('ENCODING', `${prefix}zsmall`), await r.object('ENCODING', `${prefix}zbig`),
    await r.lrange(`${prefix}lsmall`, 0, -1), await r.lrange(`${prefix}lbig`, 0, -1),
  ];
}

const KEYS = ['int8', 'int32', 'big-int', 'short', 'long', 'random', 'small-hash', 'big-hash', 'intset', 'strset', 'bigset', 'zsmall', 'zbig', 'lsmall', 'lbig'];

for (const [from, to] of [['redis', 'dynkv'], ['dynkv', 'redis']] as const) {
  test(`a DUMP from ${from} RESTOREs into ${to} with the same contents (rdbcompression yes and no)`, async (t) => {
    const servers = await both(t);
    const source = servers[from];
    const target = servers[to];
    await fill(source);
    for (const compression of ['yes', 'no']) {
      await source.config('SET', 'rdbcompression', compression);
      for (const key of KEYS) {
        const payload = await source.dumpBuffer(key);
        t.truthy(payload, key);
        t.is(await target.restore(`${compression}:${key}`, 0, payload as Buffer), 'OK', key);
      }
      t.deepEqual(await contents(target, `${compression}:`), await contents(source, ''));
    }
    // A TTL travels as the RESTORE's argument; ABSTTL takes the source's absolute expiry.
    const at = Number(await source.pexpiretime('with-ttl'));
    t.is(await target.call('RESTORE', 'ttl-copy', String(at), await source.dumpBuffer('with-ttl') as Buffer, 'ABSTTL'), 'OK');
    t.is(Number(await target.pexpiretime('ttl-copy')), at);
  });
}

test('RESTORE IDLETIME sets the key\'s idle time (OBJECT IDLETIME), REPLACE overwrites another type, an expired TTL stores nothing', async (t) => {
  const { dynkv } = await both(t);
  await dynkv.hset('h', 'f', 'v');
  const payload = (await dynkv.dumpBuffer('h')) as Buffer;
  t.is(await dynkv.call('RESTORE', 'idle', '0', payload, 'IDLETIME', '1000'), 'OK');
  const idle = Number(await dynkv.object('IDLETIME', 'idle'));
  t.true(idle >= 1000 && idle < 1100, `idle ${idle}`);
  await dynkv.set('s', 'string');
  t.is(await dynkv.call('RESTORE', 's', '0', payload, 'REPLACE'), 'OK');
  t.is(await dynkv.type('s'), 'hash');
  t.deepEqual(await dynkv.hgetall('s'), { f: 'v' });
  t.is(await dynkv.call('RESTORE', 'gone', '1', payload, 'ABSTTL'), 'OK');
  t.is(await dynkv.exists('gone'), 0);
});
