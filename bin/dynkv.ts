#!/usr/bin/env node
// bin/dynkv.ts — the admin CLI. `dynkv cluster start|stop|status` runs a
// local cluster of separate dynkv-server processes for trying dynkv out,
// as Redis's utils/create-cluster does: node i on base-port + i, its data in
// DIR/node-PORT/data and its output in DIR/node-PORT/log.txt, and what
// stop and status need (ports, pids, the secret) in DIR/cluster.json.
// The nodes are detached: they outlive this command.
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../server/config';
import { alive, nodeArgs, ping, planLocalCluster, portFree, spawnNode, waitUntilAnswering, type LocalCluster } from './cluster-launch';

/** DIR/cluster.json. */
interface ClusterFile {
  host: string;
  secret: string;
  n: number;
  r: number;
  w: number;
  nodes: { port: number; busPort: number; weight: number; pid: number }[];
}

/** A refusal or failure to report in one line, without a stack. */
class CliError extends Error {}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 20;

function integer(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw new InvalidArgumentError(`Not an integer from ${min} to ${max}.`);
    return n;
  };
}

function weightList(text: string): number[] {
  const weights = text.split(',').map((w) => Number(w));
  if (weights.some((w) => !Number.isInteger(w) || w < 1)) throw new InvalidArgumentError('Not a comma-separated list of positive integers.');
  return weights;
}

const nodeDir = (dir: string, port: number): string => path.join(dir, `node-${port}`);
const stateFile = (dir: string): string => path.join(dir, 'cluster.json');

