// bench/redis-benchmark.ts — runs redis-benchmark for the server and cluster
// benchmarks: SET and GET against one port, their requests/s and latency
// percentiles read from its plain output, and rounds that take turns between
// two targets (never both at once: they share this machine's cores with
// redis-benchmark), for medians with a range.
//
// Latencies: p50 and p99 from the "latency summary", p99.9 from the "Latency
// by percentile distribution" (--csv has no p99.9), whose steps halve the
// distance to 100%: the line used is the first at or above 99.9%, i.e.
// 99.902% (100 - 100/1024), above the true p99.9 by at most the 0.002% of
// requests between the two. At -P 16 a request's latency is its batch's.
import { spawnSync } from 'node:child_process';

export interface BenchResult {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
}

/** redis-benchmark's test names (upper case, as its output names them) a run does unless told others. */
export const DEFAULT_TESTS: readonly string[] = ['SET', 'GET'];

/**
 * One redis-benchmark run (SET and GET unless `tests` says, 50 clients, 100k
 * random keys, 32-byte values): the figures per test name. With `command`,
 * that command instead of the tests (__rand_int__ in it made random), its
 * figures under the command line as `tests`' one name.
 */
export function runRedisBenchmark(port: number, requests: number, pipeline: number, tests: readonly string[] = DEFAULT_TESTS, command: readonly string[] = []): Map<string, BenchResult> {
  const which = command.length === 0 ? ['-t', tests.join(',').toLowerCase()] : [];
  const args = ['-p', String(port), ...which, '-n', String(requests), '-c', '50', '-r', '100000', '-d', '32', '-P', String(pipeline), ...command];
  const r = spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`redis-benchmark ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  const out = new Map<string, BenchResult>();
  // Progress lines end in \r; each test's report starts with "====== NAME ======".
  for (const section of r.stdout.replace(/\r/g, '\n').split(/^====== /m).slice(1)) {
    const name = command.length === 0 ? section.slice(0, section.indexOf(' ')) : section.slice(0, section.indexOf(' ======'));
    const rps = /throughput summary: ([\d.]+) requests per second/.exec(section);
    const summary = /latency summary \(msec\):\s*\n\s*avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([\d.\s]+)\n/.exec(section);
    const p999 = section
      .slice(section.indexOf('Latency by percentile distribution:'))
      .split('\n')
      .map((line) => /^([\d.]+)% <= ([\d.]+) milliseconds/.exec(line))
      .find((m) => m !== null && Number(m[1]) >= 99.9);
    if (rps === null || summary === null || p999 === undefined || p999 === null) throw new Error(`unexpected redis-benchmark output for ${name}: ${section}`);
    const [, , p50, , p99] = summary[1].trim().split(/\s+/).map(Number);
    // The LRANGE_* tests start with an "LPUSH (needed to benchmark LRANGE)": the first LPUSH is the LPUSH test.
    if (!out.has(name)) out.set(name, { rps: Number(rps[1]), p50, p99, p999: Number(p999[2]) });
  }
  if (tests.some((test) => !out.has(test))) throw new Error(`unexpected redis-benchmark output: ${r.stdout}`);
  return out;
}

/**
 * Per test (SET, GET), each target's results by round: the targets take
 * turns, one at a time, the order rotated each round so that none always
 * runs first (or right after another's load).
 */
export function interleavedRounds(ports: readonly number[], requests: number, pipeline: number, rounds: number, tests: readonly string[] = DEFAULT_TESTS, command: readonly string[] = []): Map<string, BenchResult[][]> {
  const runs: Map<string, BenchResult>[][] = ports.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < ports.length; k++) {
      const i = (round + k) % ports.length;
      runs[i].push(runRedisBenchmark(ports[i], requests, pipeline, tests, command));
    }
  }
  const byTest = new Map<string, BenchResult[][]>();
  for (const test of tests) byTest.set(test, runs.map((target) => target.map((m) => m.get(test) as BenchResult)));
  return byTest;
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median of b/a over the rounds, and their range as "min–max". */
export function ratios(a: BenchResult[], b: BenchResult[]): { median: number; range: string } {
  const each = b.map((r, i) => r.rps / a[i].rps);
  return { median: median(each), range: `${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)}` };
}

export function pad(s: string, n: number, right = false): string {
  return right ? s.padEnd(n) : s.padStart(n);
}
