// server-data-dir.test.ts — a --dir that cannot be created or used fails the
// start of a real dynkv-server process at once (exit code 1) with a message
// naming the directory: under /proc (where Node's recursive mkdir loops
// forever), under a regular file, a regular file itself, a read-only file
// system, and a directory the server's user may not write (the server runs
// as nobody when the tests run as root). A usable nested path is created.
import test, { ExecutionContext } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { reservePort } from '../redis-compat/ports';
import { tmpDir } from './helpers/tmpdir';
import { mountTmpfs } from './helpers/tmpfs';
import { startServer } from './helpers/server';

const SERVER = path.resolve(__dirname, '../bin/dynkv-server.js');
/** A failed start must end well within this (a loaded machine starts node in ~1 s). */
const BOUND_MS = 15_000;
const NOBODY = 65534;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

async function startFailing(dir: string, uid?: number): Promise<Outcome> {
  const port = await reservePort();
  const started = Date.now();
  const child = spawn(process.execPath, [SERVER, '--port', String(port), '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(uid === undefined ? {} : { uid, gid: NOBODY }),
  });
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - started });
    });
  });
}

async function failsNaming(t: ExecutionContext, dir: string, reason: RegExp, uid?: number): Promise<void> {
  const r = await startFailing(dir, uid);
  t.log(`${dir}: exit ${r.code} after ${r.ms} ms: ${r.stderr.trim()}`);
  t.is(r.signal, null, `the server ended by itself within ${BOUND_MS} ms (it was killed: ${r.signal})`);
  t.is(r.code, 1);
  t.true(r.stderr.includes(`data directory ${dir} `), `the message names the directory: ${r.stderr}`);
  t.regex(r.stderr, reason);
  t.notRegex(r.stderr, / ready: /);
}

test('--dir under /proc fails the start naming it (no endless mkdir)', async (t) => {
  await failsNaming(t, '/proc/dynkv-no-such-dir', /cannot be created: ENOENT/);
  await failsNaming(t, '/proc/self/dynkv/deeper', /cannot be created: ENOENT/);
});

test('--dir under a regular file, or a regular file, fails the start naming it', async (t) => {
  const file = path.join(tmpDir(t), 'plain-file');
  fs.writeFileSync(file, 'x');
  await failsNaming(t, path.join(file, 'data'), /cannot be created: ENOTDIR/);
  await failsNaming(t, file, /exists and is not a directory/);
});

test('--dir on a read-only file system fails the start naming it', async (t) => {
  const mnt = mountTmpfs(t, '1m', 'ro');
  await failsNaming(t, mnt, /is not writable: EROFS/);
  await failsNaming(t, path.join(mnt, 'data'), /cannot be created: EROFS/);
});

test('--dir the server may not write fails the start naming it', async (t) => {
  const root = tmpDir(t);
  fs.chmodSync(root, 0o755);
  const locked = path.join(root, 'locked');
  fs.mkdirSync(locked, { mode: 0o555 });
  fs.chmodSync(locked, 0o555);
  // Root may write anything: then the server runs as nobody.
  const uid = process.getuid?.() === 0 ? NOBODY : undefined;
  await failsNaming(t, locked, /is not writable: EACCES/, uid);
  await failsNaming(t, path.join(locked, 'data'), /cannot be created: EACCES/, uid);
});

test('a nested --dir that does not exist yet is created and used', async (t) => {
  const dir = path.join(tmpDir(t), 'a', 'b', 'c');
  const server = await startServer(t, [], { dir });
  t.true(fs.statSync(dir).isDirectory());
  t.true(fs.existsSync(path.join(dir, 'incarnation')));
  t.is(await server.stop(), 0, server.output());
});
