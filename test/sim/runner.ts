// test/sim/runner.ts — runs one seed: draws its schedule (schedule.ts),
// starts a SimCluster, plays the steps at their times, then heals every
// link, restarts every node, lets the clock run so the cluster can
// converge, records each replica's copy of every key, reads every key by
// quorum and hands the history to the checker. The run's trace (every
// command, answer, crash, loss and the cluster's own log lines) and a hash
// of it and of every message's bytes make a failing seed reproducible and
// two runs of a seed comparable.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, type CheckOptions, type CheckResult, type Command, type FinalKey } from './checker';
import { CRASHED, SimCluster, SIM_EPOCH, showReply } from './sim-cluster';
import { describeStep, makeSchedule, showStep, type Schedule, type SimConfig, type Step } from './schedule';
import { prng } from '../helpers/random';
import { encodeVersions } from '../../cluster/versions/codec';
import type { Dot, KeyVersions } from '../../cluster/versions/versions';

export interface RunResult extends CheckResult {
  seed: number;
  /** How to run it again: the env var of a drawn schedule; null for one written by hand (its test reruns it). */
  rerun: string | null;
  schedule: Schedule;
  trace: string[];
  /** sha256 of the trace and of every message the network carried. */
  hash: string;
  commands: number;
  acked: number;
  /** Commands never answered (their node crashed, or they were still waiting at the end). */
  unanswered: number;
  simMs: number;
}

/** What membership logs when a peer changes state (cluster/membership/membership.ts). */
const EXPECTED_LOG = [
  // A peer's change of state (failure detection).
  /^dynkv: cluster: node \S+ is (up \(was \S+\)|suspect: |down: |auth-failed: )/,
  // Safe rejoin: a node starts syncing, and is synced.
  /^dynkv: anti-entropy: (syncing \d+ partitions with the other replicas: |every partition is synced with the other replicas$)/,
  // Hinted handoff to a node that does not answer (yet): retried.
  /^dynkv: handing hints off to \S+ failed \(.*\); retrying in \d+ ms$/,
  // A restarted node's hint logs, reopened.
  /^dynkv: \d+ hints for \S+ wait in \S+$/,
];

/** How long the healed cluster runs before the final reads: probes find peers up, late answers arrive. */
const CONVERGE_MS = 20_000;

/** Draws the seed's schedule and runs it. */
export function runSeed(seed: number, config: SimConfig, checks: CheckOptions): Promise<RunResult> {
  const rand = prng(seed);
  return runSchedule(seed, makeSchedule(rand, config), rand, config, checks).then((result) => ({ ...result, rerun: `DYNKV_SIM_SEED=${seed}` }));
}

/**
 * Runs a schedule, drawn or written by hand (a scenario); rand draws the
 * network's delays and losses and the incarnations, `seed` names the run.
 * Of config, the quorums and the timeout count here; the rest shaped the schedule.
 */
