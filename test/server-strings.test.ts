// test/server-strings.test.ts — the string family against a real
// dynkv-server over TCP (ioredis): GET/SET and every SET option, SETNX,
// SETEX, PSETEX, GETSET, GETDEL, GETEX, MGET, MSET, MSETNX, APPEND, STRLEN,
// the INCR family (int64 edges, Redis's integer parsing, TTL kept) and
// INCRBYFLOAT (long double results as redis-server prints them), with error
// replies word for word. Ranges, LCS and bitmaps: server-strings-ranges.test.ts.
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { startServer } from './helpers/server';

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
}

async function connect(t: ExecutionContext, args: string[] = []): Promise<Redis> {
  const srv = await startServer(t, args);
  const r = client(srv.port);
  t.teardown(() => r.disconnect());
  return r;
}

/** The key's absolute expiry in ms (PEXPIRETIME): exact, whatever time passes between commands. */
async function expiry(r: Redis, key: string): Promise<number> {
  return Number(await r.call('PEXPIRETIME', key));
}

/**
 * Runs `command`, which sets a TTL of `ms` on key: the expiry must be `ms`
 * after a moment between sending it and its reply (the server reads the same
 * clock), however slow the machine. Returns the command's reply.
 */
async function expiresIn(t: ExecutionContext, r: Redis, key: string, ms: number, command: () => Promise<unknown>, message = ''): Promise<unknown> {
  const before = Date.now();
  const reply = await command();
  const after = Date.now();
  const at = await expiry(r, key);
  t.true(at >= before + ms && at <= after + ms, `${message} expires at ${at}, expected ${ms} ms after a moment in [${before}, ${after}]`);
  return reply;
}

/** Runs `command`, which must leave key's expiry as it was (and one there). Returns the command's reply. */
async function keepsExpiry(t: ExecutionContext, r: Redis, key: string, command: () => Promise<unknown>, message = ''): Promise<unknown> {
  const at = await expiry(r, key);
  t.true(at > 0, `${key} has an expiry to keep`);
  const reply = await command();
  t.is(await expiry(r, key), at, message);
  return reply;
}

const SYNTAX = 'ERR syntax error';
const NOT_INT = 'ERR value is not an integer or out of range';
const NOT_FLOAT = 'ERR value is not a valid float';

test('GET and SET: empty, binary and large values, binary keys, overwrite', async (t) => {
  const r = await connect(t);
  t.is(await r.get('missing'), null);
  t.is(await r.set('k', 'v'), 'OK');
  t.is(await r.get('k'), 'v');
  t.is(await r.set('k', 'second'), 'OK');
  t.is(await r.get('k'), 'second');
  t.is(await r.set('empty', ''), 'OK');
  t.is(await r.get('empty'), '');
  t.is(await r.exists('empty'), 1, 'an empty string is a key');
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await r.set('bin', bytes);
  t.deepEqual(await r.getBuffer('bin'), bytes);
  const key = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x20]);
  await r.set(key, 'binary key');
  t.is(await r.get(key), 'binary key');
  const big = Buffer.alloc(3 * 1024 * 1024, 'xyz');
  await r.set('big', big);
  t.deepEqual(await r.getBuffer('big'), big);
  await t.throwsAsync(r.call('GET'), { message: "ERR wrong number of arguments for 'get' command" });
  await t.throwsAsync(r.call('GET', 'a', 'b'), { message: "ERR wrong number of arguments for 'get' command" });
  await t.throwsAsync(r.call('SET', 'a'), { message: "ERR wrong number of arguments for 'set' command" });
});

