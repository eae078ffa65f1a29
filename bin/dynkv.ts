#!/usr/bin/env node
// bin/dynkv.ts — the admin CLI. `dynkv cluster start|stop|status|restart`
// runs a local cluster of separate dynkv-server processes for trying dynkv
// out, as Redis's utils/create-cluster does: node i on base-port + i, its
// data in DIR/node-PORT/data and its output in DIR/node-PORT/log.txt, the
// secret in DIR/cluster-secret, and what stop, status and restart need
// (ports, pids, N/R/W, the secret) in DIR/cluster.json. The nodes are
// detached: they outlive this command. status and stop ask each node (PING,
// INFO) rather than trust the recorded pid, so a node restarted by hand is
// seen and stopped; the pids recorded follow what the nodes report.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, readSecretFile } from '../server/config';
import { alive, askNode, nodeArgs, planLocalCluster, portFree, spawnNode, waitUntilAnswering, writeSecretFile, type LocalCluster, type LocalMember } from './cluster-launch';

interface NodeRecord {
  port: number;
  busPort: number;
  weight: number;
  /** The node's process: as started, or as last found serving its port. */
  pid: number;
}

/** DIR/cluster.json. */
interface ClusterFile {
  host: string;
  secret: string;
  n: number;
  r: number;
  w: number;
  /** Started with --fault-injection (absent in files of older versions: no). */
  faultInjection?: boolean;
  nodes: NodeRecord[];
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
 * The argv of pid when it is a dynkv-server process (not a zombie), from
 * /proc on Linux (a zombie's cmdline is empty); elsewhere [] when the pid
 * exists. Null when it is not.
 */
function dynkvArgv(pid: number): string[] | null {
  if (!alive(pid)) return null;
  if (!fs.existsSync('/proc/self/cmdline')) return [];
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // exited meanwhile
    throw err;
  }
  const argv = cmdline.split('\0');
  return argv.some((a) => a.endsWith('dynkv-server.js')) ? argv : null;
}

/**
 * Whether a recorded pid is still the dynkv-server started on this port: a
 * pid that exited may be reused by another process, which must not be
 * signalled.
 */
function running(pid: number, port: number): boolean {
  const argv = dynkvArgv(pid);
  if (argv === null) return false;
  if (argv.length === 0) return true;
  const at = argv.indexOf('--port');
  return at >= 0 && argv[at + 1] === String(port);
}

function logTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
}

/** Sends a signal; a process that exited meanwhile (ESRCH) has nothing left to stop. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What serves a node's port, by asking it, and whether its recorded pid still runs. */
interface Found {
  node: NodeRecord;
  /** The pid the node reports (INFO process_id), when it answers as this member. */
  reported: number | null;
  /** What answered on the port when it is not this member (another server). */
  stranger: string | null;
  /** The processes to stop: the reported pid, and the recorded one if it still runs. */
  pids: number[];
}

async function find(host: string, node: NodeRecord): Promise<Found> {
  const answer = await askNode(host, node.port);
  const id = `${host.includes(':') ? `[${host}]` : host}:${node.port}`;
  const member = answer !== null && typeof answer !== 'string' && answer.nodeId === id ? answer : null;
  const stranger = answer === null || member !== null ? null : typeof answer === 'string' ? answer : `it is node ${answer.nodeId}`;
  const pids = new Set<number>();
  if (member !== null) pids.add(member.pid);
  if (running(node.pid, node.port)) pids.add(node.pid);
  return { node, reported: member?.pid ?? null, stranger, pids: [...pids] };
}

/**
 * Stops what serves each node's port: the pid the node reports (it may have
 * been restarted by hand) and the recorded pid if it still runs. SIGTERM,
 * SIGKILL to those still there after 10 s. Records the pids stopped; returns
 * one line per node.
 */
async function stopNodes(nodes: readonly NodeRecord[], host: string): Promise<string[]> {
  const found = await Promise.all(nodes.map((n) => find(host, n)));
  const pids = found.flatMap((f) => f.pids);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some((pid) => dynkvArgv(pid) !== null) && Date.now() < deadline) await sleep(50);
  const killed = pids.filter((pid) => dynkvArgv(pid) !== null);
  for (const pid of killed) signal(pid, 'SIGKILL');
  // SIGKILL is not refused; the short wait is for the kernel to free the ports.
  while (killed.some((pid) => dynkvArgv(pid) !== null) && Date.now() < deadline + 1000) await sleep(20);
  return found.map((f) => {
    const pid = f.pids[0] ?? f.node.pid;
    const recorded = pid === f.node.pid ? '' : ` (recorded ${f.node.pid})`;
    f.node.pid = pid;
    let what: string;
    if (f.pids.length === 0) what = f.stranger === null ? 'was not running' : `was not running (port ${f.node.port} is served by something else: ${f.stranger})`;
    else if (f.pids.some((p) => killed.includes(p))) what = `killed (still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM)`;
    else what = 'stopped';
    return `node ${host}:${f.node.port}  pid ${pid}${recorded}  ${what}`;
  });
}

