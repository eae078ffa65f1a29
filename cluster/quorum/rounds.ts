// cluster/quorum/rounds.ts — the bookkeeping of one quorum request, as deterministic
// state machines (etcd-io/raft style): answers, failures and the time are fed
// in; there are no timers, sockets or disks here, so every interleaving is
// tested without a network. ReadRound waits for R replies and merges their
// versions, then finds the replicas to read-repair; WriteRound waits for W acks.
//
// How the coordinator drives a round:
// 1. It takes the key's preference list (ring/ring.ts) and makes a round with R or
//    W and the request's deadline (now + the request timeout, in ms).
// 2. When it is in the preference list, it reads or writes its own replica
//    first (replica/store.ts) and feeds that in as its own reply or ack: on a
//    cluster of one (N=R=W=1) the round is over before any message is sent.
//    For a write, the coordinator's replica makes the new version
//    (ReplicaStore.coordinate); that is what it sends to the other replicas,
//    which merge it in (ReplicaStore.apply) and ack.
// 3. It sends the request to the other replicas and feeds every answer in:
//    a reply or ack, or fail(node, reason) for a connection error or a
//    refusal; a timer at the deadline calls expire(now).
// 4. It answers the client as soon as `state` leaves 'pending': 'ok' with the
//    merged `versions` (read) or OK (write); 'unavailable' with `error`, sent
//    as -DYNUNAVAILABLE ..., never a silent success.
// 5. The round keeps taking late answers until `finished` (every replica
//    answered, or the deadline passed). Then, for a read, the coordinator
//    sends repairTargets()'s merged versions to the replicas that returned
//    older or missing versions (read repair), and drops the round.
//
// A node answers once: its first outcome counts and later ones are ignored
// (a reply racing its connection's failure), as is anything after `finished`.
import { DEFAULT_MAX_SIBLINGS, EMPTY_VERSIONS, equalVersions, merge, type KeyVersions } from '../versions/versions';

export type RoundState = 'pending' | 'ok' | 'unavailable';

/** What read repair sends: the merged versions, to one replica that lacked some of them. */
export interface ReadRepair {
  readonly node: string;
  readonly versions: KeyVersions;
}

/** Counts successes and failures of one request against the replicas of its preference list. */
export abstract class QuorumRound {
  private roundState: RoundState = 'pending';
  private errorText: string | null = null;
  private readonly answered = new Set<string>();
  private readonly failedNodes = new Map<string, string>();
  private successes = 0;
  private expired = false;

  protected constructor(
    /** The key's replicas, in preference order. */
    readonly preferenceList: readonly string[],
    /** 'R' or 'W': names the quorum in the error text. */
    private readonly quorumName: 'R' | 'W',
    /** R or W: the successes the round needs. */
    readonly needed: number,
    /** Absolute ms (the clock expire() is given) after which the round takes no more answers. */
    readonly deadline: number,
  ) {
    if (preferenceList.length === 0) throw new RangeError('the preference list is empty');
    if (new Set(preferenceList).size !== preferenceList.length) throw new RangeError(`the preference list ${preferenceList.join(',')} repeats a node`);
    if (!Number.isSafeInteger(needed) || needed < 1 || needed > preferenceList.length) {
      throw new RangeError(`${quorumName}=${needed} is not within 1..${preferenceList.length} (N, the preference list's length)`);
    }
    if (!Number.isFinite(deadline)) throw new RangeError(`deadline ${deadline} is not a finite number of ms`);
  }

  /** 'ok' once `needed` successes are in; 'unavailable' once they no longer can be, or the deadline passed first. Never changes again after. */
  get state(): RoundState {
    return this.roundState;
  }

  /** The client's error when unavailable, e.g. `DYNUNAVAILABLE needed W=2, got 1`; null otherwise. */
  get error(): string | null {
    return this.errorText;
  }

  /** Replies (read) or acks (write) taken so far, late ones included. */
  get received(): number {
    return this.successes;
  }

  /** The replicas that failed, with the reason each was given (for logs and, later, hinted handoff). */
  get failures(): ReadonlyMap<string, string> {
    return this.failedNodes;
  }

