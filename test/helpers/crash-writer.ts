// test/helpers/crash-writer.ts — child process for engine-crash.test.ts:
// opens DIR in 'always' mode with 64 KiB segments, prints "ready", then
// writes the CrashOps stream of (SEED, ROUND) forever in batches, several
// batches in flight, printing "ack N" once the first N ops are durable.
// The parent kills it with SIGKILL at a random moment. With a 4th argument
// "merge", background merges run meanwhile.
import { open } from '../../engine/index';
import { CrashOps } from './crash-ops';

const [dir, seedArg, roundArg, mergeArg] = process.argv.slice(2);
const BATCH = 16;
const MAX_IN_FLIGHT = 4;

// With "merge", background merges run every 20 ms so kills also land mid-merge.
const merge = mergeArg === 'merge';
const engine = open(dir, {
  fsync: 'always',
  segmentSize: 64 * 1024,
  mergeIntervalMs: merge ? 20 : 0,
  mergeThreshold: merge ? 0.3 : 0.5,
});
const ops = new CrashOps(Number(seedArg), Number(roundArg));
let issued = 0;
let inFlight = 0;

function pump(): void {
  while (inFlight < MAX_IN_FLIGHT) {
    for (let k = 0; k < BATCH; k++) {
      const op = ops.next();
      if (op.kind === 'put') engine.put(op.key, op.value);
      else engine.delete(op.key);
      issued++;
    }
    const upto = issued;
    inFlight++;
    engine.waitDurable(engine.lastSeq).then(
      () => {
        inFlight--;
        process.stdout.write(`ack ${upto}\n`);
        setImmediate(pump);
      },
      (err: Error) => {
        process.stderr.write(`waitDurable failed: ${err.stack}\n`);
        process.exit(3);
      },
    );
  }
}

process.stdout.write('ready\n');
pump();
