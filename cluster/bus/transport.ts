// cluster/bus/transport.ts — the seam between the coordinator and the wire:
// what a node needs to send requests to its peers and answer theirs.
// ClusterBus (bus.ts) is the real one, over authenticated TCP; the
// deterministic simulation (test/sim/) gives each node an in-memory one on a
// manual clock. A Transport rejects a request that got no reply with a
// BusError (errors.ts) of the same codes either way (ETIMEDOUT, ECONNLOST,
// ECONNFAILED, EUNREACHABLE ...), which is what membership reads liveness
// from; an error reply resolves as a ReplyError value.
import type { BusReply, BusRequestHandler } from './context';
import type { BusPeer } from './peer-link';

export interface Transport {
  /** Starts accepting peers' requests; resolves with the bound port. */
  listen(): Promise<number>;
  /** Sends argv to a peer; resolves with its reply, rejects with a BusError when none came. */
  request(peer: BusPeer, argv: readonly (Buffer | string)[], timeoutMs?: number): Promise<BusReply>;
  /** Drops all traffic to and from this peer until heal() (fault injection). */
  drop(peerId: string): void;
  /** Ends every drop. */
  heal(): void;
  /** Stops, failing pending requests with ECLOSED; resolves once everything is closed. */
  close(): Promise<void>;
}

export interface TransportHandlers {
  /** Answers a request from a peer. */
  onRequest: BusRequestHandler;
  /** A peer's handshake on a connection it opened succeeded (ok) or failed; the id is the one it claimed. */
  onInboundHandshake: (peer: string, ok: boolean) => void;
}

/** Makes a node's transport, given what answers its peers. */
export type TransportFactory = (handlers: TransportHandlers) => Transport;
