// durability-powercut.test.ts — appendfsync always survives a power cut, not
// only a SIGKILL (which keeps the page cache). Servers run under the
// LD_PRELOAD shim helpers/powercut.c, which logs what each fsync covered and
// sleeps before each one (so a reply sent before its fsync ended would be
// seen); clients pipeline SETs; the servers are SIGKILLed at a moment when
// some of their written bytes are not yet fsynced (killWithUnsyncedData), and
// the power cut drops every byte and directory entry no fsync covered. Restarted, every
// write acknowledged before the kill must be there: on one server, and in a
// 3-node cluster (N=3, W=2) on at least W nodes, so a replica's ack follows
// its own fsync. INFO's log_fsyncs is checked against the fsyncs the shim saw.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { startCluster } from './helpers/cluster';
import { command, PipelineClient, replyText } from './helpers/pipeline-client';
import { baseline, buildShim, cutPower, killWithUnsyncedData, shimEnv, type PowerCut } from './helpers/powercut';
import { startServer } from './helpers/server';
import { tmpDir } from './helpers/tmpdir';

/** The shim's sleep before each fsync of a single server. */
const DELAY_US = 20_000;
/** In the cluster, the coordinator fsyncs fast and its replicas slowly: an ack sent before the replica's fsync ended is caught. */
const COORDINATOR_DELAY_US = 1_000;
const REPLICA_DELAY_US = 50_000;
const CLIENTS = 4;
const PIPELINE = 16;
/** Acknowledged writes to wait for before a kill, per round (kills land mid-stream). */
const ACKS_BEFORE_KILL = [150, 400, 250];

/**
 * Clients pipeline SETs of fresh keys (value: valueOf(key)) until `stop`
 * is called or their connection closes; `acked` holds the keys whose +OK
 * arrived, `errors` any other reply.
 */
function writeUntilStopped(clients: PipelineClient[], prefix: string): { acked: string[]; errors: string[]; stop: () => Promise<void> } {
  const acked: string[] = [];
  const errors: string[] = [];
  let stopping = false;
  const loops = clients.map(async (c, i) => {
    for (let batch = 0; !stopping && !c.closed; batch++) {
      const keys = Array.from({ length: PIPELINE }, (_, j) => `${prefix}-c${i}-${batch}-${j}`);
      const replies = await c.send(keys.map((k) => command('SET', k, valueOf(k))));
      replies.forEach((r, j) => (r === 'OK' ? acked.push(keys[j]) : errors.push(replyText(r))));
    }
  });
  return {
    acked,
    errors,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

const valueOf = (key: string): string => `value-of-${key}`;

async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** GETs the keys through one connection; returns those missing or wrong. */
async function missing(port: number, keys: string[], local = false): Promise<string[]> {
  const c = await PipelineClient.connect(port);
  const bad: string[] = [];
  try {
    for (let i = 0; i < keys.length; i += 256) {
      const chunk = keys.slice(i, i + 256);
      const replies = await c.pipeline(chunk.map((k) => (local ? command('DYN.VERSIONS', k, 'LOCAL') : command('GET', k))));
      replies.forEach((r, j) => {
        const got = local ? localValue(r) : Buffer.isBuffer(r) ? r.toString() : null;
        if (got !== valueOf(chunk[j])) bad.push(chunk[j]);
      });
    }
  } finally {
    c.socket.destroy();
  }
  return bad;
}

/** The value of DYN.VERSIONS key LOCAL's one sibling, or null. */
function localValue(r: unknown): string | null {
  if (!Array.isArray(r) || !Array.isArray(r[1]) || r[1].length !== 1) return null;
  const sibling = r[1][0] as unknown[];
  return Buffer.isBuffer(sibling[0]) ? sibling[0].toString() : null;
}

function describeCut(cut: PowerCut): string {
  return `${cut.fileSyncs} file and ${cut.dirSyncs} directory fsyncs logged; the cut dropped ${cut.droppedBytes} bytes (${cut.droppedDataBytes} of data files)${cut.removed.length > 0 ? ` and ${cut.removed.join(', ')}` : ''}`;
}

test.serial('appendfsync always: every acknowledged write survives a power cut (single server)', async (t) => {
  const shim = buildShim(t);
  const root = tmpDir(t);
  const dir = path.join(root, 'data');
  fs.mkdirSync(dir);
  const everAcked: string[] = [];
  let dropped = 0;
  for (const [round, acksBeforeKill] of ACKS_BEFORE_KILL.entries()) {
    const log = path.join(root, `fsync-${round}.log`);
    baseline(dir, log);
    const server = await startServer(t, ['--appendfsync', 'always'], { dir, env: shimEnv(shim, dir, log, DELAY_US) });
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => PipelineClient.connect(server.port)));
    const writers = writeUntilStopped(clients, `r${round}`);
    await waitFor(`${acksBeforeKill} acks`, () => writers.acked.length >= acksBeforeKill);
    await killWithUnsyncedData([{ pid: server.pid, dir, log }]);
    await server.kill();
    await writers.stop();
    t.deepEqual(writers.errors, [], 'no write failed');
    const cut = cutPower(dir, log);
    dropped += cut.droppedDataBytes;
    t.log(`round ${round}: ${writers.acked.length} writes acknowledged before the kill; ${describeCut(cut)}`);
    everAcked.push(...writers.acked);

    const check = await startServer(t, [], { dir });
    const lost = await missing(check.port, everAcked);
    t.deepEqual(lost.slice(0, 10), [], `round ${round}: ${lost.length} of ${everAcked.length} acknowledged writes lost in the power cut`);
    t.is(await check.stop(), 0);
  }
  // The cuts dropped what the dry runs before the kills saw: records written, not yet fsynced.
  t.true(dropped > 0, `the power cuts dropped ${dropped} unsynced bytes of data files`);
});

