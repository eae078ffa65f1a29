// test/cluster-failure-detection.test.ts — failure detection between real
// dynkv processes (3 nodes, N=3, R=2, W=2): a paused node (SIGSTOP: its
// connections stay open, nothing answers) turns suspect, then down, on the
// others without any client traffic; while it is down no command waits on
// it (quorums that need it fail at once, commands it would coordinate run
// elsewhere, SET and GET answer far inside the bus timeout); SIGCONT brings
// it back up, each change logged once. A killed node (connection refused)
// is down. cluster-phi-threshold and cluster-heartbeat-ms act when set with
// CONFIG SET; INFO counts suspect nodes and shows each peer's phi.
import { performance } from 'node:perf_hooks';
import test from 'ava';
import Redis from 'ioredis';
import { client, startCluster } from './helpers/cluster';

/** The bus timeout of these clusters: what a command waiting on the paused node would take. */
const TIMEOUT_MS = 10_000;

async function stateOf(r: Redis, id: string): Promise<string | undefined> {
  const nodes = (await r.call('DYN.NODES')) as string[][];
  return nodes.find((m) => m[0] === id)?.[5];
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)?.[1];
}

/**
 * Polls r's view of `id` every 20 ms until it is `until`; resolves with
 * the states seen on the way, in order (each once), and the ms it took.
 */
