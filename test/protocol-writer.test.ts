// protocol-writer.test.ts — the reply writer (protocol/writer.ts): the RESP2
// and RESP3 forms of every reply type (nulls, maps, sets, pushes, doubles,
// booleans, verbatim strings), take() views that stay intact while the
// writer goes on (slab replacement), bulks larger than a slab, and
// error messages cleaned of CR/LF as redis-server does.
import test from 'ava';
import crypto from 'node:crypto';
import { ReplyWriter, RespVersion } from '../protocol/writer';

function writer(resp: RespVersion): ReplyWriter {
  const w = new ReplyWriter();
  w.resp = resp;
  return w;
}

function out(w: ReplyWriter): string {
  return w.take()?.toString('latin1') ?? '';
}

/** What each reply type looks like in RESP2 and in RESP3. */
const FORMS: [string, (w: ReplyWriter) => void, string, string][] = [
  ['null bulk', (w) => w.nullBulk(), '$-1\r\n', '_\r\n'],
  ['null array', (w) => w.nullArray(), '*-1\r\n', '_\r\n'],
  ['bulk(null)', (w) => w.bulk(null), '$-1\r\n', '_\r\n'],
  ['map', (w) => (w.mapHeader(2), w.bulk('a'), w.integer(1), w.bulk('b'), w.integer(2)), '*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n', '%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n'],
  ['empty map', (w) => w.mapHeader(0), '*0\r\n', '%0\r\n'],
  ['set', (w) => (w.setHeader(2), w.bulk('x'), w.bulk('y')), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n', '~2\r\n$1\r\nx\r\n$1\r\ny\r\n'],
  ['push', (w) => (w.pushHeader(1), w.bulk('m')), '*1\r\n$1\r\nm\r\n', '>1\r\n$1\r\nm\r\n'],
  ['double', (w) => w.double('3.14'), '$4\r\n3.14\r\n', ',3.14\r\n'],
  ['double inf', (w) => w.double('-inf'), '$4\r\n-inf\r\n', ',-inf\r\n'],
  ['true', (w) => w.boolean(true), ':1\r\n', '#t\r\n'],
  ['false', (w) => w.boolean(false), ':0\r\n', '#f\r\n'],
  ['verbatim', (w) => w.verbatim('hello world'), '$11\r\nhello world\r\n', '=15\r\ntxt:hello world\r\n'],
  ['verbatim markdown', (w) => w.verbatim('# x', 'mkd'), '$3\r\n# x\r\n', '=7\r\nmkd:# x\r\n'],
  ['array with null items', (w) => w.bulkArray(['a', null, Buffer.from('c')]), '*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n', '*3\r\n$1\r\na\r\n_\r\n$1\r\nc\r\n'],
  ['simple', (w) => w.simple('PONG'), '+PONG\r\n', '+PONG\r\n'],
  ['ok', (w) => w.ok(), '+OK\r\n', '+OK\r\n'],
  ['integers', (w) => (w.integer(0), w.integer(-42), w.integer(9007199254740993n)), ':0\r\n:-42\r\n:9007199254740993\r\n', ':0\r\n:-42\r\n:9007199254740993\r\n'],
  ['error', (w) => w.error('ERR nope'), '-ERR nope\r\n', '-ERR nope\r\n'],
];

for (const [name, write, resp2, resp3] of FORMS) {
  test(`${name}: RESP2 and RESP3 forms`, (t) => {
    const w2 = writer(2);
    write(w2);
    t.is(out(w2), resp2);
    const w3 = writer(3);
    write(w3);
    t.is(out(w3), resp3);
  });
}

test('bulk lengths count bytes, not characters', (t) => {
  const w = writer(2);
  w.bulk('héllo ✓');
  w.verbatim('é');
  t.true(w.take()?.equals(Buffer.from('$10\r\nhéllo ✓\r\n$2\r\né\r\n')));
  w.resp = 3;
  w.verbatim('é');
  t.true(w.take()?.equals(Buffer.from('=6\r\ntxt:é\r\n')));
});

test('binary bulks are written byte for byte', (t) => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const w = writer(2);
  w.bulk(all);
  t.true(w.take()?.equals(Buffer.concat([Buffer.from('$256\r\n'), all, Buffer.from('\r\n')])));
});

test('take() returns null when nothing was written, and only what came since the last take', (t) => {
  const w = writer(2);
  t.is(w.take(), null);
  w.ok();
  t.is(w.length, 5);
  t.is(out(w), '+OK\r\n');
  t.is(w.take(), null);
  t.is(w.length, 0);
  w.integer(7);
  t.is(out(w), ':7\r\n');
});

test('views handed out by take() stay intact while the writer goes on and replaces its slab', (t) => {
  const w = writer(2);
  const views: Buffer[] = [];
  const expected: Buffer[] = [];
  for (let i = 0; i < 20_000; i++) {
    const value = `value-${i}-`.repeat(1 + (i % 13));
    w.bulk(value);
    expected.push(Buffer.from(`$${value.length}\r\n${value}\r\n`));
    if (i % 7 === 6) {
      const v = w.take();
      if (v !== null) views.push(v);
    }
  }
  const last = w.take();
  if (last !== null) views.push(last);
  t.true(Buffer.concat(expected).length > 10 * 64 * 1024, 'the test writes many slabs');
  t.true(Buffer.concat(views).equals(Buffer.concat(expected)));
  t.true(new Set(views.map((v) => v.buffer)).size > 1, 'the slab was replaced');
});

