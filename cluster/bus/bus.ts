// cluster/bus/bus.ts — the cluster bus: the transport between dynkv nodes. Each
// node listens on its bus port (client port + 10000 by default, Redis
// Cluster's convention) and keeps one pooled, pipelined, authenticated
// connection to each peer it talks to. Requests are argv lists and replies
// RESP2 values: this module carries them and knows nothing of what the
// commands mean; the replication layer gives it a handler for requests from
// peers. Pieces: peer-link.ts (outbound connections), inbound.ts
// (inbound ones), auth.ts (the handshake), errors.ts (what requests
// reject with). drop()/heal() inject partitions for tests.
import net from 'node:net';
import { MAX_VALUE_LEN } from '../../engine/index';
import { realClock, type Clock } from '../clock';
import type { BusContext, BusCounters, BusReply, BusRequestHandler } from './context';
import { BusError } from './errors';
import { InboundLink } from './inbound';
import { PeerLink, type BusPeer } from './peer-link';
import type { Transport } from './transport';

export type { BusPeer } from './peer-link';
export type { BusReply, BusRequestHandler } from './context';
export { BusError, BusTimeoutError, BusAuthError, type BusErrorCode } from './errors';
export type { Transport, TransportFactory, TransportHandlers } from './transport';

export interface ClusterBusOptions {
  /** This node's id: its client address host:port. */
  nodeId: string;
  /** Address and port the bus listens on; port 0 picks a free one. */
  host: string;
  port: number;
  /** The cluster secret every node shares; the handshake proves knowledge of it. */
  secret: string;
  onRequest: BusRequestHandler;
  /** Default timeout of request(), in ms. */
  requestTimeoutMs?: number;
  /** Time to open and authenticate a connection, either way, in ms. */
  connectTimeoutMs?: number;
  /** Requests one peer's link holds at most; more are refused with EOVERLOAD. */
  maxPending?: number;
  /** Longest bulk accepted in a peer's request or reply (a record: the engine's MAX_VALUE_LEN). */
  maxBulkLen?: number;
  /** Where request and handshake timeouts and reconnect backoff read the time; realClock unless set. */
  clock?: Clock;
  /** Where problems are logged, one line each; console.error unless set. */
  log?: (line: string) => void;
  /**
   * Told of every handshake a peer makes on this node's bus: ok, or failed
   * (then the node id is only the one claimed, unproven). Outbound
   * handshakes fail their requests with EAUTH instead.
   */
  onInboundHandshake?: (peerId: string, ok: boolean) => void;
}

export interface BusPeerStats {
  /** The outbound connection is open and authenticated. */
  connected: boolean;
  /** Requests queued, in flight, or awaiting their timeout. */
  pending: number;
}

export interface BusStats extends BusCounters {
  /** Authenticated connections from peers. */
  inboundConnections: number;
  /** Outbound links by peer id. */
  peers: Record<string, BusPeerStats>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
const DEFAULT_MAX_PENDING = 10_000;
const DEFAULT_MAX_BULK_LEN = MAX_VALUE_LEN;

export class ClusterBus implements Transport {
  readonly nodeId: string;
  private readonly host: string;
  private readonly port: number;
  private readonly requestTimeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly context: BusContext;
  private readonly counters: BusCounters = {
    requestsSent: 0,
    repliesReceived: 0,
    timeouts: 0,
    requestsDropped: 0,
    connectionFailures: 0,
    authFailures: 0,
    requestsReceived: 0,
  };
  private server: net.Server | null = null;
  private readonly links = new Map<string, PeerLink>();
  private readonly inbound = new Set<InboundLink>();
  private readonly droppedPeers = new Set<string>();
  /** Topics already logged, by peer id; forgotten when a handshake with the peer succeeds. */
  private readonly warned = new Map<string, Set<string>>();
  /** One promise per socket not closed yet, resolved by its 'close'. */
  private readonly openSockets = new Set<Promise<void>>();
  private closing: Promise<void> | null = null;

