// cluster-cli.test.ts — `dynkv cluster start|status|stop|restart`
// (bin/dynkv.ts) as a user runs it: separate detached dynkv-server processes
// on consecutive ports, each given the whole member list, answering PING;
// status seeing a node die; a second start refused; stop leaving no process
// behind; a node restarted by hand seen up by status and stopped by stop;
// restart of one node.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { alive, ping } from '../bin/cluster-launch';
import { reservePortRun } from '../redis-compat/ports';
import { RawClient } from '../redis-compat/raw-client';
import { tmpDir } from './helpers/tmpdir';

const CLI = path.resolve(__dirname, '../bin/dynkv.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function dynkv(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** Gone, or a zombie nobody reaped yet (the nodes' parent, the CLI, has exited). */
function gone(pid: number): boolean {
  if (!alive(pid)) return true;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true; // exited meanwhile
    throw err;
  }
  return /^\d+ \(.*\) Z/.test(stat);
}

test('cluster start, status, stop', async (t) => {
  const dir = path.join(tmpDir(t), 'cluster');
  const base = await reservePortRun(3);
  const ports = [base, base + 1, base + 2];
  const pids: number[] = [];
  t.teardown(() => {
    for (const pid of pids) if (!gone(pid)) process.kill(pid, 'SIGKILL');
  });

  const started = await dynkv('cluster', 'start', '--nodes', '3', '--base-port', String(base), '--dir', dir, '--weights', '1,2,1', '--fault-injection');
  t.is(started.code, 0, started.stderr);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { secret: string; n: number; r: number; w: number; nodes: { port: number; busPort: number; weight: number; pid: number }[] };
  pids.push(...state.nodes.map((n) => n.pid));
  t.regex(state.secret, /^[0-9a-f]{48}$/);
  t.is(fs.statSync(path.join(dir, 'cluster.json')).mode & 0o777, 0o600);
  t.deepEqual([state.n, state.r, state.w], [3, 2, 2]);
  t.deepEqual(
    state.nodes.map((n) => [n.port, n.busPort, n.weight]),
    ports.map((p, i) => [p, p + 10000, i === 1 ? 2 : 1]),
  );
  t.is(started.stdout.split('\n').filter((l) => l.startsWith('node ')).length, 3);
  t.regex(started.stdout, new RegExp(`redis-cli -h 127.0.0.1 -p ${base}`));

  // Separate processes, each answering on its port, each told the whole cluster.
  t.is(new Set(pids).size, 3);
  const members = ports.map((p, i) => `127.0.0.1:${p}@${p + 10000}=${i === 1 ? 2 : 1}`).join(',');
  for (const [i, port] of ports.entries()) {
    t.true(await ping('127.0.0.1', port));
    t.true(fs.existsSync(path.join(dir, `node-${port}`, 'data')));
    t.regex(fs.readFileSync(path.join(dir, `node-${port}`, 'log.txt'), 'utf8'), / ready: /);
    const c = await RawClient.connect(port);
    const reply = await c.call(['CONFIG', 'GET', 'cluster-*']);
    c.close();
    const config = new Map<string, string>();
    const items = reply?.items ?? [];
    for (let k = 0; k < items.length; k += 2) config.set(String(items[k].data), String(items[k + 1].data));
    t.is(config.get('cluster-nodes'), members);
    t.is(config.get('cluster-port'), String(port + 10000));
    t.false(config.has('cluster-secret'));
    t.is(config.get('cluster-secret-file'), path.join(path.resolve(dir), 'cluster-secret'));
    t.is(config.get('cluster-n'), '3', `node ${i}`);
    t.false(fs.readFileSync(`/proc/${state.nodes[i].pid}/cmdline`, 'latin1').includes(state.secret), 'the secret is not on the command line');
  }
  t.is(fs.readFileSync(path.join(dir, 'cluster-secret'), 'utf8'), `${state.secret}\n`);
  t.is(fs.statSync(path.join(dir, 'cluster-secret')).mode & 0o777, 0o600);

  const again = await dynkv('cluster', 'start', '--nodes', '3', '--base-port', String(base), '--dir', dir);
  t.is(again.code, 1);
  t.regex(again.stderr, /a cluster is already running from .* \(pids \d+, \d+, \d+\)/);

  const status = await dynkv('cluster', 'status', '--dir', dir);
  t.is(status.code, 0, status.stderr);
  t.is(status.stdout.split('\n').filter((l) => / up$/.test(l)).length, 3);

  process.kill(pids[1], 'SIGKILL');
  while (!gone(pids[1])) await new Promise((r) => setTimeout(r, 20));
  const degraded = await dynkv('cluster', 'status', '--dir', dir);
  t.is(degraded.code, 1);
  t.regex(degraded.stdout, new RegExp(`node 127.0.0.1:${base + 1} .* down\n`));

  const stopped = await dynkv('cluster', 'stop', '--dir', dir);
  t.is(stopped.code, 0, stopped.stderr);
  t.deepEqual(
    stopped.stdout.trim().split('\n').map((l) => l.replace(/.*pid \d+ +/, '')),
    ['stopped', 'was not running', 'stopped'],
  );
  t.true(pids.every(gone));
  t.false(fs.existsSync(path.join(dir, 'cluster.json')));
  for (const port of ports) t.false(await ping('127.0.0.1', port));
  t.true(fs.existsSync(path.join(dir, `node-${base}`, 'log.txt')), 'logs stay after stop');

  const none = await dynkv('cluster', 'stop', '--dir', dir);
  t.is(none.code, 1);
  t.regex(none.stderr, /no cluster to stop/);
});