test('SET NX, XX and GET: replies and conditions as Redis 7.0', async (t) => {
  const r = await connect(t);
  t.is(await r.set('k', 'v1', 'NX'), 'OK');
  t.is(await r.set('k', 'v2', 'NX'), null);
  t.is(await r.get('k'), 'v1');
  t.is(await r.set('k', 'v2', 'XX'), 'OK');
  t.is(await r.set('absent', 'v', 'XX'), null);
  t.is(await r.exists('absent'), 0);
  t.is(await r.call('SET', 'k', 'v3', 'GET'), 'v2');
  t.is(await r.call('SET', 'new', 'n1', 'GET'), null);
  t.is(await r.get('new'), 'n1');
  t.is(await r.call('SET', 'k', 'v4', 'NX', 'GET'), 'v3', 'NX GET on an existing key returns it and sets nothing');
  t.is(await r.get('k'), 'v3');
  t.is(await r.call('SET', 'nx-get', 'x', 'NX', 'GET'), null);
  t.is(await r.get('nx-get'), 'x');
  t.is(await r.call('SET', 'xx-get', 'x', 'XX', 'GET'), null);
  t.is(await r.exists('xx-get'), 0);
  t.is(await r.call('SET', 'k', 'v5', 'xx', 'get'), 'v3', 'options are case-insensitive');
  t.is(await r.call('SET', 'k', 'v6', 'GET', 'GET'), 'v5', 'repeating an option is allowed');
  t.is(await r.call('SET', 'k', 'v7', 'NX', 'NX'), null);
  for (const args of [['NX', 'XX'], ['XX', 'NX'], ['EX', '10', 'KEEPTTL'], ['KEEPTTL', 'PX', '10'], ['EX', '10', 'PX', '10'], ['EXAT', '10', 'PXAT', '10'], ['EX'], ['PX'], ['FOO'], ['PERSIST'], ['NX', 'EX']]) {
    await t.throwsAsync(r.call('SET', 'k', 'v', ...args), { message: SYNTAX }, args.join(' '));
  }
  t.is(await r.get('k'), 'v6', 'a refused SET changes nothing');
});

test('SET expiry options: EX PX EXAT PXAT KEEPTTL, invalid times', async (t) => {
  const r = await connect(t);
  await expiresIn(t, r, 'k', 10_000_000, () => r.set('k', 'v', 'EX', 10000), 'EX');
  await expiresIn(t, r, 'k', 5_000_000, () => r.set('k', 'v', 'PX', 5000000), 'PX');
  const exat = Math.floor(Date.now() / 1000) + 20000;
  await r.call('SET', 'k', 'v', 'EXAT', exat);
  t.is(await expiry(r, 'k'), exat * 1000, 'EXAT');
  const pxat = Date.now() + 30000000;
  await r.call('SET', 'k', 'v', 'PXAT', pxat);
  t.is(await expiry(r, 'k'), pxat, 'PXAT');
  t.is(await expiresIn(t, r, 'k', 8_000_000, () => r.call('SET', 'k', 'v', 'EX', '2000', 'EX', '8000')), 'OK', 'the last EX wins');
  t.is(await keepsExpiry(t, r, 'k', () => r.call('SET', 'k', 'v2', 'KEEPTTL'), 'KEEPTTL keeps the TTL'), 'OK');
  t.is(await r.get('k'), 'v2');
  await r.set('k', 'v3');
  t.is(await r.ttl('k'), -1, 'a plain SET drops the TTL');
  t.is(await r.call('SET', 'fresh', 'v', 'KEEPTTL'), 'OK');
  t.is(await r.ttl('fresh'), -1);
  t.is(await r.call('SET', 'k', 'gone', 'PXAT', '1'), 'OK', 'an absolute time in the past is accepted');
  t.is(await r.exists('k'), 0, '... and the key is gone at once');
  t.is(await expiresIn(t, r, 'k', 10_000_000, () => r.call('SET', 'k', 'v', 'EX', '10000', 'GET')), null);
  for (const [opt, value] of [['EX', '0'], ['EX', '-1'], ['PX', '0'], ['PXAT', '-5'], ['EX', '9223372036854775'], ['EX', '9223372036854774'], ['PX', '9223372036854775807']]) {
    await t.throwsAsync(r.call('SET', 'k', 'v', opt, value), { message: "ERR invalid expire time in 'set' command" }, `${opt} ${value}`);
  }
  for (const value of ['abc', '+5', '05', ' 5', '1.5', '9223372036854775808', '']) {
    await t.throwsAsync(r.call('SET', 'k', 'v', 'EX', value), { message: NOT_INT }, `EX '${value}'`);
  }
  await t.throwsAsync(r.call('SET', 'k', 'v', 'EX', '0', 'NX'), { message: "ERR invalid expire time in 'set' command" });
  t.is(await r.call('SET', 'far', 'v', 'PXAT', '9223372036854775807'), 'OK', 'the largest int64 is a valid absolute time');
  t.is(await r.call('SET', 'far2', 'v', 'EXAT', '9223372036854775'), 'OK');
  t.true((await r.pttl('far')) > 9e18);
  t.is(await r.get('k'), 'v', 'refused SETs changed nothing');
});

