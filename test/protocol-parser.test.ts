// protocol-parser.test.ts — the RESP request parser (protocol/parser.ts):
// any split of a pipeline gives the same commands; inline commands split as
// Redis's sdssplitargs; every protocol error with redis-server 7.0's exact
// message, under any split; limits; large, empty and binary bulks; argv
// Buffers that stay valid after later input.
import test from 'ava';
import { RequestParser, INLINE_MAX } from '../protocol/parser';
import { splitArgs } from '../protocol/inline';
import { copies, splits } from './helpers/splits';

const MAX_BULK = 512 * 1024 * 1024;

interface Run {
  commands: Buffer[][];
  errors: string[];
  parser: RequestParser;
}

function run(chunks: readonly Buffer[], maxBulkLen = MAX_BULK): Run {
  const commands: Buffer[][] = [];
  const errors: string[] = [];
  const parser = new RequestParser({ maxBulkLen, onCommand: (argv) => commands.push(argv), onError: (m) => errors.push(m) });
  for (const c of chunks) parser.feed(c);
  return { commands, errors, parser };
}

const text = (cmds: Buffer[][]): string[][] => cmds.map((argv) => argv.map((a) => a.toString('latin1')));
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A RESP multibulk request for args. */
function req(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [b(`*${args.length}\r\n`)];
  for (const a of args) {
    const v = typeof a === 'string' ? b(a) : a;
    parts.push(b(`$${v.length}\r\n`), v, b('\r\n'));
  }
  return Buffer.concat(parts);
}


const PIPELINE = Buffer.concat([
  req('SET', 'key:1', 'va\r\nl'),
  b('PING\r\n'),
  req('GET', ''),
  b('*0\r\n'),
  b('\r\n'),
  b('set "a b" \'c\'\n'),
  b('*-1\r\n'),
  req('ECHO', b('\x00\xff*$\r\n')),
]);
const PIPELINE_COMMANDS = [['SET', 'key:1', 'va\r\nl'], ['PING'], ['GET', ''], ['set', 'a b', 'c'], ['ECHO', '\x00\xff*$\r\n']];

test('a pipeline gives the same commands under every split into 2 and 3 pieces and byte by byte', (t) => {
  let runs = 0;
  for (const pieces of splits(PIPELINE)) {
    const r = run(copies(pieces));
    runs++;
    if (r.errors.length > 0 || JSON.stringify(text(r.commands)) !== JSON.stringify(PIPELINE_COMMANDS)) {
      t.deepEqual({ commands: text(r.commands), errors: r.errors }, { commands: PIPELINE_COMMANDS, errors: [] }, `split ${pieces.map((p) => p.length).join('+')}`);
      return;
    }
  }
  const n = PIPELINE.length - 1; // cut points
  t.is(runs, 2 + n + (n * (n - 1)) / 2, 'every 2- and 3-piece split was tried');
  t.deepEqual(text(run([PIPELINE]).commands), PIPELINE_COMMANDS);
});

test('commands come in order, each as soon as its last byte arrives', (t) => {
  const r = run([]);
  const one = req('INCR', 'n');
  r.parser.feed(one.subarray(0, one.length - 1));
  t.is(r.commands.length, 0, 'the trailing LF of the last bulk is still missing');
  r.parser.feed(one.subarray(one.length - 1));
  t.deepEqual(text(r.commands), [['INCR', 'n']]);
  r.parser.feed(Buffer.concat([req('A'), req('B'), b('C\r\n'), req('D')]));
  t.deepEqual(text(r.commands), [['INCR', 'n'], ['A'], ['B'], ['C'], ['D']]);
});

test("PING_INLINE as redis-benchmark sends it, \\n alone ends a line, empty lines are ignored", (t) => {
  t.deepEqual(text(run([b('PING\r\n')]).commands), [['PING']]);
  t.deepEqual(text(run([b('PING\r\nPING\r\nPING\r\n')]).commands), [['PING'], ['PING'], ['PING']]);
  t.deepEqual(text(run([b('GET k\nSET k v\n')]).commands), [['GET', 'k'], ['SET', 'k', 'v']]);
  t.deepEqual(text(run([b('\r\n\n   \r\n\t\nPING\r\n')]).commands), [['PING']]);
  t.deepEqual(text(run([b('PING')]).commands), [], 'no command before the end of the line');
  t.deepEqual(text(run([b('PING\r\r\n')]).commands), [['PING']], 'a CR inside the line separates like a blank');
});

