// cluster/membership/membership.ts — who is in the cluster and who answers: the static
// member list (--cluster-nodes; the membership issue adds gossip, join and
// leave), the ring built from it, every partition's preference list computed
// once, and each peer's liveness, from its heartbeats (heartbeat.ts pings
// every peer) and the outcome of every other request, through a phi-accrual
// detector per peer (phi-accrual.ts):
//   up          answers; phi below SUSPECT_PHI
//   suspect     a request or heartbeat went unanswered (timeout, connection
//               lost) or phi reached SUSPECT_PHI: still asked, not routed to
//   down        phi reached the threshold (cluster-phi-threshold), or a
//               connection to it was refused: known not to answer, so no
//               request waits on it (they fail at once); heartbeats still
//               probe it
//   auth-failed a handshake with it failed (a different cluster secret: it
//               may answer, but nothing it says can be trusted)
// Any answer makes a peer up again. Each change of state is logged once.
// Time comes from the Clock given: nothing here reads the wall clock.
import { BusError, type BusPeer } from '../bus/bus';
import type { Clock } from '../clock';
import { PhiAccrual } from './phi-accrual';
import type { HandoffSettings } from '../handoff/delivery';
import type { AntiEntropyOptions } from '../anti-entropy/types';
import { Ring } from '../ring/ring';
import { keySlot } from '../ring/slot';

export interface ClusterMember {
  /** The node id: its client address, host:port. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /**
   * The cluster bus port. 0 only for a cluster of one whose port + 10000 is
   * above 65535 and that has no cluster-port: any free port, as no peer dials it.
   */
  readonly busPort: number;
  readonly weight: number;
}

export interface ClusterOptions {
  readonly self: ClusterMember;
  /** Every member, self included, sorted by id. */
  readonly members: readonly ClusterMember[];
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly partitions: number;
  readonly secret: string;
  /** Per-request timeout on the cluster bus, ms. */
  readonly timeoutMs: number;
  /** DYN.FAULT is accepted only when set (--enable-fault-injection yes). */
  readonly faultInjection: boolean;
  /** phi at which a silent peer is down (cluster-phi-threshold); DEFAULT_PHI_THRESHOLD unless set. */
  readonly phiThreshold?: number;
  /** Period of the heartbeat to each peer, ms (cluster-heartbeat-ms); DEFAULT_HEARTBEAT_MS unless set. */
  readonly heartbeatMs?: number;
  /** Hinted handoff's bounds and pace (handoff/delivery.ts's defaults when absent). */
  readonly handoff?: HandoffSettings;
  /** Anti-entropy: pause between rounds once synced, keys pulled per second at most, absence after which a node resyncs (ms). */
  readonly antiEntropy?: AntiEntropyOptions;
}

/** Cassandra's phi_convict_threshold. */
export const DEFAULT_PHI_THRESHOLD = 8;
/** Cassandra's gossip period: with phi 8, a silent peer is down after about 18.4 periods. */
export const DEFAULT_HEARTBEAT_MS = 1000;
/** phi at which a silent peer is suspect (or the threshold, if lower): silent for 2.3 mean heartbeat intervals. */
export const SUSPECT_PHI = 1;
/** Heartbeat intervals a detector keeps (Cassandra's window). */
const WINDOW_SIZE = 1000;

/** Bus errors that say an answer did not come (the peer may be slow or paused): suspect. */
const MISSED = new Set(['ETIMEDOUT', 'ECONNLOST']);
/** Bus errors that say no connection could be made (refused, reset, connect timeout, backing off after those): down. */
const REFUSED = new Set(['ECONNFAILED', 'EUNREACHABLE']);

/** myself; up: answers (or not heard from yet); suspect: missed an answer; down: known not to answer; auth-failed: the handshake with it failed (a different cluster secret). */
export type MemberState = 'myself' | 'up' | 'suspect' | 'down' | 'auth-failed';
type PeerState = Exclude<MemberState, 'myself'>;

/** What a request to a peer known not to answer (down, auth-failed) fails with, at once. */
export class PeerDownError extends Error {
  constructor(
    readonly peer: string,
    state: MemberState,
  ) {
    super(`cluster: ${peer} is ${state}`);
    this.name = 'PeerDownError';
  }
}

