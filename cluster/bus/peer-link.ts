// cluster/bus/peer-link.ts — the outbound side of the cluster bus: one pooled,
// persistent connection to one peer, opened on first use. Requests wait in
// a queue until the handshake (auth.ts) is done, then are pipelined:
// encoded as they come and written once per event-loop turn, with replies
// matched in FIFO order. A request that times out keeps its slot, so its
// late reply is matched and dropped and the connection stays usable. A
// broken connection fails everything on it; the next request reconnects,
// except during a backoff after failed attempts, when requests fail at once.
import net from 'node:net';
import { ReplyError, ReplyParser, type ReplyValue } from '../../protocol/reply-parser';
import { RequestWriter } from '../../protocol/request-writer';
import { AUTH_CHALLENGE, AUTH_PROOF, NONCE_BYTES, handshakeProof, newNonce, proofMatches } from './auth';
import type { TimerHandle } from '../clock';
import type { BusContext } from './context';
import { BusAuthError, BusError, BusTimeoutError, type BusErrorCode } from './errors';
import { Fifo } from './fifo';

/** Where a peer's bus listens; `id` is its node id (client address host:port), checked in the handshake. */
export interface BusPeer {
  id: string;
  host: string;
  busPort: number;
}

/** After the n-th failed attempt in a row, the next waits min(MIN * 2^(n-1), MAX). */
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 1000;
const KEEPALIVE_MS = 10_000;

interface PendingRequest {
  resolve: (reply: ReplyValue) => void;
  reject: (error: BusError) => void;
  timer: TimerHandle;
  /** Resolved, rejected or timed out: a reply that still comes for it is dropped. */
  settled: boolean;
}

interface QueuedRequest {
  request: PendingRequest;
  argv: readonly (Buffer | string)[];
}

/** idle: no socket; connecting: TCP; challenge, proof: the handshake's two round trips; ready: authenticated. */
type LinkState = 'idle' | 'connecting' | 'challenge' | 'proof' | 'ready' | 'closed';

export class PeerLink {
  private peer: BusPeer;
  private state: LinkState = 'idle';
  private socket: net.Socket | null = null;
  private connectTimer: TimerHandle | null = null;
  private clientNonce: Buffer = Buffer.alloc(0);
  private serverNonce: Buffer = Buffer.alloc(0);
  private readonly writer = new RequestWriter();
  private flushScheduled = false;
  /** Requests waiting for the connection to be ready. */
  private queued: QueuedRequest[] = [];
  /** Requests sent, in order, awaiting their replies (timed-out ones included). */
  private readonly inflight = new Fifo<PendingRequest>();
  /** Requests to or from a dropped peer: only their timeout ends them. */
  private readonly held = new Set<PendingRequest>();
  /** Connection attempts failed in a row; no attempt before retryAt. */
  private connectFailures = 0;
  private retryAt = 0;
  private lastFailure: { code: BusErrorCode; reason: string } | null = null;

  constructor(
    peer: BusPeer,
    private readonly ctx: BusContext,
  ) {
    this.peer = { ...peer };
  }

  get connected(): boolean {
    return this.state === 'ready';
  }

  /** Requests queued, in flight (timed-out ones awaiting their late reply included), or held by a drop. */
  get pending(): number {
    return this.queued.length + this.inflight.length + this.held.size;
  }

  /** A new address for the peer, used from the next connection on (the current one is to the right node: the handshake proved it). */
  readdress(peer: BusPeer): void {
    this.peer.host = peer.host;
    this.peer.busPort = peer.busPort;
  }

  request(argv: readonly (Buffer | string)[], timeoutMs: number): Promise<ReplyValue> {
    const id = this.peer.id;
    if (this.state === 'closed') return Promise.reject(new BusError('ECLOSED', id, 'the bus is closed'));
    const dropped = this.ctx.isDropped(id);
    if (!dropped && this.state === 'idle' && this.ctx.clock.now() < this.retryAt) return Promise.reject(this.unreachable());
    if (this.pending >= this.ctx.maxPending) {
      return Promise.reject(new BusError('EOVERLOAD', id, `${this.pending} requests to ${id} are pending already (maxPending)`));
    }
    return new Promise<ReplyValue>((resolve, reject) => {
      const request: PendingRequest = { resolve, reject, timer: this.ctx.clock.setTimer(timeoutMs, () => this.expire(request, timeoutMs)), settled: false };
      if (this.state === 'ready' || dropped) {
        this.dispatch(request, argv);
        return;
      }
      this.queued.push({ request, argv });
      if (this.state === 'idle') this.connect();
    });
  }