test('inline commands split as sdssplitargs: quotes, escapes, blanks', (t) => {
  const cases: [string, string[] | null][] = [
    ['set  k\tv', ['set', 'k', 'v']],
    ['  lead and trail  ', ['lead', 'and', 'trail']],
    ['set "a b" \'c d\'', ['set', 'a b', 'c d']],
    ['"" \'\'', ['', '']],
    ['"\\x41\\x4a\\x4B\\xff\\x00"', ['AJK\xff\x00']],
    ['"\\xZZ" "\\x4"', ['xZZ', 'x4']],
    ['"\\n\\r\\t\\b\\a\\"\\\\\\q"', ['\n\r\t\b\x07"\\q']],
    ["'it\\'s' 'a\\nb'", ["it's", 'a\\nb']],
    ['foo"bar baz"', ['foobar baz']],
    ["pre'fix x' next", ['prefix x', 'next']],
    ['"tab"\tafter', ['tab', 'after']],
    ['a\x0bb \x0c c', ['a\x0bb', 'c']],
    ['plain\\x41', ['plain\\x41']],
    ['"abc', null],
    ["'abc", null],
    ['"abc"def', null],
    ["'abc'def", null],
    ['"ends with backslash\\', null],
  ];
  for (const [line, want] of cases) {
    const data = b(line);
    const got = splitArgs(data, 0, data.length);
    t.deepEqual(got === null ? null : got.map((a) => a.toString('latin1')), want, JSON.stringify(line));
    const r = run([b(`${line}\r\n`)]);
    if (want === null) t.deepEqual(r.errors, ['ERR Protocol error: unbalanced quotes in request'], JSON.stringify(line));
    else t.deepEqual(text(r.commands), [want], JSON.stringify(line));
  }
});

const ERRORS: [string, Buffer, string][] = [
  ['count not a number', b('*abc\r\n'), 'invalid multibulk length'],
  ['count empty', b('*\r\n'), 'invalid multibulk length'],
  ['count with leading zero', b('*01\r\n'), 'invalid multibulk length'],
  ['count with a plus sign', b('*+1\r\n'), 'invalid multibulk length'],
  ['count -0', b('*-0\r\n'), 'invalid multibulk length'],
  ['count over 1M', b('*1048577\r\n'), 'invalid multibulk length'],
  ['count past int64', b('*9223372036854775808\r\n'), 'invalid multibulk length'],
  ['count below int64', b('*-9223372036854775809\r\n'), 'invalid multibulk length'],
  ['bulk header without $', b('*1\r\nfoo\r\n'), "expected '$', got 'f'"],
  ['an inline line inside a multibulk', b('*2\r\n$3\r\nGET\r\nk\r\n'), "expected '$', got 'k'"],
  ['bulk length negative', b('*1\r\n$-1\r\n'), 'invalid bulk length'],
  ['bulk length not a number', b('*1\r\n$x\r\n'), 'invalid bulk length'],
  ['bulk length empty', b('*1\r\n$\r\n'), 'invalid bulk length'],
  ['bulk length with leading zero', b('*1\r\n$03\r\nfoo\r\n'), 'invalid bulk length'],
  ['bulk length over proto-max-bulk-len', b('*1\r\n$101\r\n'), 'invalid bulk length'],
  ['unbalanced quotes', b('SET k "v\r\n'), 'unbalanced quotes in request'],
  ['text after a closing quote', b("SET k 'v'x\r\n"), 'unbalanced quotes in request'],
];

