// cluster-bus.test.ts — the cluster bus (cluster/bus/bus.ts) over real loopback
// sockets: round trips of every reply type, 10,000 pipelined requests in
// order, async handlers finishing out of order, handler errors, timeouts on
// a connection that stays usable, a peer in a child process SIGKILLed and
// restarted, the HMAC handshake (wrong secret, wrong node, raw clients that
// skip it), oversized requests, drop/heal in both directions, maxPending,
// connect timeouts, and close() with requests pending.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { handshakeProof, newNonce } from '../cluster/bus/auth';
import { BusAuthError, BusError, BusTimeoutError, ClusterBus, type BusPeer, type BusReply, type ClusterBusOptions } from '../cluster/bus/bus';
import { ReplyError, ReplyParser, type ReplyValue } from '../protocol/reply-parser';
import { RequestWriter } from '../protocol/request-writer';
import { reservePort } from '../redis-compat/ports';

const SECRET = 'test cluster secret';
const b = (s: string): Buffer => Buffer.from(s);
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until cond() holds; fails the wait after ms. */
async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms`);
    await delay(10);
  }
}

/** Retries fn while it rejects with a BusError, until it resolves or ms pass. */
async function eventually<T>(fn: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof BusError) || Date.now() > deadline) throw err;
      await delay(50);
    }
  }
}

/**
 * The test peers' commands: PING; ECHO args (the args back); INT n; SLOW ms
 * value (value after ms); HANG (never answers); THROW msg; REJECT msg;
 * TYPES (one of each reply type); BAD (not a reply value).
 */
function handle(argv: Buffer[]): BusReply | Promise<BusReply> {
  const [name, ...args] = argv.map((a) => a.toString());
  switch (name) {
    case 'PING':
      return 'PONG';
    case 'ECHO':
      return argv.slice(1);
    case 'INT':
      return Number(args[0]);
    case 'SLOW':
      return new Promise((resolve) => setTimeout(() => resolve(b(args[1])), Number(args[0])));
    case 'HANG':
      return new Promise<BusReply>(() => undefined);
    case 'THROW':
      throw new Error(args[0]);
    case 'REJECT':
      return Promise.reject(args[0] === 'string' ? 'a plain string' : new Error(args[0]));
    case 'TYPES':
      return ['OK', 42, -9007199254740993n, null, b('bytes\r\n'), [new ReplyError('DYNUNAVAILABLE needed W=2, got 1'), []]];
    case 'BAD':
      return undefined as unknown as BusReply;
    case 'BADSTATUS':
      return 'two\r\nlines';
    default:
      return new ReplyError(`ERR unknown command '${name}'`);
  }
}

interface TestNode {
  bus: ClusterBus;
  peer: BusPeer;
  /** Requests the handler saw: sender and argv as text. */
  received: { from: string; argv: string[] }[];
  /** Lines the bus logged. */
  logs: string[];
}

async function startNode(t: ExecutionContext, id: string, options: Partial<ClusterBusOptions> = {}): Promise<TestNode> {
  const received: TestNode['received'] = [];
  const logs: string[] = [];
  const bus = new ClusterBus({
    nodeId: id,
    host: '127.0.0.1',
    port: 0,
    secret: SECRET,
    onRequest: (from, argv) => {
      received.push({ from, argv: argv.map((a) => a.toString()) });
      return handle(argv);
    },
    log: (line) => logs.push(line),
    ...options,
  });
  t.teardown(() => bus.close());
  const port = await bus.listen();
  return { bus, peer: { id, host: '127.0.0.1', busPort: port }, received, logs };
}

/** Settles a promise that is expected to reject later, so it is never an unhandled rejection. */
const settled = (p: Promise<unknown>): Promise<unknown> => p.then((v) => v, (err: unknown) => err);

const BUS_MODULE = path.resolve(__dirname, '../cluster/bus/bus.js');

/**
 * A bus node in its own process (argv: module, node id, secret, port): it
 * answers its sender's id and the argv, or never (HANG). It exits when its
 * stdin closes, so it never outlives the test process.
 */
const CHILD_NODE = `
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
const { ClusterBus } = require(process.argv[1]);
const [, , nodeId, secret, port] = process.argv;
const bus = new ClusterBus({
  nodeId, host: '127.0.0.1', port: Number(port), secret,
  onRequest: (from, argv) => (argv[0].toString() === 'HANG' ? new Promise(() => undefined) : [Buffer.from(from), ...argv]),
});
bus.listen().then(
  (p) => process.stdout.write('listening ' + p + '\\n'),
  (err) => { process.stderr.write(err.message + '\\n'); process.exit(1); },
);
`;

/** Starts CHILD_NODE; resolves with its bus port and a SIGKILL that waits for the exit. */
async function startChildNode(t: ExecutionContext, id: string, port: number): Promise<{ port: number; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', CHILD_NODE, BUS_MODULE, id, SECRET, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const bound = await Promise.race([
    (async () => {
      await waitFor(() => /listening \d+\n/.test(out), 30_000);
      return Number(/listening (\d+)/.exec(out)?.[1]);
    })(),
    exited.then(() => {
      throw new Error(`child node exited: ${out}`);
    }),
  ]);
  return {
    port: bound,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A bare TCP client speaking RESP to a bus port, for what a ClusterBus would never send. */
class RawPeer {
  readonly replies: ReplyValue[] = [];
  closed = false;
  private readonly writer = new RequestWriter();

  private constructor(private readonly socket: net.Socket) {
    const parser = new ReplyParser({ onReply: (r) => this.replies.push(r), onError: (m) => this.replies.push(new ReplyError(`parser: ${m}`)) });
    socket.on('data', (chunk: Buffer) => parser.feed(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => (this.closed = true));
  }

  static connect(t: ExecutionContext, port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
      t.teardown(() => socket.destroy());
    });
  }

  send(argv: (Buffer | string)[]): void {
    this.writer.command(argv);
    for (const piece of this.writer.take()) this.socket.write(piece);
  }

  write(bytes: string): void {
    this.socket.write(bytes);
  }

  async next(): Promise<ReplyValue> {
    await waitFor(() => this.replies.length > 0 || this.closed);
    if (this.replies.length === 0) throw new Error('closed without a reply');
    return this.replies.shift() as ReplyValue;
  }

  /** Runs the handshake as node `id`; returns what the server answered to the proof. */
  async authenticate(id: string, secret = SECRET): Promise<{ clientNonce: Buffer; serverNonce: Buffer; answer: ReplyValue }> {
    const clientNonce = newNonce();
    this.send(['AUTH-CHALLENGE', clientNonce]);
    const serverNonce = (await this.next()) as Buffer;
    this.send(['AUTH-PROOF', id, handshakeProof(secret, 'client', clientNonce, serverNonce, id)]);
    return { clientNonce, serverNonce, answer: await this.next() };
  }
}

test('a request gets its reply, of any type, and the handler learns who sent it', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  t.is(await a.bus.request(c.peer, ['PING']), 'PONG');
  t.deepEqual(await a.bus.request(c.peer, ['ECHO', 'x', b('\x00\r\n')]), [b('x'), b('\x00\r\n')]);
  t.deepEqual(await a.bus.request(c.peer, ['TYPES']), [
    'OK',
    42,
    -9007199254740993n,
    null,
    b('bytes\r\n'),
    [new ReplyError('DYNUNAVAILABLE needed W=2, got 1'), []],
  ]);
  t.deepEqual(c.received, [
    { from: 'node-a', argv: ['PING'] },
    { from: 'node-a', argv: ['ECHO', 'x', '\x00\r\n'] },
    { from: 'node-a', argv: ['TYPES'] },
  ]);
  t.is(await c.bus.request(a.peer, ['PING']), 'PONG', 'and the other way, on a link of its own');
  t.is(a.received[0].from, 'node-b');

  const stats = a.bus.stats();
  t.like(stats, { requestsSent: 3, repliesReceived: 3, timeouts: 0, connectionFailures: 0, authFailures: 0, requestsReceived: 1, inboundConnections: 1 });
  t.deepEqual(stats.peers, { 'node-b': { connected: true, pending: 0 } });
  t.deepEqual(a.logs, []);
});

test('10,000 pipelined requests are answered in order over one connection', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  const N = 10_000;
  const expected = Array.from({ length: N }, (_, i) => i);
  // The first burst waits for the handshake; the second goes straight out.
  for (let round = 0; round < 2; round++) {
    const replies = await Promise.all(expected.map((i) => a.bus.request(c.peer, ['INT', String(i)])));
    t.deepEqual(replies, expected);
  }
  t.like(a.bus.stats(), { requestsSent: 2 * N, repliesReceived: 2 * N, connectionFailures: 0 });
  t.like(c.bus.stats(), { requestsReceived: 2 * N, inboundConnections: 1 });
});

test('a burst of requests to one peer goes out as one gathered write', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  t.is(await a.bus.request(c.peer, ['PING']), 'PONG');
  // Counts the writes on sockets to c's bus port only; other tests' sockets pass through untouched.
  const write = net.Socket.prototype.write;
  let writes = 0;
  net.Socket.prototype.write = function (this: net.Socket, ...args: Parameters<typeof write>) {
    if (this.remotePort === c.peer.busPort) writes++;
    return write.apply(this, args);
  } as typeof write;
  try {
    const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => a.bus.request(c.peer, ['INT', String(i)])));
    t.is(replies[999], 999);
  } finally {
    net.Socket.prototype.write = write;
  }
  t.true(writes >= 1 && writes <= 2, `${writes} socket writes for 1000 requests (2 when the encoder's slab rolls over mid-burst)`);
});

