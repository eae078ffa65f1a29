// ports.test.ts — how tests, the compatibility suite and the benchmarks pick
// ports (redis-compat/ports.ts): client and bus ports below the kernel's
// ephemeral range, free when picked, and locked against other processes
// until the picking process exits; a lock left by a dead process is taken
// over once it is old.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { BUS_PORT_OFFSET, MAX_CLIENT_PORT, MIN_CLIENT_PORT, canListen, lockPath, lockPort, reservePortRun, reservePorts } from '../redis-compat/ports';

const PORTS = path.resolve(__dirname, '../redis-compat/ports.js');

/** Runs `code` in another node process with `ports` as the module; its stdout. */
function inChild(code: string): string {
  const run = spawnSync(process.execPath, ['-e', `const ports = require(${JSON.stringify(PORTS)});\n${code}`], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return run.stdout;
}

test('reserved ports and their bus ports are below the ephemeral range, distinct, free, and locked by this process', async (t) => {
  const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const ports = await reservePorts(20);
  t.is(new Set(ports).size, 20);
  for (const port of ports) {
    t.true(port >= MIN_CLIENT_PORT && port <= MAX_CLIENT_PORT, String(port));
    t.true(port + BUS_PORT_OFFSET < low, `bus port ${port + BUS_PORT_OFFSET} is below the ephemeral range from ${low}`);
    t.true(await canListen(port));
    t.true(await canListen(port + BUS_PORT_OFFSET));
    t.is(fs.readFileSync(lockPath(port), 'utf8'), String(process.pid));
  }
  const base = await reservePortRun(3);
  for (let p = base; p < base + 3; p++) t.is(fs.readFileSync(lockPath(p), 'utf8'), String(process.pid));
});

test('another process cannot lock a reserved port; the locks go when their process exits', async (t) => {
  const [mine] = await reservePorts(1);
  t.is(inChild(`process.stdout.write(String(ports.lockPort(${mine})))`), 'false');
  const theirs = Number(inChild('ports.reservePort().then((p) => process.stdout.write(String(p)))'));
  t.true(theirs >= MIN_CLIENT_PORT && theirs <= MAX_CLIENT_PORT);
  t.false(fs.existsSync(lockPath(theirs)), 'removed at exit');
});

test('a lock left by a dead process is taken over once it is old, not before', async (t) => {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.once('exit', resolve));
  const base = await reservePortRun(1);
  // A port of this process's own, made to look left behind by the dead process.
  fs.writeFileSync(lockPath(base), String(dead.pid));
  t.false(lockPort(base), 'a fresh lock may be one its owner is still writing');
  const old = new Date(Date.now() - 3_600_000);
  fs.utimesSync(lockPath(base), old, old);
  t.true(lockPort(base));
  t.is(fs.readFileSync(lockPath(base), 'utf8'), String(process.pid));
});
