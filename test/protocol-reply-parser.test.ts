// protocol-reply-parser.test.ts — the RESP2 reply parser
// (protocol/reply-parser.ts): every reply type, nulls and nested arrays; a
// mixed stream gives the same replies under every split into 2 and 3
// pieces and byte by byte; large bulks across many chunks; bad bytes end in
// one protocol error, never an exception. And the request encoder
// (protocol/request-writer.ts), read back by the request parser.
import test from 'ava';
import { RequestParser } from '../protocol/parser';
import { MAX_REPLY_DEPTH, MAX_REPLY_LINE, ReplyError, ReplyParser, type ReplyValue } from '../protocol/reply-parser';
import { RequestWriter } from '../protocol/request-writer';
import { ReplyWriter } from '../protocol/writer';
import { copies, splits } from './helpers/splits';

interface Run {
  replies: ReplyValue[];
  errors: string[];
}

function run(chunks: readonly Buffer[], maxBulkLen?: number): Run {
  const replies: ReplyValue[] = [];
  const errors: string[] = [];
  const parser = new ReplyParser({ maxBulkLen, onReply: (r) => replies.push(r), onError: (m) => errors.push(m) });
  for (const c of chunks) parser.feed(c);
  return { replies, errors };
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A comparable rendering that keeps every type apart (status vs bulk, error, integer vs bigint, null). */
function show(v: ReplyValue): unknown {
  if (v === null) return null;
  if (Buffer.isBuffer(v)) return { bulk: v.toString('latin1') };
  if (v instanceof ReplyError) return { error: v.message };
  if (typeof v === 'bigint') return { bigint: String(v) };
  if (Array.isArray(v)) return v.map(show);
  return v;
}


const MIXED = b(
  '+OK\r\n' +
    '-ERR wrong\r\n' +
    ':42\r\n' +
    ':-7\r\n' +
    '$5\r\nhe\r\nl\r\n' +
    '$0\r\n\r\n' +
    '$-1\r\n' +
    '*-1\r\n' +
    '*0\r\n' +
    '*3\r\n:1\r\n*2\r\n$1\r\na\r\n*0\r\n$-1\r\n' +
    ':9223372036854775807\r\n' +
    '+\r\n',
);
const MIXED_REPLIES = [
  'OK',
  { error: 'ERR wrong' },
  42,
  -7,
  { bulk: 'he\r\nl' },
  { bulk: '' },
  null,
  null,
  [],
  [1, [{ bulk: 'a' }, []], null],
  { bigint: '9223372036854775807' },
  '',
];

test('a mixed stream gives the same replies under every split into 2 and 3 pieces and byte by byte', (t) => {
  let runs = 0;
  for (const pieces of splits(MIXED)) {
    const r = run(copies(pieces));
    runs++;
    if (r.errors.length > 0 || JSON.stringify(r.replies.map(show)) !== JSON.stringify(MIXED_REPLIES)) {
      t.deepEqual({ replies: r.replies.map(show), errors: r.errors }, { replies: MIXED_REPLIES, errors: [] }, `split ${pieces.map((p) => p.length).join('+')}`);
      return;
    }
  }
  const n = MIXED.length - 1;
  t.is(runs, 2 + n + (n * (n - 1)) / 2, 'every 2- and 3-piece split was tried');
});

test('every type: status, error, integer, bulk, array, and the nulls', (t) => {
  const r = run([b('+PONG\r\n-WRONGTYPE no\r\n:0\r\n:-0\r\n$3\r\n\x00\xff\n\r\n$-1\r\n*2\r\n+a\r\n:2\r\n*-1\r\n')]);
  t.deepEqual(r.errors, []);
  t.deepEqual(r.replies.map(show), ['PONG', { error: 'WRONGTYPE no' }, 0, 0, { bulk: '\x00\xff\n' }, null, ['a', 2], null]);
  t.true(r.replies[1] instanceof ReplyError);
  t.true(r.replies[1] instanceof Error);
  t.true(Object.is(r.replies[3], 0), ':-0 is 0, not -0');
});

test('status and error lines are UTF-8', (t) => {
  const r = run([Buffer.from('+héllo\r\n-ERR ünïcode\r\n', 'utf8')]);
  t.deepEqual(r.replies.map(show), ['héllo', { error: 'ERR ünïcode' }]);
});

test('integers: safe ones are numbers, larger ones bigints, up to the 64-bit limits', (t) => {
  const r = run([b(':9007199254740991\r\n:9007199254740992\r\n:-9007199254740991\r\n:-9223372036854775808\r\n:123456789012345\r\n')]);
  t.deepEqual(r.errors, []);
  t.deepEqual(r.replies, [9007199254740991, 9007199254740992n, -9007199254740991, -9223372036854775808n, 123456789012345]);
  for (const bad of [':9223372036854775808\r\n', ':\r\n', ':-\r\n', ':1a\r\n', ':+1\r\n', ':12345678901234567890\r\n']) {
    t.deepEqual(run([b(bad)]).errors, ['Protocol error: invalid integer'], bad);
  }
});

test('nested arrays come out whole, each reply once its last element arrives', (t) => {
  const replies: ReplyValue[] = [];
  const parser = new ReplyParser({ onReply: (r) => replies.push(r), onError: (m) => t.fail(m) });
  parser.feed(b('*2\r\n*2\r\n:1\r\n'));
  t.is(replies.length, 0);
  parser.feed(b(':2\r\n*1\r\n'));
  t.is(replies.length, 0);
  parser.feed(b('*-1\r\n+next\r\n'));
  t.deepEqual(replies.map(show), [[[1, 2], [null]], 'next']);
});

test('arrays nest up to the depth limit', (t) => {
  const deep = (levels: number): Buffer => b('*1\r\n'.repeat(levels) + ':5\r\n');
  const ok = run([deep(MAX_REPLY_DEPTH)]);
  t.deepEqual(ok.errors, []);
  let v = ok.replies[0];
  for (let i = 0; i < MAX_REPLY_DEPTH; i++) v = (v as ReplyValue[])[0];
  t.is(v, 5);
  t.deepEqual(run([deep(MAX_REPLY_DEPTH + 1)]).errors, ['Protocol error: reply nested too deeply']);
});

test('a large bulk split over many chunks is joined once and exact', (t) => {
  const value = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < value.length; i += 4096) value.writeUInt32LE(i, i);
  const stream = Buffer.concat([b(`$${value.length}\r\n`), value, b('\r\n+after\r\n')]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 65536) chunks.push(stream.subarray(i, i + 65536));
  const r = run(chunks);
  t.deepEqual(r.errors, []);
  t.is(r.replies.length, 2);
  t.true((r.replies[0] as Buffer).equals(value));
  t.is(r.replies[1], 'after');
});

