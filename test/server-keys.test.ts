// test/server-keys.test.ts — the key command family against a real
// dynkv-server over TCP (ioredis): DEL/UNLINK/EXISTS/TYPE/TOUCH, the EXPIRE
// family and TTLs, KEYS and SCAN with Redis's glob rules, RANDOMKEY,
// RENAME/RENAMENX/COPY/MOVE keeping TTLs, OBJECT, DBSIZE/FLUSHDB/FLUSHALL,
// each with Redis's exact error replies (checked against redis-server
// 7.0.15), plus the glob matcher on its own.
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { serverClient, startServer } from './helpers/server';
import { globMatch } from '../server/glob';

async function setup(t: ExecutionContext): Promise<Redis> {
  const srv = await startServer(t);
  return serverClient(t, srv.port);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function rejects(t: ExecutionContext, p: Promise<unknown>, message: string): Promise<void> {
  await t.throwsAsync(p, { message }, message);
}

/** SCAN through call (ioredis's typings fix the option order). */
async function scan(r: Redis, ...args: (string | number)[]): Promise<[string, string[]]> {
  return (await r.call('scan', ...args)) as [string, string[]];
}

/** A TTL in seconds read back a moment after it was set (slow machines: a second or two may pass). */
async function ttlNear(t: ExecutionContext, r: Redis, key: string, expected: number): Promise<void> {
  const ttl = (await r.ttl(key)) as number;
  t.true(ttl <= expected && ttl >= expected - 10, `TTL of ${key} is ${ttl}, expected about ${expected} (a busy machine may take seconds to ask)`);
}

const arity = (name: string): string => `ERR wrong number of arguments for '${name}' command`;

test('DEL and UNLINK count removed keys once; EXISTS counts repeats; TYPE; TOUCH', async (t) => {
  const r = await setup(t);
  await r.mset('a', '1', 'b', '2', 'c', '3');
  t.is(await r.exists('a', 'a', 'nokey', 'b'), 3);
  t.is(await r.call('touch', 'a', 'nokey', 'a'), 2);
  t.is(await r.type('a'), 'string');
  t.is(await r.type('nokey'), 'none');
  t.is(await r.del('a', 'a', 'nokey'), 1);
  t.is(await r.unlink('b', 'c', 'b'), 2);
  t.is(await r.exists('a', 'b', 'c'), 0);
  t.is(await r.del('a'), 0);
  for (const name of ['del', 'unlink', 'exists', 'touch']) await rejects(t, r.call(name), arity(name));
  await rejects(t, r.call('type'), arity('type'));
  await rejects(t, r.call('type', 'a', 'b'), arity('type'));
  // An expired key is neither found nor deleted.
  await r.set('gone', 'v', 'PX', 20);
  await sleep(50);
  t.is(await r.exists('gone'), 0);
  t.is(await r.type('gone'), 'none');
  t.is(await r.del('gone'), 0);
});

test('EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT set TTLs that TTL, PTTL, EXPIRETIME, PEXPIRETIME report', async (t) => {
  const r = await setup(t);
  await r.set('k', 'v');
  t.is(await r.ttl('k'), -1);
  t.is(await r.pttl('k'), -1);
  t.is(await r.call('expiretime', 'k'), -1);
  t.is(await r.call('pexpiretime', 'k'), -1);
  for (const c of ['ttl', 'pttl', 'expiretime', 'pexpiretime']) t.is(await r.call(c, 'nokey'), -2, c);

  const sent = Date.now();
  t.is(await r.expire('k', 100), 1);
  const replied = Date.now();
  await ttlNear(t, r, 'k', 100);
  const pttl = (await r.pttl('k')) as number;
  t.true(pttl > 90_000 && pttl <= 100_000, String(pttl));
  const at = (await r.call('pexpiretime', 'k')) as number;
  t.true(at >= sent + 100_000 && at <= replied + 100_000, `expires at ${at}, set between ${sent} and ${replied} + 100 s`);
  t.is(await r.call('expiretime', 'k'), Math.floor((at + 500) / 1000));

  t.is(await r.pexpire('k', 5800), 1);
  const rounded = (await r.ttl('k')) as number;
  t.true(rounded === 6 || rounded === 5, String(rounded));
  const second = Math.floor(Date.now() / 1000) + 1000;
  await r.pexpireat('k', second * 1000 + 499);
  t.is(await r.call('expiretime', 'k'), second, 'EXPIRETIME rounds to the nearest second');
  await r.pexpireat('k', second * 1000 + 500);
  t.is(await r.call('expiretime', 'k'), second + 1);
  const when = Math.floor(Date.now() / 1000) + 1000;
  t.is(await r.expireat('k', when), 1);
  t.is(await r.call('expiretime', 'k'), when);
  t.is(await r.call('pexpiretime', 'k'), when * 1000);
  t.is(await r.pexpireat('k', when * 1000 + 123), 1);
  t.is(await r.call('pexpiretime', 'k'), when * 1000 + 123);
  t.is(await r.get('k'), 'v', 'the value is kept');

  for (const c of ['expire', 'pexpire', 'expireat', 'pexpireat']) t.is(await r.call(c, 'nokey', '100'), 0, c);

  t.is(await r.persist('k'), 1);
  t.is(await r.ttl('k'), -1);
  t.is(await r.persist('k'), 0);
  t.is(await r.persist('nokey'), 0);
  t.is(await r.get('k'), 'v');

  // A short TTL passes.
  t.is(await r.pexpire('k', 50), 1);
  await sleep(100);
  t.is(await r.get('k'), null);
  t.is(await r.ttl('k'), -2);
});

test('an expire time in the past deletes the key and answers 1', async (t) => {
  const r = await setup(t);
  const cases: [string, string][] = [
    ['expire', '-1'],
    ['expire', '0'],
    ['pexpire', '0'],
    ['pexpire', '-100'],
    ['expireat', '100'],
    ['pexpireat', '100'],
    ['pexpireat', '0'],
    ['pexpireat', '-9223372036854770000'],
  ];
  for (const [cmd, arg] of cases) {
    await r.set('k', 'v');
    t.is(await r.call(cmd, 'k', arg), 1, `${cmd} ${arg}`);
    t.is(await r.exists('k'), 0, `${cmd} ${arg}`);
  }
});

test('EXPIRE NX XX GT LT follow Redis (no expiry = infinite TTL)', async (t) => {
  const r = await setup(t);
  await r.set('k', 'v');
  t.is(await r.call('expire', 'k', '100', 'xx'), 0, 'XX: no expiry yet');
  t.is(await r.call('expire', 'k', '100', 'gt'), 0, 'GT: no expiry is infinite');
  t.is(await r.ttl('k'), -1);
  t.is(await r.call('expire', 'k', '100', 'lt'), 1, 'LT: anything is less than infinite');
  await ttlNear(t, r, 'k', 100);
  t.is(await r.call('expire', 'k', '200', 'nx'), 0, 'NX: already has one');
  t.is(await r.call('expire', 'k', '200', 'xx'), 1);
  await ttlNear(t, r, 'k', 200);
  t.is(await r.call('expire', 'k', '100', 'gt'), 0);
  t.is(await r.call('expire', 'k', '300', 'GT'), 1);
  await ttlNear(t, r, 'k', 300);
  t.is(await r.call('expire', 'k', '400', 'lt'), 0);
  t.is(await r.call('expire', 'k', '50', 'Lt'), 1);
  await ttlNear(t, r, 'k', 50);
  const at = Date.now() + 50_000;
  t.is(await r.pexpireat('k', at), 1);
  t.is(await r.call('pexpireat', 'k', String(at), 'xx', 'gt'), 0, 'equal is not greater');
  t.is(await r.call('pexpireat', 'k', String(at), 'lt'), 0, 'equal is not less');
  t.is(await r.call('pexpireat', 'k', String(at + 1), 'gt'), 1);
  t.is(await r.call('expire', 'k', '-5', 'gt'), 0);
  t.is(await r.exists('k'), 1);
  t.is(await r.call('expire', 'k', '-5', 'lt'), 1, 'LT into the past deletes');
  t.is(await r.exists('k'), 0);
  await r.set('k', 'v');
  t.is(await r.call('expire', 'k', '100', 'nx'), 1);
  await ttlNear(t, r, 'k', 100);
});

test('EXPIRE errors are Redis\'s, in Redis\'s order', async (t) => {
  const r = await setup(t);
  await r.set('a', 'v');
  const nxAnd = 'ERR NX and XX, GT or LT options at the same time are not compatible';
  const gtLt = 'ERR GT and LT options at the same time are not compatible';
  await rejects(t, r.call('expire', 'a', '10', 'nx', 'xx'), nxAnd);
  await rejects(t, r.call('expire', 'a', '10', 'nx', 'gt'), nxAnd);
  await rejects(t, r.call('expire', 'a', '10', 'lt', 'nx'), nxAnd);
  await rejects(t, r.call('expire', 'a', '10', 'gt', 'lt', 'nx'), nxAnd);
  await rejects(t, r.call('expire', 'a', '10', 'gt', 'lt'), gtLt);
  await rejects(t, r.call('expire', 'a', '10', 'xx', 'gt', 'lt'), gtLt);
  await rejects(t, r.call('expire', 'a', '10', 'foo'), 'ERR Unsupported option foo');
  await rejects(t, r.call('expire', 'a', '10', 'nx', 'foo'), 'ERR Unsupported option foo');
  await rejects(t, r.call('expire', 'a', 'x', 'foo'), 'ERR Unsupported option foo');
  await rejects(t, r.call('expire', 'nokey', '10', 'foo'), 'ERR Unsupported option foo');
  for (const bad of ['x', '1.5', '', ' 5', '+5', '05', '-0', '99999999999999999999']) {
    await rejects(t, r.call('expire', 'a', bad), 'ERR value is not an integer or out of range');
  }
  // Overflow converting to ms or adding the base time.
  for (const big of ['9223370399119966', '9223372036854776', '10000000000000000', '18446744073709561', '-9223372036854776', '-9999999999999999']) {
    await rejects(t, r.call('expire', 'a', big), "ERR invalid expire time in 'expire' command");
  }
  await rejects(t, r.call('pexpire', 'a', '9223372036854770000'), "ERR invalid expire time in 'pexpire' command");
  await rejects(t, r.call('expireat', 'a', '9223372036854776'), "ERR invalid expire time in 'expireat' command");
  await rejects(t, r.call('EXPIRE', 'a', '9223372036854776'), "ERR invalid expire time in 'expire' command");
  t.is(await r.ttl('a'), -1, 'failed commands left the key alone');
  // Far-future absolute times are accepted.
  t.is(await r.call('pexpireat', 'a', '9223372036854770000'), 1);
  t.true(((await r.ttl('a')) as number) > 9e15);
  for (const name of ['expire', 'pexpire', 'expireat', 'pexpireat']) {
    await rejects(t, r.call(name, 'a'), arity(name));
  }
  for (const name of ['ttl', 'pttl', 'expiretime', 'pexpiretime', 'persist']) {
    await rejects(t, r.call(name), arity(name));
    await rejects(t, r.call(name, 'a', 'b'), arity(name));
  }
});

// Expected sets from redis-server 7.0.15's KEYS on the same keys.
const GLOB_KEYS = ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'h[llo', 'h*llo', 'a', 'b', 'c', 'ab', 'abc', 'x\\', 'x\\y', ']', '-', 'foo:1', 'foo:2', 'foo:10', 'bar:1'];
const GLOB_CASES: [string, string[]][] = [
  ["*",["-","]","a","ab","abc","b","bar:1","c","foo:1","foo:10","foo:2","h*llo","h[llo","hallo","heeeello","hello","hllo","hxllo","x\\","x\\y"]],
  ["?",["-","]","a","b","c"]],
  ["h?llo",["h*llo","h[llo","hallo","hello","hxllo"]],
  ["h*llo",["h*llo","h[llo","hallo","heeeello","hello","hllo","hxllo"]],
  ["h[ae]llo",["hallo","hello"]],
  ["h[^e]llo",["h*llo","h[llo","hallo","hxllo"]],
  ["h[a-b]llo",["hallo"]],
  ["h[b-a]llo",["hallo"]],
  ["h\\*llo",["h*llo"]],
  ["h\\[llo",["h[llo"]],
  ["[a-c]",["a","b","c"]],
  ["[^a-c]",["-","]"]],
  ["a[b",["ab"]],
  ["foo:[0-9]",["foo:1","foo:2"]],
  ["foo:[0-9]*",["foo:1","foo:10","foo:2"]],
  ["*:1",["bar:1","foo:1"]],
  ["x\\",["x\\"]],
  ["x\\\\",["x\\"]],
  ["x\\\\y",["x\\y"]],
  ["[]]",[]],
  ["[\\]]",["]"]],
  ["[\\]",["]"]],
  ["*[",[]],
  ["[-]",["-"]],
  ["a**",["a","ab","abc"]],
  ["**c",["abc","c"]],
  ["?b*",["ab","abc"]],
  ["*l*l*o",["h*llo","h[llo","hallo","heeeello","hello","hllo","hxllo"]],
  ["h[^]llo",["h*llo","h[llo","hallo","hello","hxllo"]],
  ["nomatch*",[]],
];

