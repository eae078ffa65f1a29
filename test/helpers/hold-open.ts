// test/helpers/hold-open.ts — child process: open a data directory, write
// one key and wait until it is in the file (so a SIGKILL cannot lose it),
// print "ready", and keep it open until killed or until stdin closes.
import { open } from '../../engine/index';

const engine = open(process.argv[2]);
const seq = engine.put('held-by', String(process.pid));
void engine.waitDurable(seq).then(() => process.stdout.write('ready\n'));
const timer = setInterval(() => undefined, 1000);
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => {
  clearInterval(timer);
  engine.close();
  process.exit(0);
});