test('async handlers that finish out of order still reply in request order', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  const requests: Promise<BusReply>[] = [];
  const expected: BusReply[] = [];
  for (let i = 0; i < 20; i++) {
    requests.push(a.bus.request(c.peer, ['SLOW', String((20 - i) * 15), `v${i}`]));
    expected.push(b(`v${i}`));
    requests.push(a.bus.request(c.peer, ['INT', String(i)]));
    expected.push(i);
  }
  t.deepEqual(await Promise.all(requests), expected);
});

test('a handler that throws or rejects answers an error reply; so does one that returns no reply value', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  t.deepEqual(await a.bus.request(c.peer, ['THROW', 'boom']), new ReplyError('ERR boom'));
  t.deepEqual(await a.bus.request(c.peer, ['REJECT', 'later']), new ReplyError('ERR later'));
  t.deepEqual(await a.bus.request(c.peer, ['REJECT', 'string']), new ReplyError('ERR a plain string'));
  t.deepEqual(await a.bus.request(c.peer, ['BAD']), new ReplyError('ERR cluster bus: the handler returned a value of type undefined, not a reply'));
  t.deepEqual(await a.bus.request(c.peer, ['BADSTATUS']), new ReplyError('ERR cluster bus: the handler returned a status with CR or LF in it'));
  const reply = await a.bus.request(c.peer, ['NOPE']);
  t.true(reply instanceof ReplyError, 'an error reply resolves as a ReplyError value');
  t.is(await a.bus.request(c.peer, ['PING']), 'PONG', 'the connection is fine');
  t.is(a.bus.stats().connectionFailures, 0);
});