function readState(dir: string): ClusterFile | null {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as ClusterFile;
  } catch (err) {
    throw new CliError(`${stateFile(dir)} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Whether pid is still the dynkv-server started on this port: a pid that
 * exited may be reused by another process, which must not be signalled. On
 * Linux /proc tells (a zombie's cmdline is empty); elsewhere only the pid.
 */
function running(pid: number, port: number): boolean {
  if (!alive(pid)) return false;
  if (!fs.existsSync('/proc/self/cmdline')) return true;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // exited meanwhile
    throw err;
  }
  const argv = cmdline.split('\0');
  const at = argv.indexOf('--port');
  return argv.some((a) => a.endsWith('dynkv-server.js')) && at >= 0 && argv[at + 1] === String(port);
}


function logTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
}

/** SIGTERM to each live node, SIGKILL to those still there after 10 s; returns one line per node. */
async function stopNodes(nodes: ClusterFile['nodes'], host: string): Promise<string[]> {
  const live = nodes.filter((n) => running(n.pid, n.port));
  for (const n of live) process.kill(n.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (live.some((n) => running(n.pid, n.port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const killed = live.filter((n) => running(n.pid, n.port));
  for (const n of killed) process.kill(n.pid, 'SIGKILL');
  // SIGKILL is not refused; the short wait is for the kernel to free the ports.
  while (killed.some((n) => running(n.pid, n.port)) && Date.now() < deadline + 1000) await new Promise((r) => setTimeout(r, 20));
  return nodes.map((n) => {
    const what = !live.includes(n) ? 'was not running' : killed.includes(n) ? `killed (still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM)` : 'stopped';
    return `node ${host}:${n.port}  pid ${n.pid}  ${what}`;
  });
}

interface StartOptions {
  nodes: number;
  basePort: number;
  dir: string;
  n?: number;
  r?: number;
  w?: number;
  secret?: string;
  weights?: number[];
  host: string;
  faultInjection: boolean;
}

async function start(o: StartOptions): Promise<void> {
  const old = readState(o.dir);
  const live = old?.nodes.filter((n) => running(n.pid, n.port)) ?? [];
  if (live.length > 0) throw new CliError(`a cluster is already running from ${o.dir} (pids ${live.map((n) => n.pid).join(', ')}): stop it first with dynkv cluster stop --dir ${o.dir}`);
  if (o.weights !== undefined && o.weights.length !== o.nodes) throw new CliError(`--weights gives ${o.weights.length} weights for ${o.nodes} nodes`);
  const ports = Array.from({ length: o.nodes }, (_, i) => o.basePort + i);
  let cluster: LocalCluster;
  try {
    cluster = planLocalCluster({ host: o.host, ports, weights: o.weights, n: o.n, r: o.r, w: o.w, secret: o.secret, faultInjection: o.faultInjection });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  for (const m of cluster.members) {
    for (const [what, port] of [['client', m.port], ['bus', m.busPort]] as const) {
      if (!(await portFree(m.host, port))) throw new CliError(`node ${m.host}:${m.port}: ${what} port ${port} is in use`);
    }
  }
  const state: ClusterFile = { host: o.host, secret: cluster.secret, n: cluster.n, r: cluster.r, w: cluster.w, nodes: [] };
  const children = cluster.members.map((m) => {
    const dir = nodeDir(o.dir, m.port);
    fs.mkdirSync(dir, { recursive: true });
    const child = spawnNode(nodeArgs(cluster, m, path.resolve(dir, 'data')), path.join(dir, 'log.txt'));
    state.nodes.push({ port: m.port, busPort: m.busPort, weight: m.weight, pid: child.pid ?? -1 });
    return child;
  });
  // Written before waiting, so `stop` finds the nodes even if this command is interrupted.
  fs.writeFileSync(stateFile(o.dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  const failure = await waitUntilAnswering(cluster.members, children, START_TIMEOUT_MS);
  if (failure !== null) {
    const lines = await stopNodes(state.nodes, o.host);
    fs.rmSync(stateFile(o.dir), { force: true });
    const m = cluster.members[failure.index];
    const log = path.join(nodeDir(o.dir, m.port), 'log.txt');
    throw new CliError(`node ${m.host}:${m.port} ${failure.why}; last lines of ${log}:\n${logTail(log)}\n\nstopped the cluster:\n${lines.join('\n')}`);
  }
  for (const [i, m] of cluster.members.entries()) {
    const dir = nodeDir(o.dir, m.port);
    console.log(`node ${m.host}:${m.port}  bus ${m.busPort}  weight ${m.weight}  pid ${state.nodes[i].pid}  data ${path.join(dir, 'data')}  log ${path.join(dir, 'log.txt')}`);
  }
  console.log(`${cluster.members.length} nodes up: N=${cluster.n} R=${cluster.r} W=${cluster.w}; the cluster secret is in ${stateFile(o.dir)}`);
  console.log(`try: redis-cli -h ${o.host} -p ${o.basePort}    stop: dynkv cluster stop --dir ${o.dir}`);
}

async function stop(dir: string): Promise<void> {
  const state = readState(dir);
  if (state === null) throw new CliError(`no cluster to stop: ${stateFile(dir)} does not exist`);
  for (const line of await stopNodes(state.nodes, state.host)) console.log(line);
  fs.rmSync(stateFile(dir));
}

async function status(dir: string): Promise<void> {
  const state = readState(dir);
  if (state === null) throw new CliError(`no cluster here: ${stateFile(dir)} does not exist`);
  console.log(`N=${state.n} R=${state.r} W=${state.w}`);
  let allUp = true;
  for (const n of state.nodes) {
    const alive = running(n.pid, n.port);
    const answers = alive && (await ping(state.host, n.port));
    allUp &&= answers;
    const what = answers ? 'up' : alive ? 'down (running, not answering PING)' : 'down';
    console.log(`node ${state.host}:${n.port}  bus ${n.busPort}  weight ${n.weight}  pid ${n.pid}  ${what}`);
  }
  if (!allUp) process.exitCode = 1;
}

function program(): Command {
  const dynkv = new Command('dynkv').description('dynkv admin CLI');
  const cluster = dynkv.command('cluster').description('a local cluster of dynkv-server processes on this machine');
  cluster
    .command('start')
    .description('start a local cluster: node i on base-port + i, each a detached dynkv-server process')
    .option('--nodes <count>', 'number of nodes', integer(1, 1000), 3)
    .option('--base-port <port>', 'client port of the first node (bus ports: port + 10000)', integer(1, 65535), 7000)
    .option('--dir <path>', 'directory for the nodes\' data, logs and cluster.json', './dynkv-cluster')
    .option('--n <count>', 'replicas per key (default: min(3, nodes))', integer(1, 16384))
    .option('--r <count>', 'read quorum (default: a majority of N)', integer(1, 16384))
    .option('--w <count>', 'write quorum (default: a majority of N)', integer(1, 16384))
    .option('--secret <secret>', 'cluster secret (default: a random one, kept in cluster.json)')
    .option('--weights <list>', 'weight of each node, comma-separated, e.g. 1,2,1', weightList)
    .option('--host <address>', 'address the nodes bind and are named by', '127.0.0.1')
    .option('--fault-injection', 'start the nodes with --enable-fault-injection yes', false)
    .action((o: StartOptions) => start(o));
  cluster
    .command('stop')
    .description('stop the nodes of a local cluster (SIGTERM, then SIGKILL after 10 s); data and logs stay')
    .option('--dir <path>', 'the directory given to start', './dynkv-cluster')
    .action((o: { dir: string }) => stop(o.dir));
  cluster
    .command('status')
    .description('whether each node of a local cluster is up (answers PING); exit code 1 when one is not')
    .option('--dir <path>', 'the directory given to start', './dynkv-cluster')
    .action((o: { dir: string }) => status(o.dir));
  return dynkv;
}

program()
  .parseAsync(process.argv)
  .catch((err: Error) => {
    console.error(`dynkv: ${err instanceof CliError ? err.message : (err.stack ?? err.message)}`);
    process.exit(1);
  });
