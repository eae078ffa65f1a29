// bench/server.ts — dynkv-server side by side with redis-server (`npm run
// bench:server`): redis-benchmark against each in turn (its default tests: SET GET HSET SADD SPOP ZADD
// ZPOPMIN LPUSH RPUSH LPOP RPOP LRANGE_*, and GEOADD and GEOSEARCH as custom commands over 100k loaded points; 50
// clients, 100k random keys, 32-byte values, pipeline 1 and 16), requests/s
// and the ratios dynkv/redis; then resident memory per key after loading 1M
// keys into fresh servers. dynkv runs with appendfsync everysec; redis-server
// twice: with the same durability (appendonly yes, appendfsync everysec: the
// ratio that compares like with like) and without persistence (as the
// compatibility suite starts it: Redis as a cache).
// This machine is shared and noisy (one run's ratios move by ±0.3), so the
// throughput runs are repeated in rounds, the servers taking turns (the
// order rotated each round), and the table gives medians with the range of
// the per-round ratios.
// Flags: --requests N (default 200000), --keys N (default 1000000),
// --rounds N (default 5), --tests a,b (some of the tests, e.g. hset,geoadd),
// --pipelines 1,16 (default both), --no-memory (the throughput table only).
import { spawnSync } from 'node:child_process';
import { RawClient, encodeCommand } from '../redis-compat/raw-client';
import { rssBytes, startDynkv, startRedis, type ServerProcess } from '../redis-compat/servers';
import { interleavedRounds, median, pad, ratios, type BenchResult } from './redis-benchmark';
import { flag, formatRate, numberFlag } from './util';