test('a request times out while the connection stays usable: the late reply is matched and dropped', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  t.is(await a.bus.request(c.peer, ['PING']), 'PONG');
  const err = await t.throwsAsync(a.bus.request(c.peer, ['SLOW', '800', 'late'], 100), { instanceOf: BusTimeoutError, code: 'ETIMEDOUT' });
  t.true(err instanceof BusError);
  t.regex(err.message, /no reply from node-b within 100 ms/);
  t.deepEqual(await a.bus.request(c.peer, ['ECHO', 'after']), [b('after')], 'the next reply is its own, not the late one');
  t.is(await a.bus.request(c.peer, ['PING']), 'PONG');
  t.like(a.bus.stats(), { timeouts: 1, connectionFailures: 0, repliesReceived: 4 });
  t.is(c.bus.stats().inboundConnections, 1);
});

test('a peer killed: pending requests fail with ECONNLOST, later ones fail fast, and requests succeed once it is back', async (t) => {
  const a = await startNode(t, 'node-a');
  // A reserved port (redis-compat/ports.ts), not one the kernel picks: the node is restarted on it after a kill.
  const first = await startChildNode(t, 'node-c', await reservePort());
  const peer: BusPeer = { id: 'node-c', host: '127.0.0.1', busPort: first.port };
  t.deepEqual(await a.bus.request(peer, ['ECHO', 'x']), [b('node-a'), b('ECHO'), b('x')]);

  const hanging = [1, 2, 3].map(() => settled(a.bus.request(peer, ['HANG'], 60_000)));
  await waitFor(() => a.bus.stats().requestsSent === 4);
  await delay(100); // on the wire
  await first.kill();
  for (const outcome of await Promise.all(hanging)) t.like(outcome, { name: 'BusError', code: 'ECONNLOST', peer: 'node-c' });
  t.deepEqual(a.bus.stats().peers['node-c'], { connected: false, pending: 0 });

  const codes: string[] = [];
  for (let i = 0; i < 5; i++) {
    const start = Date.now();
    const err = await t.throwsAsync(a.bus.request(peer, ['PING'], 30_000), { instanceOf: BusError });
    // Far below the request's own 30 s timeout: it failed on the refused connection, not by waiting.
    t.true(Date.now() - start < 15_000, `failed fast (${Date.now() - start} ms)`);
    codes.push(err.code);
  }
  t.true(
    codes.every((code) => code === 'ECONNFAILED' || code === 'EUNREACHABLE'),
    codes.join(),
  );
  t.true(codes.includes('EUNREACHABLE'), codes.join());

  await startChildNode(t, 'node-c', first.port);
  t.deepEqual(await eventually(() => a.bus.request(peer, ['ECHO', 'back'])), [b('node-a'), b('ECHO'), b('back')]);
  t.true(a.bus.stats().peers['node-c'].connected);
});