test('SETNX, SETEX, PSETEX, GETSET, GETDEL', async (t) => {
  const r = await connect(t);
  t.is(await r.setnx('k', 'a'), 1);
  t.is(await r.setnx('k', 'b'), 0);
  t.is(await r.get('k'), 'a');
  t.is(await expiresIn(t, r, 'e', 10_000_000, () => r.setex('e', 10000, 'val')), 'OK');
  t.is(await r.get('e'), 'val');
  t.is(await expiresIn(t, r, 'p', 10_000_000, () => r.psetex('p', 10000000, 'pval')), 'OK');
  await t.throwsAsync(r.setex('e', 0, 'v'), { message: "ERR invalid expire time in 'setex' command" });
  await t.throwsAsync(r.psetex('e', -1, 'v'), { message: "ERR invalid expire time in 'psetex' command" });
  await t.throwsAsync(r.call('SETEX', 'e', 'abc', 'v'), { message: NOT_INT });
  await t.throwsAsync(r.call('SETEX', 'e', '9223372036854775', 'v'), { message: "ERR invalid expire time in 'setex' command" });
  t.is(await r.get('e'), 'val');
  t.is(await r.getset('e', 'new'), 'val');
  t.is(await r.ttl('e'), -1, 'GETSET drops the TTL');
  t.is(await r.getset('absent', 'x'), null);
  t.is(await r.get('absent'), 'x');
  t.is(await r.getdel('absent'), 'x');
  t.is(await r.exists('absent'), 0);
  t.is(await r.getdel('absent'), null);
  await r.set('empty', '');
  t.is(await r.getdel('empty'), '');
  t.is(await r.exists('empty'), 0);
});

test('GETEX: EX PX EXAT PXAT PERSIST, option errors, missing keys', async (t) => {
  const r = await connect(t);
  t.is(await r.call('GETEX', 'missing'), null);
  t.is(await r.call('GETEX', 'missing', 'EX', '-1'), null, 'a missing key answers before the time is checked');
  await t.throwsAsync(r.call('GETEX', 'missing', 'FOO'), { message: SYNTAX });
  await r.set('k', 'v');
  t.is(await r.call('GETEX', 'k'), 'v');
  t.is(await r.ttl('k'), -1);
  t.is(await expiresIn(t, r, 'k', 10_000_000, () => r.call('GETEX', 'k', 'EX', '10000'), 'EX'), 'v');
  t.is(await expiresIn(t, r, 'k', 20_000_000, () => r.call('GETEX', 'k', 'PX', '20000000'), 'PX'), 'v');
  const exat = Math.floor(Date.now() / 1000) + 30000;
  t.is(await r.call('GETEX', 'k', 'EXAT', String(exat)), 'v');
  t.is(await expiry(r, 'k'), exat * 1000, 'EXAT');
  const pxat = Date.now() + 40000000;
  t.is(await r.call('GETEX', 'k', 'PXAT', String(pxat)), 'v');
  t.is(await expiry(r, 'k'), pxat, 'PXAT');
  t.is(await expiresIn(t, r, 'k', 8_000_000, () => r.call('GETEX', 'k', 'EX', '2000', 'EX', '8000'), 'the last EX wins'), 'v');
  t.is(await r.call('GETEX', 'k', 'PERSIST'), 'v');
  t.is(await r.ttl('k'), -1);
  t.is(await r.call('GETEX', 'k', 'PERSIST'), 'v', 'PERSIST without a TTL is fine');
  t.is(await r.get('k'), 'v');
  for (const args of [['KEEPTTL'], ['NX'], ['XX'], ['GET'], ['PERSIST', 'EX', '10'], ['EX', '10', 'PERSIST'], ['EX'], ['EX', '10', 'PX', '10']]) {
    await t.throwsAsync(r.call('GETEX', 'k', ...args), { message: SYNTAX }, args.join(' '));
  }
  await t.throwsAsync(r.call('GETEX', 'k', 'EX', '0'), { message: "ERR invalid expire time in 'getex' command" });
  await t.throwsAsync(r.call('GETEX', 'k', 'PXAT', 'abc'), { message: NOT_INT });
  t.is(await r.ttl('k'), -1, 'a refused GETEX changes nothing');
  t.is(await r.call('GETEX', 'k', 'PXAT', '1'), 'v', 'a past absolute time returns the value...');
  t.is(await r.exists('k'), 0, '... and deletes the key');
});

