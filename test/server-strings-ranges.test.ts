// test/server-strings-ranges.test.ts — byte and bit ranges of string values
// against a real dynkv-server over TCP: GETRANGE/SUBSTR (negative and int64
// indexes), SETRANGE (zero padding, proto-max-bulk-len), LCS (LEN, IDX,
// MINMATCHLEN, WITHMATCHLEN, RESP2 array vs RESP3 map, memory cap), GETBIT,
// SETBIT, BITCOUNT and BITPOS (BYTE|BIT), with Redis's exact error replies.
import test, { type ExecutionContext } from 'ava';
import net from 'node:net';
import Redis from 'ioredis';
import { startServer } from './helpers/server';

async function connect(t: ExecutionContext, args: string[] = []): Promise<{ r: Redis; port: number }> {
  const srv = await startServer(t, args);
  const r = new Redis({ port: srv.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => r.disconnect());
  return { r, port: srv.port };
}

/** Sends RESP commands on a fresh connection; resolves with the raw reply bytes once they end with `until`. */
function raw(port: number, commands: string[][], until: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out; got ${JSON.stringify(data)}`));
    }, 5000);
    s.on('data', (d) => {
      data += d.toString('latin1');
      if (data.endsWith(until)) {
        clearTimeout(timer);
        s.destroy();
        resolve(data);
      }
    });
    s.write(commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join(''));
  });
}

const SYNTAX = 'ERR syntax error';
const NOT_INT = 'ERR value is not an integer or out of range';
const TOO_BIG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';

test('GETRANGE and SUBSTR: negative, reversed and int64 indexes, empty and missing values', async (t) => {
  const { r } = await connect(t);
  await r.set('k', 'foobar');
  const cases: [string, string, string][] = [
    ['0', '-1', 'foobar'], ['0', '2', 'foo'], ['2', '2', 'o'], ['-3', '-1', 'bar'], ['-100', '100', 'foobar'],
    ['3', '2', ''], ['-1', '-2', ''], ['5', '100', 'r'], ['6', '10', ''], ['-1', '0', ''],
    ['0', '9223372036854775807', 'foobar'], ['1', '-9223372036854775808', ''],
    ['-9223372036854775808', '-9223372036854775807', 'f'], ['-9223372036854775807', '-9223372036854775808', ''],
  ];
  for (const [start, end, expected] of cases) {
    t.is(await r.getrange('k', start as unknown as number, end as unknown as number), expected, `${start} ${end}`);
    t.is(await r.call('SUBSTR', 'k', start, end), expected, `SUBSTR ${start} ${end}`);
  }
  t.is(await r.getrange('missing', 0, -1), '', 'a missing key reads as an empty string, not nil');
  await r.set('e', '');
  t.is(await r.getrange('e', 0, -1), '');
  t.is(await r.getrange('e', 0, 0), '');
  await t.throwsAsync(r.call('GETRANGE', 'k', 'a', '1'), { message: NOT_INT });
  await t.throwsAsync(r.call('GETRANGE', 'missing', '0', '1.5'), { message: NOT_INT });
  await t.throwsAsync(r.call('GETRANGE', 'k', '0'), { message: "ERR wrong number of arguments for 'getrange' command" });
  const bin = Buffer.from([0, 1, 2, 0xfe, 0xff]);
  await r.set('b', bin);
  t.deepEqual(await r.getrangeBuffer('b', -2, -1), Buffer.from([0xfe, 0xff]));
});

test('SETRANGE: zero padding, empty patches, TTL kept, offset and size limits', async (t) => {
  const { r } = await connect(t, ['--proto-max-bulk-len', '1048576']);
  await r.set('k', 'foobar');
  t.is(await r.setrange('k', 3, 'BAR'), 6);
  t.is(await r.get('k'), 'fooBAR');
  t.is(await r.setrange('k', 10, 'XY'), 12);
  t.deepEqual(await r.getBuffer('k'), Buffer.from('fooBAR\0\0\0\0XY', 'latin1'));
  t.is(await r.setrange('k', 0, ''), 12, 'an empty patch returns the length');
  t.is(await r.setrange('missing', 10, ''), 0);
  t.is(await r.exists('missing'), 0, 'an empty patch creates no key');
  t.is(await r.setrange('new', 3, 'abc'), 6);
  t.deepEqual(await r.getBuffer('new'), Buffer.from('\0\0\0abc', 'latin1'));
  await r.setex('t', 10000, 'hello');
  t.is(await r.setrange('t', 0, 'J'), 5);
  t.is(await r.get('t'), 'Jello');
  t.true((await r.ttl('t')) > 9000, 'SETRANGE keeps the TTL');
  await t.throwsAsync(r.setrange('k', -1, 'x'), { message: 'ERR offset is out of range' });
  await t.throwsAsync(r.call('SETRANGE', 'k', 'a', 'x'), { message: NOT_INT });
  await t.throwsAsync(r.call('SETRANGE', 'k', '9223372036854775808', 'x'), { message: NOT_INT });
  await t.throwsAsync(r.call('SETRANGE', 'k', '9223372036854775807', 'x'), { message: TOO_BIG });
  t.is(await r.setrange('edge', 1048575, 'x'), 1048576, 'exactly proto-max-bulk-len is allowed');
  await t.throwsAsync(r.setrange('edge', 1048575, 'xy'), { message: TOO_BIG });
  await t.throwsAsync(r.setrange('other', 1048576, 'x'), { message: TOO_BIG });
  t.is(await r.exists('other'), 0);
  t.is(await r.setrange('edge', 1048576, ''), 1048576, 'an empty patch is never too big');
});

test('a string of exactly proto-max-bulk-len (512 MiB): SETRANGE at its last byte, APPEND up to it, one byte more refused', async (t) => {
  t.timeout(120_000);
  const { r } = await connect(t);
  const MAX = 512 * 1024 * 1024;
  // One such value, freed at the end.
  t.is(await r.setrange('big', MAX - 2, 'x'), MAX - 1);
  t.is(await r.append('big', 'y'), MAX, 'APPEND reaches the limit');
  await t.throwsAsync(r.append('big', 'z'), { message: TOO_BIG });
  await t.throwsAsync(r.setrange('big', MAX, 'z'), { message: TOO_BIG });
  t.is(await r.setrange('big', MAX - 1, 'x'), MAX, 'SETRANGE k 536870911 x answers 536870912, as redis-server');
  t.is(await r.strlen('big'), MAX);
  t.is((await r.getBuffer('big'))?.length, MAX, "GET's reply has every byte");
  t.deepEqual(await r.getrangeBuffer('big', -3, -1), Buffer.from('\0xx', 'latin1'));
  t.is(await r.del('big'), 1);
  await t.throwsAsync(r.call('CONFIG', 'SET', 'proto-max-bulk-len', String(MAX + 1)), {
    message: "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - dynkv stores strings of at most 536870912 bytes",
  });
});

test('LCS: string, LEN, IDX with MINMATCHLEN and WITHMATCHLEN, errors, missing keys', async (t) => {
  const { r } = await connect(t);
  await r.mset('a', 'ohmytext', 'b', 'mynewtext');
  t.is(await r.call('LCS', 'a', 'b'), 'mytext');
  t.is(await r.call('LCS', 'a', 'b', 'LEN'), 6);
  t.deepEqual(await r.call('LCS', 'a', 'b', 'IDX'), ['matches', [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], 'len', 6]);
  t.deepEqual(await r.call('LCS', 'a', 'b', 'idx', 'minmatchlen', '4', 'withmatchlen'), ['matches', [[[4, 7], [5, 8], 4]], 'len', 6]);
  t.deepEqual(await r.call('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN', 'MINMATCHLEN', '-5'), [
    'matches', [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], 'len', 6,
  ]);
  await r.mset('x', 'ABCBDAB', 'y', 'BDCABA');
  t.is(await r.call('LCS', 'x', 'y'), 'BDAB', 'ties resolve as Redis walks its table');
  t.deepEqual(await r.call('LCS', 'x', 'y', 'IDX'), ['matches', [[[5, 6], [3, 4]], [[3, 4], [0, 1]]], 'len', 4]);
  await r.mset('p', 'aaaaaaaa', 'q', 'aaa');
  t.deepEqual(await r.call('LCS', 'p', 'q', 'IDX', 'WITHMATCHLEN'), ['matches', [[[5, 7], [0, 2], 3]], 'len', 3]);
  t.is(await r.call('LCS', 'missing', 'b'), '');
  t.is(await r.call('LCS', 'missing', 'other', 'LEN'), 0);
  t.deepEqual(await r.call('LCS', 'missing', 'b', 'IDX'), ['matches', [], 'len', 0]);
  await r.set('bin', Buffer.from([0, 1, 2, 0, 1]));
  await r.set('bin2', Buffer.from([1, 0, 1]));
  t.deepEqual(await r.callBuffer('LCS', 'bin', 'bin2'), Buffer.from([1, 0, 1]));
  await t.throwsAsync(r.call('LCS', 'a', 'b', 'IDX', 'LEN'), { message: 'ERR If you want both the length and indexes, please just use IDX.' });
  await t.throwsAsync(r.call('LCS', 'a', 'b', 'FOO'), { message: SYNTAX });
  await t.throwsAsync(r.call('LCS', 'a', 'b', 'MINMATCHLEN'), { message: SYNTAX });
  await t.throwsAsync(r.call('LCS', 'a', 'b', 'MINMATCHLEN', 'x'), { message: NOT_INT });
  await t.throwsAsync(r.call('LCS', 'a'), { message: "ERR wrong number of arguments for 'lcs' command" });
});

test('LCS IDX is a map in RESP3 and a flat array in RESP2', async (t) => {
  const { r, port } = await connect(t);
  await r.mset('a', 'ohmytext', 'b', 'mynewtext');
  const idx = ['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '3'];
  const body = '$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n';
  t.is(await raw(port, [idx], ':6\r\n'), `*4\r\n${body}`);
  const resp3 = await raw(port, [['HELLO', '3'], idx, ['LCS', 'missing', 'a', 'IDX']], '%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n');
  t.true(resp3.includes(`%2\r\n${body}%2\r\n`), resp3);
});

test('LCS refuses a table larger than proto-max-bulk-len', async (t) => {
  const { r } = await connect(t, ['--proto-max-bulk-len', '1048576']);
  await r.mset('a', 'a'.repeat(511), 'b', 'a'.repeat(511)); // 512 * 512 * 4 bytes: exactly the limit
  t.is(await r.call('LCS', 'a', 'b', 'LEN'), 511);
  await r.set('b', 'a'.repeat(512));
  await t.throwsAsync(r.call('LCS', 'a', 'b', 'LEN'), { message: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len' });
});

test('GETBIT and SETBIT: bit order, zero padding, TTL kept, offset and value errors', async (t) => {
  const { r } = await connect(t, ['--proto-max-bulk-len', '1048576']);
  t.is(await r.getbit('missing', 5), 0);
  t.is(await r.setbit('k', 1, 1), 0);
  t.deepEqual(await r.getBuffer('k'), Buffer.from([0x40]), 'bit 0 is the most significant bit');
  t.is(await r.setbit('k', 1, 1), 1);
  t.is(await r.setbit('k', 1, 0), 1);
  t.is(await r.setbit('k', 7, 1), 0);
  t.deepEqual(await r.getBuffer('k'), Buffer.from([0x01]));
  t.is(await r.setbit('k', 23, 1), 0);
  t.deepEqual(await r.getBuffer('k'), Buffer.from([0x01, 0x00, 0x01]), 'grown with zero bytes');
  t.is(await r.getbit('k', 23), 1);
  t.is(await r.getbit('k', 22), 0);
  t.is(await r.getbit('k', 1000), 0, 'past the end reads 0');
  t.is(await r.setbit('z', 0, 0), 0);
  t.deepEqual(await r.getBuffer('z'), Buffer.from([0]), 'clearing a bit of a missing key still creates it');
  await r.set('f', 'foobar');
  t.deepEqual(await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => r.getbit('f', i))), [0, 1, 1, 0, 0, 1, 1, 0]);
  await r.setex('t', 10000, 'a');
  await r.setbit('t', 7, 0);
  await r.setbit('t', 20, 1);
  t.true((await r.ttl('t')) > 9000, 'SETBIT keeps the TTL');
  t.deepEqual(await r.getBuffer('t'), Buffer.from([0x60, 0x00, 0x08]));
  const top = 8 * 1048576;
  t.is(await r.setbit('big', top - 1, 1), 0, 'the last bit below proto-max-bulk-len');
  t.is(await r.strlen('big'), 1048576);
  const offsetErr = 'ERR bit offset is not an integer or out of range';
  for (const offset of [String(top), '-1', 'a', '01', '1.0', '9223372036854775807', '9223372036854775808']) {
    await t.throwsAsync(r.call('SETBIT', 'k', offset, '1'), { message: offsetErr }, `SETBIT ${offset}`);
    await t.throwsAsync(r.call('GETBIT', 'missing', offset), { message: offsetErr }, `GETBIT ${offset}`);
  }
  for (const value of ['2', '-1', 'a', '', '01', '1.0']) {
    await t.throwsAsync(r.call('SETBIT', 'k', '1', value), { message: 'ERR bit is not an integer or out of range' }, `value '${value}'`);
  }
});

test('BITCOUNT: whole string, BYTE and BIT ranges, negative indexes, errors', async (t) => {
  const { r } = await connect(t);
  t.is(await r.bitcount('missing'), 0);
  t.is(await r.call('BITCOUNT', 'missing', 'a', 'b'), 0, 'a missing key answers before the range is read');
  await r.set('s', 'foobar');
  t.is(await r.bitcount('s'), 26);
  const cases: [string[], number][] = [
    [['0', '0'], 4], [['1', '1'], 6], [['1', '2'], 12], [['1', '2', 'BYTE'], 12], [['-1', '-1'], 4], [['-2', '-1'], 7],
    [['-1', '-2'], 0], [['-100', '-200'], 0], [['5', '30', 'BIT'], 17], [['0', '-1', 'bit'], 26], [['-1', '-1', 'BIT'], 0],
    [['1', '2', 'bit'], 2], [['100', '200'], 0], [['-9223372036854775808', '9223372036854775807', 'BIT'], 26],
  ];
  for (const [range, expected] of cases) t.is(await r.call('BITCOUNT', 's', ...range), expected, range.join(' '));
  await r.set('e', '');
  t.is(await r.bitcount('e'), 0);
  t.is(await r.call('BITCOUNT', 'e', '0', '-1', 'BIT'), 0);
  await r.set('ff', Buffer.alloc(1000, 0xff));
  t.is(await r.bitcount('ff'), 8000);
  t.is(await r.call('BITCOUNT', 'ff', '3', '7996', 'BIT'), 7994);
  for (const args of [['1'], ['1', '2', 'foo'], ['0', '1', '2', '3']]) {
    await t.throwsAsync(r.call('BITCOUNT', 's', ...args), { message: SYNTAX }, args.join(' '));
  }
  await t.throwsAsync(r.call('BITCOUNT', 's', 'a', '2', 'foo'), { message: NOT_INT });
});

test('BITPOS: set and clear bits, implicit zero padding, BYTE and BIT ranges, errors', async (t) => {
  const { r } = await connect(t);
  t.is(await r.bitpos('missing', 1), -1);
  t.is(await r.bitpos('missing', 0), 0);
  t.is(await r.call('BITPOS', 'missing', '0', 'a', 'b', 'c', 'd'), 0);
  await r.set('ff', Buffer.from([0xff, 0xff]));
  t.is(await r.bitpos('ff', 0), 16, 'without an end, the string reads as padded with zeros');
  t.is(await r.call('BITPOS', 'ff', '0', '0'), 16);
  t.is(await r.call('BITPOS', 'ff', '0', '0', '-1'), -1, 'with an explicit end, no clear bit is -1');
  t.is(await r.call('BITPOS', 'ff', '0', '0', '-1', 'BIT'), -1);
  t.is(await r.call('BITPOS', 'ff', '1', '3'), -1);
  await r.set('z', Buffer.alloc(3));
  t.is(await r.bitpos('z', 1), -1);
  t.is(await r.bitpos('z', 0), 0);
  t.is(await r.call('BITPOS', 'z', '0', '10', '12', 'BIT'), 10);
  await r.set('s', Buffer.from([0x00, 0x0f, 0xf0]));
  const cases: [string[], number][] = [
    [['1'], 12], [['0'], 0], [['1', '2'], 16], [['1', '-1'], 16], [['0', '1'], 8], [['1', '0', '0'], -1],
    [['1', '13', '14', 'BIT'], 13], [['0', '12', '19', 'BIT'], -1], [['0', '12', '20', 'BIT'], 20], [['1', '5', '11', 'BIT'], -1],
    [['1', '-10', '-1', 'BIT'], 14], [['0', '-100', '-200'], 0], [['1', '3', '2'], -1], [['1', '9223372036854775807'], -1],
    [['0', '2'], 20], [['0', '2', '2'], 20], [['1', '0', '-1', 'byte'], 12],
  ];
  for (const [args, expected] of cases) t.is(await r.call('BITPOS', 's', ...args), expected, args.join(' '));
  await r.set('e', '');
  t.is(await r.bitpos('e', 0), -1, 'an empty string holds no bit at all');
  t.is(await r.bitpos('e', 1), -1);
  await t.throwsAsync(r.call('BITPOS', 's', '2'), { message: 'ERR The bit argument must be 1 or 0.' });
  await t.throwsAsync(r.call('BITPOS', 'missing', '-1'), { message: 'ERR The bit argument must be 1 or 0.' });
  await t.throwsAsync(r.call('BITPOS', 's', 'foo'), { message: NOT_INT });
  await t.throwsAsync(r.call('BITPOS', 's', '1', 'a'), { message: NOT_INT });
  await t.throwsAsync(r.call('BITPOS', 's', '1', '0', 'foo', 'BIT'), { message: NOT_INT });
  await t.throwsAsync(r.call('BITPOS', 's', '1', '0', 'foo', 'BAR'), { message: SYNTAX }, 'the unit is checked before the end');
  await t.throwsAsync(r.call('BITPOS', 's', '1', '0', '1', '2', '3'), { message: SYNTAX });
});
