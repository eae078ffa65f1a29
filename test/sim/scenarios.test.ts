// scenarios.test.ts — schedules written by hand, run by the simulation like
// seeded ones (runner.ts's runSchedule) and judged by the same checker:
// the failure stories of issue 10, one test each.
import test from 'ava';
import { ReplyError } from '../../protocol/reply-parser';
import { prng } from '../helpers/random';
import { tmpDir } from '../helpers/tmpdir';
import { report, runSchedule } from './runner';
import { SimCluster } from './sim-cluster';
import { DEFAULT_CONFIG, type Schedule, type Step } from './schedule';
import { NO_FAULTS } from './sim-network';

const CHECKS = { convergence: false, quorumReads: true };
const KEYS = 20;

/** SET of k0..k(KEYS-1) through one node, 5 ms apart from `at`. */
function writes(at: number, node: number): Step[] {
  return Array.from({ length: KEYS }, (_, i): Step => ({ at: at + 5 * i, kind: 'op', node, op: 'SET', key: `k${i}`, value: `v${i}` }));
}

/** DYN.VERSIONS of every key through one node, 5 ms apart from `at`. */
function reads(at: number, node: number): Step[] {
  return Array.from({ length: KEYS }, (_, i): Step => ({ at: at + 5 * i, kind: 'op', node, op: 'DYN.VERSIONS', key: `k${i}` }));
}

test.serial('writes while a node is down, then a restart: everything acknowledged is readable through every node', async (t) => {
  const schedule: Schedule = {
    nodes: 3,
    faults: { ...NO_FAULTS, maxDelayMs: 3 },
    skewMs: [0, 0, 0],
    steps: [{ at: 0, kind: 'crash', node: 2, how: 'halt' }, ...writes(10, 0), { at: 500, kind: 'restart', node: 2 }, ...reads(600, 2), ...reads(800, 1)],
  };
  const result = await runSchedule(1, schedule, prng(1), DEFAULT_CONFIG, CHECKS);
  t.is(result.acked, 3 * KEYS, report(result));
  t.deepEqual(result.violations, [], report(result));
});

// Issue 10's wipe story: keys written while node 3 is down, node 2's data
// dir wiped and restarted, node 1 paused: reads through nodes 2 and 3 found
// nothing, node 2 (empty) counting toward R. Safe rejoin fixes it.
test.serial('a wiped node that rejoins does not make acknowledged writes read as missing (issue 10: safe rejoin)', async (t) => {
  const schedule: Schedule = {
    nodes: 3,
    faults: { ...NO_FAULTS, maxDelayMs: 3 },
    skewMs: [0, 0, 0],
    steps: [
      { at: 0, kind: 'crash', node: 2, how: 'halt' },
      ...writes(10, 0),
      { at: 500, kind: 'wipe', node: 1 },
      { at: 600, kind: 'crash', node: 0, how: 'halt' },
      { at: 600, kind: 'restart', node: 2 },
      ...reads(700, 1),
    ],
  };
  const result = await runSchedule(1, schedule, prng(1), DEFAULT_CONFIG, CHECKS);
  t.log(`${result.violations.length} violations, the first: ${result.violations[0]}`);
  t.is(result.acked, 2 * KEYS);
  t.deepEqual(result.violations, [], report(result));
});

// A replica that cannot store a write (its disk full) answers REPLICA.APPLY
// with an error: that is no ack (the bus resolves an error reply as a value;
// the coordinator's send() used to hand it to the success callback, so W=2
// was reported met with one copy written).
test.serial('a write whose other replicas answer errors is refused, not acknowledged with one copy (W=2)', async (t) => {
  const root = tmpDir(t, 'dynkv-sim-');
  const cluster = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 2, timeoutMs: 100, faults: { ...NO_FAULTS }, root, rand: prng(5), trace: () => undefined });
  t.teardown(() => cluster.close());
  for (const node of cluster.ids.slice(1)) cluster.network.failRequests(node, 'REPLICA.APPLY', 'MISCONF Errors writing to the AOF file: No space left on device');
  const reply = cluster.command(0, 'SET', 'k', 'v');
  await cluster.settle(500);
  const outcome = await reply;
  const copies = [0, 1, 2].filter((i) => cluster.coordinator(i).replicas.record(0, Buffer.from('k')) !== null).length;
  t.log(`SET answered ${outcome instanceof ReplyError ? `-${outcome.message}` : String(outcome)} with ${copies} cop${copies === 1 ? 'y' : 'ies'} stored`);
  t.true(outcome instanceof ReplyError && outcome.message.startsWith('DYNUNAVAILABLE needed W=2, got 1'), `SET answered ${String(outcome)}`);
  t.is(copies, 1, 'the coordinator stored it; the others refused');
});
