// test/helpers/hold-open.ts — child process: open a data directory, print
// "ready", and keep it open until killed or until stdin closes.
import { open } from '../../engine/index';

const engine = open(process.argv[2]);
engine.put('held-by', String(process.pid));
process.stdout.write('ready\n');
const timer = setInterval(() => undefined, 1000);
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => {
  clearInterval(timer);
  engine.close();
  process.exit(0);
});
