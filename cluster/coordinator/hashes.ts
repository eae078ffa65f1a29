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
