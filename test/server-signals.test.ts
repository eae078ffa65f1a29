// server-signals.test.ts — a SIGTERM sent the moment dynkv-server prints its
// ready line (as a supervisor or test harness does) shuts it down cleanly
// (exit 0, "SIGTERM received"), never by the signal's default action: the
// handlers are installed before the line is printed.
import test from 'ava';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { reservePort } from '../redis-compat/ports';
import { tmpDir } from './helpers/tmpdir';

const SERVER = path.resolve(__dirname, '../bin/dynkv-server.js');
const RUNS = 12;

function termAtReady(dir: string, port: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, '--port', String(port), '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && out.includes(' ready: ')) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

test('SIGTERM at the ready line shuts down cleanly, every time', async (t) => {
  const root = tmpDir(t);
  const outcomes: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await termAtReady(path.join(root, `d${i}`), await reservePort());
    outcomes.push(r.signal !== null ? `killed by ${r.signal}` : r.code === 0 && /SIGTERM received, shutting down/.test(r.out) ? 'clean' : `exit ${r.code}: ${r.out}`);
  }
  t.deepEqual(outcomes, new Array(RUNS).fill('clean'));
});
