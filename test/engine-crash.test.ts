// engine-crash.test.ts — crash safety: a child process writes, overwrites and
// deletes in 'always' mode with small rolling segments and is killed with
// SIGKILL at random moments. After every kill the directory must open
// cleanly, every acknowledged write must be there (acknowledged deletes stay
// deleted), and the state must be exactly the effect of a prefix of the
// writes issued (nothing invented, nothing reordered). Data accumulates
// across rounds on the same directory. With background merges, each kill
// waits for a merge to be running, and most kills must find one cut short
// (its output files left behind). Replay with DYNKV_CRASH_SEED=<seed>.
import test, { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { open } from '../engine/index';
import { tmpDir } from './helpers/tmpdir';
import { helperScript, killDuringMerge, mergeOutputs, readAll, removeHints } from './helpers/engine';
import { prng } from './helpers/random';
import { CrashOps, KEY_SPACE, applyOp } from './helpers/crash-ops';

const WINDOW = 4 * 16 + 16; // ops the child may have issued beyond its last ack
const OPTIONS = { segmentSize: 64 * 1024, mergeIntervalMs: 0 };

interface Round {
  acked: number;
  delayMs: number;
  stderr: string;
  /** A merge's output files were there when the writer died: the kill cut a merge short. */
  mergeAtKill: boolean;
}

/** With merges, a kill waits after its delay until a merge runs, this long at most. */
const MERGE_WAIT_MS = 5000;

function runWriter(dir: string, seed: number, round: number, delayMs: number, merge: boolean): Promise<Round> {
  return new Promise((resolve, reject) => {
    const args = [helperScript('crash-writer'), dir, String(seed), String(round)];
    if (merge) args.push('merge');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!killed && out.includes('ready\n')) {
        killed = true;
        setTimeout(() => (merge ? killDuringMerge(child, dir, MERGE_WAIT_MS) : child.kill('SIGKILL')), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`round ${round}: writer exited by itself (code ${code}, signal ${signal}): ${stderr}`));
        return;
      }
      const acks = out.split('\n').filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
      resolve({ acked: acks.length > 0 ? Math.max(...acks) : 0, delayMs, stderr, mergeAtKill: mergeOutputs(dir).length > 0 });
    });
  });
}

function sameState(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function describeDiff(expected: Map<string, string>, actual: Map<string, string>): string {
  const lines: string[] = [];
  for (let i = 0; i < KEY_SPACE && lines.length < 8; i++) {
    const k = `key-${i}`;
    const e = expected.get(k);
    const a = actual.get(k);
    if (e !== a) lines.push(`${k}: acked state ${e?.slice(0, 24) ?? '(absent)'}, found ${a?.slice(0, 24) ?? '(absent)'}`);
  }
  return lines.join('\n');
}

function readState(dir: string): { state: Map<string, string>; statKeys: number; getMismatch: string | null } {
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

async function crashRounds(t: ExecutionContext, rounds: number, merge: boolean): Promise<void> {
  const dir = tmpDir(t);
  const seed = Number(process.env.DYNKV_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.log(`seed ${seed}`);
  const delays = prng(seed);
  let model = new Map<string, string>();
  let totalAcked = 0;
  let beyondAck = 0;
  let mergesCut = 0;
  for (let round = 0; round < rounds; round++) {
    const r = await runWriter(dir, seed, round, 20 + Math.floor(delays() * 281), merge);
    totalAcked += r.acked;
    if (r.mergeAtKill) mergesCut++;
    let found;
    try {
      found = readState(dir);
    } catch (err) {
      t.fail(`round ${round} (killed after ${r.delayMs} ms, ${r.acked} acked): open failed: ${(err as Error).message}`);
      return;
    }
    const ops = new CrashOps(seed, round);
    const expected = new Map(model);
    for (let i = 0; i < r.acked; i++) applyOp(expected, ops.next());
    const atAck = new Map(expected);
    let matched = -1;
    for (let L = r.acked; L <= r.acked + WINDOW; L++) {
      if (sameState(expected, found.state)) {
        matched = L;
        break;
      }
      applyOp(expected, ops.next());
    }
    if (matched < 0) {
      t.fail(
        `round ${round} (seed ${seed}, killed ${r.delayMs} ms after ready, ${r.acked} ops acked): ` +
          `the store is not the effect of any prefix of >= ${r.acked} ops\n${describeDiff(atAck, found.state)}`,
      );
      return;
    }
    if (found.getMismatch !== null) {
      t.fail(`round ${round}: get and scan disagree: ${found.getMismatch}`);
      return;
    }
    if (found.statKeys !== found.state.size) {
      t.fail(`round ${round}: stats().keys ${found.statKeys} but ${found.state.size} live keys`);
      return;
    }
    beyondAck += matched - r.acked;
    model = found.state;
  }
  t.true(totalAcked > rounds * 10, `the writer got writes acknowledged (${totalAcked} in ${rounds} rounds)`);
  t.log(`${totalAcked} acked ops, ${beyondAck} unacked ops found durable, ${model.size} keys at the end, ${mergesCut} of ${rounds} kills during a merge`);
  if (merge) t.true(mergesCut >= rounds / 2, `a merge was running at ${mergesCut} of ${rounds} kills`);
  removeHints(dir);
  const rescanned = readState(dir);
  t.true(sameState(model, rescanned.state), 'the state is the same when rebuilt from the data files without hints');
}

test.serial('SIGKILL at random moments loses no acknowledged write (50 rounds)', async (t) => {
  await crashRounds(t, 50, false);
});

test.serial('SIGKILL while background merges run loses no acknowledged write (20 rounds)', async (t) => {
  await crashRounds(t, 20, true);
});