test('cluster start refuses a port in use and bad quorums', async (t) => {
  const dir = path.join(tmpDir(t), 'cluster');
  const base = await reservePortRun(2);
  const blocker = net.createServer().listen(base + 10001, '127.0.0.1');
  t.teardown(() => void blocker.close());
  await new Promise((r) => blocker.once('listening', r));
  const busy = await dynkv('cluster', 'start', '--nodes', '2', '--base-port', String(base), '--dir', dir);
  t.is(busy.code, 1);
  t.is(busy.stderr.trim(), `dynkv: node 127.0.0.1:${base + 1}: bus port ${base + 10001} is in use`);
  t.false(fs.existsSync(path.join(dir, 'cluster.json')));

  const quorum = await dynkv('cluster', 'start', '--nodes', '2', '--base-port', String(base), '--dir', dir, '--w', '3');
  t.is(quorum.code, 1);
  t.is(quorum.stderr.trim(), 'dynkv: cluster-w 3 is more than cluster-n 2');
});

test('cluster start --secret-file: the secret comes from the file, never from argv; not with --secret too', async (t) => {
  const root = tmpDir(t);
  const dir = path.join(root, 'cluster');
  const file = path.join(root, 'secret.txt');
  fs.writeFileSync(file, 'a-secret-from-a-file\n', { mode: 0o600 });
  const base = await reservePortRun(1);
  const both = await dynkv('cluster', 'start', '--nodes', '1', '--base-port', String(base), '--dir', dir, '--secret', 'x', '--secret-file', file);
  t.is(both.code, 1);
  t.is(both.stderr.trim(), 'dynkv: give --secret or --secret-file, not both');
  const missing = await dynkv('cluster', 'start', '--nodes', '1', '--base-port', String(base), '--dir', dir, '--secret-file', path.join(root, 'none'));
  t.is(missing.code, 1);
  t.regex(missing.stderr, /can't read cluster-secret-file '.*none'/);
  const started = await dynkv('cluster', 'start', '--nodes', '1', '--base-port', String(base), '--dir', dir, '--secret-file', file);
  t.is(started.code, 0, started.stderr);
  const pids = readPids(dir);
  t.teardown(() => {
    for (const pid of pids) if (!gone(pid)) process.kill(pid, 'SIGKILL');
  });
  t.is(fs.readFileSync(path.join(dir, 'cluster-secret'), 'utf8'), 'a-secret-from-a-file\n');
  t.is((JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { secret: string }).secret, 'a-secret-from-a-file');
  const stopped = await dynkv('cluster', 'stop', '--dir', dir);
  t.is(stopped.code, 0, stopped.stderr);
});

function readPids(dir: string): number[] {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { nodes: { pid: number }[] }).nodes.map((n) => n.pid);
}