async function watch(r: Redis, id: string, until: string, ms: number): Promise<{ states: string[]; ms: number }> {
  const start = performance.now();
  const states: string[] = [];
  while (performance.now() - start < ms) {
    const state = (await stateOf(r, id)) ?? 'missing';
    if (states[states.length - 1] !== state) states.push(state);
    if (state === until) return { states, ms: Math.round(performance.now() - start) };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${id} was not ${until} within ${ms} ms (seen: ${states.join(' -> ')})`);
}

/** A key whose preference list starts with `id`: the node a read-write command on it is coordinated by. */
async function keyFirstOn(r: Redis, id: string): Promise<string> {
  for (let i = 0; ; i++) if (((await r.call('DYN.PREFLIST', `key:${i}`)) as string[])[0] === id) return `key:${i}`;
}

/**
 * Waits until the nodes behind these clients have each had an answer from
 * every other node (a read with R=3 through each): a node never heard from
 * is only "not heard from yet", and one that is paused before anyone
 * connected to it is found by a connect timeout instead of by its silence.
 */
async function heardFrom(...clients: Redis[]): Promise<void> {
  for (const r of clients) {
    const start = performance.now();
    while ((await r.call('DYN.GET', 'heard-from', 'R', '3').then(() => 'ok', (err: Error) => err.message)) !== 'ok') {
      // Nodes start one after another: until each listens, the others see it down (refused).
      if (performance.now() - start > 30_000) throw new Error('a read with R=3 did not succeed within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The command's reply (or error) and how long it took, ms. */
async function timed(run: () => Promise<unknown>): Promise<{ reply: unknown; ms: number }> {
  const start = performance.now();
  const reply = await run().catch((err: Error) => err);
  return { reply, ms: performance.now() - start };
}

test.serial('a paused node is suspect, then down on the others; while it is down nothing waits on it; resumed, it is up again, each change logged once', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, args: ['--cluster-timeout', String(TIMEOUT_MS), '--cluster-heartbeat-ms', '100'] });
  const [a, b, c] = nodes;
  const [ra, rb] = [a, b].map((n) => client(t, n));
  const coordinatedByC = await keyFirstOn(ra, c.id);
  t.is(await ra.set('k', 'v0'), 'OK');
  t.is(await ra.set(coordinatedByC, '10'), 'OK');
  await heardFrom(ra, rb);
  const logged = [a, b].map((n) => n.output().length);

  process.kill(c.pid(), 'SIGSTOP');
  // No client traffic while it is detected: the heartbeats alone find it.
  const [seenByA, seenByB] = await Promise.all([watch(ra, c.id, 'down', 30_000), watch(rb, c.id, 'down', 30_000)]);
  t.log(`paused node down on a after ${seenByA.ms} ms (${seenByA.states.join(' -> ')}), on b after ${seenByB.ms} ms (${seenByB.states.join(' -> ')})`);
  for (const seen of [seenByA, seenByB]) t.deepEqual(seen.states, ['up', 'suspect', 'down']);
  t.is(infoField(await ra.info('cluster'), 'dynamo_nodes_down'), '1');

  // Each command answers well inside the bus timeout: none waits on c.
  const ops: [string, () => Promise<unknown>, unknown][] = [
    ['SET (W=2)', () => ra.set('k', 'v1'), 'OK'],
    ['GET (R=2)', () => rb.get('k'), 'v1'],
    ['INCR of a key c coordinates (run by another replica)', () => rb.incr(coordinatedByC), 11],
    // Needing c, they fail at once (with the replies counted so far).
    ['DYN.GET R 3', () => ra.call('DYN.GET', 'k', 'R', '3'), /^DYNUNAVAILABLE needed R=3, got [12]$/],
    ['DYN.DEL W 3', () => rb.call('DYN.DEL', 'k', 'W', '3'), /^DYNUNAVAILABLE needed W=3, got [12]$/],
  ];
  for (const [what, run, expected] of ops) {
    const { reply, ms } = await timed(run);
    t.log(`${what} with c down: ${ms.toFixed(1)} ms`);
    if (expected instanceof RegExp) t.regex(reply instanceof Error ? reply.message : String(reply), expected, what);
    else t.is(reply, expected, what);
    t.true(ms < TIMEOUT_MS / 2, `${what} took ${ms} ms (bus timeout ${TIMEOUT_MS} ms)`);
  }

  process.kill(c.pid(), 'SIGCONT');
  await Promise.all([watch(ra, c.id, 'up', 30_000), watch(rb, c.id, 'up', 30_000)]);
  // What each logged from the pause to c being up again (later lines are another story).
  const logs = [a, b].map((n, i) => n.output().slice(logged[i]));
  t.is(await client(t, c).get('k'), null, 'c is back and serves reads (the W=3 delete was written on a and b)');
  for (const out of logs) {
    t.is(count(out, `node ${c.id} is suspect`), 1, out);
    t.is(count(out, `node ${c.id} is down`), 1, out);
    t.is(count(out, `node ${c.id} is up (was down)`), 1, out);
  }
});

test.serial('a killed node (connection refused) is down on the others', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, args: ['--cluster-heartbeat-ms', '100'] });
  const [a, , c] = nodes;
  const ra = client(t, a);
  await heardFrom(ra);
  await c.kill();
  const seen = await watch(ra, c.id, 'down', 30_000);
  t.log(`killed node down after ${seen.ms} ms (${seen.states.join(' -> ')})`);
  t.regex(a.output(), new RegExp(`node ${c.id} is down: cluster bus: (cannot connect to|${c.id} is unreachable)`));
  await c.restart();
  await watch(ra, c.id, 'up', 30_000);
});

test.serial('CONFIG SET cluster-phi-threshold and cluster-heartbeat-ms act at once; INFO counts suspect nodes and shows each peer\'s phi', async (t) => {
  // Defaults: heartbeats every 1000 ms, threshold 8: a paused node is down after about 18.4 s of silence.
  const { nodes } = await startCluster(t, { nodes: 3, args: ['--cluster-timeout', String(TIMEOUT_MS)] });
  const [a, b, c] = nodes;
  const [ra, rb] = [a, b].map((n) => client(t, n));
  t.deepEqual(await ra.config('GET', 'cluster-phi-threshold'), ['cluster-phi-threshold', '8']);
  t.deepEqual(await ra.config('GET', 'cluster-heartbeat-ms'), ['cluster-heartbeat-ms', '1000']);
  await t.throwsAsync(ra.config('SET', 'cluster-phi-threshold', 'high'), {
    message: "ERR CONFIG SET failed (possibly related to argument 'cluster-phi-threshold') - argument couldn't be parsed into a decimal number",
  });
  await heardFrom(ra, rb);
  const logged = a.output().length;
  t.is(await ra.config('SET', 'cluster-phi-threshold', '3', 'cluster-heartbeat-ms', '300'), 'OK');
  t.deepEqual(await ra.config('GET', 'cluster-phi-threshold'), ['cluster-phi-threshold', '3']);

  process.kill(c.pid(), 'SIGSTOP');
  const seen = await watch(ra, c.id, 'down', 30_000);
  t.log(`with threshold 3 and heartbeats every 300 ms: down after ${seen.ms} ms`);
  t.true(seen.ms < 15_000, 'sooner than the defaults could (phi 8 at 18.4 s of silence)');
  const onB = await watch(rb, c.id, 'suspect', 30_000);
  t.deepEqual(onB.states.filter((s) => s === 'down'), [], 'b, on the defaults, suspects it only');
  const info = await rb.info('cluster');
  t.is(infoField(info, 'dynamo_nodes_suspect'), '1', info);
  t.is(infoField(info, 'dynamo_nodes_down'), '0', info);
  const peers = [a, c].map((n) => new RegExp(`^dynamo_peer\\d:id=${n.id},state=(up|suspect),phi=(\\d+\\.\\d\\d)\r$`, 'm').exec(info));
  t.is(peers[0]?.[1], 'up', info);
  t.true(Number(peers[0]?.[2]) < 3, info);
  t.is(peers[1]?.[1], 'suspect', info);
  const phiOfC = Number(((await rb.call('DYN.NODES')) as string[][]).find((m) => m[0] === c.id)?.[6]);
  t.true(phiOfC > 0 && phiOfC < 8, `phi of the paused node on b: ${phiOfC}`);
  process.kill(c.pid(), 'SIGCONT');
  await watch(ra, c.id, 'up', 30_000);
  t.is(count(a.output().slice(logged), `node ${b.id} is down`), 0, 'the new rhythm did not read the old silence between heartbeats as missed beats of b');
});

test.serial('every replica of a key down (N=1): a command on it through another node answers -DYNUNAVAILABLE at once, never loops forwarding', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, n: 1, r: 1, w: 1 });
  const [a, , c] = nodes;
  const ra = client(t, a);
  const key = await keyFirstOn(ra, c.id);
  t.is(await ra.set(key, '1'), 'OK');
  await c.kill();
  await watch(ra, c.id, 'down', 30_000);
  for (const [what, run] of [
    ['INCR', () => ra.incr(key)],
    ['SET', () => ra.set(key, '2')],
    ['GET', () => ra.get(key)],
  ] as const) {
    const { reply, ms } = await timed(run);
    t.regex(reply instanceof Error ? reply.message : String(reply), /^DYNUNAVAILABLE /, what);
    t.true(ms < 5_000, `${what} took ${ms} ms`);
  }
  t.is(await ra.ping(), 'PONG', 'the node still serves');
});
