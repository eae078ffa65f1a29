// test/helpers/crash-stress.ts — the crash test's kill/reopen rounds run by
// hand for as long as asked (not part of the test suite), to hunt a rare
// failure: each round's data directory is copied as the kill left it, before
// the check's open touches it, and on a failure that copy, the writer's ack
// log and the full difference (every key, the acked state against what was
// found, and the nearest prefix of the op stream) are kept under OUT.
// Usage: node dist/test/helpers/crash-stress.js OUT MINUTES [merge|merge-random|plain] [ROUNDS_PER_DIR]
//   merge: merges run, each kill waits for one (as the test);
//   merge-random: merges run, kills at a random delay only; plain: no merges.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyDir } from './tmpdir';
import { CrashOps, KEY_SPACE, applyOp } from './crash-ops';
import { prng } from './random';
import { WINDOW, describeDiff, matchPrefix, readState, runWriter, stateAfter } from './crash-check';

const [out, minutesArg, modeArg = 'merge', perDirArg = '20'] = process.argv.slice(2);
const mode = modeArg;
if (!['merge', 'merge-random', 'plain'].includes(mode)) throw new Error(`unknown mode ${mode}`);
const merge = mode !== 'plain';
const deadline = Date.now() + Number(minutesArg) * 60_000;
const perDir = Number(perDirArg);

/** The prefix length in [0, limit] whose effect is nearest to found (fewest differing keys). */
function nearestPrefix(before: Map<string, string>, found: Map<string, string>, seed: number, round: number, limit: number) {
  const ops = new CrashOps(seed, round);
  const state = new Map(before);
  let differing = 0;
  for (let i = 0; i < KEY_SPACE; i++) if (state.get(`key-${i}`) !== found.get(`key-${i}`)) differing++;
  let best = { length: 0, differing };
  for (let L = 1; L <= limit; L++) {
    const op = ops.next();
    const was = state.get(op.key) === found.get(op.key);
    applyOp(state, op);
    differing += (was ? 1 : 0) - (state.get(op.key) === found.get(op.key) ? 1 : 0);
    if (differing < best.differing) best = { length: L, differing };
  }
  return best;
}

async function main(): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  let rounds = 0;
  let failures = 0;
  let mergesCut = 0;
  let acked = 0;
  while (Date.now() < deadline) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynkv-stress-'));
    const snap = `${dir}.snap`;
    const ackPath = `${dir}.acks`;
    const seed = Math.floor(Math.random() * 2 ** 31);
    const delays = prng(seed);
    let model = new Map<string, string>();
    for (let round = 0; round < perDir && Date.now() < deadline; round++) {
      const r = await runWriter(dir, ackPath, {
        seed,
        round,
        merge,
        delayMs: 20 + Math.floor(delays() * 281),
        waitForMerge: mode === 'merge',
      });
      rounds++;
      acked += r.acked;
      if (r.mergeAtKill) mergesCut++;
      fs.rmSync(snap, { recursive: true, force: true });
      copyDir(dir, snap);
      let problem: string | null = null;
      let found = null;
      try {
        found = readState(dir);
        const matched = matchPrefix(model, found.state, seed, round, r.acked, r.acked + WINDOW);
        if (matched < 0) problem = 'not the effect of any prefix in [acked, acked + WINDOW]';
        else if (found.getMismatch !== null) problem = `get and scan disagree: ${found.getMismatch}`;
        else if (found.statKeys !== found.state.size) problem = `stats().keys ${found.statKeys} but ${found.state.size} keys`;
      } catch (err) {
        problem = `open failed: ${(err as Error).stack}`;
      }
      if (problem !== null) {
        failures++;
        const keep = path.join(out, `fail-${seed}-${round}`);
        fs.rmSync(keep, { recursive: true, force: true });
        fs.renameSync(snap, keep);
        const report: Record<string, unknown> = { seed, round, mode, delayMs: r.delayMs, acked: r.acked, problem, mergeAtKill: r.mergeAtKill };
        if (found !== null) {
          report.diff = describeDiff(stateAfter(model, seed, round, r.acked), found.state, KEY_SPACE);
          report.nearest = nearestPrefix(model, found.state, seed, round, r.acked + 100 * WINDOW);
          report.found = [...found.state];
        }
        report.model = [...model];
        fs.writeFileSync(path.join(keep, 'report.json'), JSON.stringify(report, null, 1));
        fs.writeFileSync(path.join(keep, 'writer.acks'), r.ackLog);
        fs.writeFileSync(path.join(keep, 'writer.stderr'), r.stderr);
        console.log(`FAIL seed ${seed} round ${round} (${problem.split('\n')[0]}): kept in ${keep}`);
        break;
      }
      model = found!.state;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(snap, { recursive: true, force: true });
    fs.rmSync(ackPath, { force: true });
    console.log(`${new Date().toISOString()} ${mode}: ${rounds} rounds, ${acked} acked ops, ${mergesCut} kills during a merge, ${failures} failures`);
  }
}

main().catch((err: Error) => {
  console.error(err.stack);
  process.exit(1);
});
