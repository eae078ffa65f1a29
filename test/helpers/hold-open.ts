// test/helpers/hold-open.ts — child process: open a data directory, write
// one key (KEY, default "held-by") with VALUE (default: this pid) and wait
// until it is in the file (so a SIGKILL cannot lose it), print "ready", and
// keep it open until killed or until stdin closes.
// Usage: node hold-open.js DIR [KEY VALUE]
import { open } from '../../engine/index';

const [dir, key = 'held-by', value = String(process.pid)] = process.argv.slice(2);
const engine = open(dir);
const seq = engine.put(key, value);
void engine.waitDurable(seq).then(() => process.stdout.write('ready\n'));
const timer = setInterval(() => undefined, 1000);
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => {
  clearInterval(timer);
  engine.close();
  process.exit(0);
});