interface Peer {
  state: PeerState;
  detector: PhiAccrual;
  /**
   * An answer to a request came since the last check. Requests are the hot
   * path, where reading the clock per reply costs too much: the next check
   * counts the peer heard at the check before (a time it was surely alive
   * after), at most a period short of the truth, never beyond it.
   */
  answered: boolean;
}

export class Membership {
  readonly selfId: string;
  readonly ring: Ring;
  readonly n: number;
  private readonly members = new Map<string, ClusterMember>();
  /** Each member as a bus peer, made once (every bus request names one). */
  private readonly busPeers = new Map<string, BusPeer>();
  /** Preference lists by partition: N node ids each. */
  private readonly preflists: string[][];
  /** Every member but this node. */
  private readonly peers = new Map<string, Peer>();
  private phiThreshold: number;
  private period: number;
  /** When check() last ran (or membership began). */
  private checkedAt: number;
  /** Fallbacks by partition: the other members in ring order after the N primaries. */
  private readonly fallbackLists: string[][];

  constructor(
    options: ClusterOptions,
    /** Where arrivals and phi read the time. */
    private readonly clock: Clock,
  ) {
    this.selfId = options.self.id;
    this.phiThreshold = options.phiThreshold ?? DEFAULT_PHI_THRESHOLD;
    this.period = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.checkedAt = clock.now();
    for (const m of options.members) {
      this.members.set(m.id, m);
      this.busPeers.set(m.id, Object.freeze({ id: m.id, host: m.host, busPort: m.busPort }));
    }
    if (!this.members.has(this.selfId)) throw new RangeError(`this node ${this.selfId} is not in the member list`);
    this.ring = Ring.create(options.members.map((m) => ({ id: m.id, weight: m.weight })), options.partitions);
    this.n = Math.min(options.n, options.members.length);
    this.preflists = [];
    for (const m of options.members) if (m.id !== this.selfId) this.peers.set(m.id, { state: 'up', detector: this.detector(null), answered: false });
    this.fallbackLists = [];
    for (let p = 0; p < this.ring.partitionCount; p++) {
      const annotated = this.ring.annotatedPreferenceList(p, this.n);
      this.preflists.push(annotated.filter((e) => e.role === 'primary').map((e) => e.node));
      this.fallbackLists.push(annotated.filter((e) => e.role === 'fallback').map((e) => e.node));
    }
  }

  get single(): boolean {
    return this.members.size === 1;
  }

  /** The key's N replicas in preference order (shared: do not change it). */
  preferenceList(key: Buffer): readonly string[] {
    return this.preflists[this.ring.partitionOf(keySlot(key))];
  }

  /** The key's fallbacks, nearest first: the members after its N primaries in ring order (sloppy quorum's stand-ins; shared). */
  fallbacks(key: Buffer): readonly string[] {
    return this.fallbackLists[this.ring.partitionOf(keySlot(key))];
  }

  member(id: string): ClusterMember | undefined {
    return this.members.get(id);
  }

  all(): ClusterMember[] {
    return [...this.members.values()];
  }

  /** The member with this id as a bus peer. */
  peer(id: string): BusPeer {
    const peer = this.busPeers.get(id);
    if (peer === undefined) throw new RangeError(`${id} is not a cluster member`);
    return peer;
  }

  /** The other members' ids. */
  peerIds(): IterableIterator<string> {
    return this.peers.keys();
  }

  /** Not known to be down or auth-failed: worth a request (a suspect peer is still asked). */
  isUp(id: string): boolean {
    const state = this.peers.get(id)?.state;
    return state === undefined ? id === this.selfId : state === 'up' || state === 'suspect';
  }

  /** The first member of the list that is up (this node is); else the first suspect; else the list's first. */
  firstUp(list: readonly string[]): string {
    let suspect: string | null = null;
    for (const id of list) {
      const state = this.state(id);
      if (state === 'up' || state === 'myself') return id;
      if (state === 'suspect') suspect ??= id;
    }
    return suspect ?? list[0];
  }