export async function runSchedule(seed: number, schedule: Schedule, rand: () => number, config: SimConfig, checks: CheckOptions): Promise<RunResult> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-sim-'));
  const trace: string[] = [];
  let cluster: SimCluster | null = null;
  const say = (line: string): void => {
    trace.push(`t=${cluster === null ? 0 : cluster.clock.now() - SIM_EPOCH} ${line}`);
  };
  // The coordinators log with console.error: into the trace, in order. A
  // peer's change of state is expected; anything else (a callback that
  // threw, a failed repair) is a finding.
  const consoleError = console.error;
  const logged: string[] = [];
  console.error = (...args: unknown[]) => {
    const line = args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' ');
    say(`log ${line}`);
    if (!EXPECTED_LOG.some((re) => re.test(line))) logged.push(`the cluster logged: ${line}`);
  };
  try {
    cluster = await SimCluster.start({ nodes: schedule.nodes, n: config.n, r: config.r, w: config.w, timeoutMs: config.timeoutMs, faults: schedule.faults, skewMs: schedule.skewMs, root, rand, trace: say });
    const c = cluster;
    const history: Command[] = [];
    const thrown: string[] = [];
    for (const step of schedule.steps) {
      await c.settle(SIM_EPOCH + step.at - c.clock.now());
      say(`step: ${describeStep(step)}`);
      await play(c, step, history, say, thrown);
    }
    c.network.heal();
    c.network.faults = { ...c.network.faults, loss: 0 };
    for (let i = 0; i < c.size; i++) await c.restart(i);
    await c.settle(CONVERGE_MS);
    for (const h of history) if (h.op === 'SET' && h.value !== undefined) h.dots = c.dotsOf(h.key, h.value);
    const finals = await finalState(c, history, thrown);
    const result = check(history, finals, checks);
    if (checks.convergence) result.violations.push(...differingElements(c, history));
    result.violations.unshift(...thrown, ...logged);
    for (const v of result.violations) say(`VIOLATION ${v}`);
    const hash = createHash('sha256').update(trace.join('\n')).update(c.network.digest()).digest('hex');
    return {
      ...result,
      seed,
      rerun: null,
      schedule,
      trace,
      hash,
      commands: history.length,
      acked: history.filter((h) => h.endAt !== Infinity && h.outcome !== CRASHED).length,
      unanswered: history.filter((h) => h.endAt === Infinity).length,
      simMs: c.clock.now() - SIM_EPOCH,
    };
  } finally {
    console.error = consoleError;
    await cluster?.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Applies one step; a client command is sent and runs on, recording its answer in the history (what it throws in `thrown`). */
async function play(c: SimCluster, step: Step, history: Command[], say: (line: string) => void, thrown: string[]): Promise<void> {
  switch (step.kind) {
    case 'crash':
      return c.crash(step.node, step.how);
    case 'restart':
      return c.restart(step.node);
    case 'wipe':
      return c.wipe(step.node);
    case 'partition':
      c.network.partition(step.a.map((i) => c.ids[i]), step.b.map((i) => c.ids[i]), step.oneWay);
      return;
    case 'heal':
      c.network.heal();
      return;
    case 'op': {
      const sentAt = c.clock.now() - SIM_EPOCH;
      const id = history.length + 1;
      // An MSET is a SET of each of its keys, for the checker.
      const keys = step.key2 === undefined ? [step.key] : [step.key, step.key2];
      const commands = keys.map((key): Command => ({ id, node: step.node, op: step.op === 'MSET' ? 'SET' : step.op, key, value: step.value, sentAt, endAt: Infinity, outcome: undefined, dot: null }));
      history.push(...commands);
      const args = step.field !== undefined ? [step.key, step.field, ...(step.value === undefined ? [] : [step.value])] : step.value === undefined ? [step.key] : keys.flatMap((key) => [key, step.value as string]);
      c.command(step.node, step.op, ...args).then(
        (outcome) => {
          for (const command of commands) command.outcome = outcome;
          if (outcome === CRASHED) {
            say(`#${id} n${step.node + 1} crashed before answering`);
            return;
          }
          for (const command of commands) {
            command.endAt = c.clock.now() - SIM_EPOCH;
            if (command.op === 'SET' && outcome === 'OK') command.dot = findDot(c, command.key, step.value as string);
          }
          say(`#${id} -> ${showReply(outcome)}`);
        },
        (err: Error) => {
          thrown.push(`command threw: #${id} ${err.stack ?? err.message}`);
        },
      );
      return;
    }
  }
}

/**
 * The dot a SET's value got, from the replicas up now: the one most of them
 * hold (a forward retried after a timeout can make the value twice, once by
 * a coordinator that did not get its W acks); null once it was superseded
 * on all of them.
 */
function findDot(c: SimCluster, key: string, value: string): Dot | null {
  const copies = new Map<string, { dot: Dot; count: number }>();
  for (let i = 0; i < c.size; i++) {
    if (!c.isUp(i)) continue;
    const versions = c.coordinator(i).replicas.read(0, Buffer.from(key));
    for (const s of versions?.siblings ?? []) {
      if (s.value === null || s.value.toString('latin1') !== value) continue;
      const name = `${s.dot.actor}:${s.dot.counter}`;
      const seen = copies.get(name) ?? { dot: s.dot, count: 0 };
      seen.count++;
      copies.set(name, seen);
    }
  }
  let best: { dot: Dot; count: number } | null = null;
  for (const seen of copies.values()) if (best === null || seen.count > best.count) best = seen;
  return best?.dot ?? null;
}

/** Each key's replicas as they are (before any read repairs them), then a quorum read of it through each node in turn. */
async function finalState(c: SimCluster, history: readonly Command[], failures: string[]): Promise<Map<string, FinalKey>> {
  const keys = [...new Set(history.map((h) => h.key))].sort();
  const replicas = new Map<string, { records: (Buffer | null)[]; nodes: string[] }>();
  for (const key of keys) {
    const k = Buffer.from(key);
    const list = c.coordinator(0).preferenceList(k);
    replicas.set(key, {
      records: list.map((id) => c.coordinator(c.ids.indexOf(id)).replicas.record(0, k)),
      nodes: list.map((id) => `n${c.ids.indexOf(id) + 1}`),
    });
  }
  const finals = new Map<string, FinalKey>();
  for (const [i, key] of keys.entries()) {
    const read = c.command(i % c.size, 'DYN.VERSIONS', key);
    await c.settle(c.network.requestTimeoutMs * 2);
    const outcome = await read;
    const versions = outcome !== null && typeof outcome === 'object' && 'siblings' in outcome ? (outcome as KeyVersions) : null;
    if (versions === null) failures.push(`the final read of ${key} through n${(i % c.size) + 1}, all nodes up and healed, answered ${showReply(outcome)}`);
    const copies = replicas.get(key) as { records: (Buffer | null)[]; nodes: string[] };
    finals.set(key, { versions, replicas: copies.records, replicaNodes: copies.nodes });
  }
  return finals;
}

/** The hashes whose element records differ between their replicas once converged (each field's record, tombstones included). */
function differingElements(c: SimCluster, history: readonly Command[]): string[] {
  const out: string[] = [];
  for (const key of [...new Set(history.filter((h) => h.op === 'HSET' || h.op === 'HDEL').map((h) => h.key))].sort()) {
    const k = Buffer.from(key);
    const copies = c.coordinator(0).preferenceList(k).map((id) => {
      const { records } = c.coordinator(c.ids.indexOf(id)).localElements(0, k);
      return `n${c.ids.indexOf(id) + 1}: ${records.map((r) => `${r.member.toString('latin1')}=${encodeVersions(r.versions).toString('hex')}`).sort().join(' ')}`;
    });
    const bare = copies.map((copy) => copy.slice(copy.indexOf(':')));
    if (bare.some((b) => b !== bare[0])) out.push(`element records of ${key} differ after convergence: ${copies.join(' | ')}`);
  }
  return out;
}

/** A failed run as text: the seed, how to rerun it, the schedule and the violations (the full trace goes to a file). */
export function report(result: RunResult): string {
  const file = path.join(os.tmpdir(), `dynkv-sim-${result.seed}.trace`);
  fs.writeFileSync(file, `${result.trace.join('\n')}\n`);
  const s = result.schedule;
  return [
    `seed ${result.seed}${result.rerun === null ? '' : ` (rerun: ${result.rerun})`}; ${s.nodes} nodes, loss ${s.faults.loss.toFixed(3)}, delay ${s.faults.minDelayMs}-${s.faults.maxDelayMs} ms, reorder ${s.faults.reorder}, skew ${s.skewMs.join(',')} ms`,
    'schedule:',
    ...s.steps.map((step) => `  ${showStep(step)}`),
    'violations:',
    ...result.violations.map((v) => `  ${v}`),
    `trace: ${file}`,
  ].join('\n');
}