test.serial("INFO persistence's log_fsyncs counts the engine's real fsyncs: one per acknowledged write when writes wait for each other", async (t) => {
  const shim = buildShim(t);
  const root = tmpDir(t);
  const dir = path.join(root, 'data');
  const log = path.join(root, 'fsync.log');
  fs.mkdirSync(dir);
  baseline(dir, log);
  const server = await startServer(t, ['--appendfsync', 'always'], { dir, env: shimEnv(shim, dir, log, 0) });
  const c = await PipelineClient.connect(server.port);
  t.teardown(() => c.socket.destroy());
  const fsyncs = async (): Promise<number> => Number(/log_fsyncs:(\d+)/.exec(replyText((await c.pipeline([command('INFO', 'persistence')]))[0]))?.[1]);
  const before = await fsyncs();
  const writes = 50;
  for (let i = 0; i < writes; i++) t.deepEqual(await c.pipeline([command('SET', `one-${i}`, 'v')]), ['OK']);
  const after = await fsyncs();
  t.true(after - before >= writes, `${after - before} fsyncs for ${writes} writes sent one after the other's reply`);
  // The shim saw the same fsyncs of the data files (F lines for their inodes).
  const db0 = path.join(dir, 'db0');
  const ids = new Set(fs.readdirSync(db0).filter((n) => n.endsWith('.data')).map((n) => {
    const st = fs.statSync(path.join(db0, n));
    return `${st.dev}:${st.ino}`;
  }));
  const seen = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('F ') && ids.has(l.split(' ')[1])).length;
  t.log(`${after - before} fsyncs for ${writes} writes; log_fsyncs ${after}, data-file fsyncs seen by the shim ${seen}`);
  t.is(after, seen, 'INFO log_fsyncs equals the data-file fsyncs the shim saw');
});

test.serial('appendfsync always: every acknowledged cluster write is on W nodes after a power cut of all (N=3, W=2)', async (t) => {
  const shim = buildShim(t);
  const root = tmpDir(t);
  let shimmed = true;
  const logOf = (dir: string): string => path.join(root, `${path.basename(dir)}.fsync.log`);
  const { nodes } = await startCluster(t, {
    nodes: 3,
    n: 3,
    w: 2,
    args: ['--appendfsync', 'always'],
    env: (dir, index) => {
      if (!shimmed) return process.env;
      fs.mkdirSync(dir, { recursive: true });
      baseline(dir, logOf(dir));
      return shimEnv(shim, dir, logOf(dir), index === 0 ? COORDINATOR_DELAY_US : REPLICA_DELAY_US);
    },
  });
  // Every node holds a replica of every key (N=3 of 3): writes sent to node 0 are coordinated there.
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => PipelineClient.connect(nodes[0].port)));
  const writers = writeUntilStopped(clients, 'cluster');
  await waitFor('300 acks', () => writers.acked.length >= 300);
  await killWithUnsyncedData(nodes.map((n) => ({ pid: n.pid(), dir: n.dir, log: logOf(n.dir) })));
  await Promise.all(nodes.map((n) => n.kill()));
  await writers.stop();
  t.deepEqual(writers.errors, [], 'no write failed');
  let dropped = 0;
  for (const n of nodes) {
    const cut = cutPower(n.dir, logOf(n.dir));
    dropped += cut.droppedDataBytes;
    t.log(`${n.id}: ${describeCut(cut)}`);
  }

  shimmed = false;
  await Promise.all(nodes.map((n) => n.restart()));
  const lostOn = (await Promise.all(nodes.map((n) => missing(n.port, writers.acked, true)))).map((l) => new Set(l));
  const short = writers.acked.filter((k) => lostOn.filter((lost) => !lost.has(k)).length < 2);
  t.log(`${writers.acked.length} acknowledged writes; missing per node after the cut: ${lostOn.map((l) => l.size).join(', ')}`);
  t.deepEqual(short.slice(0, 10), [], `${short.length} acknowledged writes are on fewer than W=2 nodes`);
  t.true(dropped > 0, `the power cut dropped ${dropped} unsynced bytes of data files`);
});