  /**
   * A request to the peer settled. An answer (err null, or a refusal: any
   * error that is not the bus's) proves it alive: up. No answer in time, or
   * the connection lost with the request on it: suspect. No connection:
   * down. A failed handshake: auth-failed. Other bus errors (overload,
   * closing) say nothing of the peer.
   */
  heard(id: string, err: unknown): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    if (!(err instanceof BusError)) {
      peer.answered = true;
      if (peer.state !== 'up') this.enter(id, peer, 'up', '');
    } else if (err.code === 'EAUTH') this.enter(id, peer, 'auth-failed', err.message);
    else if (REFUSED.has(err.code)) this.enter(id, peer, 'down', err.message);
    else if (MISSED.has(err.code)) this.missed(id, err.message);
  }

  /** The peer answered a heartbeat: an arrival that also measures the heartbeat's rhythm. */
  heartbeat(id: string): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    peer.detector.heartbeat(this.clock.now());
    if (peer.state !== 'up') this.enter(id, peer, 'up', '');
  }

  /** An answer the peer owed did not come (a timeout, or a heartbeat still unanswered when the next is due): an up peer is suspect. */
  missed(id: string, why: string): void {
    const peer = this.peers.get(id);
    if (peer !== undefined && peer.state === 'up') this.enter(id, peer, 'suspect', why);
  }

  /** Moves up and suspect peers by their phi now: to suspect at SUSPECT_PHI, to down at the threshold. Run at each heartbeat. */
  check(): void {
    const now = this.clock.now();
    const suspectAt = Math.min(SUSPECT_PHI, this.phiThreshold);
    for (const [id, peer] of this.peers) {
      this.countAnswers(peer);
      if (peer.state !== 'up' && peer.state !== 'suspect') continue;
      const phi = peer.detector.phi(now);
      if (phi < suspectAt) continue;
      const why = `phi ${phi.toFixed(2)} (silent for ${Math.round(now - (peer.detector.lastHeard as number))} ms, heartbeats every ${Math.round(peer.detector.mean)} ms)`;
      if (phi >= this.phiThreshold) this.enter(id, peer, 'down', `${why} reached the threshold ${this.phiThreshold}`);
      else this.missed(id, why);
    }
    this.checkedAt = now;
  }

  /** The heartbeat's period, ms. */
  get heartbeatMs(): number {
    return this.period;
  }

  /** The peer's phi now (0 for this node). */
  phi(id: string): number {
    const peer = this.peers.get(id);
    if (peer === undefined) return 0;
    this.countAnswers(peer);
    return peer.detector.phi(this.clock.now());
  }

  /** Answers to requests since the last check: heard at that check, at the latest. */
  private countAnswers(peer: Peer): void {
    if (!peer.answered) return;
    peer.detector.heard(this.checkedAt);
    peer.answered = false;
  }

  /**
   * The threshold and heartbeat period from now on. A new period starts
   * every window again (the old intervals measured another rhythm), and the
   * silence anew: a peer heard from counts as heard now (else the silence
   * between slow heartbeats would read as many missed fast ones).
   */
  configure(phiThreshold: number, heartbeatMs: number): void {
    this.phiThreshold = phiThreshold;
    if (heartbeatMs === this.period) return;
    this.period = heartbeatMs;
    const now = this.clock.now();
    for (const peer of this.peers.values()) peer.detector = this.detector(peer.detector.lastHeard === null ? null : now);
  }

  state(id: string): MemberState {
    if (id === this.selfId) return 'myself';
    return this.peers.get(id)?.state ?? 'up';
  }

  /** A fresh window (heartbeats every period, a longer interval than twice that left out, as Cassandra's), the peer last heard at heardAt. */
  private detector(heardAt: number | null): PhiAccrual {
    return new PhiAccrual({ windowSize: WINDOW_SIZE, firstInterval: this.period, maxInterval: 2 * this.period }, heardAt);
  }

  /** Sets a peer's state; a change is logged once, on stderr. */
  private enter(id: string, peer: Peer, state: PeerState, why: string): void {
    const was = peer.state;
    if (was === state) return;
    peer.state = state;
    console.error(`dynkv: cluster: node ${id} is ${state}${state === 'up' ? ` (was ${was})` : `: ${why}`}`);
  }
}