test('KEYS matches as Redis\'s stringmatchlen; SCAN MATCH uses the same rules', async (t) => {
  const r = await setup(t);
  for (const k of GLOB_KEYS) await r.set(k, 'v');
  for (const [pattern, expected] of GLOB_CASES) {
    t.deepEqual((await r.keys(pattern)).sort(), expected, `KEYS ${pattern}`);
    const [cursor, keys] = await scan(r, '0', 'MATCH', pattern, 'COUNT', 1000);
    t.is(cursor, '0');
    t.deepEqual(keys.sort(), expected, `SCAN MATCH ${pattern}`);
  }
  await rejects(t, r.call('keys'), arity('keys'));
  await rejects(t, r.call('keys', 'a', 'b'), arity('keys'));
  await r.flushdb();
  t.deepEqual(await r.keys('*'), []);
});

test('glob matcher: binary keys, signed-byte ranges, the nesting limit, no blow-up', (t) => {
  const m = (p: string | Buffer, k: string | Buffer): boolean => globMatch(Buffer.from(p as string, 'latin1'), Buffer.from(k as string, 'latin1'));
  t.true(m('a\x00*', 'a\x00bc'), 'NUL bytes are ordinary bytes');
  t.false(m('a\x00', 'a'));
  // Redis compares chars signed in ranges: [a-\xff] is [\xff-a] = bytes -1..97.
  t.true(m('[a-\xff]', '\x05'));
  t.false(m('[a-\xff]', '\x80'));
  t.false(m('[a-\xff]', 'b'));
  t.true(m('[\x80-\xff]', '\x90'));
  t.true(m('[\xe9]', '\xe9'));
  t.true(m('[b', 'b'), 'an unterminated class behaves as closed');
  t.true(m('[^', 'x'));
  t.false(m('b\\', 'b'));
  t.true(m('', ''));
  t.false(m('', 'a'));
  t.false(m('*', ''), "stringmatchlen never matches an empty key (KEYS/SCAN special-case a lone '*')");
  t.false(m('**', ''));
  t.false(m('?', ''));
  // At most 1000 nested stars, as Redis 7.0.15.
  const key = 'a'.repeat(1100);
  t.true(m('*a'.repeat(1000), key));
  t.false(m('*a'.repeat(1001), key));
  // Would be exponential without the early stop.
  const started = Date.now();
  t.false(m('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(60)));
  t.true(Date.now() - started < 1000);
});

test('SCAN walks every key with a decimal cursor; COUNT, MATCH, TYPE; errors', async (t) => {
  const r = await setup(t);
  const all = new Set<string>();
  for (let i = 0; i < 500; i++) all.add(`key:${i}`);
  await r.mset(...[...all].flatMap((k) => [k, 'v']));
  const seen = new Set<string>();
  let cursor = '0';
  let calls = 0;
  do {
    const [next, keys] = await scan(r, cursor, 'COUNT', 20);
    t.regex(next, /^\d+$/);
    t.true(keys.length <= 40, `a page holds about COUNT keys (${keys.length})`);
    for (const k of keys) seen.add(k);
    cursor = next;
    calls++;
  } while (cursor !== '0');
  t.deepEqual([...seen].sort(), [...all].sort());
  t.true(calls >= 20, `iterated in pages (${calls} calls)`);

  const [c1, k1] = await scan(r, '0');
  t.not(c1, '0', 'default COUNT is 10: the first page does not end the scan');
  t.true(k1.length > 0 && k1.length <= 20);

  const typed = async (type: string): Promise<string[]> => (await scan(r, '0', 'COUNT', 10000, 'TYPE', type))[1];
  t.is((await typed('string')).length, 500);
  t.is((await typed('STRING')).length, 500);
  t.deepEqual(await typed('list'), []);
  t.deepEqual(await typed('nosuchtype'), []);
  const [, m] = await scan(r, '0', 'COUNT', 10000, 'MATCH', 'key:1?', 'TYPE', 'string');
  t.deepEqual(m.sort(), ['key:10', 'key:11', 'key:12', 'key:13', 'key:14', 'key:15', 'key:16', 'key:17', 'key:18', 'key:19']);
  const [, last] = await scan(r, '0', 'COUNT', 10000, 'MATCH', 'nothing*', 'MATCH', 'key:7');
  t.deepEqual(last, ['key:7'], 'the last MATCH wins');

  // strtoul's rules: '' is 0, -n wraps, ULONG_MAX is a valid (final) cursor.
  t.is((await scan(r, '', 'COUNT', 10000))[1].length, 500);
  t.deepEqual(await scan(r, '18446744073709551615'), ['0', []]);
  for (const bad of ['x', ' 0', '0x', '-', '+', '18446744073709551616', '1.5', '99999999999999999999999']) {
    await rejects(t, r.call('scan', bad), 'ERR invalid cursor');
  }
  await rejects(t, r.call('scan', 'x', 'COUNT', '0'), 'ERR invalid cursor');
  await rejects(t, r.call('scan', '0', 'COUNT', '0'), 'ERR syntax error');
  await rejects(t, r.call('scan', '0', 'COUNT', '-1'), 'ERR syntax error');
  await rejects(t, r.call('scan', '0', 'COUNT', 'x'), 'ERR value is not an integer or out of range');
  await rejects(t, r.call('scan', '0', 'foo'), 'ERR syntax error');
  await rejects(t, r.call('scan', '0', 'MATCH'), 'ERR syntax error');
  await rejects(t, r.call('scan', '0', 'COUNT', '10', 'TYPE'), 'ERR syntax error');
  await rejects(t, r.call('scan'), arity('scan'));
});

test('SCAN returns every key that lives through the scan while others are written and deleted', async (t) => {
  const r = await setup(t);
  await r.mset(...Array.from({ length: 1000 }, (_, i) => [`stay:${i}`, 'v']).flat());
  await r.mset(...Array.from({ length: 300 }, (_, i) => [`drop:${i}`, 'v']).flat());
  const seen = new Set<string>();
  let cursor = '0';
  let step = 0;
  do {
    const [next, keys] = await scan(r, cursor, 'COUNT', 25);
    for (const k of keys) seen.add(k);
    cursor = next;
    // Meanwhile: new keys and deletions all over the ring.
    await r.set(`new:${step}`, 'v');
    if (step < 300) await r.del(`drop:${step}`);
    step++;
  } while (cursor !== '0');
  for (let i = 0; i < 1000; i++) if (!seen.has(`stay:${i}`)) t.fail(`stay:${i} was not returned`);
  t.pass();
});

test('RANDOMKEY: nil when empty, a live key otherwise, spread over the keys', async (t) => {
  const r = await setup(t);
  t.is(await r.randomkey(), null);
  await r.set('only', '1');
  t.is(await r.randomkey(), 'only');
  for (let i = 0; i < 100; i++) await r.set(`k${i}`, 'v');
  const picked = new Set<string>();
  for (let i = 0; i < 60; i++) picked.add((await r.randomkey()) as string);
  t.true(picked.size > 10, `${picked.size} distinct keys in 60 calls`);
  await r.flushdb();
  await r.set('short', 'v', 'PX', 20);
  await sleep(50);
  t.is(await r.randomkey(), null, 'expired keys are never returned');
  await rejects(t, r.call('randomkey', 'x'), arity('randomkey'));
});

test('RENAME and RENAMENX move the value and its TTL; errors as Redis', async (t) => {
  const r = await setup(t);
  await rejects(t, r.rename('nokey', 'x'), 'ERR no such key');
  await rejects(t, r.renamenx('nokey', 'x'), 'ERR no such key');
  await rejects(t, r.rename('nokey', 'nokey'), 'ERR no such key');
  await r.set('a', 'va', 'EX', 100);
  t.is(await r.rename('a', 'b'), 'OK');
  t.is(await r.exists('a'), 0);
  t.is(await r.get('b'), 'va');
  await ttlNear(t, r, 'b', 100);
  t.is(await r.rename('b', 'b'), 'OK', 'same key: OK, nothing changes');
  t.is(await r.renamenx('b', 'b'), 0);
  t.is(await r.get('b'), 'va');
  await r.set('c', 'vc');
  t.is(await r.renamenx('b', 'c'), 0);
  t.is(await r.get('b'), 'va');
  t.is(await r.renamenx('b', 'd'), 1);
  await ttlNear(t, r, 'd', 100);
  t.is(await r.rename('d', 'c'), 'OK', 'RENAME overwrites');
  t.is(await r.get('c'), 'va');
  await ttlNear(t, r, 'c', 100);
  await r.set('p', 'vp');
  await r.set('q', 'vq', 'EX', 50);
  await r.rename('p', 'q');
  t.is(await r.ttl('q'), -1, 'a persistent source leaves no TTL on the destination');
  await rejects(t, r.call('rename', 'a'), arity('rename'));
  await rejects(t, r.call('renamenx', 'a', 'b', 'c'), arity('renamenx'));
});

test('COPY with DB and REPLACE keeps the TTL; errors as Redis', async (t) => {
  const r = await setup(t);
  await r.set('src', 'v', 'EX', 100);
  t.is(await r.copy('src', 'dst'), 1);
  t.is(await r.get('dst'), 'v');
  await ttlNear(t, r, 'dst', 100);
  t.is(await r.get('src'), 'v', 'the source stays');
  await r.set('dst', 'other');
  t.is(await r.copy('src', 'dst'), 0, 'no REPLACE: the destination is kept');
  t.is(await r.get('dst'), 'other');
  t.is(await r.call('copy', 'src', 'dst', 'replace'), 1);
  t.is(await r.get('dst'), 'v');
  t.is(await r.copy('nokey', 'x'), 0);
  t.is(await r.call('copy', 'src', 'src', 'DB', '3'), 1, 'same name in another db');
  t.is(await r.call('copy', 'src', 'x', 'REPLACE', 'DB', '3'), 1);
  await r.select(3);
  t.is(await r.get('src'), 'v');
  await ttlNear(t, r, 'x', 100);
  await r.select(0);
  const same = 'ERR source and destination objects are the same';
  await rejects(t, r.call('copy', 'src', 'src'), same);
  await rejects(t, r.call('copy', 'src', 'src', 'DB', '0'), same);
  await rejects(t, r.call('copy', 'src', 'x', 'DB', 'x'), 'ERR value is not an integer or out of range');
  await rejects(t, r.call('copy', 'src', 'x', 'DB', '16'), 'ERR DB index is out of range');
  await rejects(t, r.call('copy', 'src', 'x', 'DB', '-1'), 'ERR DB index is out of range');
  await rejects(t, r.call('copy', 'nokey', 'x', 'DB', '99'), 'ERR DB index is out of range');
  await rejects(t, r.call('copy', 'src', 'x', 'DB'), 'ERR syntax error');
  await rejects(t, r.call('copy', 'src', 'x', 'foo'), 'ERR syntax error');
  await rejects(t, r.call('copy', 'src'), arity('copy'));
});

test('MOVE takes the key and its TTL to another database unless it is there', async (t) => {
  const r = await setup(t);
  await r.set('k', 'v', 'EX', 100);
  t.is(await r.move('k', '2'), 1);
  t.is(await r.exists('k'), 0);
  await r.select(2);
  t.is(await r.get('k'), 'v');
  await ttlNear(t, r, 'k', 100);
  await r.select(0);
  await r.set('k', 'again');
  t.is(await r.move('k', '2'), 0, 'already in the destination');
  t.is(await r.get('k'), 'again');
  t.is(await r.move('nokey', '2'), 0);
  await rejects(t, r.move('k', '0'), 'ERR source and destination objects are the same');
  await rejects(t, r.move('nokey', '0'), 'ERR source and destination objects are the same');
  await rejects(t, r.move('k', 'x'), 'ERR value is not an integer or out of range');
  await rejects(t, r.move('k', '16'), 'ERR DB index is out of range');
  await rejects(t, r.move('k', '-1'), 'ERR DB index is out of range');
  await rejects(t, r.call('move', 'k'), arity('move'));
});

test('WATCH fails only when a key command really changes the key, as Redis', async (t) => {
  const srv = await startServer(t);
  const a = serverClient(t, srv.port);
  const b = serverClient(t, srv.port);
  /** WATCH key on a, `command` on b (its reply, or its error's message, must be `reply`), then whether a's transaction ran. */
  const attempt = async (key: string, reply: unknown, ...command: string[]): Promise<boolean> => {
    await a.watch(key);
    const got = await b.call(command[0], ...command.slice(1)).then(
      (value) => value,
      (err: Error) => err.message,
    );
    t.deepEqual(got, reply, command.join(' '));
    return (await a.multi().ping().exec()) !== null;
  };
  // No change: the transaction runs.
  t.true(await attempt('w', 0, 'del', 'w'));
  t.true(await attempt('w', 0, 'expire', 'w', '10'));
  t.true(await attempt('w', 0, 'persist', 'w'));
  t.true(await attempt('w', 'ERR no such key', 'rename', 'nokey', 'w'));
  t.true(await attempt('w', 0, 'copy', 'nokey', 'w'));
  t.true(await attempt('w', 'OK', 'flushdb'), 'FLUSHDB fails only watchers of keys it removed');
  await b.set('other', 'v');
  t.true(await attempt('w', 'OK', 'flushall'));
  // Changes: it fails.
  await b.set('w', 'v');
  t.false(await attempt('w', 1, 'expire', 'w', '100'));
  t.false(await attempt('w', 1, 'persist', 'w'));
  t.false(await attempt('w', 'OK', 'rename', 'w', 'w2'));
  t.false(await attempt('w', 'OK', 'rename', 'w2', 'w'));
  t.true(await attempt('w', 1, 'copy', 'w', 'w3'), 'COPY only reads the watched source');
  t.false(await attempt('w3', 1, 'copy', 'w', 'w3', 'replace'));
  t.false(await attempt('w', 'OK', 'flushdb'));
  await b.set('w', 'v');
  t.false(await attempt('w', 1, 'del', 'w'));
  // Keys written in another database by MOVE and COPY ... DB.
  await a.select(1);
  await b.set('mv', 'v');
  t.false(await attempt('mv', 1, 'move', 'mv', '1'));
  await b.set('cp', 'v');
  t.false(await attempt('cp', 1, 'copy', 'cp', 'cp', 'DB', '1'));
  t.false(await attempt('cp', 'OK', 'flushall'));
});

test('OBJECT ENCODING, REFCOUNT, IDLETIME, FREQ, HELP as Redis reports them for strings', async (t) => {
  const r = await setup(t);
  const values: [string, string, number][] = [
    ['1', 'int', 2147483647],
    ['9999', 'int', 2147483647],
    ['10000', 'int', 1],
    ['-5', 'int', 1],
    ['9223372036854775807', 'int', 1],
    ['9223372036854775808', 'embstr', 1],
    ['99999999999999999999', 'embstr', 1],
    ['007', 'embstr', 1],
    ['-0', 'embstr', 1],
    [' 1', 'embstr', 1],
    ['hello', 'embstr', 1],
    ['x'.repeat(44), 'embstr', 1],
    ['x'.repeat(45), 'raw', 1],
    ['', 'embstr', 1],
  ];
  for (const [value, encoding, refcount] of values) {
    await r.set('k', value);
    t.is(await r.call('object', 'ENCODING', 'k'), encoding, `encoding of '${value.slice(0, 20)}'`);
    t.is(await r.call('object', 'REFCOUNT', 'k'), refcount, `refcount of '${value.slice(0, 20)}'`);
  }
  t.true((await r.call('object', 'IDLETIME', 'k')) as number <= 1, 'just written');
  await rejects(
    t,
    r.call('object', 'FREQ', 'k'),
    'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
  );
  for (const sub of ['ENCODING', 'REFCOUNT', 'IDLETIME', 'FREQ']) t.is(await r.call('object', sub, 'nokey'), null, sub);
  const help = (await r.call('object', 'HELP')) as string[];
  t.is(help[0], 'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
  t.is(help.length, 15);
  t.is(help[14], '    Prints this help.');
  await rejects(t, r.call('object', 'foo'), "ERR unknown subcommand 'foo'. Try OBJECT HELP.");
  await rejects(t, r.call('object', 'ENCODING'), "ERR wrong number of arguments for 'object|encoding' command");
  await rejects(t, r.call('object', 'encoding', 'a', 'b'), "ERR wrong number of arguments for 'object|encoding' command");
  await rejects(t, r.call('object', 'HELP', 'x'), "ERR wrong number of arguments for 'object|help' command");
  await rejects(t, r.call('object'), arity('object'));
});

test('OBJECT IDLETIME counts seconds since the last write or read: GET, SET, TOUCH reset it; TYPE, TTL, EXISTS, OBJECT do not; a restart starts it again', async (t) => {
  t.timeout(60_000);
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  const idle = async (key: string): Promise<number> => (await r.call('object', 'IDLETIME', key)) as number;
  /** Polls until `key` has been idle at least `seconds` (the clock ticks in whole seconds). */
  const idleFor = async (key: string, seconds: number): Promise<number> => {
    for (let i = 0; i < 200; i++) {
      const n = await idle(key);
      if (n >= seconds) return n;
      await sleep(100);
    }
    throw new Error(`${key} never reached ${seconds} s idle`);
  };
  await r.set('k', 'v');
  await r.set('still', 'v');
  await r.set('t', 'v');
  t.true((await idle('k')) <= 1, 'just written');
  // Each key's clock ticks on its own second: a write may fall either side of a tick, so each is awaited.
  await idleFor('k', 3);
  await r.type('k');
  await r.ttl('k');
  await r.exists('k');
  await r.call('object', 'encoding', 'k');
  t.true((await idle('k')) >= 3, 'TYPE, TTL, EXISTS and OBJECT are no access');
  await r.get('k');
  t.true((await idle('k')) < 3, 'GET is an access');
  await idleFor('t', 3);
  t.is(await r.touch('t', 'nokey'), 1);
  t.true((await idle('t')) < 3, 'TOUCH is an access');
  await idleFor('still', 3); // a key nobody read stays idle
  await r.set('still', 'w');
  t.true((await idle('still')) < 3, 'SET is an access');
  await idleFor('still', 3);
  // The access clock is not stored: after a restart it counts from the load, as redis-server's does without an LRU policy.
  r.disconnect();
  await srv.stop();
  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  t.true(((await r2.call('object', 'IDLETIME', 'still')) as number) < 3);
});

test('DBSIZE, FLUSHDB, FLUSHALL [ASYNC|SYNC]; a flush lasts across a restart', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  await r.mset('a', '1', 'b', '2', 'c', '3');
  await r.select(5);
  await r.mset('x', '1', 'y', '2');
  t.is(await r.dbsize(), 2);
  t.is(await r.flushdb('SYNC'), 'OK');
  t.is(await r.dbsize(), 0);
  await r.select(0);
  t.is(await r.dbsize(), 3, 'FLUSHDB only flushed its database');
  t.is(await r.call('flushdb', 'async'), 'OK');
  t.is(await r.dbsize(), 0);
  await r.set('a', '1');
  await r.select(7);
  await r.set('b', '2');
  t.is(await r.flushall(), 'OK');
  t.is(await r.dbsize(), 0);
  await r.select(0);
  t.is(await r.dbsize(), 0);
  t.is(await r.flushall('ASYNC'), 'OK');
  t.is(await r.call('flushall', 'sync'), 'OK');
  await rejects(t, r.call('flushdb', 'x'), 'ERR syntax error');
  await rejects(t, r.call('flushdb', 'async', 'x'), 'ERR syntax error');
  await rejects(t, r.call('flushall', 'foo'), 'ERR syntax error');
  await rejects(t, r.call('dbsize', 'x'), arity('dbsize'));
  // Written again after the flush: only that survives a restart.
  await r.set('after', 'flush');
  r.disconnect();
  await srv.stop();
  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  t.deepEqual(await r2.keys('*'), ['after']);
  await r2.select(5);
  t.is(await r2.dbsize(), 0);
});

test('COMMAND INFO and COMMAND COUNT list the key family with Redis\'s metadata', async (t) => {
  const r = await setup(t);
  const info = async (name: string): Promise<unknown[]> => ((await r.call('command', 'info', name)) as unknown[][])[0].slice(0, 7);
  t.deepEqual(await info('del'), ['del', -2, ['write'], 1, -1, 1, ['@keyspace', '@write', '@slow']]);
  t.deepEqual(await info('exists'), ['exists', -2, ['readonly', 'fast'], 1, -1, 1, ['@keyspace', '@read', '@fast']]);
  t.deepEqual(await info('expire'), ['expire', -3, ['write', 'fast'], 1, 1, 1, ['@keyspace', '@write', '@fast']]);
  t.deepEqual(await info('copy'), ['copy', -3, ['write', 'denyoom'], 1, 2, 1, ['@keyspace', '@write', '@slow']]);
  t.deepEqual(await info('keys'), ['keys', 2, ['readonly'], 0, 0, 0, ['@keyspace', '@read', '@slow', '@dangerous']]);
  t.deepEqual(await info('scan'), ['scan', -2, ['readonly'], 0, 0, 0, ['@keyspace', '@read', '@slow']]);
  t.deepEqual(await info('flushall'), ['flushall', -1, ['write'], 0, 0, 0, ['@keyspace', '@write', '@slow', '@dangerous']]);
  t.deepEqual(await info('object'), ['object', -2, [], 0, 0, 0, ['@slow']]);
  t.deepEqual(await info('object|encoding'), ['object|encoding', 3, ['readonly'], 2, 2, 1, ['@keyspace', '@read', '@slow']]);
  const names = ['del', 'unlink', 'exists', 'type', 'touch', 'rename', 'renamenx', 'copy', 'move', 'object', 'expire', 'pexpire', 'expireat', 'pexpireat', 'ttl', 'pttl', 'expiretime', 'pexpiretime', 'persist', 'keys', 'scan', 'randomkey', 'dbsize', 'flushdb', 'flushall'];
  const all = (await r.call('command', 'info', ...names)) as unknown[][];
  t.is(all.filter((x) => x !== null).length, names.length, 'every key command is in the table');
});