test('MGET, MSET, MSETNX', async (t) => {
  const r = await connect(t);
  t.deepEqual(await r.mget('a', 'b'), [null, null]);
  t.is(await r.mset('a', '1', 'b', '', 'c', '3'), 'OK');
  t.deepEqual(await r.mget('a', 'b', 'c', 'd', 'a'), ['1', '', '3', null, '1']);
  await t.throwsAsync(r.call('MSET', 'a'), { message: "ERR wrong number of arguments for 'mset' command" });
  await t.throwsAsync(r.call('MSET', 'a', 'b', 'c'), { message: "ERR wrong number of arguments for 'mset' command" });
  await t.throwsAsync(r.call('MSETNX', 'a', 'b', 'c'), { message: "ERR wrong number of arguments for 'msetnx' command" });
  await t.throwsAsync(r.call('MGET'), { message: "ERR wrong number of arguments for 'mget' command" });
  await r.setex('a', 10000, 'x');
  await r.mset('a', 'y', 'dup', '1', 'dup', '2');
  t.is(await r.ttl('a'), -1, 'MSET drops TTLs');
  t.is(await r.get('dup'), '2', 'the last of duplicate keys wins');
  t.is(await r.msetnx('x', '1', 'y', '2'), 1);
  t.deepEqual(await r.mget('x', 'y'), ['1', '2']);
  t.is(await r.msetnx('new', '1', 'x', '9'), 0, 'one existing key fails them all');
  t.is(await r.exists('new'), 0);
  t.is(await r.get('x'), '1');
  t.is(await r.msetnx('q', '1', 'q', '2'), 1);
  t.is(await r.get('q'), '2');
});