/** The plan the nodes were started with, as cluster.json recorded it. */
function recordedCluster(state: ClusterFile): LocalCluster {
  const members = state.nodes.map((n) => ({ host: state.host, port: n.port, busPort: n.busPort, weight: n.weight }));
  return { members, n: state.n, r: state.r, w: state.w, secret: state.secret, faultInjection: state.faultInjection ?? false };
}

function writeState(dir: string, state: ClusterFile): void {
  fs.writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

interface StartOptions {
  nodes: number;
  basePort: number;
  dir: string;
  n?: number;
  r?: number;
  w?: number;
  secret?: string;
  secretFile?: string;
  weights?: number[];
  host: string;
  faultInjection: boolean;
}

async function start(o: StartOptions): Promise<void> {
  const old = readState(o.dir);
  const live = old === null ? [] : (await Promise.all(old.nodes.map((n) => find(old.host, n)))).flatMap((f) => f.pids);
  if (live.length > 0) throw new CliError(`a cluster is already running from ${o.dir} (pids ${live.join(', ')}): stop it first with dynkv cluster stop --dir ${o.dir}`);
  if (o.weights !== undefined && o.weights.length !== o.nodes) throw new CliError(`--weights gives ${o.weights.length} weights for ${o.nodes} nodes`);
  const ports = Array.from({ length: o.nodes }, (_, i) => o.basePort + i);
  if (o.secret !== undefined && o.secretFile !== undefined) throw new CliError('give --secret or --secret-file, not both');
  let cluster: LocalCluster;
  try {
    const secret = o.secretFile !== undefined ? readSecretFile(o.secretFile) : o.secret;
    cluster = planLocalCluster({ host: o.host, ports, weights: o.weights, n: o.n, r: o.r, w: o.w, secret, faultInjection: o.faultInjection });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  for (const m of cluster.members) await checkPortsFree(m);
  fs.mkdirSync(o.dir, { recursive: true });
  const secretFile = writeSecretFile(cluster, o.dir);
  const state: ClusterFile = { host: o.host, secret: cluster.secret, n: cluster.n, r: cluster.r, w: cluster.w, faultInjection: cluster.faultInjection, nodes: [] };
  const children = cluster.members.map((m) => {
    const child = spawnMember(o.dir, cluster, m, secretFile);
    state.nodes.push({ port: m.port, busPort: m.busPort, weight: m.weight, pid: child.pid ?? -1 });
    return child;
  });
  // Written before waiting, so `stop` finds the nodes even if this command is interrupted.
  writeState(o.dir, state);
  const failure = await waitUntilAnswering(cluster.members, children, START_TIMEOUT_MS);
  if (failure !== null) {
    const lines = await stopNodes(state.nodes, o.host);
    fs.rmSync(stateFile(o.dir), { force: true });
    const m = cluster.members[failure.index];
    throw new CliError(`node ${m.host}:${m.port} ${failure.why}; ${lastLines(o.dir, m.port)}\n\nstopped the cluster:\n${lines.join('\n')}`);
  }
  for (const [i, m] of cluster.members.entries()) {
    const dir = nodeDir(o.dir, m.port);
    console.log(`node ${m.host}:${m.port}  bus ${m.busPort}  weight ${m.weight}  pid ${state.nodes[i].pid}  data ${path.join(dir, 'data')}  log ${path.join(dir, 'log.txt')}`);
  }
  console.log(`${cluster.members.length} nodes up: N=${cluster.n} R=${cluster.r} W=${cluster.w}; the cluster secret is in ${secretFile} (and ${stateFile(o.dir)})`);
  console.log(`try: redis-cli -h ${o.host} -p ${o.basePort}    stop: dynkv cluster stop --dir ${o.dir}`);
}

async function checkPortsFree(m: LocalMember): Promise<void> {
  for (const [what, port] of [['client', m.port], ['bus', m.busPort]] as const) {
    if (!(await portFree(m.host, port))) throw new CliError(`node ${m.host}:${m.port}: ${what} port ${port} is in use`);
  }
}

/** Starts one member, detached, its data in DIR/node-PORT/data and its output appended to DIR/node-PORT/log.txt. */
function spawnMember(dir: string, cluster: LocalCluster, m: LocalMember, secretFile: string): ChildProcess {
  const own = nodeDir(dir, m.port);
  fs.mkdirSync(own, { recursive: true });
  return spawnNode(nodeArgs(cluster, m, path.resolve(own, 'data'), secretFile), path.join(own, 'log.txt'));
}

function lastLines(dir: string, port: number): string {
  const log = path.join(nodeDir(dir, port), 'log.txt');
  return `last lines of ${log}:\n${logTail(log)}`;
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
  const found = await Promise.all(state.nodes.map((n) => find(state.host, n)));
  let changed = false;
  for (const f of found) {
    const n = f.node;
    let pid = `pid ${n.pid}`;
    let what: string;
    if (f.reported !== null) {
      what = 'up';
      if (f.reported !== n.pid) {
        pid = `pid ${f.reported} (recorded ${n.pid})`;
        n.pid = f.reported;
        changed = true;
      }
    } else if (f.stranger !== null) {
      what = `down (port ${n.port} is served by something else: ${f.stranger})`;
    } else {
      what = f.pids.length > 0 ? 'down (running, not answering PING)' : 'down';
    }
    console.log(`node ${state.host}:${n.port}  bus ${n.busPort}  weight ${n.weight}  ${pid}  ${what}`);
  }
  if (changed) writeState(dir, state);
  if (found.some((f) => f.reported === null)) process.exitCode = 1;
}

/** Stops the node on this port if it runs (as stop does), then starts it again with the flags it was started with. */
async function restart(dir: string, port: number): Promise<void> {
  const state = readState(dir);
  if (state === null) throw new CliError(`no cluster here: ${stateFile(dir)} does not exist`);
  const node = state.nodes.find((n) => n.port === port);
  if (node === undefined) throw new CliError(`no node on port ${port} in ${stateFile(dir)} (ports ${state.nodes.map((n) => n.port).join(', ')})`);
  const [stopped] = await stopNodes([node], state.host);
  console.log(stopped);
  const cluster = recordedCluster(state);
  const member = cluster.members[state.nodes.indexOf(node)];
  await checkPortsFree(member);
  const child = spawnMember(dir, cluster, member, writeSecretFile(cluster, dir));
  node.pid = child.pid ?? -1;
  writeState(dir, state);
  const failure = await waitUntilAnswering([member], [child], START_TIMEOUT_MS);
  if (failure !== null) throw new CliError(`node ${state.host}:${port} ${failure.why}; ${lastLines(dir, port)}`);
  console.log(`node ${state.host}:${port}  pid ${node.pid}  started`);
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
    .option('--secret <secret>', 'cluster secret (default: a random one); kept in DIR/cluster-secret (mode 600), which the nodes read, and cluster.json')
    .option('--secret-file <path>', 'read the cluster secret from this file (its one line) instead of --secret, which ps shows')
    .option('--weights <list>', 'weight of each node, comma-separated, e.g. 1,2,1', weightList)
    .option('--host <address>', 'address the nodes bind and are named by', '127.0.0.1')
    .option('--fault-injection', 'start the nodes with --enable-fault-injection yes', false)
    .action((o: StartOptions) => start(o));
  cluster
    .command('stop')
    .description('stop what serves the ports of a local cluster\'s nodes, even a node restarted by hand: the pid each node reports (INFO) and the recorded one (SIGTERM, then SIGKILL after 10 s); data and logs stay')
    .option('--dir <path>', 'the directory given to start', './dynkv-cluster')
    .action((o: { dir: string }) => stop(o.dir));
  cluster
    .command('status')
    .description('whether each node of a local cluster is up (answers PING and INFO as that node) and its pid as the node reports it, recorded in cluster.json; exit code 1 when one is not up')
    .option('--dir <path>', 'the directory given to start', './dynkv-cluster')
    .action((o: { dir: string }) => status(o.dir));
  cluster
    .command('restart')
    .description('stop one node of a local cluster if it runs (as stop does), then start it with the flags, data and log it was started with')
    .requiredOption('--node <port>', 'the client port of the node', integer(1, 65535))
    .option('--dir <path>', 'the directory given to start', './dynkv-cluster')
    .action((o: { dir: string; node: number }) => restart(o.dir, o.node));
  return dynkv;
}

program()
  .parseAsync(process.argv)
  .catch((err: Error) => {
    console.error(`dynkv: ${err instanceof CliError ? err.message : (err.stack ?? err.message)}`);
    process.exit(1);
  });