test('a bulk that arrives whole is a view of the chunk', (t) => {
  const chunk = b('$3\r\nabc\r\n');
  const r = run([chunk]);
  t.is((r.replies[0] as Buffer).buffer, chunk.buffer);
});

const BAD: [string, string][] = [
  ['%1\r\n', `invalid reply type byte "%"`],
  ['_\r\n', `invalid reply type byte "_"`],
  ['+OK\n', 'line not terminated by CRLF'],
  ['\r\n', `invalid reply type byte "\\r"`],
  ['$-2\r\n', 'invalid bulk length'],
  ['$abc\r\n', 'invalid bulk length'],
  ['$01\r\na\r\n', 'invalid bulk length'],
  ['$\r\n', 'invalid bulk length'],
  ['$3\r\nabcXY', 'bulk not terminated by CRLF'],
  ['$3\r\nabc\rX', 'bulk not terminated by CRLF'],
  ['*x\r\n', 'invalid multibulk length'],
  ['*-5\r\n', 'invalid multibulk length'],
  [':1.5\r\n', 'invalid integer'],
];

test('bad bytes end in one protocol error under every split, with the replies before them delivered', (t) => {
  for (const [bad, message] of BAD) {
    const data = Buffer.concat([b('+first\r\n'), b(bad), b('+never\r\n')]);
    for (const pieces of splits(data)) {
      const r = run(copies(pieces));
      const got = { replies: r.replies.map(show), errors: r.errors };
      const want = { replies: ['first'], errors: [`Protocol error: ${message}`] };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        t.deepEqual(got, want, `${JSON.stringify(bad)} split ${pieces.map((p) => p.length).join('+')}`);
        return;
      }
    }
  }
  t.pass();
});

