// cluster/coordinator/hashes.ts — the hash type's operations as the commands
// call them (Redis's t_hash.c hashType* API, apart from the commands in
// server/commands/hashes.ts): a hash is its header, the key in the keyspace
// tagged hash (TYPE, WRONGTYPE, EXISTS, DEL, EXPIRE, SCAN come from it), plus
// one element record per field on this replica (replica/hash-replica.ts).
// An operation on one field reads and writes that field's record and the
// hash's small summary, never the whole hash: HSET into a hash of a million
// fields appends about one field to the log.
//
// The header is written when the hash is made (its first field) and
// deleted with its last field, as Redis deletes an empty hash; what a hash
// that expired or was deleted left on this replica is cleared when the key
// is made again (HashReplica.clear). Commands check the key's type first
// (meta); these calls take a key that is a hash or absent, and run at one
// of the key's replicas (hash commands are read-write: the cluster routes
// them to the key's first live replica).
import { EMPTY_CLEAR_CLOCK, encodeHashHeader } from '../../datatypes/hash-header';
import type { HashSummary, ListpackLimits } from '../../datatypes/hash';
import { exceedsListpackValue, hashEncoding, newHashSummary } from '../../datatypes/hash';
import { DataType } from '../../datatypes/types';
import type { Clock } from '../clock';
import { visibleField, type HashEntry } from '../replica/hash-replica';
import type { ReplicaStore } from '../replica/store';
import type { Actor } from '../versions/versions';
import { DynUnavailableError, type KeyMeta } from './coordinator';
import type { HashAccess } from './hash-access';
import type { HashSync } from './hash-sync';

export type { HashEntry };


/** What the hash operations need of the coordinator. */
export interface HashHost {
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

/** A new hash's header: an empty clear clock. */
const NEW_HEADER = encodeHashHeader(EMPTY_CLEAR_CLOCK);

/** A hash command that reached a node without a replica of its key (EXEC of keys held elsewhere). */
export class NotAReplicaError extends DynUnavailableError {
  constructor() {
    super('DYNUNAVAILABLE hash commands run at a replica of the key; this node holds none (send the command to a replica)');
    this.name = 'NotAReplicaError';
  }
}

export class Hashes implements HashAccess {
  constructor(
    private readonly host: HashHost,
    /** The cluster's part (N > 1); null on a cluster of one. */
    private readonly sync: HashSync | null,
  ) {}

  get(db: number, key: Buffer, field: Buffer): Buffer | null {
    if (!this.exists(db, key)) return null;
    return this.host.replicas.hashes.field(db, key, field)?.value ?? null;
  }

  set(db: number, key: Buffer, argv: readonly Buffer[], from: number, limits: ListpackLimits): number {
    const { host } = this;
    const replica = host.replicas.hashes;
    const now = host.clock.now();
    let summary: HashSummary;
    let synced: boolean;
    if (!this.exists(db, key)) {
      if (replica.summary(db, key) !== null) this.clear(db, key, now);
      host.writeTyped(db, key, NEW_HEADER, 0, DataType.hash);
      summary = newHashSummary();
      synced = true;
    } else {
      summary = replica.summary(db, key) ?? newHashSummary();
      synced = this.beforeFieldWrites(db, key, summary);
    }
    if (!summary.hashtable) {
      for (let j = from; j < argv.length; j += 2) if (exceedsListpackValue(limits, argv[j], argv[j + 1])) summary.hashtable = true;
    }
    let added = 0;
    for (let j = from; j < argv.length; j += 2) {
      const write = replica.writeField(db, key, argv[j], argv[j + 1], summary.nextSeq, host.actor, now, host.maxSiblings);
      if (!write.wasLive) {
        summary.nextSeq++;
        summary.count++;
        added++;
      }
      if (summary.count > limits.entries) summary.hashtable = true;
      if (this.sync !== null) host.pend(this.sync.replicate(db, key, argv[j], write.record, summary.hashtable));
    }
    if (synced && this.sync !== null) summary.synced = this.sync.headerClock(db, key);
    replica.writeSummary(db, key, summary);
    host.hooks.onWrite(db, key);
    return added;
  }

