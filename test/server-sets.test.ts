// server-sets.test.ts — sets in a real dynkv-server over TCP (ioredis),
// beyond what the compatibility script compares with redis-server: the log
// cost of one SADD into a set of a million members (INFO persistence's log
// bytes before and after) and SCARD from the summary; the random commands'
// properties, which a comparison of replies cannot check (SPOP pops distinct
// members and removes exactly those, until the set is gone; SRANDMEMBER's
// counts, distinctness, membership and spread over a big set, removing
// nothing); members and encodings across a restart, each member its own
// element record holding only its insertion number.
import path from 'node:path';
import test from 'ava';
import Redis from 'ioredis';
import { fieldKey, visibleField } from '../cluster/replica/hash-replica';
import { decodeVersions } from '../cluster/versions/codec';
import { Engine } from '../engine/index';
import { logBytes, serverClient, startServer } from './helpers/server';

/** SADD of count members prefix0 ... in pipelined batches. */
async function fill(r: Redis, key: string, count: number, prefix: string): Promise<string[]> {
  const all: string[] = [];
  const PER = 1000;
  for (let start = 0; start < count; start += PER * 50) {
    const p = r.pipeline();
    for (let s = start; s < Math.min(start + PER * 50, count); s += PER) {
      const members: string[] = [];
      for (let i = s; i < Math.min(s + PER, count); i++) members.push(`${prefix}${i}`);
      all.push(...members);
      p.sadd(key, ...members);
    }
    await p.exec();
  }
  return all;
}

test('SADD into a set of a million members appends about one member to the log; SCARD answers from the summary', async (t) => {
  t.timeout(600_000);
  const srv = await startServer(t, ['--appendfsync', 'no']);
  const r = serverClient(t, srv.port);
  const MEMBERS = 1_000_000;
  await fill(r, 'big', MEMBERS, 'member:');
  t.is(await r.scard('big'), MEMBERS);
  t.is(await r.object('ENCODING', 'big'), 'hashtable');
  const member = 'a-new-member-of-exactly-32-bytes';
  const before = await logBytes(r);
  t.is(await r.sadd('big', member), 1);
  const appended = (await logBytes(r)) - before;
  t.log(`one SADD of a ${member.length}-byte member into ${MEMBERS} members appended ${appended} bytes to the log`);
  t.true(appended >= member.length, `${appended} bytes`);
  t.true(appended <= 2 * member.length + 200, `${appended} bytes`);
  t.is(await r.sismember('big', member), 1);
  t.is(await r.scard('big'), MEMBERS + 1);
  // A member already there: a cluster of one writes nothing (Redis changes nothing either).
  const again = await logBytes(r);
  t.is(await r.sadd('big', member), 0);
  t.is(await logBytes(r), again);
});

test('SPOP pops distinct members of the set and removes exactly those, until the set is gone', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  for (const size of [50, 1000]) {
    const key = `pop${size}`;
    const members = new Set(await fill(r, key, size, 'm'));
    const popped = new Set<string>();
    const take = (got: string[]): void => {
      for (const m of got) {
        t.true(members.has(m), `${m} is a member of ${key}`);
        t.false(popped.has(m), `${m} popped twice from ${key}`);
        popped.add(m);
      }
    };
    take(await r.spop(key, 7));
    t.is(popped.size, 7);
    take([(await r.spop(key)) as string]);
    take(await r.spop(key, Math.floor(size / 2)));
    t.is(await r.scard(key), size - popped.size);
    for (const m of popped) t.is(await r.sismember(key, m), 0);
    while ((await r.scard(key)) > 0) take(await r.spop(key, 9));
    t.is(popped.size, size);
    t.is(await r.exists(key), 0);
    t.is(await r.spop(key), null);
  }
});

test('SRANDMEMBER: a positive count gives distinct members, a negative one exactly that many with repeats, spread over the whole set; nothing is removed', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  const members = new Set(await fill(r, 'big', 1000, 'm'));
  await r.sadd('small', 'a', 'b', 'c');
  for (const [key, count] of [['big', 10], ['big', 300], ['big', 400], ['big', 999], ['small', 2]] as const) {
    const got = await r.srandmember(key, count);
    t.is(got.length, count, `${key} ${count}`);
    t.is(new Set(got).size, count, `${key} ${count}: distinct`);
    if (key === 'big') t.true(got.every((m) => members.has(m)));
  }
  t.deepEqual((await r.srandmember('big', 5000)).sort(), [...members].sort());
  const repeats = await r.srandmember('big', -5000);
  t.is(repeats.length, 5000);
  t.true(repeats.every((m) => members.has(m)));
  // Uniform picks would show about 993 distinct members of 1000 in 5000 picks; a biased sampler far fewer.
  const distinct = new Set(repeats).size;
  t.log(`SRANDMEMBER big -5000 showed ${distinct} distinct members of 1000`);
  t.true(distinct > 850, `${distinct} distinct members`);
  const single = new Set<string>();
  for (let i = 0; i < 300; i++) single.add((await r.srandmember('big')) as string);
  t.true(single.size > 200, `${single.size} distinct members in 300 single picks`);
  const small = await r.srandmember('small', -300);
  t.deepEqual([...new Set(small)].sort(), ['a', 'b', 'c']);
  t.is(await r.scard('big'), 1000);
  t.is(await r.scard('small'), 3);
});

test("a set's members and encoding survive a restart; each member is an element record of its insertion number only", async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  await r.sadd('ints', '3', '-1', '2');
  await r.sadd('words', 'x', 'y');
  await fill(r, 'many', 600, '');
  await r.srem('many', ...Array.from({ length: 590 }, (_, i) => String(i + 10)));
  r.disconnect();
  await srv.stop();
  // Each member is its own element record, whose value is only the member's insertion number.
  const engine = Engine.open(path.join(srv.dir, 'db0.elements'));
  try {
    const record = engine.get(fieldKey(Buffer.from('ints'), Buffer.from('-1')));
    const versions = record === null ? null : decodeVersions(record);
    t.is(versions?.siblings.length, 1);
    const stored = versions === null ? null : visibleField(versions);
    t.is(stored?.seq, 2, '-1 was the second member added');
    t.is(stored?.value.length, 0, 'no value bytes');
  } finally {
    engine.close();
  }
  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  t.deepEqual(await r2.smembers('ints'), ['-1', '2', '3']);
  t.is(await r2.object('ENCODING', 'ints'), 'intset');
  t.deepEqual((await r2.smembers('words')).sort(), ['x', 'y']);
  t.is(await r2.object('ENCODING', 'words'), 'hashtable');
  t.is(await r2.scard('many'), 10);
  t.is(await r2.object('ENCODING', 'many'), 'hashtable', 'intset -> hashtable is one way, across a restart too');
  t.is(await r2.type('ints'), 'set');
});