  constructor(opts: ClusterBusOptions) {
    if (opts.secret === '') throw new TypeError('cluster bus: a cluster secret is required');
    this.nodeId = opts.nodeId;
    this.host = opts.host;
    this.port = opts.port;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.log = opts.log ?? ((line) => console.error(line));
    this.context = {
      nodeId: opts.nodeId,
      secret: opts.secret,
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      maxPending: opts.maxPending ?? DEFAULT_MAX_PENDING,
      maxBulkLen: opts.maxBulkLen ?? DEFAULT_MAX_BULK_LEN,
      counters: this.counters,
      clock: opts.clock ?? realClock,
      onRequest: opts.onRequest,
      isDropped: (peerId) => this.droppedPeers.has(peerId),
      warnOnce: (peerId, topic, message) => {
        let topics = this.warned.get(peerId);
        if (topics === undefined) this.warned.set(peerId, (topics = new Set()));
        if (topics.has(topic)) return;
        topics.add(topic);
        this.log(`dynkv: cluster bus: ${message}`);
      },
      authenticated: (peerId) => {
        this.warned.delete(peerId);
        // The peer is back (it connected here): the link to it stops waiting out its backoff.
        this.links.get(peerId)?.endBackoff();
      },
      inboundHandshake: opts.onInboundHandshake ?? (() => undefined),
      track: (socket) => {
        const closed: Promise<void> = new Promise((resolve) =>
          socket.once('close', () => {
            this.openSockets.delete(closed);
            resolve();
          }),
        );
        this.openSockets.add(closed);
      },
    };
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    if (this.closing !== null) return Promise.reject(new Error('cluster bus: closed'));
    if (this.server !== null) return Promise.reject(new Error('cluster bus: already listening'));
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void => {
        this.server = null;
        reject(err);
      };
      server.once('error', failed);
      server.listen(this.port, this.host, () => {
        server.off('error', failed);
        if (this.closing !== null) {
          server.close();
          reject(new Error('cluster bus: closed while starting to listen'));
          return;
        }
        server.on('error', (err) => this.log(`dynkv: cluster bus: ${err.message}`));
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /**
   * Sends argv to a peer and resolves with its reply; an error reply resolves
   * as a ReplyError value. Rejects with a BusError (see errors.ts) when
   * no reply came: timeout, connection lost or failed, backoff, handshake
   * failure, too many pending requests, bus closed. Large Buffer arguments
   * are written as they are, not copied: leave them unchanged.
   */
  request(peer: BusPeer, argv: readonly (Buffer | string)[], timeoutMs = this.requestTimeoutMs): Promise<BusReply> {
    if (this.closing !== null) return Promise.reject(new BusError('ECLOSED', peer.id, 'the bus is closed'));
    if (!Number.isInteger(peer.busPort) || peer.busPort <= 0 || peer.busPort > 65535) {
      return Promise.reject(new BusError('ECONNFAILED', peer.id, `${peer.id} has no valid bus port (${peer.busPort})`));
    }
    let link = this.links.get(peer.id);
    if (link === undefined) {
      link = new PeerLink(peer, this.context);
      this.links.set(peer.id, link);
    } else {
      link.readdress(peer);
    }
    return link.request(argv, timeoutMs);
  }

  /** Drops all bus traffic to and from this peer (its node id) until heal(): a partition, for tests. */
  drop(peerId: string): void {
    this.droppedPeers.add(peerId);
  }

  /** Ends every drop. Connections on which a peer's requests went unanswered are closed: the peer reconnects. */
  heal(): void {
    this.droppedPeers.clear();
    for (const link of this.inbound) if (link.isSilenced) link.destroy();
  }

  dropped(): string[] {
    return [...this.droppedPeers];
  }

  stats(): BusStats {
    const peers: Record<string, BusPeerStats> = {};
    for (const [id, link] of this.links) peers[id] = { connected: link.connected, pending: link.pending };
    let inboundConnections = 0;
    for (const link of this.inbound) if (link.authenticated) inboundConnections++;
    return { ...this.counters, inboundConnections, peers };
  }

  /** Stops listening, fails pending requests with ECLOSED, closes every connection; resolves once all sockets are closed. */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    const serverClosed = server?.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const link of this.links.values()) link.close();
    for (const link of this.inbound) link.destroy();
    await Promise.all([serverClosed, ...this.openSockets]);
  }

  private accept(socket: net.Socket): void {
    this.context.track(socket);
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    const link = new InboundLink(socket, this.context);
    this.inbound.add(link);
    socket.once('close', () => this.inbound.delete(link));
  }
}
