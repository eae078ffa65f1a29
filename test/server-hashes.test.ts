// server-hashes.test.ts — hashes in a real dynkv-server over TCP (ioredis),
// beyond what the compatibility script compares with redis-server: the log
// cost of one HSET into a hash of a million fields (INFO persistence's log
// bytes before and after), fields surviving a restart, FLUSHDB and FLUSHALL
// taking the element records too, WATCH of a hash, and a hash's fields
// gone with its key's expiry, DEL and a restart in between.
import test from 'ava';
import { logBytes, serverClient, startServer } from './helpers/server';

test('HSET into a hash of a million fields appends about one field to the log', async (t) => {
  t.timeout(600_000);
  const srv = await startServer(t, ['--appendfsync', 'no']);
  const r = serverClient(t, srv.port);
  const FIELDS = 1_000_000;
  const PER = 1000;
  for (let start = 0; start < FIELDS; start += PER * 50) {
    const p = r.pipeline();
    for (let s = start; s < Math.min(start + PER * 50, FIELDS); s += PER) {
      const args: string[] = [];
      for (let i = s; i < s + PER; i++) args.push(`f${i}`, `v${i}`);
      p.hset('big', ...args);
    }
    await p.exec();
  }
  t.is(await r.hlen('big'), FIELDS);
  t.is(await r.object('ENCODING', 'big'), 'hashtable');
  const field = 'a-new-field-of-32-bytes-exactly!';
  const value = 'x'.repeat(100);
  const before = await logBytes(r);
  t.is(await r.hset('big', field, value), 1);
  const appended = (await logBytes(r)) - before;
  t.log(`one HSET (${field.length}-byte field, ${value.length}-byte value) into ${FIELDS} fields appended ${appended} bytes to the log`);
  t.true(appended >= field.length + value.length, `${appended} bytes`);
  t.true(appended <= 2 * (field.length + value.length) + 200, `${appended} bytes`);
  t.is(await r.hget('big', field), value);
  t.is(await r.hlen('big'), FIELDS + 1);
});

test("a hash's fields, order and encoding survive a restart", async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  await r.hset('h', 'z', '1', 'a', '2', 'm', '3');
  const args: string[] = [];
  for (let i = 0; i < 600; i++) args.push(`f${i}`, `v${i}`);
  await r.hset('big', ...args);
  r.disconnect();
  await srv.stop();
  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  t.deepEqual(await r2.hgetall('h'), { z: '1', a: '2', m: '3' });
  t.deepEqual(await r2.hkeys('h'), ['z', 'a', 'm']);
  t.is(await r2.type('h'), 'hash');
  t.is(await r2.hlen('big'), 600);
  t.is(await r2.object('ENCODING', 'big'), 'hashtable');
  t.is(await r2.object('ENCODING', 'h'), 'listpack');
  t.is(await r2.hget('big', 'f599'), 'v599');
});

test('FLUSHDB and FLUSHALL take the fields too: a new hash of the same key starts empty', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  await r.hset('h', 'a', '1', 'b', '2');
  await r.flushdb();
  t.is(await r.dbsize(), 0);
  await r.hset('h', 'c', '3');
  t.deepEqual(await r.hgetall('h'), { c: '3' });
  t.is(await r.hlen('h'), 1);
  await r.flushall();
  await r.hset('h', 'd', '4');
  t.deepEqual(await r.hgetall('h'), { d: '4' });
  t.is(await r.dbsize(), 1);
});

test("a hash's expiry takes its fields: after it, and across a restart, a new hash of the key holds only new fields", async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  await r.hset('h', 'a', '1', 'b', '2');
  await r.pexpire('h', 200);
  const deadline = Date.now() + 30_000;
  while ((await r.exists('h')) === 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(await r.exists('h'), 0);
  t.is(await r.dbsize(), 0);
  r.disconnect();
  await srv.stop();
  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  t.is(await r2.hlen('h'), 0);
  t.is(await r2.hset('h', 'c', '3'), 1);
  t.deepEqual(await r2.hgetall('h'), { c: '3' });
  t.is(await r2.hlen('h'), 1);
});

test('WATCH of a hash: an HSET, HDEL or HINCRBY by another client of an existing hash fails the EXEC', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  const other = serverClient(t, srv.port);
  await r.hset('w', 'a', '1', 'b', '2');
  for (const change of [() => other.hset('w', 'c', '3'), () => other.hdel('w', 'a'), () => other.hincrby('w', 'b', 1)]) {
    await r.watch('w');
    await change();
    t.is(await r.multi().hget('w', 'b').exec(), null);
  }
  await r.watch('w');
  t.deepEqual(await r.multi().hget('w', 'b').exec(), [[null, '3']]);
});