  delete(db: number, key: Buffer, argv: readonly Buffer[], from: number): number {
    if (!this.exists(db, key)) return 0;
    const { host } = this;
    const replica = host.replicas.hashes;
    const summary = replica.summary(db, key);
    if (summary === null) return 0;
    const now = host.clock.now();
    let removed = 0;
    let synced = false;
    for (let j = from; j < argv.length; j++) {
      if (replica.field(db, key, argv[j]) === null) continue;
      if (removed === 0) synced = this.beforeFieldWrites(db, key, summary);
      const write = replica.writeField(db, key, argv[j], null, 0, host.actor, now, host.maxSiblings);
      if (this.sync !== null) host.pend(this.sync.replicate(db, key, argv[j], write.record, summary.hashtable));
      summary.count--;
      removed++;
    }
    if (removed === 0) return 0;
    host.hooks.onWrite(db, key);
    if (summary.count <= 0) {
      host.delete(db, key);
      this.clear(db, key, now);
    } else {
      if (synced && this.sync !== null) summary.synced = this.sync.headerClock(db, key);
      replica.writeSummary(db, key, summary);
    }
    return removed;
  }

  length(db: number, key: Buffer): number {
    if (!this.exists(db, key)) return 0;
    return this.host.replicas.hashes.summary(db, key)?.count ?? 0;
  }

  entries(db: number, key: Buffer): HashEntry[] {
    if (!this.exists(db, key)) return [];
    return this.host.replicas.hashes.entries(db, key).sort(byInsertion);
  }

  encoding(db: number, key: Buffer): 'listpack' | 'hashtable' {
    const summary = this.exists(db, key) ? this.host.replicas.hashes.summary(db, key) : null;
    return summary === null ? 'listpack' : hashEncoding(summary);
  }

  scan(db: number, key: Buffer, cursor: bigint, count: number): { cursor: bigint; entries: HashEntry[] } {
    if (!this.exists(db, key)) return { cursor: 0n, entries: [] };
    const replica = this.host.replicas.hashes;
    if (this.encoding(db, key) === 'listpack') return { cursor: 0n, entries: this.entries(db, key) };
    const page = replica.page(db, key, cursor, count);
    const entries: HashEntry[] = [];
    for (const { field, versions } of page.fields) {
      const visible = visibleField(versions);
      if (visible !== null) entries.push({ field, seq: visible.seq, value: visible.value });
    }
    return { cursor: page.cursor, entries };
  }

  /**
   * Cluster only: the header gets a new dot (rewritten with its own expiry),
   * so replicas that did not see these field writes find a clock they are
   * not complete for (hash-sync.ts). True when this replica was complete for
   * the header before: then it still is after its own writes.
   */
  private beforeFieldWrites(db: number, key: Buffer, summary: HashSummary): boolean {
    if (this.sync === null) return false;
    const complete = summary.synced === this.sync.headerClock(db, key);
    const meta = this.host.meta(db, key);
    if (meta !== null) this.host.setExpiry(db, key, meta.expireAt);
    return complete;
  }

  /** What this replica holds of a hash that no longer exists goes (kept mode: tombstones, sent to the other replicas). */
  private clear(db: number, key: Buffer, now: number): void {
    const { host } = this;
    const tombstones = host.replicas.hashes.clear(db, key, host.actor, now, host.maxSiblings);
    if (this.sync !== null) for (const { field, record } of tombstones) host.pend(this.sync.replicate(db, key, field, record, false));
  }

  /** Whether the key holds a live hash here; throws when this node holds no replica of it. */
  private exists(db: number, key: Buffer): boolean {
    if (!this.host.holdsReplica(key)) throw new NotAReplicaError();
    const meta = this.host.meta(db, key);
    return meta !== null && meta.type === DataType.hash;
  }
}

function byInsertion(a: HashEntry, b: HashEntry): number {
  return a.seq - b.seq;
}