test('protocol errors carry redis-server 7.0 messages, under every split', (t) => {
  for (const [what, bytes, message] of ERRORS) {
    const data = Buffer.concat([req('PING'), bytes, req('NEVER')]);
    for (const pieces of splits(data)) {
      const r = run(copies(pieces), 100);
      const got = { commands: text(r.commands), errors: r.errors };
      const want = { commands: [['PING']], errors: [`ERR Protocol error: ${message}`] };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        t.deepEqual(got, want, `${what}, split ${pieces.map((p) => p.length).join('+')}`);
        return;
      }
    }
    t.pass(what);
  }
});

test('a CR where $ belongs is reported as the byte Redis saw', (t) => {
  t.deepEqual(run([b('*1\r\n\r\n')]).errors, ["ERR Protocol error: expected '$', got '\r'"]);
});

test('after an error the parser ignores all further input', (t) => {
  const r = run([Buffer.concat([req('A'), b('*x\r\n'), req('B')])]);
  r.parser.feed(req('C'));
  r.parser.feed(b('PING\r\n'));
  r.parser.feed(b('*zz\r\n'));
  t.deepEqual(text(r.commands), [['A']], 'commands before the error still run');
  t.deepEqual(r.errors, ['ERR Protocol error: invalid multibulk length'], 'one error only');
});

test('limits: bulk length up to proto-max-bulk-len, setMaxBulkLen, 1M arguments', (t) => {
  t.deepEqual(text(run([req('SET', 'k', 'x'.repeat(100))], 100).commands), [['SET', 'k', 'x'.repeat(100)]]);
  const r = run([], 10);
  r.parser.setMaxBulkLen(200);
  r.parser.feed(req('SET', 'k', 'y'.repeat(150)));
  t.is(r.commands.length, 1);
  r.parser.setMaxBulkLen(100);
  r.parser.feed(req('SET', 'k', 'y'.repeat(150)));
  t.deepEqual(r.errors, ['ERR Protocol error: invalid bulk length']);

  const max = run([b('*1048576\r\n')]);
  t.deepEqual(max.errors, [], '*1048576 is allowed');
  t.is(max.commands.length, 0);
  const many = 200_000;
  const parts: Buffer[] = [b(`*${many}\r\n`)];
  for (let i = 0; i < many; i++) parts.push(b('$1\r\nx\r\n'));
  const big = run([Buffer.concat(parts)]);
  t.is(big.commands.length, 1);
  t.is(big.commands[0].length, many);
  t.true(big.commands[0].every((a) => a.length === 1 && a[0] === 0x78));
});

test('lines without an end over 64 KiB: too big inline request / mbulk count / bulk count', (t) => {
  const cases: [string, Buffer, string][] = [
    ['inline', Buffer.alloc(INLINE_MAX + 1, 'a'), 'too big inline request'],
    ['mbulk count', Buffer.concat([b('*'), Buffer.alloc(INLINE_MAX, '1')]), 'too big mbulk count string'],
    ['bulk count', Buffer.concat([b('*1\r\n$'), Buffer.alloc(INLINE_MAX, '1')]), 'too big bulk count string'],
  ];
  for (const [what, data, message] of cases) {
    const whole = data.subarray(0, data.length - 1);
    const justUnder = what === 'bulk count' ? data.subarray(0, 4 + INLINE_MAX) : whole;
    const chunked = (d: Buffer): Buffer[] => {
      const pieces: Buffer[] = [];
      for (let i = 0; i < d.length; i += 1000) pieces.push(d.subarray(i, i + 1000));
      return pieces;
    };
    t.deepEqual(run([justUnder]).errors, [], `${what}: ${justUnder.length} bytes pending is not too big yet`);
    t.deepEqual(run(chunked(justUnder)).errors, [], `${what}: ${justUnder.length} bytes in 1000-byte chunks`);
    t.deepEqual(run([data]).errors, [`ERR Protocol error: ${message}`], `${what} in one chunk`);
    t.deepEqual(run(chunked(data)).errors, [`ERR Protocol error: ${message}`], `${what} in 1000-byte chunks`);
  }
  const long = Buffer.concat([b('ECHO '), Buffer.alloc(INLINE_MAX * 2, 'z'), b('\r\n')]);
  const r = run([long]);
  t.deepEqual(r.errors, [], 'a long line whose end came in the same read is accepted, as in Redis');
  t.is(r.commands[0][1].length, INLINE_MAX * 2);
});