test('bulks larger than a slab, alone and after pending replies, with earlier views intact', (t) => {
  const big = crypto.randomBytes(200 * 1024);
  const w = writer(2);
  w.simple('first');
  const first = w.take();
  w.integer(1);
  w.bulk(big);
  w.bulk('after');
  const second = w.take();
  t.is(first?.toString(), '+first\r\n');
  t.true(second?.equals(Buffer.concat([Buffer.from(`:1\r\n$${big.length}\r\n`), big, Buffer.from('\r\n$5\r\nafter\r\n')])));
  const huge = crypto.randomBytes(3 * 1024 * 1024);
  w.bulk(huge);
  const third = w.take();
  t.true(third?.equals(Buffer.concat([Buffer.from(`$${huge.length}\r\n`), huge, Buffer.from('\r\n')])));
  t.true(second?.equals(Buffer.concat([Buffer.from(`:1\r\n$${big.length}\r\n`), big, Buffer.from('\r\n$5\r\nafter\r\n')])), 'still intact');
  const text = 'ü'.repeat(100_000);
  w.bulk(text);
  t.true(w.take()?.equals(Buffer.from(`$200000\r\n${text}\r\n`)), 'a large string bulk');
});

test('error replies are cleaned of CR/LF as addReplyErrorFormat does: trimmed at the ends, a space for each inside', (t) => {
  const w = writer(2);
  w.error("ERR unknown command 'a\r\nb', with args beginning with: ");
  t.is(out(w), "-ERR unknown command 'a  b', with args beginning with: \r\n");
  w.error('ERR trailing\r\n');
  t.is(out(w), '-ERR trailing\r\n');
  w.error('ERR one\rtwo\nthree');
  t.is(out(w), '-ERR one two three\r\n');
  w.error("ERR Protocol error: expected '$', got '\r'");
  t.is(out(w), "-ERR Protocol error: expected '$', got ' '\r\n");
});

/** A reader as the engine's getInto: writes the value when it fits, else only says how long it is. */
function reader(value: Buffer | null): { read: (slab: Buffer, offset: number, room: number) => number; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    read: (slab, offset, room) => {
      calls.push(room);
      if (value === null) return -1;
      if (value.length > room) return value.length;
      value.copy(slab, offset);
      return value.length;
    },
  };
}

test('bulkRead: a value read straight into the reply, null as the RESP version says', (t) => {
  for (const resp of [2, 3] as const) {
    const w = writer(resp);
    const small = reader(Buffer.from('hello'));
    t.is(w.bulkRead(small.read), 5);
    t.is(small.calls.length, 1, 'a value that fits is read once');
    const empty = reader(Buffer.alloc(0));
    t.is(w.bulkRead(empty.read), 0);
    const missing = reader(null);
    t.is(w.bulkRead(missing.read), -1);
    w.integer(1);
    t.is(out(w), `$5\r\nhello\r\n$0\r\n\r\n${resp === 3 ? '_' : '$-1'}\r\n:1\r\n`);
  }
});

test('bulkRead: a value larger than the room is read again with enough room; earlier views stay intact', (t) => {
  const w = writer(2);
  w.simple('before');
  const before = w.take();
  w.integer(7); // pending when the slab must grow
  const big = crypto.randomBytes(300 * 1024);
  const r = reader(big);
  t.is(w.bulkRead(r.read), big.length);
  t.is(r.calls.length, 2);
  t.true(r.calls[0] < big.length && r.calls[1] >= big.length);
  w.bulkRead(reader(Buffer.from('tail')).read);
  const got = w.take();
  t.true(got?.equals(Buffer.concat([Buffer.from(`:7\r\n$${big.length}\r\n`), big, Buffer.from('\r\n$4\r\ntail\r\n')])));
  t.is(before?.toString(), '+before\r\n');
  // Many values of every size around the slab's end: each reply is exact.
  const expected: Buffer[] = [];
  const views: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const v = Buffer.alloc((i * 37) % 2000, i & 0xff);
    w.bulkRead(reader(v).read);
    expected.push(Buffer.from(`$${v.length}\r\n`), v, Buffer.from('\r\n'));
    if (i % 5 === 0) views.push(w.take() as Buffer);
  }
  views.push(w.take() as Buffer);
  t.true(Buffer.concat(views).equals(Buffer.concat(expected)));
});

test('a reply bigger than a slab gets a slab of about its own size: the view handed out pins no more (issue 9)', (t) => {
  const w = writer(2);
  const MiB = 1024 * 1024;
  w.bulkRead((slab, offset, room) => {
    if (room >= MiB) slab.fill(0x61, offset, offset + MiB);
    return MiB;
  });
  const one = w.take() as Buffer;
  t.is(one.length, MiB + `$${MiB}\r\n\r\n`.length);
  t.true(one.buffer.byteLength < MiB + 4096, `a 1 MiB reply pins a ${one.buffer.byteLength}-byte slab`);
  const value = Buffer.alloc(MiB, 'b');
  w.simple('OK');
  w.bulk(value);
  const two = w.take() as Buffer;
  t.is(two.subarray(0, 5).toString(), '+OK\r\n');
  t.true(two.buffer.byteLength < MiB + 4096, `a 1 MiB bulk pins a ${two.buffer.byteLength}-byte slab`);
  // Many big items in one reply still grow the slab geometrically, and intact.
  w.arrayHeader(8);
  for (let i = 0; i < 8; i++) w.bulk(value);
  const many = w.take() as Buffer;
  t.is(many.length, 4 + 8 * (MiB + `$${MiB}\r\n\r\n`.length));
  t.true(many.buffer.byteLength < 3 * many.length, `${many.buffer.byteLength}-byte slab for ${many.length} bytes`);
});
