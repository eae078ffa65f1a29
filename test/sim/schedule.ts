// test/sim/schedule.ts — a seeded schedule for the simulation: what happens
// when, as data (so a failing seed prints exactly what it ran): client
// commands through nodes that are up, crashes (halt or kill) and restarts,
// wipes, partitions (both ways or one way) and heals, over a cluster whose
// size, quorums, message loss, reordering and clock skew the seed also
// draws within what the config allows. One PRNG, drawn in one order: the
// same seed and config give the same schedule.
import type { CrashKind, NetworkFaults } from './sim-network';

export interface SimConfig {
  /** Node counts to draw from. */
  nodes: readonly number[];
  n: number;
  r: number;
  w: number;
  timeoutMs: number;
  /** Client commands per schedule. */
  ops: number;
  /** Keys they spread over (few: commands on one key overlap). */
  keys: number;
  crashes: boolean;
  /**
   * One data dir deleted per schedule, at most (safe rejoin is the issue's
   * part: off by default). One: a replica set can keep data through the
   * loss of one disk; serial wipes faster than repair lose it by nature.
   */
  wipes: boolean;
  partitions: boolean;
  /** Message loss probability, drawn up to this. */
  maxLoss: number;
  reorder: boolean;
  /** Some SETs become two-key MSETs, whose keys' replicas may all be other nodes (REPLICA.PUT). */
  mset: boolean;
  /** Per-node clock offsets drawn in ±maxSkewMs. */
  maxSkewMs: number;
  /** Some commands are HSET/HDEL of a few fields of a few hashes (their element records must converge too). */
  hashes: boolean;
}

export const DEFAULT_CONFIG: SimConfig = {
  nodes: [3, 4, 5],
  n: 3,
  r: 2,
  w: 2,
  timeoutMs: 100,
  ops: 40,
  keys: 6,
  crashes: true,
  wipes: false,
  partitions: true,
  maxLoss: 0.05,
  reorder: true,
  mset: true,
  maxSkewMs: 300,
  hashes: true,
};

/** Hashes and fields the hash commands spread over. */
const HASH_KEYS = 2;
const HASH_FIELDS = 4;

export type SimOp = 'SET' | 'MSET' | 'GET' | 'DEL' | 'DYN.VERSIONS' | 'HSET' | 'HDEL';

export type Step =
  | { at: number; kind: 'op'; node: number; op: SimOp; key: string; value?: string; /** MSET's second key (the same value). */ key2?: string; /** HSET's and HDEL's field. */ field?: string }
  | { at: number; kind: 'crash'; node: number; how: CrashKind }
  | { at: number; kind: 'restart'; node: number }
  | { at: number; kind: 'wipe'; node: number }
  | { at: number; kind: 'partition'; a: number[]; b: number[]; oneWay: boolean }
  | { at: number; kind: 'heal' };

export interface Schedule {
  nodes: number;
  faults: NetworkFaults;
  skewMs: number[];
  /** Times are ms from the start, non-decreasing. */
  steps: Step[];
}

export function makeSchedule(rand: () => number, config: SimConfig): Schedule {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const nodes = pick(config.nodes);
  const faults: NetworkFaults = {
    loss: rand() < 0.5 ? 0 : rand() * config.maxLoss,
    minDelayMs: 1,
    maxDelayMs: 1 + Math.floor(rand() * 20),
    reorder: config.reorder && rand() < 0.3,
  };
  const skewMs = Array.from({ length: nodes }, () => (config.maxSkewMs > 0 ? Math.round((rand() * 2 - 1) * config.maxSkewMs) : 0));
  const down = new Set<number>();
  let partitioned = false;
  let wiped = false;
  const steps: Step[] = [];
  let at = 0;
  let written = 0;
  for (let op = 0; op < config.ops; ) {
    at += Math.floor(rand() * config.timeoutMs * 0.6);
    const roll = rand();
    const up = [...Array(nodes).keys()].filter((i) => !down.has(i));
    if (roll < 0.05 && config.crashes && up.length > 1) {
      const node = pick(up);
      steps.push({ at, kind: 'crash', node, how: rand() < 0.5 ? 'halt' : 'kill' });
      down.add(node);
    } else if (roll < 0.1 && down.size > 0) {
      const node = pick([...down]);
      down.delete(node);
      steps.push({ at, kind: 'restart', node });
    } else if (roll < 0.12 && config.wipes && !wiped) {
      steps.push({ at, kind: 'wipe', node: pick(up) });
      wiped = true;
    } else if (roll < 0.16 && config.partitions && !partitioned) {
      const shuffled = [...Array(nodes).keys()];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const cut = 1 + Math.floor(rand() * (nodes - 1));
      steps.push({ at, kind: 'partition', a: shuffled.slice(0, cut).sort(), b: shuffled.slice(cut).sort(), oneWay: rand() < 0.3 });
      partitioned = true;
    } else if (roll < 0.2 && partitioned) {
      steps.push({ at, kind: 'heal' });
      partitioned = false;
    } else {
      op++;
      const node = pick(up);
      if (config.hashes && rand() < 0.2) {
        const key = `h${Math.floor(rand() * HASH_KEYS)}`;
        const field = `f${Math.floor(rand() * HASH_FIELDS)}`;
        if (rand() < 0.7) steps.push({ at, kind: 'op', node, op: 'HSET', key, field, value: `v${++written}` });
        else steps.push({ at, kind: 'op', node, op: 'HDEL', key, field });
        continue;
      }
      const key = `k${Math.floor(rand() * config.keys)}`;
      const kind = rand();
      if (kind < 0.45 && config.mset && rand() < 0.5) {
        const key2 = `k${(Number(key.slice(1)) + 1 + Math.floor(rand() * (config.keys - 1))) % config.keys}`;
        steps.push({ at, kind: 'op', node, op: 'MSET', key, value: `v${++written}`, key2 });
      } else if (kind < 0.45) steps.push({ at, kind: 'op', node, op: 'SET', key, value: `v${++written}` });
      else if (kind < 0.6) steps.push({ at, kind: 'op', node, op: 'DEL', key });
      else if (kind < 0.8) steps.push({ at, kind: 'op', node, op: 'GET', key });
      else steps.push({ at, kind: 'op', node, op: 'DYN.VERSIONS', key });
    }
  }
  return { nodes, faults, skewMs, steps };
}

/** One step as a line of the printed schedule, its time first (node numbers from 1, as in the trace). */
export function showStep(step: Step): string {
  return `${`t=${step.at}`.padEnd(8)} ${describeStep(step)}`;
}

/** What a step does. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'op':
      return `n${step.node + 1} ${step.op} ${step.key}${step.field === undefined ? '' : ` ${step.field}`}${step.value === undefined ? '' : ` ${step.value}`}${step.key2 === undefined ? '' : ` ${step.key2} ${step.value}`}`;
    case 'crash':
      return `crash n${step.node + 1} (${step.how})`;
    case 'restart':
      return `restart n${step.node + 1}`;
    case 'wipe':
      return `wipe n${step.node + 1}`;
    case 'partition':
      return `partition ${step.a.map((i) => `n${i + 1}`).join(',')} ${step.oneWay ? '-/->' : '<-/->'} ${step.b.map((i) => `n${i + 1}`).join(',')}`;
    case 'heal':
      return `heal`;
  }
}
