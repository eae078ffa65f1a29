// cluster/coordinator/peer-requests.ts — this node's requests to the other
// members over the bus (bus/), and what their outcomes and the members'
// handshakes tell failure detection (membership/): a request to a peer known
// to be down fails at once (nothing waits on it), every answer or failure
// updates the peer's state, the heartbeat pings each peer. Also the bus's
// own life (listen, close) and fault injection (DYN.FAULT).
import { ClusterBus, type BusReply, type Transport, type TransportFactory, type TransportHandlers } from '../bus/bus';
import type { Clock } from '../clock';
import { Heartbeat } from '../membership/heartbeat';
import { PeerDownError, type ClusterOptions, type Membership } from '../membership/membership';
import { ReplyError } from '../../protocol/reply-parser';

const ignore = (): void => undefined;

export class PeerRequests {
  /** Null on a cluster of one. */
  private readonly bus: Transport | null;
  private heartbeat: Heartbeat | null = null;
  private readonly selfId: string;
  private readonly faultInjection: boolean;

  constructor(
    private readonly membership: Membership,
    options: ClusterOptions,
    private readonly clock: Clock,
    /** Answers a peer's request (replica-service.ts). */
    onRequest: TransportHandlers['onRequest'],
    /** A peer proved it is up by connecting here (anti-entropy resumes exchanges). */
    private readonly onPeerUp: () => void,
    /** How this node reaches its peers: a ClusterBus on options.self's bus port unless given (the simulation's in-memory network). */
    transport?: TransportFactory,
  ) {
    this.selfId = options.self.id;
    this.faultInjection = options.faultInjection;
    const handlers: TransportHandlers = { onRequest, onInboundHandshake: (peer, ok) => this.inboundHandshake(peer, ok) };
    this.bus = membership.single
      ? null
      : (transport?.(handlers) ??
        new ClusterBus({
          nodeId: this.selfId,
          host: options.self.host,
          port: options.self.busPort,
          secret: options.secret,
          requestTimeoutMs: options.timeoutMs,
          clock,
          ...handlers,
        }));
  }

  /** Starts accepting peers' requests (none on a cluster of one). */
  async listen(): Promise<void> {
    await this.bus?.listen();
  }

  /** Starts the heartbeat; resolves once its first round settled (a node starting is heard by the others at once). */
  startHeartbeat(): Promise<void> {
    const bus = this.bus;
    if (bus === null) return Promise.resolve();
    this.heartbeat = new Heartbeat(this.membership, this.clock, (id) => bus.request(this.membership.peer(id), ['REPLICA.PING']), this.membership.heartbeatMs);
    return this.heartbeat.start();
  }

  /** Failure detection's settings (CONFIG SET cluster-phi-threshold, cluster-heartbeat-ms). */
  setFailureDetection(phiThreshold: number, heartbeatMs: number): void {
    this.membership.configure(phiThreshold, heartbeatMs);
    this.heartbeat?.setPeriod(heartbeatMs);
  }

  stopHeartbeat(): void {
    this.heartbeat?.stop();
  }

  close(): Promise<void> {
    return this.bus?.close() ?? Promise.resolve();
  }

  /** A bus request to a member; its outcome updates that member's liveness. An error reply rejects: the peer is up, but refused (it is no ack). */
  request(node: string, argv: readonly (Buffer | string)[]): Promise<BusReply> {
    return new Promise((resolve, reject) => this.send(node, argv, resolve, reject));
  }

  /** request() with callbacks, for the hot paths (one promise less per request). A peer known to be down fails at once: nothing waits on it. */
  send(node: string, argv: readonly (Buffer | string)[], onReply: (reply: BusReply) => void, onError: (err: Error) => void): void {
    if (this.bus === null) {
      onError(new Error('a cluster of one has no peers'));
      return;
    }
    if (!this.membership.isUp(node)) {
      onError(new PeerDownError(node, this.membership.state(node)));
      return;
    }
    this.bus
      .request(this.membership.peer(node), argv)
      .then(
        (reply) => {
          this.membership.heard(node, null);
          if (reply instanceof ReplyError) onError(reply);
          else onReply(reply);
        },
        (err: Error) => {
          this.membership.heard(node, err);
          onError(err);
        },
      )
      // A callback that throws is a bug of ours: said, and the server goes on.
      .catch((err: Error) => console.error(`dynkv: handling ${node}'s answer failed:`, err));
  }

  /**
   * A peer's handshake on a connection it opened. A success proves it up. A
   * failure names a node id nobody proved, so it is checked with a request
   * of this node's own: its handshake fails too if the secrets differ (the
   * peer is then auth-failed on both sides), and a stranger claiming a
   * member's id changes nothing.
   */
  private inboundHandshake(peer: string, ok: boolean): void {
    if (peer === this.selfId || this.membership.member(peer) === undefined) return;
    if (ok) {
      this.membership.heard(peer, null);
      this.onPeerUp();
    } else if (this.membership.isUp(peer)) this.send(peer, ['REPLICA.PING'], ignore, ignore);
  }

  /** DYN.FAULT: drops all bus traffic with a peer (null: heals every drop); false when fault injection is off. */
  fault(drop: string | null): boolean {
    if (!this.faultInjection) return false;
    if (this.bus === null) return true;
    if (drop === null) this.bus.heal();
    else this.bus.drop(drop);
    return true;
  }
}