/** Writes `count` keys ("key:" + 12 digits, 32-byte values) in pipelined batches; returns the seconds taken. */
async function load(port: number, count: number): Promise<number> {
  const c = await RawClient.connect(port);
  const value = Buffer.alloc(32, 'x');
  const batch = 10_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const parts: Buffer[] = [];
    for (let j = 0; j < n; j++) parts.push(encodeCommand(['SET', `key:${String(i + j).padStart(12, '0')}`, value]));
    c.write(Buffer.concat(parts));
    for (let j = 0; j < n; j++) {
      const r = await c.read(60_000);
      if (r === null || r.type !== '+') throw new Error(`load: unexpected reply ${JSON.stringify(r)}`);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  c.close();
  return seconds;
}

async function dbsize(port: number): Promise<number> {
  const c = await RawClient.connect(port);
  const r = await c.call(['DBSIZE']);
  c.close();
  return Number(r?.text);
}

async function ping(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  await c.call(['PING']);
  c.close();
}

/** redis-benchmark's tests compared (its names; each type adds its own). */
const SERVER_TESTS = ['SET', 'GET', 'HSET', 'SADD', 'SPOP', 'ZADD', 'ZPOPMIN', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'LRANGE_100', 'LRANGE_300', 'LRANGE_500', 'LRANGE_600'];

/**
 * The geo tests, redis-benchmark custom commands (it has no geo tests): a
 * GEOADD of a random member, and a GEOSEARCH around a random one of
 * GEO_POINTS members spread over 4 x 4 degrees (about 30 within 5 km).
 */
const GEO_POINTS = 100_000;
const GEO_TESTS: [string, string[]][] = [
  ['GEOADD', ['GEOADD', 'geo:add', '13.361389', '38.115556', 'm:__rand_int__']],
  ['GEOSEARCH', ['GEOSEARCH', 'geo:points', 'FROMMEMBER', 'm:__rand_int__', 'BYRADIUS', '5', 'km', 'ASC', 'COUNT', '10', 'WITHDIST']],
];

/** GEOADDs GEO_POINTS members named as redis-benchmark's __rand_int__ makes them (12 digits), the same places on every server. */
async function loadPoints(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
  for (let i = 0; i < GEO_POINTS; i += 1000) {
    const args = ['GEOADD', 'geo:points'];
    for (let j = i; j < i + 1000; j++) args.push((11 + rnd() * 4).toFixed(6), (36 + rnd() * 4).toFixed(6), `m:${String(j).padStart(12, '0')}`);
    const r = await c.call(args);
    if (r === null || r.type !== ':') throw new Error(`loadPoints: unexpected reply ${JSON.stringify(r)}`);
  }
  c.close();
}

/** redis-server with the durability dynkv runs with: every write in the AOF, fsynced every second. */
const REDIS_AOF = ['--appendonly', 'yes', '--appendfsync', 'everysec'];

async function throughput(requests: number, rounds: number, tests: readonly string[], pipelines: readonly number[]): Promise<string[]> {
  const servers = await Promise.all([startRedis(REDIS_AOF), startRedis(), startDynkv(['--appendfsync', 'everysec'])]);
  const rows: string[] = [];
  const row = (test: string, pipeline: number, [aof, cache, dynkv]: BenchResult[][]): void => {
    const vsAof = ratios(aof, dynkv);
    const vsCache = ratios(cache, dynkv);
    const rps = (rs: BenchResult[]): string => pad(formatRate(median(rs.map((r) => r.rps))), 10);
    const p50 = (rs: BenchResult[]): string => median(rs.map((r) => r.p50)).toFixed(3);
    rows.push(
      `| ${pad(test, 4, true)} | ${pad(String(pipeline), 3)} | ${rps(aof)} | ${rps(cache)} | ${rps(dynkv)} | ${pad(`${vsAof.median.toFixed(2)} (${vsAof.range})`, 18)} | ${pad(`${vsCache.median.toFixed(2)} (${vsCache.range})`, 18)} | ${pad(`${p50(aof)} / ${p50(dynkv)}`, 13)} |`,
    );
  };
  try {
    const ports = servers.map((s) => s.port);
    const geo = GEO_TESTS.filter(([test]) => tests.includes(test));
    const plain = tests.filter((test) => SERVER_TESTS.includes(test));
    if (geo.length > 0) for (const port of ports) await loadPoints(port);
    for (const pipeline of pipelines) {
      if (plain.length > 0) for (const [test, results] of interleavedRounds(ports, requests, pipeline, rounds, plain)) row(test, pipeline, results);
      for (const [test, command] of geo) {
        const line = command.join(' ');
        row(test, pipeline, interleavedRounds(ports, requests, pipeline, rounds, [line], command).get(line) as BenchResult[][]);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return rows;
}

async function memory(server: () => Promise<ServerProcess>, keys: number): Promise<{ name: string; perKey: number; dbsize: number; rssStart: number; rssEnd: number; seconds: number }> {
  const s = await server();
  try {
    await ping(s.port);
    const rssStart = rssBytes(s.pid);
    const seconds = await load(s.port, keys);
    await new Promise((r) => setTimeout(r, 1500)); // let everysec flush and the heap settle
    const n = await dbsize(s.port);
    const rssEnd = rssBytes(s.pid);
    return { name: s.name, perKey: (rssEnd - rssStart) / n, dbsize: n, rssStart, rssEnd, seconds };
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const requests = numberFlag(argv, '--requests', 200_000);
  const keys = numberFlag(argv, '--keys', 1_000_000);
  const rounds = numberFlag(argv, '--rounds', 5);
  const known = [...SERVER_TESTS, ...GEO_TESTS.map(([test]) => test)];
  const tests = flag(argv, '--tests')?.toUpperCase().split(',') ?? known;
  const pipelines = (flag(argv, '--pipelines') ?? '1,16').split(',').map(Number);
  const unknown = tests.filter((t) => !known.includes(t));
  if (unknown.length > 0) throw new Error(`--tests: not among ${known.join(',')}: ${unknown.join(',')}`);
  const version = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`${version}; dynkv appendfsync everysec; redis-server with AOF (appendonly yes, appendfsync everysec) and without persistence (--save '' --appendonly no)`);
  const geo = GEO_TESTS.filter(([test]) => tests.includes(test)).map(([, c]) => c.join(' '));
  const plain = tests.filter((test) => SERVER_TESTS.includes(test)).join(',').toLowerCase();
  console.log(`redis-benchmark -t ${plain} -n ${requests} -c 50 -r 100000 -d 32 -P {${pipelines.join(',')}}${geo.length > 0 ? `, and ${geo.join(', ')} over ${formatRate(GEO_POINTS)} points` : ''}; one server at a time, ${rounds} rounds: medians, ratio ranges in brackets; p50 in ms\n`);
  console.log('| test | -P  | redis AOF  | redis none | dynkv      | dynkv/redis AOF    | dynkv/redis none   | p50 AOF/dynkv |');
  console.log('|------|-----|------------|------------|------------|--------------------|--------------------|---------------|');
  for (const row of await throughput(requests, rounds, tests, pipelines)) console.log(row);
  if (argv.includes('--no-memory')) return;
  console.log(`\nresident memory after loading ${formatRate(keys)} keys (16-byte keys, 32-byte values; VmRSS growth / DBSIZE)\n`);
  console.log('| server | keys      | RSS before | RSS after  | bytes/key | load keys/s |');
  console.log('|--------|-----------|------------|------------|-----------|-------------|');
  const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
  for (const start of [() => startRedis(), () => startDynkv(['--appendfsync', 'everysec'])]) {
    const m = await memory(start, keys);
    console.log(`| ${pad(m.name, 6, true)} | ${pad(formatRate(m.dbsize), 9)} | ${pad(mib(m.rssStart), 10)} | ${pad(mib(m.rssEnd), 10)} | ${pad(m.perKey.toFixed(1), 9)} | ${pad(formatRate(m.dbsize / m.seconds), 11)} |`);
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