test('a wrong secret: EAUTH both ways, the handler never called, logged once per peer', async (t) => {
  const a = await startNode(t, 'node-a', { secret: 'one secret' });
  const c = await startNode(t, 'node-b', { secret: 'another secret' });
  const err = await t.throwsAsync(a.bus.request(c.peer, ['PING']), { instanceOf: BusAuthError, code: 'EAUTH' });
  t.regex(err.message, /node-b .*refused this node's proof.*same cluster secret/);
  await t.throwsAsync(a.bus.request(c.peer, ['PING']), { instanceOf: BusAuthError, code: 'EAUTH' }, 'in the backoff');
  await delay(300);
  await t.throwsAsync(a.bus.request(c.peer, ['PING']), { instanceOf: BusAuthError, code: 'EAUTH' }, 'after it');
  await t.throwsAsync(c.bus.request(a.peer, ['PING']), { instanceOf: BusAuthError, code: 'EAUTH' }, 'the other way');

  t.deepEqual(c.received, []);
  t.deepEqual(a.received, []);
  t.is(a.logs.length, 2, a.logs.join('\n'));
  t.regex(a.logs[0], /^dynkv: cluster bus: node-b \(bus 127\.0\.0\.1:\d+\) refused this node's proof/);
  t.regex(a.logs[1], /^dynkv: cluster bus: node node-b \(connecting from 127\.0\.0\.1:\d+\) failed authentication/);
  t.is(c.logs.length, 2, c.logs.join('\n'));
  t.true(a.bus.stats().authFailures >= 3);
  t.false(a.bus.stats().peers['node-b'].connected);
});

test('a peer that is another node than expected fails the handshake with EAUTH', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  const err = await t.throwsAsync(a.bus.request({ ...c.peer, id: 'node-x' }, ['PING']), { instanceOf: BusAuthError, code: 'EAUTH' });
  t.regex(err.message, /127\.0\.0\.1:\d+ is the bus of node node-b, not of node-x/);
  t.deepEqual(c.received, []);
});

test('raw clients that skip or fail the handshake are disconnected and never reach the handler', async (t) => {
  const c = await startNode(t, 'node-b');
  const port = c.peer.busPort;

  const noHandshake = await RawPeer.connect(t, port);
  noHandshake.send(['PING']);
  noHandshake.send(['ECHO', 'x']);
  t.deepEqual(await noHandshake.next(), new ReplyError('ERR cluster bus: authenticate first (AUTH-CHALLENGE <32-byte nonce>)'));
  await waitFor(() => noHandshake.closed);
  t.deepEqual(noHandshake.replies, []);

  const inline = await RawPeer.connect(t, port);
  inline.write('PING\r\n');
  await waitFor(() => inline.closed);

  const proofFirst = await RawPeer.connect(t, port);
  proofFirst.send(['AUTH-PROOF', 'node-r', Buffer.alloc(32)]);
  await waitFor(() => proofFirst.closed);

  const badProof = await RawPeer.connect(t, port);
  const { answer } = await badProof.authenticate('node-r', 'not the secret');
  t.deepEqual(answer, new ReplyError('EAUTH cluster bus: authentication failed'));
  badProof.send(['PING']);
  await waitFor(() => badProof.closed);

  const oversized = await RawPeer.connect(t, port);
  oversized.write('*1\r\n$100000\r\n');
  t.deepEqual(await oversized.next(), new ReplyError('ERR Protocol error: unauthenticated bulk length'));
  await waitFor(() => oversized.closed);

  t.deepEqual(c.received, []);
  t.is(c.bus.stats().inboundConnections, 0);
  t.is(c.logs.length, 1, 'the bad proof is logged');
});

test('the handshake proves both sides; after it, an oversized request or bad bytes close that connection only', async (t) => {
  const c = await startNode(t, 'node-b', { maxBulkLen: 1024 });
  const a = await startNode(t, 'node-a');
  t.is(await a.bus.request(c.peer, ['PING']), 'PONG');

  const raw = await RawPeer.connect(t, c.peer.busPort);
  const { clientNonce, serverNonce, answer } = await raw.authenticate('node-r');
  t.deepEqual(answer, [b('node-b'), handshakeProof(SECRET, 'server', clientNonce, serverNonce, 'node-b')]);
  raw.send(['PING']);
  t.is(await raw.next(), 'PONG');
  t.deepEqual(c.received.at(-1), { from: 'node-r', argv: ['PING'] });
  raw.send(['ECHO', Buffer.alloc(2000)]);
  t.deepEqual(await raw.next(), new ReplyError('ERR Protocol error: invalid bulk length'));
  await waitFor(() => raw.closed);

  const garbage = await RawPeer.connect(t, c.peer.busPort);
  await garbage.authenticate('node-r');
  garbage.write('*1\r\nxyz\r\n');
  t.deepEqual(await garbage.next(), new ReplyError("ERR Protocol error: expected '$', got 'x'"));
  await waitFor(() => garbage.closed);

  t.is(await a.bus.request(c.peer, ['PING']), 'PONG', 'the other connection is untouched');
  t.is(a.bus.stats().connectionFailures, 0);
});

test('drop and heal, in both directions', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  t.is(await a.bus.request(c.peer, ['PING']), 'PONG');
  t.is(await c.bus.request(a.peer, ['PING']), 'PONG');

  for (const [dropper, other] of [
    [a, c],
    [c, a],
  ]) {
    const inFlight = settled(dropper.bus.request(other.peer, ['SLOW', '200', 'v'], 1500));
    dropper.bus.drop(other.peer.id);
    t.deepEqual(dropper.bus.dropped(), [other.peer.id]);
    t.like(await inFlight, { name: 'BusTimeoutError', code: 'ETIMEDOUT' }, 'a reply arriving during the drop is dropped');

    const seenByOther = other.received.length;
    const seenByDropper = dropper.received.length;
    await t.throwsAsync(dropper.bus.request(other.peer, ['PING'], 300), { instanceOf: BusTimeoutError, code: 'ETIMEDOUT' }, 'nothing goes out');
    await t.throwsAsync(other.bus.request(dropper.peer, ['PING'], 300), { instanceOf: BusTimeoutError, code: 'ETIMEDOUT' }, 'nothing comes in');
    t.is(other.received.length, seenByOther, 'no request reached the dropped peer');
    t.is(dropper.received.length, seenByDropper, 'requests from the dropped peer were read and ignored');
    t.true(dropper.bus.stats().requestsDropped >= 1);

    dropper.bus.heal();
    t.deepEqual(dropper.bus.dropped(), []);
    t.deepEqual(await dropper.bus.request(other.peer, ['ECHO', 'out']), [b('out')]);
    // The connection that carried unanswered requests is closed at heal; the other side reconnects.
    await waitFor(() => !other.bus.stats().peers[dropper.peer.id].connected);
    t.deepEqual(await other.bus.request(dropper.peer, ['ECHO', 'in']), [b('in')]);
    t.is(await other.bus.request(dropper.peer, ['INT', '7']), 7, 'replies match their requests again');
  }
});

