// cluster/bus/context.ts — what a cluster bus shares with its connections:
// identity and secret, limits, the request handler, the fault-injection
// drops, counters for INFO, and one-time logging. The outbound links
// (peer-link.ts) and inbound connections (inbound.ts) see the bus only
// through this interface, so neither depends on the other or on bus.ts.
import type net from 'node:net';
import type { ReplyValue } from '../../protocol/reply-parser';
import type { Clock } from '../clock';

export type BusReply = ReplyValue;

/** Answers a request from an authenticated peer; what it throws or rejects with becomes `-ERR <message>`. */
export type BusRequestHandler = (from: string, argv: Buffer[]) => BusReply | Promise<BusReply>;

export interface BusCounters {
  /** Requests written to peers. */
  requestsSent: number;
  /** Replies read from peers, late ones included. */
  repliesReceived: number;
  /** Requests that got no reply in time. */
  timeouts: number;
  /** Requests not sent because their peer is dropped (fault injection). */
  requestsDropped: number;
  /** Outbound connections that failed to open or authenticate, or broke. */
  connectionFailures: number;
  /** Handshakes that failed on either side. */
  authFailures: number;
  /** Requests from peers handed to the handler. */
  requestsReceived: number;
}

export interface BusContext {
  /** This node's id (its client address host:port), proven to peers in the handshake. */
  readonly nodeId: string;
  readonly secret: string;
  /** An outbound connection must be authenticated, and an inbound one must authenticate, within this. */
  readonly connectTimeoutMs: number;
  /** Requests a link holds at most (queued, in flight, or timed out and awaiting their late reply). */
  readonly maxPending: number;
  /** Longest bulk accepted from a peer, in a request or a reply. */
  readonly maxBulkLen: number;
  readonly counters: BusCounters;
  /** Request and handshake timeouts, reconnect backoff. */
  readonly clock: Clock;
  readonly onRequest: BusRequestHandler;
  /** True while all traffic to and from this peer is dropped. */
  isDropped(peerId: string): boolean;
  /** Logs `dynkv: cluster bus: <message>` unless this topic was logged for this peer since its last successful handshake. */
  warnOnce(peerId: string, topic: string, message: string): void;
  /** A handshake with this peer succeeded: its problems are logged again if they come back. */
  authenticated(peerId: string): void;
  /** A peer's handshake on a connection it opened succeeded (ok) or failed; the id is the one it claimed. */
  inboundHandshake(peerId: string, ok: boolean): void;
  /** Lets close() wait until this socket has closed. */
  track(socket: net.Socket): void;
}
