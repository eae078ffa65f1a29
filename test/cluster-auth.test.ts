// cluster-auth.test.ts — a node started with another cluster secret than its
// peers, with real processes: each side shows the other auth-failed in
// DYN.NODES and INFO (not up, not merely down), logs it once, and its
// quorums fail with -DYNUNAVAILABLE; restarted with the right secret, it is
// up again on both sides. A stranger that claims a member's id in a failed
// handshake does not make that member auth-failed.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { startCluster, type ClusterTestNode } from './helpers/cluster';
import { tmpDir } from './helpers/tmpdir';

function client(t: ExecutionContext, node: ClusterTestNode): Redis {
  const r = new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => r.disconnect());
  return r;
}

/** Polls until check() is true; generous, for a loaded machine. */
async function eventually(t: ExecutionContext, what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.fail(`not within ${ms} ms: ${what}`);
}

async function stateOf(r: Redis, id: string): Promise<string | undefined> {
  const nodes = (await r.call('DYN.NODES')) as [string, string, number, number, number, string][];
  return nodes.find((m) => m[0] === id)?.[5];
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)?.[1];
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

test('a peer with another cluster secret is auth-failed on both sides, counted by INFO, logged once; with the right secret it is up again', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 2 }); // N=2, R=W=2: every quorum needs both
  const [a, b] = nodes;
  const other = path.join(tmpDir(t), 'other-secret');
  fs.writeFileSync(other, 'not the cluster secret\n', { mode: 0o600 });
  await b.stop();
  await b.restart(['--cluster-secret-file', other]);
  const ra = client(t, a);
  let rb = client(t, b);

  // Only a sends: b learns of the mismatch from a's failed handshake on b's bus, and checks it with one of its own.
  await t.throwsAsync(ra.set('k', 'v'), { message: /^DYNUNAVAILABLE needed W=2, got 1/ });
  await eventually(t, 'a shows b auth-failed', async () => (await stateOf(ra, b.id)) === 'auth-failed');
  await eventually(t, 'b shows a auth-failed', async () => (await stateOf(rb, a.id)) === 'auth-failed');
  await t.throwsAsync(rb.get('k'), { message: /^DYNUNAVAILABLE needed R=2, got 1/ });
  for (const r of [ra, rb]) {
    const info = await r.info('cluster');
    t.is(infoField(info, 'dynamo_nodes_down'), '1', info);
    t.is(infoField(info, 'dynamo_nodes_auth_failed'), '1', info);
  }
  // More failures and probes (one a second) change nothing: the state change was logged once.
  for (let i = 0; i < 5; i++) await t.throwsAsync(ra.set(`k${i}`, 'v'), { message: /^DYNUNAVAILABLE/ });
  // A quiet spell, not a synchronisation: what is checked is that the probes in it (one a second) log nothing more.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  t.is(count(a.output(), `node ${b.id} is auth-failed`), 1, a.output());
  t.is(count(b.output(), `node ${a.id} is auth-failed`), 1, b.output());
  t.is(await stateOf(ra, b.id), 'auth-failed');

  const logged = a.output().length;
  await b.stop();
  await b.restart();
  rb = client(t, b);
  await eventually(t, 'a shows b up', async () => (await stateOf(ra, b.id)) === 'up');
  await eventually(t, 'b shows a up', async () => (await stateOf(rb, a.id)) === 'up');
  t.is(await ra.set('k', 'v'), 'OK');
  t.is(await rb.get('k'), 'v');
  for (const r of [ra, rb]) {
    const info = await r.info('cluster');
    t.is(infoField(info, 'dynamo_nodes_down'), '0', info);
    t.is(infoField(info, 'dynamo_nodes_auth_failed'), '0', info);
  }
  // While b restarts, a may also see it down (a probe finding nothing on its port) before it is up.
  t.regex(a.output().slice(logged), new RegExp(`node ${b.id} is up \\(was (auth-failed|down)\\)`), a.output());
});

/** One failed bus handshake claiming `claimed`'s id, as a stranger without the secret would make; resolves with the reply to the proof. */
function strangerHandshake(busPort: number, claimed: string): Promise<string> {
  const bulk = (b: Buffer | string): Buffer => Buffer.concat([Buffer.from(`$${Buffer.byteLength(b)}\r\n`), Buffer.from(b), Buffer.from('\r\n')]);
  return new Promise((resolve, reject) => {
    const socket = net.connect(busPort, '127.0.0.1');
    let data = '';
    let sentProof = false;
    socket.on('error', reject);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from('*2\r\n'), bulk('AUTH-CHALLENGE'), bulk(Buffer.alloc(32, 7))])));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (!sentProof && data.length >= 32 + 7) {
        sentProof = true;
        data = '';
        socket.write(Buffer.concat([Buffer.from('*3\r\n'), bulk('AUTH-PROOF'), bulk(claimed), bulk(Buffer.alloc(32, 1))]));
      } else if (sentProof && data.endsWith('\r\n')) {
        socket.destroy();
        resolve(data);
      }
    });
  });
}

test('a stranger claiming a member\'s id in a failed handshake does not make that member auth-failed', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 2 });
  const [a, b] = nodes;
  const rb = client(t, b);
  t.is(await strangerHandshake(b.busPort, a.id), '-EAUTH cluster bus: authentication failed\r\n');
  t.is(await stateOf(rb, a.id), 'up');
  // b checked with a handshake of its own, which succeeded; nothing changed meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.is(await stateOf(rb, a.id), 'up');
  t.regex(b.output(), new RegExp(`node ${a.id} \\(connecting from .*\\) failed authentication`));
  t.notRegex(b.output(), /is auth-failed/);
});