test('maxPending caps the requests a link holds', async (t) => {
  const a = await startNode(t, 'node-a', { maxPending: 3 });
  const c = await startNode(t, 'node-b');
  const hanging = [1, 2, 3].map(() => settled(a.bus.request(c.peer, ['HANG'], 60_000)));
  await t.throwsAsync(a.bus.request(c.peer, ['PING']), { instanceOf: BusError, code: 'EOVERLOAD' });
  t.is(a.bus.stats().peers['node-b'].pending, 3);
  await a.bus.close();
  for (const outcome of await Promise.all(hanging)) t.like(outcome, { code: 'ECLOSED' });
});

test('a peer that accepts but never authenticates fails the connect timeout; one that is no bus fails with EPROTO', async (t) => {
  const a = await startNode(t, 'node-a', { connectTimeoutMs: 2000 }); // long enough for a busy machine to answer the redis-like peer
  const sockets: net.Socket[] = [];
  // The bus resets these connections when it gives up on them: the fake peers expect that.
  const silent = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => s.destroy());
  });
  const redisLike = net.createServer((s) => {
    s.on('error', () => s.destroy());
    s.on('data', () => s.write("-ERR unknown command 'AUTH-CHALLENGE'\r\n"));
  });
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
    redisLike.close();
  });
  const listen = (server: net.Server): Promise<number> =>
    new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));

  const silentPeer = { id: 'node-s', host: '127.0.0.1', busPort: await listen(silent) };
  const err = await t.throwsAsync(a.bus.request(silentPeer, ['PING'], 30_000), { instanceOf: BusError, code: 'ECONNFAILED' });
  t.regex(err.message, /no authenticated connection to node-s \(bus 127\.0\.0\.1:\d+\) within 2000 ms/);
  const again = await t.throwsAsync(a.bus.request(silentPeer, ['PING']), { instanceOf: BusError, code: 'EUNREACHABLE' });
  t.regex(again.message, /node-s is unreachable: no authenticated connection .* \(next attempt in \d+ ms\)/);

  const redisPeer = { id: 'node-r', host: '127.0.0.1', busPort: await listen(redisLike) };
  const proto = await t.throwsAsync(a.bus.request(redisPeer, ['PING']), { instanceOf: BusError, code: 'EPROTO' });
  t.regex(proto.message, /does not speak the dynkv cluster bus: it answered AUTH-CHALLENGE with the error "ERR unknown command/);
  t.is(a.bus.stats().connectionFailures, 2);
  await t.throwsAsync(a.bus.request({ id: 'node-z', host: '127.0.0.1', busPort: 0 }, ['PING']), { instanceOf: BusError, code: 'ECONNFAILED' });
});

