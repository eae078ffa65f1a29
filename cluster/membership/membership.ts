// cluster/membership/membership.ts — who is in the cluster and who answers: the static
// member list (--cluster-nodes; the membership issue adds gossip, join and
// leave), the ring built from it, every partition's preference list computed
// once, and a plain liveness view: a peer is down after a request to it
// failed at the connection or timed out, auth-failed after a handshake with
// it failed (a different cluster secret: it may answer, but nothing it says
// can be trusted), and up again when anything it answers arrives (a probe
// every second asks the others). Routing skips peers that are not up;
// quorums still ask them, as Dynamo does (an auth-failed peer refuses at
// once). Each change of state is logged once.
import { BusError, type BusPeer } from '../bus/bus';
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
  /** Anti-entropy: pause between rounds once synced, keys pulled per second at most, absence after which a node resyncs (ms). */
  readonly antiEntropy: AntiEntropyOptions;
}

/** The bus errors that say a peer did not answer (it may be down), as opposed to refusing a request. */
const UNANSWERED = new Set(['ETIMEDOUT', 'ECONNLOST', 'ECONNFAILED', 'EUNREACHABLE']);

/** myself; up: answers (or not heard from yet); down: did not answer; auth-failed: the handshake with it failed (a different cluster secret). */
export type MemberState = 'myself' | 'up' | 'down' | 'auth-failed';

export class Membership {
  readonly selfId: string;
  readonly ring: Ring;
  readonly n: number;
  private readonly members = new Map<string, ClusterMember>();
  /** Preference lists by partition: N node ids each. */
  private readonly preflists: string[][];
  /** Peers that are not up: down or auth-failed. */
  private readonly notUp = new Map<string, 'down' | 'auth-failed'>();

  constructor(options: ClusterOptions) {
    this.selfId = options.self.id;
    for (const m of options.members) this.members.set(m.id, m);
    if (!this.members.has(this.selfId)) throw new RangeError(`this node ${this.selfId} is not in the member list`);
    this.ring = Ring.create(options.members.map((m) => ({ id: m.id, weight: m.weight })), options.partitions);
    this.n = Math.min(options.n, options.members.length);
    this.preflists = [];
    for (let p = 0; p < this.ring.partitionCount; p++) this.preflists.push(this.ring.preferenceList(p, this.n));
  }

  get single(): boolean {
    return this.members.size === 1;
  }

  /** The key's N replicas in preference order (shared: do not change it). */
  preferenceList(key: Buffer): readonly string[] {
    return this.preflists[this.ring.partitionOf(keySlot(key))];
  }

  member(id: string): ClusterMember | undefined {
    return this.members.get(id);
  }

  all(): ClusterMember[] {
    return [...this.members.values()];
  }

  /** The member with this id as a bus peer. */
  peer(id: string): BusPeer {
    const m = this.members.get(id);
    if (m === undefined) throw new RangeError(`${id} is not a cluster member`);
    return { id: m.id, host: m.host, busPort: m.busPort };
  }

  isUp(id: string): boolean {
    return id === this.selfId || !this.notUp.has(id);
  }

  /** The first member of the list believed up; the list's first when none is. */
  firstUp(list: readonly string[]): string {
    for (const id of list) if (this.isUp(id)) return id;
    return list[0];
  }

  /**
   * A request to the peer settled: an answer (err null, or a refusal) marks
   * it up, no answer marks it down, a failed handshake auth-failed.
   */
  heard(id: string, err: unknown): void {
    if (err instanceof BusError && err.code === 'EAUTH') this.enter(id, 'auth-failed', err.message);
    else if (err instanceof BusError && UNANSWERED.has(err.code)) this.enter(id, 'down', err.message);
    else this.enter(id, 'up', '');
  }

  /** Peers not up (down or auth-failed): the ones to probe. */
  downPeers(): string[] {
    return [...this.notUp.keys()];
  }

  state(id: string): MemberState {
    if (id === this.selfId) return 'myself';
    return this.notUp.get(id) ?? 'up';
  }

  /** Sets a peer's state; a change is logged once, on stderr. */
  private enter(id: string, state: 'up' | 'down' | 'auth-failed', why: string): void {
    const was = this.state(id);
    if (was === state) return;
    if (state === 'up') this.notUp.delete(id);
    else this.notUp.set(id, state);
    console.error(`dynkv: cluster: node ${id} is ${state}${state === 'up' ? ` (was ${was})` : `: ${why}`}`);
  }
}
