// bench/cluster.ts — a 3-node dynkv cluster (N=3 R=2 W=2, one process per
// node, planned as `dynkv cluster start` plans it) side by side with a single
// dynkv node (`npm run bench:cluster`): redis-benchmark against node 1 of the
// cluster and against the single node in turn (SET and GET, 50 clients, 100k
// random keys, 32-byte values, pipeline 1 and 16): requests/s with the ratio
// cluster/single, and p50, p99 and p99.9 latency (redis-benchmark.ts says how
// they are read). Both run appendfsync everysec.
//
// The machine is shared and noisy, so the runs are repeated in rounds, the
// two targets taking turns (the order flipped each round), and the table
// gives medians, with the range of the per-round throughput ratios.
// Flags: --requests N (default 50000), --rounds N (default 3): about 1.5
// minutes with a cluster at a third of the single node's throughput.
import { startDynkv, startDynkvCluster } from '../redis-compat/servers';
import { interleavedRounds, median, pad, ratios, type BenchResult } from './redis-benchmark';
import { formatRate, numberFlag } from './util';

/** "single / cluster" medians of one latency, in ms. */
function latencies(single: BenchResult[], cluster: BenchResult[], of: (r: BenchResult) => number): string {
  return `${median(single.map(of)).toFixed(3)} / ${median(cluster.map(of)).toFixed(3)}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const requests = numberFlag(argv, '--requests', 50_000);
  const rounds = numberFlag(argv, '--rounds', 3);
  const cluster = await startDynkvCluster(['--appendfsync', 'everysec']);
  const single = await startDynkv(['--appendfsync', 'everysec']).catch(async (err: Error) => {
    await cluster.stop();
    throw err;
  });
  try {
    console.log(`cluster: 3 dynkv-server processes, N=3 R=2 W=2, benchmarked through port ${cluster.port}; single: one dynkv-server on ${single.port}; appendfsync everysec`);
    console.log(`redis-benchmark -t set,get -n ${requests} -c 50 -r 100000 -d 32 -P {1,16}, one target at a time, ${rounds} rounds: medians; latencies in ms, single / cluster; p99.9 is redis-benchmark's 99.902% line\n`);
    console.log('| test | -P  |  single rps  | cluster rps  | cluster/single |    range    |       p50         |       p99         |      p99.9        |');
    console.log('|------|-----|--------------|--------------|----------------|-------------|-------------------|-------------------|-------------------|');
    for (const pipeline of [1, 16]) {
      for (const [test, [s, c]] of interleavedRounds([single.port, cluster.port], requests, pipeline, rounds)) {
        const ratio = ratios(s, c);
        console.log(
          `| ${pad(test, 4, true)} | ${pad(String(pipeline), 3)} | ${pad(formatRate(median(s.map((r) => r.rps))), 12)} | ${pad(formatRate(median(c.map((r) => r.rps))), 12)} | ${pad(ratio.median.toFixed(2), 14)} | ${pad(ratio.range, 11)} | ${pad(latencies(s, c, (r) => r.p50), 17)} | ${pad(latencies(s, c, (r) => r.p99), 17)} | ${pad(latencies(s, c, (r) => r.p999), 17)} |`,
        );
      }
    }
  } finally {
    await Promise.all([cluster.stop(), single.stop()]);
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
