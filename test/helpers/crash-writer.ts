// test/helpers/crash-writer.ts — child process for engine-crash.test.ts:
// opens DIR in 'always' mode with 64 KiB segments, prints "ready", then
// writes the CrashOps stream of (SEED, ROUND) forever in batches, several
// batches in flight, appending "ack N" to ACKS once the first N ops are
// durable. The parent kills it with SIGKILL at a random moment. With a 5th
// argument "merge", background merges run meanwhile.
// The acks go to a file by write(2), done before the next batch is issued:
// not to stdout, a socket the parent may be slow to drain (a loaded
// machine), whose lines then wait in this process and die with it, while
// the writes they acknowledged went on.
import fs from 'node:fs';
import { open } from '../../engine/index';
import { BATCH, CrashOps, MAX_IN_FLIGHT } from './crash-ops';

const [dir, ackPath, seedArg, roundArg, mergeArg] = process.argv.slice(2);

// With "merge", background merges run every 20 ms so kills also land mid-merge.
const merge = mergeArg === 'merge';
const engine = open(dir, {
  fsync: 'always',
  segmentSize: 64 * 1024,
  mergeIntervalMs: merge ? 20 : 0,
  mergeThreshold: merge ? 0.3 : 0.5,
});
const acks = fs.openSync(ackPath, 'w');
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
        fs.writeSync(acks, `ack ${upto}\n`);
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
