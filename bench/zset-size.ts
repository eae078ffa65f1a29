// bench/zset-size.ts — ZADD into a sorted set of 1M members against ZADD into
// one of 10 (`npm run bench:zset-size`), on dynkv and redis-server (AOF,
// appendfsync everysec, the durability dynkv runs with): each server gets
// both sets loaded, then redis-benchmark runs `ZADD key __rand_int__
// m:__rand_int__` (-c 50, -r the set's size: score updates of existing
// members) against the big and the small set in turn, rounds interleaved.
// The ratio big/small near 1 is what "an element op costs what it costs in
// Redis" promises. Flags: --requests N (default 100000), --members N
// (default 1000000), --rounds N (default 3), --pipeline N (default 1).
import { spawnSync } from 'node:child_process';
import { startDynkv, startRedis, type ServerProcess } from '../redis-compat/servers';
import { loadElements } from './collection-load';
import { median, pad } from './redis-benchmark';
import { formatRate, numberFlag } from './util';

/** ZADD key i m:i for i < members. */
function load(port: number, key: string, members: number): Promise<void> {
  return loadElements(port, members, (from, to) => {
    const args = ['ZADD', key];
    for (let i = from; i < to; i++) args.push(String(i), `m:${i}`);
    return args;
  });
}

/** redis-benchmark's requests/s for ZADD into key, members drawn from `range`. */
function zaddRate(port: number, key: string, range: number, requests: number, pipeline: number): number {
  const args = ['-p', String(port), '-n', String(requests), '-c', '50', '-r', String(range), '-P', String(pipeline), '-q', 'ZADD', key, '__rand_int__', 'm:__rand_int__'];
  const r = spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`redis-benchmark ${args.join(' ')} failed: ${r.stderr}`);
  const m = /([\d.]+) requests per second/.exec(r.stdout.replace(/\r/g, '\n'));
  if (m === null) throw new Error(`unexpected redis-benchmark output: ${r.stdout}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const requests = numberFlag(argv, '--requests', 100_000);
  const members = numberFlag(argv, '--members', 1_000_000);
  const rounds = numberFlag(argv, '--rounds', 3);
  const pipeline = numberFlag(argv, '--pipeline', 1);
  const servers: ServerProcess[] = [await startRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']), await startDynkv(['--appendfsync', 'everysec'])];
  try {
    for (const s of servers) {
      await load(s.port, 'big', members);
      await load(s.port, 'small', 10);
    }
    console.log(`ZADD key __rand_int__ m:__rand_int__, -n ${requests} -c 50 -P ${pipeline}, ${rounds} rounds (medians, requests/s)\n`);
    console.log(`| server | ZADD into ${formatRate(members)} | ZADD into 10 | big / small |`);
    console.log('|--------|------------|--------------|-------------|');
    for (const s of servers) {
      const big: number[] = [];
      const small: number[] = [];
      for (let round = 0; round < rounds; round++) {
        big.push(zaddRate(s.port, 'big', members, requests, pipeline));
        small.push(zaddRate(s.port, 'small', 10, requests, pipeline));
      }
      const ratios = big.map((b, i) => b / small[i]);
      console.log(`| ${pad(s.name, 6, true)} | ${pad(formatRate(median(big)), 10)} | ${pad(formatRate(median(small)), 12)} | ${pad(median(ratios).toFixed(2), 11)} |`);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