test('a line whose CR is the last byte of a chunk waits for one more byte', (t) => {
  const r = run([b('*1\r'), b('\n$4\r'), b('\nPING\r'), b('\n')]);
  t.deepEqual(text(r.commands), [['PING']]);
  t.deepEqual(r.errors, []);
});

test('*0 and negative counts are ignored, as Redis does', (t) => {
  const r = run([b('*0\r\n*-1\r\n*-10\r\n*-9223372036854775808\r\n'), req('PING'), b('*0\r\n')]);
  t.deepEqual(text(r.commands), [['PING']]);
  t.deepEqual(r.errors, []);
});

test('empty bulks and a bulk made only of CRLF', (t) => {
  const r = run([b('*3\r\n$3\r\nSET\r\n$0\r\n\r\n$2\r\n\r\n\r\n'), b('*1\r\n$0\r\n\r\n')]);
  t.deepEqual(text(r.commands), [['SET', '', '\r\n'], ['']]);
});

test('binary-safe arguments: all 256 byte values, CRLF, * and $ inside bulks', (t) => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const tricky = b('\r\n*2\r\n$3\r\n\n\r');
  const data = Buffer.concat([req('SET', all, tricky), req(Buffer.from(all).reverse())]);
  for (const pieces of [[data], Array.from(data, (x) => Buffer.from([x]))]) {
    const r = run(pieces);
    t.is(r.commands.length, 2);
    t.true(r.commands[0][1].equals(all));
    t.true(r.commands[0][2].equals(tricky));
    t.true(r.commands[1][0].equals(Buffer.from(all).reverse()));
  }
});

