// bench/lists.ts — lists, dynkv-server side by side with redis-server (`npm
// run bench:lists`), both with the same durability (redis: appendonly yes,
// appendfsync everysec; dynkv: appendfsync everysec):
// 1. redis-benchmark's list tests (LPUSH RPUSH LPOP RPOP LRANGE_100/300/500/
//    600; 50 clients), -P 1 and -P 16, in rounds taking turns, medians of
//    requests/s and of the per-round ratio dynkv/redis with its range;
// 2. a queue's steady state on a list of 10 items and on one of 1M: pairs
//    LPUSH+RPOP and RPUSH+LPOP pipelined 1000 at a time (the length stays
//    put), operations per second, each size's rate as a ratio of the small
//    list's.
// Flags: --requests N (default 100000), --rounds N (default 3), --big N
// (default 1000000), --ops N (default 200000).
import { RawClient, encodeCommand } from '../redis-compat/raw-client';
import { startDynkv, startRedis } from '../redis-compat/servers';
import { interleavedRounds, median, pad, ratios } from './redis-benchmark';
import { formatRate, numberFlag } from './util';

const TESTS = ['LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'LRANGE_100', 'LRANGE_300', 'LRANGE_500', 'LRANGE_600'];
const REDIS_AOF = ['--appendonly', 'yes', '--appendfsync', 'everysec'];

/** Sends commands in pipelined batches of `batch`, reading every reply (errors throw). */
async function pipelined(c: RawClient, commands: Buffer[], batch: number): Promise<void> {
  for (let i = 0; i < commands.length; i += batch) {
    const part = commands.slice(i, i + batch);
    c.write(Buffer.concat(part));
    for (let j = 0; j < part.length; j++) {
      const r = await c.read(120_000);
      if (r === null || r.type === '-') throw new Error(`unexpected reply ${JSON.stringify(r)}`);
    }
  }
}

/** Fills key with n items (RPUSH of 1000 at a time). */
async function fill(c: RawClient, key: string, n: number): Promise<void> {
  const commands: Buffer[] = [];
  for (let i = 0; i < n; i += 1000) {
    const items: string[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) items.push(`item:${j}`);
    commands.push(encodeCommand(['RPUSH', key, ...items]));
  }
  await pipelined(c, commands, 50);
}

/** Operations per second of `ops` pushes and pops in pairs on key (length unchanged). */
async function queueRate(c: RawClient, key: string, ops: number, push: string, pop: string): Promise<number> {
  const commands: Buffer[] = [];
  for (let i = 0; i < ops; i += 2) commands.push(encodeCommand([push, key, 'x'.repeat(32)]), encodeCommand([pop, key]));
  const started = process.hrtime.bigint();
  await pipelined(c, commands, 1000);
  return ops / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function sizes(big: number, ops: number): Promise<string[]> {
  const rows: string[] = [];
  for (const [name, start] of [
    ['redis-server', () => startRedis(REDIS_AOF)],
    ['dynkv', () => startDynkv(['--appendfsync', 'everysec'])],
  ] as const) {
    const server = await start();
    try {
      const c = await RawClient.connect(server.port);
      await fill(c, 'small', 10);
      const started = process.hrtime.bigint();
      await fill(c, 'big', big);
      const fillSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      for (const [push, pop] of [['LPUSH', 'RPOP'], ['RPUSH', 'LPOP']]) {
        // Small and big alternate, three times each: the median of each.
        const small: number[] = [];
        const large: number[] = [];
        for (let round = 0; round < 3; round++) {
          small.push(await queueRate(c, 'small', ops, push, pop));
          large.push(await queueRate(c, 'big', ops, push, pop));
        }
        const s = median(small);
        const l = median(large);
        rows.push(`| ${pad(name, 12, true)} | ${pad(`${push}+${pop}`, 10, true)} | ${pad(formatRate(s), 10)} | ${pad(formatRate(l), 10)} | ${pad((l / s).toFixed(2), 9)} | ${pad(fillSeconds.toFixed(1), 6)} |`);
      }
      c.close();
    } finally {
      await server.stop();
    }
  }
  return rows;
}

async function throughput(requests: number, rounds: number): Promise<string[]> {
  const servers = await Promise.all([startRedis(REDIS_AOF), startDynkv(['--appendfsync', 'everysec'])]);
  const rows: string[] = [];
  try {
    for (const pipeline of [1, 16]) {
      for (const [test, [redis, dynkv]] of interleavedRounds(servers.map((s) => s.port), requests, pipeline, rounds, TESTS)) {
        const r = ratios(redis, dynkv);
        const rps = (rs: typeof redis): string => pad(formatRate(median(rs.map((x) => x.rps))), 10);
        rows.push(`| ${pad(test, 10, true)} | ${pad(String(pipeline), 3)} | ${rps(redis)} | ${rps(dynkv)} | ${pad(`${r.median.toFixed(2)} (${r.range})`, 18)} |`);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return rows;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const requests = numberFlag(argv, '--requests', 100_000);
  const rounds = numberFlag(argv, '--rounds', 3);
  const big = numberFlag(argv, '--big', 1_000_000);
  const ops = numberFlag(argv, '--ops', 200_000);
  console.log(`redis-benchmark list tests, ${requests} requests, 50 clients, ${rounds} rounds (redis: AOF everysec; dynkv: everysec)`);
  console.log('| test       |  -P |      redis |      dynkv | dynkv/redis (range) |');
  console.log('| ---------- | --: | ---------: | ---------: | -----------------: |');
  for (const row of await throughput(requests, rounds)) console.log(row);
  console.log(`\nqueue steady state: ${ops} operations as push+pop pairs, pipelined 1000, on a list of 10 and one of ${big}`);
  console.log('| server       | pair       |   10 items |  big list | big/small | fill s |');
  console.log('| ------------ | ---------- | ---------: | --------: | --------: | -----: |');
  for (const row of await sizes(big, ops)) console.log(row);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