test('close() fails pending requests with ECLOSED and resolves once every socket is closed', async (t) => {
  const a = await startNode(t, 'node-a');
  const c = await startNode(t, 'node-b');
  const d = await startNode(t, 'node-d');
  const hanging = [1, 2, 3].map(() => settled(a.bus.request(c.peer, ['HANG'], 60_000)));
  a.bus.drop('node-d');
  const held = settled(a.bus.request(d.peer, ['PING'], 60_000));
  await waitFor(() => c.received.length === 3);

  await a.bus.close();
  for (const outcome of await Promise.all(hanging)) t.like(outcome, { name: 'BusError', code: 'ECLOSED' });
  t.like(await held, { code: 'ECLOSED' }, 'a request held by a drop too');
  await t.throwsAsync(a.bus.request(c.peer, ['PING']), { instanceOf: BusError, code: 'ECLOSED' });
  await a.bus.close();
  await waitFor(() => c.bus.stats().inboundConnections === 0);
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(a.peer.busPort, '127.0.0.1', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
  t.true(refused, 'the bus port is closed');

  // Closing the other side fails what is pending there with ECONNLOST.
  const toD = settled(c.bus.request(d.peer, ['HANG'], 60_000));
  await waitFor(() => d.received.length === 1);
  await d.bus.close();
  t.like(await toD, { code: 'ECONNLOST', peer: 'node-d' });
});