test('APPEND and STRLEN: creation, TTL kept, empty and binary tails, size limit', async (t) => {
  const r = await connect(t, ['--proto-max-bulk-len', '1048576']);
  t.is(await r.append('k', ''), 0);
  t.is(await r.exists('k'), 1, 'APPEND of nothing still creates the key');
  t.is(await r.append('k', 'hello'), 5);
  t.is(await r.append('k', ' world'), 11);
  t.is(await r.get('k'), 'hello world');
  t.is(await r.append('k', ''), 11);
  t.is(await r.strlen('k'), 11);
  t.is(await r.strlen('missing'), 0);
  await r.set('e', '');
  t.is(await r.strlen('e'), 0);
  await r.setex('t', 10000, 'a');
  t.is(await keepsExpiry(t, r, 't', () => r.append('t', Buffer.from([0, 0xff])), 'APPEND keeps the TTL'), 3);
  t.deepEqual(await r.getBuffer('t'), Buffer.from([0x61, 0, 0xff]));
  t.is(await r.strlen('t'), 3);
  await r.set('big', Buffer.alloc(1048575));
  t.is(await r.append('big', 'x'), 1048576, 'up to proto-max-bulk-len');
  await t.throwsAsync(r.append('big', 'y'), { message: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)' });
  t.is(await r.strlen('big'), 1048576);
});

test('INCR, DECR, INCRBY, DECRBY: int64 edges, Redis integer parsing, TTL kept', async (t) => {
  const r = await connect(t);
  t.is(await r.incr('n'), 1);
  t.is(await r.incr('n'), 2);
  t.is(await r.decr('n'), 1);
  t.is(await r.decr('m'), -1);
  t.is(await r.incrby('n', 100), 101);
  t.is(await r.incrby('n', -1000), -899);
  t.is(await r.decrby('n', -5), -894);
  t.is(await r.get('n'), '-894');
  await r.set('n', '9223372036854775806');
  await r.incr('n');
  t.is(await r.get('n'), '9223372036854775807', 'exact beyond 2^53');
  await t.throwsAsync(r.incr('n'), { message: 'ERR increment or decrement would overflow' });
  t.is(await r.get('n'), '9223372036854775807');
  await r.set('n', '-9223372036854775808');
  await t.throwsAsync(r.decr('n'), { message: 'ERR increment or decrement would overflow' });
  await t.throwsAsync(r.call('DECRBY', 'x', '-9223372036854775808'), { message: 'ERR decrement would overflow' });
  t.is(await r.exists('x'), 0);
  await r.call('INCRBY', 'x', '-9223372036854775808');
  t.is(await r.get('x'), '-9223372036854775808');
  await r.set('s', '9007199254740991');
  await r.incr('s');
  t.is(await r.get('s'), '9007199254740992');
  await r.incr('s');
  t.is(await r.get('s'), '9007199254740993');
  await r.call('INCRBY', 's', '9007199254740993');
  t.is(await r.get('s'), '18014398509481986');
  await r.call('DECRBY', 's', '18014398509481987');
  t.is(await r.get('s'), '-1');
  for (const v of ['+1', '01', ' 1', '1 ', '-0', '1.5', '', 'abc', '9223372036854775808', '-9223372036854775809', '99999999999999999999']) {
    await t.throwsAsync(r.call('INCRBY', 'n', v), { message: NOT_INT }, `increment '${v}'`);
    await r.set('bad', v);
    await t.throwsAsync(r.incr('bad'), { message: NOT_INT }, `value '${v}'`);
  }
  await r.set('zero', '0');
  t.is(await r.incr('zero'), 1);
  await r.setex('t', 10000, '10');
  t.is(await keepsExpiry(t, r, 't', () => r.incr('t'), 'INCR keeps the TTL'), 11);
  t.is(await keepsExpiry(t, r, 't', () => r.decrby('t', 2), 'DECRBY keeps the TTL'), 9);
});

test('INCRBYFLOAT: long double sums printed as redis-server prints them', async (t) => {
  const r = await connect(t);
  // [stored value or null, increment, reply or error] — replies taken from redis-server 7.0 on x86-64.
  const cases: [string | null, string, string][] = [
    ['10.5', '0.1', '10.6'],
    [null, '10.5', '10.5'],
    ['0.1', '0.2', '0.3'],
    ['5', '-5', '0'],
    ['0', '3.0000000000000000001', '3'],
    ['0', '1.23456789012345678901234', '1.23456789012345679'],
    ['1e17', '1', '100000000000000001'],
    ['1e20', '1', '100000000000000000000'],
    ['0', '12345678901234567890', '12345678901234567890'],
    ['0', '1.5e-10', '0.00000000015'],
    ['0', '1e-17', '0.00000000000000001'],
    ['0', '5e-18', '0'],
    ['0', '-1e-18', '0'],
    ['0', '0.000003814697265625', '0.00000381469726562'], // a tie, rounded to even
    ['0', '0x1p3', '8'],
    ['3', '0x10', '19'],
    ['0', '0X1P-2', '0.25'],
    ['0', '+1.5', '1.5'],
    ['0', '.5', '0.5'],
    ['0', '5.', '5'],
    ['0', '-0', '0'],
    ['-0.0', '0', '0'],
    ['0', '1e-4940', '0'], // a subnormal long double
    ['0', '0e-5000', '0'],
    ['0', 'inf', 'ERR increment would produce NaN or Infinity'],
    ['0', '-INFINITY', 'ERR increment would produce NaN or Infinity'],
    ['inf', '1', 'ERR increment would produce NaN or Infinity'],
    ['1e4932', '1e4932', 'ERR increment would produce NaN or Infinity'],
    ['0', 'nan', NOT_FLOAT],
    ['0', 'nan(123)', NOT_FLOAT],
    ['0', '1e4933', NOT_FLOAT],
    ['0', '1e-5000', NOT_FLOAT],
    ['0', ' 1', NOT_FLOAT],
    ['0', '1 ', NOT_FLOAT],
    ['0', '1e', NOT_FLOAT],
    ['0', '1,5', NOT_FLOAT],
    ['0', '', NOT_FLOAT],
    ['0', '1\u00002', NOT_FLOAT],
    ['abc', '1', NOT_FLOAT],
    ['', '1', NOT_FLOAT],
  ];
  for (const [stored, incr, expected] of cases) {
    await r.del('f');
    if (stored !== null) await r.set('f', stored);
    const got = await r.incrbyfloat('f', incr).catch((err: Error) => err.message);
    t.is(got, expected, `${stored} + ${incr}`);
  }
  await r.del('f');
  const huge = (await r.incrbyfloat('f', '1e400')) as string;
  t.is(huge.length, 401);
  t.true(huge.startsWith('10000000000000000000281880683947586514586'), 'the exact long double, in fixed notation');
  t.is(await r.incrbyfloat('f', '-1e400'), '0');
  await r.setex('t', 10000, '1');
  t.is(await keepsExpiry(t, r, 't', () => r.incrbyfloat('t', '0.5'), 'INCRBYFLOAT keeps the TTL'), '1.5');
  await t.throwsAsync(r.incr('t'), { message: NOT_INT });
  let sum = '0';
  for (let i = 0; i < 10; i++) sum = (await r.incrbyfloat('acc', '0.1')) as string;
  t.is(sum, '1');
});

test('read-modify-write commands are atomic under concurrent clients', async (t) => {
  const srv = await startServer(t);
  const clients = Array.from({ length: 8 }, () => client(srv.port));
  t.teardown(() => clients.forEach((c) => c.disconnect()));
  await Promise.all(
    clients.map(async (c, i) => {
      const p = c.pipeline();
      for (let j = 0; j < 500; j++) p.incr('counter').append('log', String(i)).incrbyfloat('f', '0.5').setnx(`once:${j}`, String(i));
      await p.exec();
    }),
  );
  const r = clients[0];
  t.is(await r.get('counter'), '4000');
  t.is(await r.strlen('log'), 4000);
  t.is(await r.get('f'), '2000');
  const owners = await r.mget(...Array.from({ length: 500 }, (_, j) => `once:${j}`));
  t.true(owners.every((o) => o !== null && Number(o) < 8));
});

test('string values survive a restart, TTLs included', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  await r.set('k', Buffer.from([1, 2, 3, 0]));
  await r.incrby('n', 41);
  await r.incrbyfloat('f', '2.5');
  await r.setex('t', 10000, 'ttl');
  const at = await expiry(r, 't');
  await r.append('k', 'z');
  r.disconnect();
  await srv.stop();
  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = client(again.port);
  t.teardown(() => r2.disconnect());
  t.deepEqual(await r2.getBuffer('k'), Buffer.from([1, 2, 3, 0, 0x7a]));
  t.is(await r2.incr('n'), 42);
  t.is(await r2.get('f'), '2.5');
  t.is(await expiry(r2, 't'), at, 'the expiry survives a restart');
});
