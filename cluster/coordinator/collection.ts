// cluster/coordinator/collection.ts — what every collection type (hash, set,
// sorted set, list) shares on a replica: a header, the key in the keyspace
// tagged with the type (TYPE, WRONGTYPE, EXISTS, DEL, EXPIRE, SCAN come from
// it), plus one element record per element in the elements engine
// (replica/hash-replica.ts) and a per-replica summary (count, next insertion
// number, the one-way big-encoding bit). A type's operations (hashes.ts,
// sets.ts ...) extend this class: they pick element names and values, this
// class makes and drops the header, writes and replicates element records,
// keeps the summary, and clears what a deleted or expired key left here.
//
// The header is written when the collection is made (its first element) and
// deleted with its last element, as Redis deletes empty collections; what a
// collection that expired or was deleted left on this replica is cleared
// when the key is made again (clear). Operations take a key that is of the
// type or absent (the commands check WRONGTYPE first), and run at one of
// the key's replicas (collection commands are read-write: the cluster routes
// them to the key's first live replica).
import { EMPTY_CLEAR_CLOCK, encodeHashHeader } from '../../datatypes/hash-header';
import { newHashSummary, type HashSummary } from '../../datatypes/hash';
import { DataType } from '../../datatypes/types';
import type { Clock } from '../clock';
import type { FieldWrite } from '../replica/hash-replica';
import type { ReplicaStore } from '../replica/store';
import type { Actor } from '../versions/versions';
import { DynUnavailableError, type KeyMeta } from './coordinator';
import type { HashSync } from './hash-sync';

/** What the collection operations need of the coordinator. */
export interface CollectionHost {
  readonly actor: Actor;
  readonly clock: Clock;
  readonly maxSiblings: number;
  readonly replicas: ReplicaStore;
  meta(db: number, key: Buffer): KeyMeta | null;
  delete(db: number, key: Buffer): boolean;
  /** A coordinated write of a typed value (the header). */
  writeTyped(db: number, key: Buffer, value: Buffer, expireAt: number, type: number): void;
  /** Rewrites the key's value and type with this expiry: a new dot in the header's clock. */
  setExpiry(db: number, key: Buffer, expireAt: number): boolean;
  /** The running command also waits for this (its W acks): resolves with an error reply or null. */
  pend(write: Promise<string | null>): void;
  /** Every key a write changed on this replica (WATCH's invalidation). */
  readonly hooks: { onWrite(db: number, key: Buffer): void };
  /** Whether this node holds a replica of the key (the element records are only there). */
  holdsReplica(key: Buffer): boolean;
}

/** A new collection's header: an empty clear clock. */
const NEW_HEADER = encodeHashHeader(EMPTY_CLEAR_CLOCK);

/** A collection command run at a node without a replica of one of its keys: no node held them all, or EXEC of keys held elsewhere. */
export class NotAReplicaError extends DynUnavailableError {
  constructor() {
    super('DYNUNAVAILABLE collection commands run at a node holding replicas of every key they name, and this node does not (a transaction runs where it was sent; keys of one slot, with a hash tag such as {tag}a {tag}b, are held together)');
    this.name = 'NotAReplicaError';
  }
}

/** A write in progress on one collection: its summary, and whether this replica was complete for the header before. */
export interface Opened {
  readonly summary: HashSummary;
  readonly synced: boolean;
}

export class Collection {
  constructor(
    protected readonly host: CollectionHost,
    /** The cluster's part (N > 1); null on a cluster of one. */
    protected readonly sync: HashSync | null,
    /** The type tag this collection's header carries. */
    readonly type: DataType,
  ) {}

  /** How many elements (O(1), from the summary); 0 when absent. */
  length(db: number, key: Buffer): number {
    if (!this.exists(db, key)) return 0;
    return this.host.replicas.hashes.summary(db, key)?.count ?? 0;
  }

  /** Whether the key holds a live collection of this type here; throws when this node holds no replica of it. */
  protected exists(db: number, key: Buffer): boolean {
    if (!this.host.holdsReplica(key)) throw new NotAReplicaError();
    const meta = this.host.meta(db, key);
    return meta !== null && meta.type === this.type;
  }

