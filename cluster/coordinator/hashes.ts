// cluster/coordinator/hashes.ts — the hash type's operations as the commands
// call them (Redis's t_hash.c hashType* API, apart from the commands in
// server/commands/hashes.ts): a collection (collection.ts) whose elements
// are the fields, each element record's value the field's insertion number
// and value (datatypes/hash.ts). An operation on one field reads and writes
// that field's record and the hash's small summary, never the whole hash:
// HSET into a hash of a million fields appends about one field to the log.
import type { ListpackLimits } from '../../datatypes/hash';
import { exceedsListpackValue, hashEncoding } from '../../datatypes/hash';
import { DataType } from '../../datatypes/types';
import { encodeCounter, incrementCounter } from '../../datatypes/counter';
import { fieldCounterRead } from '../replica/field-counter-read';
import { visibleField, type HashEntry } from '../replica/hash-replica';
import { Collection, type CollectionHost } from './collection';
import type { HashAccess } from './hash-access';
import type { HashSync } from './hash-sync';

export type { HashEntry };

export class Hashes extends Collection implements HashAccess {
  constructor(host: CollectionHost, sync: HashSync | null) {
    super(host, sync, DataType.hash);
  }

  get(db: number, key: Buffer, field: Buffer): Buffer | null {
    if (!this.exists(db, key)) return null;
    return this.host.replicas.hashes.field(db, key, field)?.value ?? null;
  }

  set(db: number, key: Buffer, argv: readonly Buffer[], from: number, limits: ListpackLimits): number {
    const now = this.host.clock.now();
    const opened = this.open(db, key, now);
    const { summary } = opened;
    if (!summary.hashtable) {
      for (let j = from; j < argv.length; j += 2) if (exceedsListpackValue(limits, argv[j], argv[j + 1])) summary.hashtable = true;
    }
    let added = 0;
    for (let j = from; j < argv.length; j += 2) {
      const write = this.writeElement(db, key, summary, argv[j], argv[j + 1], summary.nextSeq, now, limits.entries);
      if (!write.wasLive) {
        summary.nextSeq++;
        added++;
      }
    }
    this.close(db, key, opened, now);
    return added;
  }

  /**
   * HINCRBY's write of the field's new value `text` (its value + by, checked
   * by the command). With N = 1 (no concurrent writes), a plain value; else the
   * field's PN-counter plus `by` from this node (replica/field-counter-read.ts),
   * so concurrent HINCRBYs on both sides of a partition all count.
   */
  increment(db: number, key: Buffer, field: Buffer, by: bigint, text: Buffer, limits: ListpackLimits): void {
    if (this.sync === null || this.host.replicas.reap) {
      this.set(db, key, [field, text], 0, limits);
      return;
    }
    const now = this.host.clock.now();
    const opened = this.open(db, key, now);
    const { summary } = opened;
    if (exceedsListpackValue(limits, field, text)) summary.hashtable = true;
    const counter = incrementCounter(fieldCounterRead(this.host.replicas.hashes.versions(db, key, field)), this.host.actor, by);
    if (!this.writeElement(db, key, summary, field, encodeCounter(counter), summary.nextSeq, now, limits.entries, DataType.fieldCounter).wasLive) summary.nextSeq++;
    this.close(db, key, opened, now);
  }

  delete(db: number, key: Buffer, argv: readonly Buffer[], from: number): number {
    return this.removeElements(db, key, argv, from);
  }

  entries(db: number, key: Buffer): HashEntry[] {
    if (!this.exists(db, key)) return [];
    return this.host.replicas.hashes.entries(db, key).sort(byInsertion);
  }

  encoding(db: number, key: Buffer): 'listpack' | 'hashtable' {
    const summary = this.summary(db, key);
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
}

function byInsertion(a: HashEntry, b: HashEntry): number {
  return a.seq - b.seq;
}