  /** Fails everything with ECLOSED and closes the connection for good. */
  close(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    this.clearConnectTimer();
    this.state = 'closed';
    const error = new BusError('ECLOSED', this.peer.id, 'the bus is closed');
    this.failPending(error);
    for (const request of this.held) this.settle(request, error);
    this.held.clear();
  }

  private describe(): string {
    return `${this.peer.id} (bus ${this.peer.host}:${this.peer.busPort})`;
  }

  private connect(): void {
    const socket = net.createConnection({ host: this.peer.host, port: this.peer.busPort });
    this.socket = socket;
    this.state = 'connecting';
    this.ctx.track(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const timeoutMs = this.ctx.connectTimeoutMs;
    this.connectTimer = this.ctx.clock.setTimer(timeoutMs, () => this.broken('ECONNFAILED', `no authenticated connection to ${this.describe()} within ${timeoutMs} ms`));
    const parser = new ReplyParser({
      maxBulkLen: this.ctx.maxBulkLen,
      onReply: (reply) => {
        if (this.socket === socket) this.onReply(reply);
      },
      onError: (message) => {
        if (this.socket !== socket) return;
        const reason = `bad reply from ${this.describe()}: ${message}`;
        this.ctx.warnOnce(this.peer.id, 'protocol', reason);
        this.broken('EPROTO', reason);
      },
    });
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.state = 'challenge';
      this.clientNonce = newNonce();
      this.writer.command([AUTH_CHALLENGE, this.clientNonce]);
      this.flush();
    });
    socket.on('data', (chunk: Buffer) => parser.feed(chunk));
    const ended = (cause: string): void => {
      if (this.socket !== socket) return;
      if (this.state === 'ready') this.broken('ECONNLOST', `connection to ${this.describe()} lost: ${cause}`);
      else this.broken('ECONNFAILED', `cannot connect to ${this.describe()}: ${cause}`);
    };
    socket.on('error', (err: Error) => ended(err.message));
    socket.on('close', () => ended('closed by the peer'));
  }

  private onReply(reply: ReplyValue): void {
    if (this.state === 'ready') this.onResponse(reply);
    else if (this.state === 'challenge') this.onServerNonce(reply);
    else this.onServerProof(reply);
  }

  private onServerNonce(reply: ReplyValue): void {
    if (!Buffer.isBuffer(reply) || reply.length !== NONCE_BYTES) {
      this.broken('EPROTO', `${this.describe()} does not speak the dynkv cluster bus: it answered ${AUTH_CHALLENGE} with ${show(reply)}`);
      return;
    }
    this.serverNonce = reply;
    this.state = 'proof';
    const { nodeId, secret } = this.ctx;
    this.writer.command([AUTH_PROOF, nodeId, handshakeProof(secret, 'client', this.clientNonce, reply, nodeId)]);
    this.flush();
  }

  private onServerProof(reply: ReplyValue): void {
    if (reply instanceof ReplyError) {
      this.authFailed(`${this.describe()} refused this node's proof (${reply.message}): do both nodes have the same cluster secret?`);
      return;
    }
    if (!Array.isArray(reply) || reply.length !== 2 || !Buffer.isBuffer(reply[0]) || !Buffer.isBuffer(reply[1])) {
      this.broken('EPROTO', `${this.describe()} answered ${AUTH_PROOF} with ${show(reply)}`);
      return;
    }
    const serverId = reply[0].toString('utf8');
    if (serverId !== this.peer.id) {
      this.authFailed(`${this.peer.host}:${this.peer.busPort} is the bus of node ${serverId}, not of ${this.peer.id}`);
      return;
    }
    const expected = handshakeProof(this.ctx.secret, 'server', this.clientNonce, this.serverNonce, serverId);
    if (!proofMatches(expected, reply[1])) {
      this.authFailed(`${this.describe()} failed to prove it knows the cluster secret`);
      return;
    }
    this.ready();
  }

  /** The peer proved itself on a connection it opened: a backoff from this link's failed attempts ends now. */
  reachable(): void {
    if (this.state !== 'idle') return;
    this.connectFailures = 0;
    this.retryAt = 0;
  }

  private ready(): void {
    this.clearConnectTimer();
    this.state = 'ready';
    this.connectFailures = 0;
    this.retryAt = 0;
    this.lastFailure = null;
    this.ctx.authenticated(this.peer.id);
    const queued = this.queued;
    this.queued = [];
    for (const { request, argv } of queued) if (!request.settled) this.dispatch(request, argv);
  }

  /** Sends a request, or holds it while its peer is dropped. */
  private dispatch(request: PendingRequest, argv: readonly (Buffer | string)[]): void {
    if (this.ctx.isDropped(this.peer.id)) {
      this.held.add(request);
      this.ctx.counters.requestsDropped++;
      return;
    }
    this.writer.command(argv);
    this.inflight.push(request);
    this.ctx.counters.requestsSent++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.scheduledFlush);
    }
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Writes what was encoded since the last flush, as one gathered write. */
  private flush(): void {
    const pieces = this.writer.take();
    const socket = this.socket;
    if (socket === null || pieces.length === 0) return;
    if (pieces.length === 1) {
      socket.write(pieces[0]);
      return;
    }
    socket.cork();
    for (const piece of pieces) socket.write(piece);
    socket.uncork();
  }

  private onResponse(reply: ReplyValue): void {
    this.ctx.counters.repliesReceived++;
    const request = this.inflight.shift();
    if (request === undefined) {
      this.broken('EPROTO', `${this.describe()} sent a reply with no request waiting for it`);
      return;
    }
    if (request.settled) return; // the late reply of a request that timed out
    if (this.ctx.isDropped(this.peer.id)) {
      this.held.add(request);
      return;
    }
    request.settled = true;
    this.ctx.clock.clearTimer(request.timer);
    request.resolve(reply);
  }

  private expire(request: PendingRequest, timeoutMs: number): void {
    if (request.settled) return;
    request.settled = true;
    this.held.delete(request);
    this.ctx.counters.timeouts++;
    request.reject(new BusTimeoutError(this.peer.id, timeoutMs));
  }

  private authFailed(reason: string): void {
    this.ctx.counters.authFailures++;
    this.ctx.warnOnce(this.peer.id, 'outbound authentication', reason);
    this.broken('EAUTH', reason);
  }

  /** Ends the current connection: its requests fail with code; a connection that never got ready starts (or extends) the backoff. */
  private broken(code: BusErrorCode, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    this.clearConnectTimer();
    this.writer.take(); // bytes not written yet go with the connection
    const wasReady = this.state === 'ready';
    this.state = 'idle';
    this.ctx.counters.connectionFailures++;
    if (!wasReady) {
      this.connectFailures++;
      this.retryAt = this.ctx.clock.now() + Math.min(BACKOFF_MIN_MS * 2 ** (this.connectFailures - 1), BACKOFF_MAX_MS);
      this.lastFailure = { code, reason };
    }
    this.failPending(code === 'EAUTH' ? new BusAuthError(this.peer.id, reason) : new BusError(code, this.peer.id, reason));
  }

  /** The error of a request made during the backoff: the last failure's, if it was authentication, else EUNREACHABLE. */
  private unreachable(): BusError {
    const wait = `next attempt in ${this.retryAt - this.ctx.clock.now()} ms`;
    const last = this.lastFailure as { code: BusErrorCode; reason: string };
    if (last.code === 'EAUTH') return new BusAuthError(this.peer.id, `${last.reason} (${wait})`);
    return new BusError('EUNREACHABLE', this.peer.id, `${this.peer.id} is unreachable: ${last.reason} (${wait})`);
  }

  private failPending(error: BusError): void {
    const queued = this.queued;
    this.queued = [];
    for (const { request } of queued) this.settle(request, error);
    for (const request of this.inflight.drain()) this.settle(request, error);
  }

  private settle(request: PendingRequest, error: BusError): void {
    if (request.settled) return;
    request.settled = true;
    this.ctx.clock.clearTimer(request.timer);
    request.reject(error);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) this.ctx.clock.clearTimer(this.connectTimer);
    this.connectTimer = null;
  }
}

/** A reply in a log message: its type and a short preview. */
function show(reply: ReplyValue): string {
  if (reply === null) return 'a null';
  if (Buffer.isBuffer(reply)) return `a ${reply.length}-byte bulk`;
  if (Array.isArray(reply)) return `an array of ${reply.length}`;
  if (reply instanceof ReplyError) return `the error "${reply.message.slice(0, 100)}"`;
  if (typeof reply === 'string') return `the status "${reply.slice(0, 100)}"`;
  return `the integer ${reply}`;
}