  /** The summary, when the key is a live collection of this type here; null otherwise. */
  protected summary(db: number, key: Buffer): HashSummary | null {
    return this.exists(db, key) ? this.host.replicas.hashes.summary(db, key) : null;
  }

  /**
   * Before element writes: makes the collection when absent (clearing what
   * a deleted or expired one left here, writing the header), or opens the
   * existing one (in a cluster, its header gets a new dot).
   */
  protected open(db: number, key: Buffer, now: number): Opened {
    const { host } = this;
    const replica = host.replicas.hashes;
    if (!this.exists(db, key)) {
      if (replica.summary(db, key) !== null) this.clear(db, key, now);
      host.writeTyped(db, key, NEW_HEADER, 0, this.type);
      return { summary: newHashSummary(), synced: true };
    }
    const summary = replica.summary(db, key) ?? newHashSummary();
    return { summary, synced: this.touch(db, key, summary) };
  }

  /**
   * Writes one element record here (value null: a removal) and sends it to
   * the key's other replicas; the summary's count follows, and past
   * maxEntries its big-encoding bit (Redis's one-way conversion by size).
   * Whether the element was live before and is now is in the result.
   * `type`: the element sibling's tag (a hash field's counter: fieldCounter).
   */
  protected writeElement(db: number, key: Buffer, summary: HashSummary, element: Buffer, value: Buffer | null, seq: number, now: number, maxEntries: number, type: number = DataType.string): FieldWrite {
    const { host } = this;
    const write = host.replicas.hashes.writeField(db, key, element, value, seq, host.actor, now, host.maxSiblings, type);
    if (write.wasLive !== write.isLive) summary.count += write.isLive ? 1 : -1;
    if (summary.count > maxEntries) summary.hashtable = true;
    if (this.sync !== null) host.pend(this.sync.replicate(db, key, element, write.record, summary.hashtable));
    return write;
  }

  /** HDEL, SREM: removes the elements named argv[from...] that are there; how many; the key goes with its last one. */
  protected removeElements(db: number, key: Buffer, argv: readonly Buffer[], from: number): number {
    const summary = this.summary(db, key);
    if (summary === null) return 0;
    const replica = this.host.replicas.hashes;
    const now = this.host.clock.now();
    let removed = 0;
    let synced = false;
    for (let j = from; j < argv.length; j++) {
      if (replica.field(db, key, argv[j]) === null) continue;
      if (removed === 0) synced = this.touch(db, key, summary);
      this.writeElement(db, key, summary, argv[j], null, 0, now, Infinity);
      removed++;
    }
    if (removed > 0) this.close(db, key, { summary, synced }, now);
    return removed;
  }

  /** After element writes: the summary kept, or the key deleted with its last element. */
  protected close(db: number, key: Buffer, opened: Opened, now: number): void {
    const { host } = this;
    host.hooks.onWrite(db, key);
    if (opened.summary.count <= 0) {
      host.delete(db, key);
      this.clear(db, key, now);
      return;
    }
    if (opened.synced && this.sync !== null) opened.summary.synced = this.sync.headerClock(db, key);
    host.replicas.hashes.writeSummary(db, key, opened.summary);
  }

  /**
   * Before the first element write into an existing collection (open does
   * it; a removal calls it at its first hit). Cluster only: the header gets
   * a new dot (rewritten with its own expiry), so replicas that did not see
   * these element writes find a clock they are not complete for
   * (hash-sync.ts). True when this replica was complete for the header
   * before: then it still is after its own writes.
   */
  protected touch(db: number, key: Buffer, summary: HashSummary): boolean {
    if (this.sync === null) return false;
    const complete = summary.synced === this.sync.headerClock(db, key);
    const meta = this.host.meta(db, key);
    if (meta !== null) this.host.setExpiry(db, key, meta.expireAt);
    return complete;
  }

  /** What this replica holds of a collection that no longer exists goes (kept mode: tombstones, sent to the other replicas). */
  private clear(db: number, key: Buffer, now: number): void {
    const { host } = this;
    const tombstones = host.replicas.hashes.clear(db, key, host.actor, now, host.maxSiblings);
    if (this.sync !== null) for (const { field, record } of tombstones) host.pend(this.sync.replicate(db, key, field, record, false));
  }
}
