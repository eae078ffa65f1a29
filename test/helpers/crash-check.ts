// test/helpers/crash-check.ts — one kill/reopen round of the crash tests
// (engine-crash.test.ts and the by-hand stress run crash-stress.ts): run
// crash-writer.ts on a directory and SIGKILL it, read its acks back from
// their file, read back what an open finds, and match it against the
// prefixes of the writer's op stream.
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { open } from '../../engine/index';
import { dataFiles, helperScript, killWhen, mergeOutputs, readAll } from './engine';
import { BATCH, CrashOps, KEY_SPACE, MAX_IN_FLIGHT, applyOp } from './crash-ops';

/**
 * Ops the writer may have issued beyond its last ack: it issues a batch only
 * when fewer than MAX_IN_FLIGHT are unacknowledged, and writes each ack
 * before issuing the batch it makes room for.
 */
export const WINDOW = MAX_IN_FLIGHT * BATCH;
export const OPTIONS = { segmentSize: 64 * 1024, mergeIntervalMs: 0 };
/** A kill waits after its delay until its condition holds (a merge runs, ...), this long at most. */
export const KILL_WAIT_MS = 10_000;

export interface WriterRun {
  seed: number;
  round: number;
  /** Background merges run in the writer. */
  merge: boolean;
  /** The kill comes this long after the writer is ready... */
  delayMs: number;
  /** ...then as soon as a merge runs... */
  waitForMerge?: boolean;
  /** ...and once the writer has made this many data files. */
  newDataFiles?: number;
  /**
   * Read none of the writer's output from the delay to the kill: this
   * process waits for the kill's condition blocked, as one starved of CPU.
   */
  stallReading?: boolean;
}

export interface Round {
  /** The largest N of the "ack N" lines the writer wrote (its first N ops were durable). */
  acked: number;
  delayMs: number;
  ackLog: string;
  stderr: string;
  /** A merge's output files were there when the writer died: the kill cut a merge short. */
  mergeAtKill: boolean;
}

/** Runs the writer on dir, its acks going to ackPath, and SIGKILLs it as `run` says. */
export function runWriter(dir: string, ackPath: string, run: WriterRun): Promise<Round> {
  return new Promise((resolve, reject) => {
    const args = [helperScript('crash-writer'), dir, ackPath, String(run.seed), String(run.round)];
    if (run.merge) args.push('merge');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let minFiles = 0;
    const due = (): boolean =>
      (run.waitForMerge !== true || mergeOutputs(dir).length > 0) && dataFiles(dir).length >= minFiles;
    let out = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!killed && out.includes('ready\n')) {
        killed = true;
        minFiles = dataFiles(dir).length + (run.newDataFiles ?? 0);
        const kill = run.stallReading === true ? killBlocked : killWhen;
        setTimeout(() => kill(child, due, KILL_WAIT_MS), run.delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`round ${run.round}: writer exited by itself (code ${code}, signal ${signal}): ${stderr}`));
        return;
      }
      const ackLog = fs.existsSync(ackPath) ? fs.readFileSync(ackPath, 'latin1') : '';
      // Complete lines only: the kill may cut the last write short.
      const acks = ackLog.split('\n').slice(0, -1).map((l) => Number(/^ack (\d+)$/.exec(l)?.[1] ?? NaN));
      if (acks.some((n) => Number.isNaN(n))) {
        reject(new Error(`round ${run.round}: bad ack log ${JSON.stringify(ackLog.slice(0, 200))}`));
        return;
      }
      resolve({
        acked: acks.reduce((most, n) => Math.max(most, n), 0), // a spread of thousands of acks overflows the stack
        delayMs: run.delayMs,
        ackLog,
        stderr,
        mergeAtKill: mergeOutputs(dir).length > 0,
      });
    });
  });
}

/** As killWhen, but waits with the event loop blocked: nothing is read from the child meanwhile. */
function killBlocked(child: ChildProcess, due: () => boolean, waitMs: number): void {
  const deadline = Date.now() + waitMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!due() && Date.now() < deadline) Atomics.wait(nap, 0, 0, 1);
  child.kill('SIGKILL');
}

export interface Found {
  state: Map<string, string>;
  statKeys: number;
  getMismatch: string | null;
}

/** Opens dir (as the next writer would: leftovers removed, a torn tail cut) and reads every key by scan and by get. */
export function readState(dir: string): Found {
  const e = open(dir, OPTIONS);
  try {
    const state = new Map<string, string>();
    for (const [k, v] of readAll(e)) state.set(k, v.toString());
    let getMismatch: string | null = null;
    for (let i = 0; i < KEY_SPACE && getMismatch === null; i++) {
      const k = `key-${i}`;
      const v = e.get(k)?.toString();
      if (v !== state.get(k)) getMismatch = `${k}: get ${v?.slice(0, 24)}, scan ${state.get(k)?.slice(0, 24)}`;
    }
    return { state, statKeys: e.stats().keys, getMismatch };
  } finally {
    e.close();
  }
}

export function sameState(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * The length L in [from, to] of the prefix of round's op stream whose effect
 * on `before` is `found`, or -1 when none is.
 */
export function matchPrefix(
  before: Map<string, string>,
  found: Map<string, string>,
  seed: number,
  round: number,
  from: number,
  to: number,
): number {
  const ops = new CrashOps(seed, round);
  const expected = new Map(before);
  for (let i = 0; i < from; i++) applyOp(expected, ops.next());
  for (let L = from; L <= to; L++) {
    if (sameState(expected, found)) return L;
    applyOp(expected, ops.next());
  }
  return -1;
}

/** The state after the first n ops of round's stream applied to `before`. */
export function stateAfter(before: Map<string, string>, seed: number, round: number, n: number): Map<string, string> {
  const ops = new CrashOps(seed, round);
  const state = new Map(before);
  for (let i = 0; i < n; i++) applyOp(state, ops.next());
  return state;
}

/** Keys whose value differs, up to `max` lines: the expected value, the found one. */
export function describeDiff(expected: Map<string, string>, actual: Map<string, string>, max = 8): string {
  const lines: string[] = [];
  for (let i = 0; i < KEY_SPACE && lines.length < max; i++) {
    const k = `key-${i}`;
    const e = expected.get(k);
    const a = actual.get(k);
    if (e !== a) lines.push(`${k}: acked state ${e?.slice(0, 24) ?? '(absent)'}, found ${a?.slice(0, 24) ?? '(absent)'}`);
  }
  return lines.join('\n');
}