test('a line longer than the limit is an error however it arrives; a bulk over maxBulkLen too', (t) => {
  const long = b(`+${'x'.repeat(MAX_REPLY_LINE)}\r\n`);
  t.deepEqual(run([long]).errors, ['Protocol error: too long reply line']);
  const pieces: Buffer[] = [];
  for (let i = 0; i < long.length; i += 4096) pieces.push(long.subarray(i, i + 4096));
  t.deepEqual(run(pieces).errors, ['Protocol error: too long reply line']);
  const fits = b(`+${'x'.repeat(MAX_REPLY_LINE - 3)}\r\n`);
  t.deepEqual(run([fits]).errors, []);
  t.deepEqual(run([b('$11\r\n')], 10).errors, ['Protocol error: invalid bulk length']);
  t.deepEqual(run([b('$10\r\n0123456789\r\n')], 10).errors, []);
});

test('after an error the parser takes no more input and throws nothing', (t) => {
  const replies: ReplyValue[] = [];
  const errors: string[] = [];
  const parser = new ReplyParser({ onReply: (r) => replies.push(r), onError: (m) => errors.push(m) });
  t.notThrows(() => {
    parser.feed(b('?'));
    parser.feed(b('\r\n+OK\r\n'));
    parser.feed(Buffer.alloc(0));
    parser.feed(b('+OK\r\n'));
  });
  t.is(errors.length, 1);
  t.deepEqual(replies, []);
});

test('what the reply writer writes, the reply parser reads back', (t) => {
  const writer = new ReplyWriter();
  writer.simple('OK');
  writer.error('ERR some\r\nthing');
  writer.integer(-12345678901234567n);
  writer.bulk(Buffer.from([0, 13, 10, 255]));
  writer.nullBulk();
  writer.arrayHeader(2);
  writer.bulkArray(['x', null]);
  writer.nullArray();
  const r = run([writer.take() as Buffer]);
  t.deepEqual(r.errors, []);
  t.deepEqual(r.replies.map(show), ['OK', { error: 'ERR some  thing' }, { bigint: '-12345678901234567' }, { bulk: '\x00\r\n\xff' }, null, [[{ bulk: 'x' }, null], null]]);
});

function parseRequests(pieces: readonly Buffer[]): string[][] {
  const commands: string[][] = [];
  const parser = new RequestParser({
    maxBulkLen: 512 * 1024 * 1024,
    onCommand: (argv) => commands.push(argv.map((a) => a.toString('utf8'))),
    onError: (m) => {
      throw new Error(m);
    },
  });
  for (const p of pieces) parser.feed(p);
  return commands;
}

test('the request writer encodes multibulks the request parser reads back', (t) => {
  const writer = new RequestWriter();
  t.deepEqual(writer.take(), []);
  writer.command(['SET', 'kéy', Buffer.from('value')]);
  writer.command(['PING']);
  writer.command(['ECHO', '', Buffer.alloc(0)]);
  const pieces = writer.take();
  t.is(pieces.length, 1, 'small commands are one piece');
  t.is(pieces[0].toString('utf8'), '*3\r\n$3\r\nSET\r\n$4\r\nkéy\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n*3\r\n$4\r\nECHO\r\n$0\r\n\r\n$0\r\n\r\n');
  t.deepEqual(writer.take(), []);
});

test('the request writer hands large arguments out uncopied and survives slab turnover', (t) => {
  const writer = new RequestWriter();
  const large = Buffer.alloc(100_000, 'z');
  writer.command(['SET', 'k', large]);
  writer.command(['GET', 'k']);
  const pieces = writer.take();
  t.true(pieces.includes(large), 'the large argument itself is one of the pieces');
  t.deepEqual(parseRequests(pieces), [['SET', 'k', large.toString()], ['GET', 'k']]);

  const expected: string[][] = [];
  const all: Buffer[] = [];
  for (let i = 0; i < 20_000; i++) {
    const argv = ['SET', `key:${i}`, 'v'.repeat(i % 300), 'ü'.repeat(i % 7)];
    expected.push(argv);
    writer.command(argv);
    if (i % 997 === 0) all.push(...writer.take());
  }
  all.push(...writer.take());
  t.deepEqual(parseRequests(all), expected);
});
