// test/helpers/compact-crasher.ts — child process for engine-compaction.test.ts:
// opens DATA_DIR, loads MODEL (the state the parent verified last round, or
// empty), adds ROUND's writes (puts, overwrites, deletes, expired and
// far-future expiries), flushes, writes the new model to MODEL atomically,
// prints "ready", then runs compact({all: true}) in a loop, doing nothing
// else, printing "compacted" after each, until the parent SIGKILLs it.
import fs from 'node:fs';
import { open } from '../../engine/index';
import { prng } from './random';

export interface ModelEntry {
  value: string;
  expireAt: number;
}

const [dataDir, modelPath, seedArg, roundArg] = process.argv.slice(2);
const round = Number(roundArg);
const rand = prng((Number(seedArg) ^ Math.imul(round + 1, 0x85ebca6b)) >>> 0);
const KEYS = 1500;

async function main(): Promise<void> {
  const engine = open(dataDir, { segmentSize: 32 * 1024, mergeIntervalMs: 0 });
  const model = new Map<string, ModelEntry>(
    fs.existsSync(modelPath) ? (JSON.parse(fs.readFileSync(modelPath, 'utf8')) as [string, ModelEntry][]) : [],
  );
  const now = Date.now();
  for (let i = 0; i < 2000; i++) {
    const key = `ck-${Math.floor(rand() * KEYS)}`;
    const p = rand();
    if (p < 0.2) {
      engine.delete(key);
      model.delete(key);
    } else if (p < 0.25) {
      engine.put(key, `expired-r${round}-${i}`, { expireAt: now - 1000 });
      model.delete(key);
    } else {
      const expireAt = p < 0.3 ? now + 3_600_000 + i : 0;
      const value = `r${round}-${i}-`.padEnd(100 + Math.floor(rand() * 1400), 'z');
      engine.put(key, value, { expireAt });
      model.set(key, { value, expireAt });
    }
  }
  await engine.flush();
  fs.writeFileSync(`${modelPath}.tmp`, JSON.stringify([...model]));
  fs.renameSync(`${modelPath}.tmp`, modelPath);
  process.stdout.write('ready\n');
  for (;;) {
    const started = Date.now();
    await engine.compact({ all: true });
    process.stdout.write(`compacted ${Date.now() - started} ms\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`compact-crasher failed: ${err.stack}\n`);
  process.exit(3);
});