  /** True once every replica answered or the deadline passed: the round takes nothing more. */
  get finished(): boolean {
    return this.expired || this.answered.size === this.preferenceList.length;
  }

  fail(node: string, reason: string): void {
    if (!this.take(node)) return;
    this.failedNodes.set(node, reason);
    if (this.roundState === 'pending' && this.failedNodes.size > this.preferenceList.length - this.needed) this.becomeUnavailable();
  }

  /** The clock ticks: at or past the deadline, a pending round is unavailable and the round is finished. */
  expire(now: number): void {
    if (this.finished || now < this.deadline) return;
    this.expired = true;
    if (this.roundState === 'pending') this.becomeUnavailable();
  }

  /** True when node's answer counts: its first one, before the round finished. A node outside the list is a coordinator bug. */
  protected take(node: string): boolean {
    if (!this.preferenceList.includes(node)) throw new RangeError(`${node} is not in the preference list ${this.preferenceList.join(',')}`);
    if (this.finished || this.answered.has(node)) return false;
    this.answered.add(node);
    return true;
  }

  protected succeeded(): void {
    this.successes++;
    if (this.roundState === 'pending' && this.successes >= this.needed) this.roundState = 'ok';
  }

  private becomeUnavailable(): void {
    this.roundState = 'unavailable';
    this.errorText = `DYNUNAVAILABLE needed ${this.quorumName}=${this.needed}, got ${this.successes}`;
  }
}

/** A quorum read: R replies, their versions merged; then read repair of the replicas that lacked some. */
export class ReadRound extends QuorumRound {
  private readonly replies = new Map<string, KeyVersions>();
  private mergedVersions: KeyVersions = EMPTY_VERSIONS;
  private prunedSiblings = 0;

  constructor(preferenceList: readonly string[], r: number, deadline: number, private readonly maxSiblings = DEFAULT_MAX_SIBLINGS) {
    super(preferenceList, 'R', r, deadline);
  }

  /** A replica's versions of the key; null when it has none. */
  reply(node: string, versions: KeyVersions | null): void {
    if (!this.take(node)) return;
    const replied = versions ?? EMPTY_VERSIONS;
    this.replies.set(node, replied);
    const { versions: merged, pruned } = merge(this.mergedVersions, replied, this.maxSiblings);
    this.mergedVersions = merged;
    this.prunedSiblings += pruned;
    this.succeeded();
  }

  /**
   * Every reply so far, merged (EMPTY_VERSIONS when no replica has the key):
   * what the client gets when the state turns 'ok'. Late replies keep
   * merging in, for read repair.
   */
  get versions(): KeyVersions {
    return this.mergedVersions;
  }

  /** Siblings dropped by the sibling bound while merging the replies (INFO counts them). */
  get pruned(): number {
    return this.prunedSiblings;
  }

  /**
   * Once finished: the replicas whose reply differs from the merge of all
   * replies (it lacks versions, or has only older ones), each with the merged
   * versions to apply. Read repair runs whatever the state: an unavailable
   * read still brings the replicas that did answer up to date. A replica that
   * failed or never answered is not repaired here (hinted handoff and
   * anti-entropy cover it). In preference-list order.
   */
  repairTargets(): ReadRepair[] {
    if (!this.finished) throw new Error('read repair waits until every replica answered or the deadline passed');
    const repairs: ReadRepair[] = [];
    for (const node of this.preferenceList) {
      const replied = this.replies.get(node);
      if (replied !== undefined && !equalVersions(replied, this.mergedVersions)) repairs.push({ node, versions: this.mergedVersions });
    }
    return repairs;
  }
}

/** A quorum write: W acks of the coordinator's new versions (its own local write counts as one). */
export class WriteRound extends QuorumRound {
  constructor(preferenceList: readonly string[], w: number, deadline: number) {
    super(preferenceList, 'W', w, deadline);
  }

  /** The replica stored the write. */
  ack(node: string): void {
    if (this.take(node)) this.succeeded();
  }
}
