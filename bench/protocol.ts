// bench/protocol.ts — request parsing speed: dynkv's hand-written
// RequestParser against redis-parser 3 (returnBuffers) and respjs (bufBulk),
// on the same request streams cut into the same chunks:
//   (a) SET/GET with 32-byte values, 16 commands per chunk (redis-benchmark -P 16 -d 32)
//   (b) SET/GET with 1 KiB values, in 64 KiB socket reads
//   (c) SET/GET with 64 KiB values, in 64 KiB socket reads
// Every parser must hand out each argument as a Buffer. Rounds alternate
// between parsers; the best round of each is kept. Usage:
//   npm run bench:protocol [-- --rounds 11 --scale 1]
import RedisParser from 'redis-parser';
import { RequestParser } from '../protocol/parser';
import { Rng, formatRate, numberFlag, KeyMaker } from './util';

// respjs ships no types.
const Resp = require('respjs') as new (opts: { bufBulk: boolean }) => {
  on(event: 'data', fn: (value: unknown) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  write(chunk: Buffer): boolean;
};

interface Case {
  name: string;
  chunks: Buffer[];
  commands: number;
  bytes: number;
}

/** A parser under test: parses all chunks, returns how many commands it saw and the bytes of the last argument. */
type Runner = (chunks: Buffer[]) => { commands: number; lastArgLength: number };

const RUNNERS: [string, Runner][] = [
  [
    'dynkv RequestParser',
    (chunks) => {
      let commands = 0;
      let lastArgLength = 0;
      const p = new RequestParser({
        maxBulkLen: 512 * 1024 * 1024,
        onCommand: (argv) => {
          commands++;
          lastArgLength = argv[argv.length - 1].length;
        },
        onError: (m) => {
          throw new Error(m);
        },
      });
      for (const c of chunks) p.feed(c);
      return { commands, lastArgLength };
    },
  ],
  [
    'redis-parser 3',
    (chunks) => {
      let commands = 0;
      let lastArgLength = 0;
      const p = new RedisParser({
        returnBuffers: true,
        returnReply: (argv: Buffer[]) => {
          commands++;
          lastArgLength = argv[argv.length - 1].length;
        },
        returnError: (err) => {
          throw err;
        },
      });
      for (const c of chunks) p.execute(c);
      return { commands, lastArgLength };
    },
  ],
  [
    'respjs 4',
    (chunks) => {
      let commands = 0;
      let lastArgLength = 0;
      const p = new Resp({ bufBulk: true });
      p.on('data', (value) => {
        const argv = value as Buffer[];
        commands++;
        lastArgLength = argv[argv.length - 1].length;
      });
      p.on('error', (err) => {
        throw err;
      });
      for (const c of chunks) p.write(c);
      return { commands, lastArgLength };
    },
  ],
];

function request(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

const SET = Buffer.from('SET');
const GET = Buffer.from('GET');

/** Alternating SET key value / GET key over `keyspace` random keys, as redis-benchmark -t set,get -r. */
function commands(n: number, valueSize: number, rng: Rng): Buffer[] {
  const keys = new KeyMaker();
  const value = Buffer.alloc(valueSize, 'x');
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(keys.key(rng.below(100_000)));
    out.push(request(i % 2 === 0 ? [SET, key, value] : [GET, key]));
  }
  return out;
}

/** Groups of `per` requests, one chunk each (a pipelined client's writes). */
function perWrite(requests: Buffer[], per: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < requests.length; i += per) chunks.push(Buffer.concat(requests.slice(i, i + per)));
  return chunks;
}

/** The request stream cut at fixed-size boundaries (socket reads), fresh buffers each. */
function perRead(requests: Buffer[], size: number): Buffer[] {
  const all = Buffer.concat(requests);
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) chunks.push(Buffer.from(all.subarray(i, i + size)));
  return chunks;
}

function makeCase(name: string, chunks: Buffer[], count: number): Case {
  return { name, chunks, commands: count, bytes: chunks.reduce((s, c) => s + c.length, 0) };
}

function main(): void {
  const argv = process.argv.slice(2);
  const rounds = numberFlag(argv, '--rounds', 11);
  const scale = numberFlag(argv, '--scale', 1);
  const rng = new Rng(42);
  const n = (x: number): number => Math.max(16, Math.round(x * scale));
  const a = n(400_000);
  const b = n(100_000);
  const c = n(2_000);
  const cases: Case[] = [
    makeCase('(a) SET/GET -P 16 -d 32', perWrite(commands(a, 32, rng), 16), a),
    makeCase('(b) SET/GET 1 KiB values, 64 KiB reads', perRead(commands(b, 1024, rng), 64 * 1024), b),
    makeCase('(c) SET/GET 64 KiB values, 64 KiB reads', perRead(commands(c, 64 * 1024, rng), 64 * 1024), c),
  ];

  console.log(`node ${process.version}, ${rounds} rounds, best round kept; ratio = rate / dynkv's rate`);
  for (const cs of cases) {
    const best = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      for (const [name, runner] of RUNNERS) {
        const t0 = process.hrtime.bigint();
        const got = runner(cs.chunks);
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        if (got.commands !== cs.commands) throw new Error(`${name} on ${cs.name}: ${got.commands} commands, want ${cs.commands}`);
        if (got.lastArgLength <= 0) throw new Error(`${name} on ${cs.name}: empty last argument`);
        best.set(name, Math.max(best.get(name) ?? 0, cs.commands / secs));
      }
    }
    const ours = best.get(RUNNERS[0][0]) as number;
    const mb = (cs.bytes / 1024 / 1024).toFixed(1);
    for (const [name] of RUNNERS) {
      const rate = best.get(name) as number;
      const mbps = ((rate * cs.bytes) / cs.commands / 1024 / 1024).toFixed(0);
      console.log(
        `${cs.name.padEnd(42)} ${name.padEnd(20)} ${formatRate(rate).padStart(12)} cmd/s ${mbps.padStart(6)} MiB/s  ratio ${(rate / ours).toFixed(2)}  (${cs.commands} cmds, ${mb} MiB, ${cs.chunks.length} chunks)`,
      );
    }
  }
}

main();
