// cluster/coordinator/hash-sync.ts — a hash's field records between the
// replicas of its key (N > 1). The field record a write makes here goes to
// the key's other replicas (REPLICA.ELEMENT under its element key, W acks,
// as a key's record goes by REPLICA.APPLY: same preference list and sloppy
// quorum, its element key in the same slot and partition; a replica down
// or failing gets a hint, element-sync.ts and handoff/). Fields written
// where this node could not see them (both sides of a partition, or while
// another replica coordinated) are caught up
// before a hash command runs here: every field write also writes the header
// (a new dot in its clock), and the summary remembers the header clock its
// fields are complete for; once the quorum read of the header brings a
// clock this replica's fields are not known complete for, it pulls every
// field record of the key from the other replicas (REPLICA.HFIELDS), merges
// them in (each field per its own versions: add-wins, winner order) and
// sends back what each replica lacked (field-level read repair). O(fields)
// once per divergence, never on the common path.
import { newHashSummary } from '../../datatypes/hash';
import { isCollection } from '../../datatypes/types';
import type { BusReply } from '../bus/bus';
import { fieldKey } from '../replica/hash-replica';
import type { ReplicaStore } from '../replica/store';
import { encodeContext } from '../versions/codec';
import type { ClusterCounters } from './coordinator';

/** What the sync needs of the coordinator. */
export interface HashSyncHost {
  readonly selfId: string;
  readonly maxSiblings: number;
  readonly counters: ClusterCounters;
  readonly replicas: ReplicaStore;
  /** Every key a write changed on this replica (WATCH's invalidation). */
  readonly hooks: { onWrite(db: number, key: Buffer): void };
  preferenceList(key: Buffer): readonly string[];
  send(node: string, argv: readonly (Buffer | string)[], onReply: (reply: BusReply) => void, onError: (err: Error) => void): void;
  /** Sends an element record made here to the key's other replicas (sloppy quorum, hints); resolves with an error reply, or null once W acked. */
  replicateElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): Promise<string | null>;
}

const ignore = (): void => undefined;

export class HashSync {
  /** Told of every element a peer's record changed here (sorted sets' and lists' in-memory indexes follow it). */
  onElement: ((db: number, key: Buffer, element: Buffer, wasLive: boolean, isLive: boolean) => void) | null = null;

  constructor(private readonly host: HashSyncHost) {}

  /** The header's clock as the summary keeps it; '' when this replica has no header of the key. */
  headerClock(db: number, key: Buffer): string {
    const versions = this.host.replicas.read(db, key);
    return versions === null ? '' : encodeContext(versions.clock);
  }

  /** Sends a field record made here to the key's other replicas; resolves with an error reply, or null once W acked. */
  replicate(db: number, key: Buffer, field: Buffer, record: Buffer, hashtable: boolean): Promise<string | null> {
    return this.host.replicateElement(db, fieldKey(key, field), record, hashtable);
  }

  /** A peer's field record (REPLICA.ELEMENT: replication, a hint, a catch-up's repair, anti-entropy): merged in, the summary kept. */
  apply(db: number, key: Buffer, field: Buffer, record: Buffer, hashtable: boolean): boolean {
    const replica = this.host.replicas.hashes;
    const applied = replica.applyField(db, key, field, record, this.host.maxSiblings);
    if (applied.clashed) this.host.counters.typeClashes++;
    if (!applied.changed && !hashtable) return false;
    const summary = replica.summary(db, key) ?? newHashSummary();
    if (applied.wasLive !== applied.isLive) summary.count += applied.isLive ? 1 : -1;
    const visible = replica.field(db, key, field);
    if (visible !== null && visible.seq >= summary.nextSeq) summary.nextSeq = visible.seq + 1;
    if (hashtable) summary.hashtable = true;
    replica.writeSummary(db, key, summary);
    if (applied.changed) {
      this.host.hooks.onWrite(db, key);
      this.onElement?.(db, key, field, applied.wasLive, applied.isLive);
    }
    return applied.changed;
  }

  /** Every field record this replica holds of the key, as [field, record, ...] (REPLICA.HFIELDS). */
  records(db: number, key: Buffer): Buffer[] {
    return this.host.replicas.hashes.records(db, key);
  }

  /**
   * Before a hash command runs here: null when this replica's fields are
   * known complete for the header the quorum read left here; otherwise the
   * catch-up (resolves once every other replica answered or failed).
   */
  catchUp(db: number, keys: readonly Buffer[]): Promise<void> | null {
    let waits: Promise<void>[] | null = null;
    for (const key of keys) {
      const type = this.host.replicas.liveType(db, key);
      if (type < 0 || !isCollection(type) || !this.host.preferenceList(key).includes(this.host.selfId)) continue;
      const clock = this.headerClock(db, key);
      if (this.host.replicas.hashes.summary(db, key)?.synced === clock) continue;
      (waits ??= []).push(this.pull(db, key, clock));
    }
    if (waits === null) return null;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(ignore);
  }

  /** Pulls the key's field records from the other replicas, merges them, repairs the replicas that lacked some. */
  private pull(db: number, key: Buffer, clock: string): Promise<void> {
    const { host } = this;
    const others = host.preferenceList(key).filter((node) => node !== host.selfId);
    const replies = new Map<string, Map<string, Buffer>>();
    return new Promise<void>((resolve) => {
      let pending = others.length;
      const done = (): void => {
        if (--pending > 0) return;
        this.merge(db, key, clock, others, replies).then(resolve, resolve);
      };
      if (pending === 0) {
        pending = 1;
        done();
        return;
      }
      for (const node of others) {
        host.send(
          node,
          ['REPLICA.HFIELDS', String(db), key],
          (reply) => {
            const records = new Map<string, Buffer>();
            if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) records.set((reply[i] as Buffer).toString('latin1'), reply[i + 1] as Buffer);
            replies.set(node, records);
            done();
          },
          done,
        );
      }
    });
  }

  /** Resolves once every repair sent was answered (acked or failed). */
  private merge(db: number, key: Buffer, clock: string, others: readonly string[], replies: Map<string, Map<string, Buffer>>): Promise<void> {
    const replica = this.host.replicas.hashes;
    const hashtable = replica.summary(db, key)?.hashtable ?? false;
    for (const records of replies.values()) for (const [field, record] of records) this.apply(db, key, Buffer.from(field, 'latin1'), record, false);
    // Complete for this clock only when every other replica answered.
    if (replies.size === others.length) {
      const summary = replica.summary(db, key) ?? newHashSummary();
      summary.synced = clock;
      replica.writeSummary(db, key, summary);
    }
    // Field-level read repair: each replica that answered gets the merged record of every field where it differs.
    const merged = replica.records(db, key);
    const repairs: Promise<void>[] = [];
    for (const [node, records] of replies) {
      for (let i = 0; i < merged.length; i += 2) {
        const theirs = records.get(merged[i].toString('latin1'));
        if (theirs !== undefined && theirs.equals(merged[i + 1])) continue;
        this.host.counters.readRepairs++;
        const argv = ['REPLICA.ELEMENT', String(db), fieldKey(key, merged[i]), merged[i + 1], hashtable ? '1' : '0'];
        repairs.push(new Promise((resolve) => this.host.send(node, argv, () => resolve(), () => {
          this.host.counters.readRepairsFailed++;
          resolve();
        })));
      }
    }
    return Promise.all(repairs).then(ignore);
  }
}