test('a 64 MiB bulk across 64 KiB and 1 KiB chunks arrives whole, in linear time', (t) => {
  const value = Buffer.allocUnsafe(64 * 1024 * 1024);
  for (let i = 0; i < value.length; i += 4) value.writeUInt32LE((i * 2654435761) >>> 0, i);
  const data = Buffer.concat([req('SET', 'big', value), req('GET', 'big')]);
  for (const size of [64 * 1024, 1024]) {
    const pieces: Buffer[] = [];
    for (let i = 0; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
    const t0 = process.hrtime.bigint();
    const r = run(pieces);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    t.is(r.commands.length, 2);
    t.is(r.commands[0][2].length, value.length);
    t.true(r.commands[0][2].equals(value), `${size}-byte chunks`);
    t.deepEqual(text([r.commands[1]]), [['GET', 'big']]);
    t.true(ms < 5000, `${pieces.length} chunks parsed in ${ms.toFixed(0)} ms`);
  }
});

test('argv Buffers stay valid after more input (kept by MULTI, stored by SET)', (t) => {
  const kept: Buffer[][] = [];
  const parser = new RequestParser({ maxBulkLen: MAX_BULK, onCommand: (argv) => kept.push(argv), onError: (m) => t.fail(m) });
  const expected: string[][] = [];
  for (let i = 0; i < 300; i++) {
    const args = [`CMD${i}`, `arg-${i}-`.repeat(1 + (i % 50))];
    expected.push(args);
    // Alternate multibulk and inline; cut each at an odd place so lines and bulks straddle chunks.
    const data = i % 3 === 0 ? b(`${args.join(' ')}\r\n`) : req(...args);
    const cut = (i * 7) % data.length;
    parser.feed(Buffer.from(data.subarray(0, cut)));
    parser.feed(Buffer.from(data.subarray(cut)));
  }
  t.deepEqual(text(kept), expected);
});

test('before AUTH (setAuthRequired) counts over 10 and bulks over 16 KiB are refused, as Redis 7.0', (t) => {
  const ok = run([]);
  ok.parser.setAuthRequired(true);
  ok.parser.feed(req('AUTH', 'x'.repeat(16384)));
  ok.parser.feed(req(...Array.from({ length: 10 }, () => 'a')));
  t.is(ok.commands.length, 2);
  t.deepEqual(ok.errors, []);

  const args = run([]);
  args.parser.setAuthRequired(true);
  args.parser.feed(b('*11\r\n'));
  t.deepEqual(args.errors, ['ERR Protocol error: unauthenticated multibulk length']);

  const bulk = run([]);
  bulk.parser.setAuthRequired(true);
  bulk.parser.feed(b('*1\r\n$16385\r\n'));
  t.deepEqual(bulk.errors, ['ERR Protocol error: unauthenticated bulk length']);

  // AUTH succeeds inside onCommand: the next command of the same chunk is parsed without the limits.
  const commands: string[][] = [];
  const errors: string[] = [];
  const parser = new RequestParser({
    maxBulkLen: MAX_BULK,
    onCommand: (argv) => {
      commands.push(argv.map(String));
      if (String(argv[0]) === 'AUTH') parser.setAuthRequired(false);
    },
    onError: (m) => errors.push(m),
  });
  parser.setAuthRequired(true);
  parser.feed(Buffer.concat([req('AUTH', 'pw'), req('SET', 'k', 'v'.repeat(20000))]));
  t.deepEqual(errors, []);
  t.is(commands.length, 2);
  t.is(commands[1][2].length, 20000);
});

test('the two bytes after a bulk are skipped unread, as Redis does', (t) => {
  const r = run([b('*2\r\n$4\r\nECHOxx$2\r\nhi..')]);
  t.deepEqual(text(r.commands), [['ECHO', 'hi']]);
  t.deepEqual(r.errors, []);
});

test('arguments are Buffers to every check: instanceof, isBuffer, constructor, methods, concat', (t) => {
  const r = run([Buffer.concat([req('SET', 'key', 'value'), b('GET "q\\x41" plain\r\n')])]);
  const args = r.commands.flat();
  t.is(args.length, 6);
  for (const a of args) {
    t.true(a instanceof Buffer);
    t.true(Buffer.isBuffer(a));
    t.is(a.constructor, Buffer);
    t.is(Object.prototype.toString.call(a), '[object Uint8Array]');
    t.true(Buffer.isBuffer(a.subarray(1)));
    t.is(Buffer.compare(a, Buffer.from(a)), 0);
  }
  t.is(args[0].toString(), 'SET');
  t.is(args[2].toString('hex'), Buffer.from('value').toString('hex'));
  t.is(args[2].readUInt8(0), 0x76);
  t.true(args[2].equals(Buffer.from('value')));
  t.is(Buffer.concat(args).toString(), 'SETkeyvalueGETqAplain');
  t.deepEqual(args[1], Buffer.from('key'));
  t.is(JSON.stringify(args[1]), JSON.stringify(Buffer.from('key')));
});

test('random pipelines cut at random places parse to the commands that built them', (t) => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let round = 0; round < 300; round++) {
    const want: string[][] = [];
    const parts: Buffer[] = [];
    for (let c = 0, n = 1 + rand(20); c < n; c++) {
      if (rand(4) === 0) {
        const words = Array.from({ length: 1 + rand(4) }, () => 'w'.repeat(1 + rand(5)) + rand(1000));
        want.push(words);
        parts.push(b(`${words.join(' '.repeat(1 + rand(3)))}${rand(2) === 0 ? '\r\n' : '\n'}`));
      } else {
        const args = Array.from({ length: 1 + rand(5) }, () => Buffer.from(Array.from({ length: rand(3) === 0 ? rand(3000) : rand(40) }, () => rand(256))));
        want.push(args.map((a) => a.toString('latin1')));
        parts.push(req(...args));
      }
    }
    const data = Buffer.concat(parts);
    const pieces: Buffer[] = [];
    for (let i = 0; i < data.length; ) {
      const size = 1 + rand(rand(2) === 0 ? 8 : 4000);
      pieces.push(Buffer.from(data.subarray(i, i + size)));
      i += size;
    }
    const r = run(pieces);
    if (r.errors.length > 0 || JSON.stringify(text(r.commands)) !== JSON.stringify(want)) {
      t.deepEqual({ commands: text(r.commands), errors: r.errors }, { commands: want, errors: [] }, `round ${round}`);
      return;
    }
  }
  t.pass();
});
