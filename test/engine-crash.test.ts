// engine-crash.test.ts — crash safety: a child process writes, overwrites and
// deletes in 'always' mode with small rolling segments and is killed with
// SIGKILL at random moments. After every kill the directory must open
// cleanly, every acknowledged write must be there (acknowledged deletes stay
// deleted), and the state must be exactly the effect of a prefix of the
// writes issued (nothing invented, nothing reordered). Data accumulates
// across rounds on the same directory. With background merges, each kill
// waits for a merge to be running, and most kills must find one cut short
// (its output files left behind). The writer's acks go to a file, so what
// the test counts as acknowledged never depends on how fast it reads the
// writer (helpers/crash-check.ts). Replay with DYNKV_CRASH_SEED=<seed>.
import test, { ExecutionContext } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { open } from '../engine/index';
import { tmpDir } from './helpers/tmpdir';
import { dataFiles, helperScript, hintFiles, removeHints } from './helpers/engine';
import { prng } from './helpers/random';
import { BATCH } from './helpers/crash-ops';
import { WINDOW, WriterRun, describeDiff, matchPrefix, readState, runWriter, sameState, stateAfter } from './helpers/crash-check';

type Kill = Omit<WriterRun, 'seed' | 'round' | 'delayMs'>;

/** Runs the rounds; returns how many ops each acknowledged. */
async function crashRounds(t: ExecutionContext, rounds: number, kill: Kill): Promise<number[]> {
  const root = tmpDir(t);
  const dir = path.join(root, 'data');
  const ackPath = path.join(root, 'acks');
  const seed = Number(process.env.DYNKV_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.log(`seed ${seed}`);
  const delays = prng(seed);
  let model = new Map<string, string>();
  let totalAcked = 0;
  let beyondAck = 0;
  let mergesCut = 0;
  const ackedByRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const r = await runWriter(dir, ackPath, { ...kill, seed, round, delayMs: 20 + Math.floor(delays() * 281) });
    totalAcked += r.acked;
    ackedByRound.push(r.acked);
    if (r.mergeAtKill) mergesCut++;
    let found;
    try {
      found = readState(dir);
    } catch (err) {
      t.fail(`round ${round} (killed after ${r.delayMs} ms, ${r.acked} acked): open failed: ${(err as Error).message}`);
      return ackedByRound;
    }
    const matched = matchPrefix(model, found.state, seed, round, r.acked, r.acked + WINDOW);
    if (matched < 0) {
      t.fail(
        `round ${round} (seed ${seed}, killed ${r.delayMs} ms after ready, ${r.acked} ops acked): ` +
          `the store is not the effect of any prefix of >= ${r.acked} ops\n` +
          describeDiff(stateAfter(model, seed, round, r.acked), found.state),
      );
      return ackedByRound;
    }
    if (found.getMismatch !== null) {
      t.fail(`round ${round}: get and scan disagree: ${found.getMismatch}`);
      return ackedByRound;
    }
    if (found.statKeys !== found.state.size) {
      t.fail(`round ${round}: stats().keys ${found.statKeys} but ${found.state.size} live keys`);
      return ackedByRound;
    }
    beyondAck += matched - r.acked;
    model = found.state;
  }
  t.true(totalAcked > rounds * 10, `the writer got writes acknowledged (${totalAcked} in ${rounds} rounds)`);
  t.log(`${totalAcked} acked ops, ${beyondAck} unacked ops found durable, ${model.size} keys at the end, ${mergesCut} of ${rounds} kills during a merge`);
  if (kill.waitForMerge === true) t.true(mergesCut >= rounds / 2, `a merge was running at ${mergesCut} of ${rounds} kills`);
  removeHints(dir);
  const rescanned = readState(dir);
  t.true(sameState(model, rescanned.state), 'the state is the same when rebuilt from the data files without hints');
  return ackedByRound;
}

test.serial('SIGKILL at random moments loses no acknowledged write (50 rounds)', async (t) => {
  await crashRounds(t, 50, { merge: false });
});

test.serial('SIGKILL while background merges run loses no acknowledged write (20 rounds)', async (t) => {
  await crashRounds(t, 20, { merge: true, waitForMerge: true });
});

// A test process starved of CPU reads the writer's output late: the acks
// must not depend on it. Each kill comes once the writer has made 14 new
// segments (13 full ones: some 6500 ops), past the ~280 short lines (4500
// ops of acks) that its stdout, a socket, holds unread.
test.serial('SIGKILL while the test reads none of the writer output loses no acknowledged write (5 rounds)', async (t) => {
  const acked = await crashRounds(t, 5, { merge: false, stallReading: true, newDataFiles: 14 });
  const unread = 300 * BATCH;
  t.true(acked.every((n) => n > unread), `every round acked more than ${unread} ops: ${acked.join(', ')}`);
});

// A crash between the deletions of a merged segment's hint and data files
// can leave the hint alone. Once the directory's newest files are merged
// away, the next open gives that id to a new segment: the stale hint must
// not describe it when a crash leaves it with the size the hint covers.
test.serial('a hint file left without its data file is not taken for the next data file given its id', async (t) => {
  const dir = tmpDir(t);
  const first = open(dir);
  first.put('stale-k', 'w'.repeat(10));
  first.close();
  t.deepEqual([dataFiles(dir), hintFiles(dir)], [['0000000001.data'], ['0000000001.hint']]);
  const staleSize = fs.statSync(path.join(dir, '0000000001.data')).size;
  fs.unlinkSync(path.join(dir, '0000000001.data'));

  // A new engine writes a key of the same size into a new segment 1 and dies.
  const child = spawn(process.execPath, [helperScript('hold-open'), dir, 'fresh-k', 'v'.repeat(10)], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`hold-open exited ${code}: ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  t.is(fs.statSync(path.join(dir, '0000000001.data')).size, staleSize, 'the new segment 1 has the size the stale hint covers');

  const e = open(dir);
  t.teardown(() => e.close());
  t.is(e.get('fresh-k')?.toString(), 'v'.repeat(10), 'the acknowledged write is there');
  t.is(e.get('stale-k'), null, 'the key of the deleted file is not');
  t.is(e.stats().keys, 1);
  t.is(e.stats().openedByScan, 1, 'segment 1 was read from its records');
});