async function waitGone(pid: number): Promise<void> {
  while (!gone(pid)) await new Promise((r) => setTimeout(r, 20));
}

/** Kills the node with SIGKILL and starts it again as a user would by hand: the same command line, not through dynkv cluster. */
async function restartByHand(pid: number, port: number, own: number[]): Promise<number> {
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').slice(0, -1);
  process.kill(pid, 'SIGKILL');
  await waitGone(pid);
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true });
  child.unref();
  own.push(child.pid as number);
  while (!(await ping('127.0.0.1', port))) await new Promise((r) => setTimeout(r, 50));
  return child.pid as number;
}

test('a node restarted by hand: status asks it (up, its new pid), stop stops it; restart --node restarts one node', async (t) => {
  const dir = path.join(tmpDir(t), 'cluster');
  const base = await reservePortRun(2);
  const pids: number[] = [];
  t.teardown(() => {
    for (const pid of pids) if (!gone(pid)) process.kill(pid, 'SIGKILL');
  });
  const started = await dynkv('cluster', 'start', '--nodes', '2', '--base-port', String(base), '--dir', dir);
  t.is(started.code, 0, started.stderr);
  const [first, second] = readPids(dir);
  pids.push(first, second);

  const byHand = await restartByHand(second, base + 1, pids);
  const status = await dynkv('cluster', 'status', '--dir', dir);
  t.is(status.code, 0, status.stdout);
  t.regex(status.stdout, new RegExp(`node 127\\.0\\.0\\.1:${base + 1}  bus ${base + 10001}  weight 1  pid ${byHand} \\(recorded ${second}\\)  up\n`));
  t.deepEqual(readPids(dir), [first, byHand], 'cluster.json follows the pid the node reports');

  const restarted = await dynkv('cluster', 'restart', '--node', String(base + 1), '--dir', dir);
  t.is(restarted.code, 0, restarted.stderr);
  t.true(gone(byHand));
  const [, fresh] = readPids(dir);
  pids.push(fresh);
  t.not(fresh, byHand);
  t.deepEqual(restarted.stdout.trim().split('\n'), [`node 127.0.0.1:${base + 1}  pid ${byHand}  stopped`, `node 127.0.0.1:${base + 1}  pid ${fresh}  started`]);
  t.true(await ping('127.0.0.1', base + 1));
  t.regex(fs.readFileSync(path.join(dir, `node-${base + 1}`, 'log.txt'), 'utf8'), new RegExp(`ready: port ${base + 1}.*pid ${fresh}`));

  // A node that is not running is started.
  process.kill(fresh, 'SIGKILL');
  await waitGone(fresh);
  const revived = await dynkv('cluster', 'restart', '--node', String(base + 1), '--dir', dir);
  t.is(revived.code, 0, revived.stderr);
  t.regex(revived.stdout, new RegExp(`^node 127\\.0\\.0\\.1:${base + 1}  pid ${fresh}  was not running\nnode 127\\.0\\.0\\.1:${base + 1}  pid (\\d+)  started\n$`));
  const [, last] = readPids(dir);
  pids.push(last);
  const unknown = await dynkv('cluster', 'restart', '--node', String(base + 5), '--dir', dir);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, new RegExp(`no node on port ${base + 5} in .*cluster\\.json \\(ports ${base}, ${base + 1}\\)`));

  // Restarted by hand again, cluster.json not told: stop asks the node for its pid.
  const again = await restartByHand(first, base, pids);
  const stopped = await dynkv('cluster', 'stop', '--dir', dir);
  t.is(stopped.code, 0, stopped.stderr);
  t.deepEqual(stopped.stdout.trim().split('\n'), [`node 127.0.0.1:${base}  pid ${again} (recorded ${first})  stopped`, `node 127.0.0.1:${base + 1}  pid ${last}  stopped`]);
  t.true(pids.every(gone));
  for (const port of [base, base + 1]) t.false(await ping('127.0.0.1', port));
});
