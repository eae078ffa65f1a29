// cluster/coordinator/zsets.ts — the sorted set type's storage operations
// (Redis's t_zset.c zset* API, apart from the commands in
// server/commands/zsets*.ts): a collection (collection.ts) whose elements are
// the members, each element record's value the member's score
// (datatypes/zset.ts, 8 bytes after the insertion number). A write reads
// and writes that member's record and the small summary, never the whole
// set: ZADD into a million members appends about one member to the log.
//
// Ordered reads use an in-memory index per key (datatypes/zset-skiplist.ts:
// rank and range in O(log n)), built from the element records on the first
// command that needs it, then kept in step: by this node's writes here, and
// by the element records peers send (HashSync's onElement hook, via
// applied()). It goes when the key does (found absent, made again, its last
// member removed, FLUSHDB).
import { DataType } from '../../datatypes/types';
import { decodeScore, encodeScore, zsetEncoding, type ZsetListpackLimits } from '../../datatypes/zset';
import { ZsetSkiplist } from '../../datatypes/zset-skiplist';
import { visibleField } from '../replica/hash-replica';
import { type CollectionHost, type Opened } from './collection';
import { IndexedCollection } from './indexed-collection';
import type { HashSync } from './hash-sync';
import type { ZsetAccess, ZsetChange, ZsetEntry } from './zset-access';

export class Zsets extends IndexedCollection<ZsetSkiplist> implements ZsetAccess {

  constructor(host: CollectionHost, sync: HashSync | null) {
    super(host, sync, DataType.zset);
  }

  /** The key's members in order; null when the key is no sorted set here. The caller must not change it. */
  view(db: number, key: Buffer): ZsetSkiplist | null {
    if (!this.exists(db, key)) {
      this.indexes.delete(db, key);
      return null;
    }
    return this.built(db, key);
  }

  /** A new, empty index for a key just made. */
  private renew(db: number, key: Buffer): ZsetSkiplist {
    const index = new ZsetSkiplist();
    this.indexes.set(db, key, index);
    return index;
  }

  /** The key's index, built from its element records when not yet in memory. */
  private built(db: number, key: Buffer): ZsetSkiplist {
    let index = this.indexes.get(db, key);
    if (index === undefined) {
      index = new ZsetSkiplist();
      for (const e of this.host.replicas.hashes.entries(db, key)) {
        const score = decodeScore(e.value);
        if (score !== null) index.set(e.field.toString('latin1'), score);
      }
      this.indexes.set(db, key, index);
    }
    return index;
  }

  update(db: number, key: Buffer, changes: readonly ZsetChange[], limits: ZsetListpackLimits): void {
    if (changes.length === 0) return;
    const now = this.host.clock.now();
    const opened = this.open(db, key, now);
    const { summary } = opened;
    // open() made the key when it had no live member: whatever index it had is stale.
    const fresh = summary.count === 0;
    const index = fresh ? this.renew(db, key) : this.built(db, key);
    // zaddGenericCommand: a new key is a skiplist at once when listpacks are off or the first member is too long.
    if (fresh && (limits.entries === 0 || changes[0].member.length > limits.value)) summary.hashtable = true;
    for (const { member, score } of changes) {
      const name = member.toString('latin1');
      const live = index.score(name) !== undefined;
      if (score === null) {
        if (!live) continue;
        this.writeElement(db, key, summary, member, null, 0, now, Infinity);
        index.delete(name);
        continue;
      }
      // zsetAdd: a member that does not fit converts the listpack first; a listpack keeps no -0 (its text is read back as 0).
      if (!live && (summary.count + 1 > limits.entries || member.length > limits.value)) summary.hashtable = true;
      const stored = !summary.hashtable && score === 0 ? 0 : score;
      // A cluster of one keeps no tombstone: a member the index does not hold has no record to read.
      const write = this.writeElement(db, key, summary, member, encodeScore(stored), summary.nextSeq, now, limits.entries, DataType.string, !live && this.host.replicas.reap);
      if (!write.wasLive) summary.nextSeq++;
      index.set(name, stored);
    }
    this.closeIndexed(db, key, opened, now);
  }

  /** Removes every member of the listed ones here; how many were. */
  remove(db: number, key: Buffer, members: readonly Buffer[]): number {
    const index = this.view(db, key);
    if (index === null) return 0;
    const summary = this.host.replicas.hashes.summary(db, key);
    if (summary === null) return 0;
    const now = this.host.clock.now();
    let removed = 0;
    let synced = false;
    for (const member of members) {
      const name = member.toString('latin1');
      if (index.score(name) === undefined) continue;
      if (removed === 0) synced = this.touch(db, key, summary);
      this.writeElement(db, key, summary, member, null, 0, now, Infinity);
      index.delete(name);
      removed++;
    }
    if (removed > 0) this.closeIndexed(db, key, { summary, synced, stored: null }, now);
    return removed;
  }

  /** The key made anew with these members (the STORE commands): listpack when few and short enough, as zsetConvertToListpackIfNeeded. */
  replace(db: number, key: Buffer, entries: readonly ZsetEntry[], limits: ZsetListpackLimits): void {
    this.host.delete(db, key);
    if (entries.length === 0) {
      this.indexes.delete(db, key);
      return;
    }
    let longest = 0;
    for (const e of entries) longest = Math.max(longest, e.member.length);
    const skiplist = entries.length > limits.entries || longest > limits.value;
    const now = this.host.clock.now();
    const opened = this.open(db, key, now);
    const { summary } = opened;
    summary.hashtable = skiplist;
    const index = this.renew(db, key);
    for (const { member, score } of entries) {
      const stored = !skiplist && score === 0 ? 0 : score;
      this.writeElement(db, key, summary, member, encodeScore(stored), summary.nextSeq++, now, Infinity);
      index.set(member.toString('latin1'), stored);
    }
    this.closeIndexed(db, key, opened, now);
  }

  encoding(db: number, key: Buffer): 'listpack' | 'skiplist' {
    return zsetEncoding(this.summary(db, key)?.hashtable ?? false);
  }

  /**
   * ZSCAN: a listpack answers whole in order with cursor 0 (as Redis); a
   * skiplist pages through its element records from cursor.
   */
  scan(db: number, key: Buffer, cursor: bigint, count: number): { cursor: bigint; entries: ZsetEntry[]; listpack: boolean } {
    const index = this.view(db, key);
    if (index === null) return { cursor: 0n, entries: [], listpack: true };
    if (this.encoding(db, key) === 'listpack') {
      const entries: ZsetEntry[] = [];
      for (let n = index.first(); n !== null; n = n.forward) entries.push({ member: Buffer.from(n.member, 'latin1'), score: n.score });
      return { cursor: 0n, entries, listpack: true };
    }
    const page = this.host.replicas.hashes.page(db, key, cursor, count);
    const entries: ZsetEntry[] = [];
    for (const { field, versions } of page.fields) {
      const visible = visibleField(versions);
      const score = visible === null ? null : decodeScore(visible.value);
      if (score !== null) entries.push({ member: field, score });
    }
    return { cursor: page.cursor, entries, listpack: false };
  }

  /** A peer's element record was merged in here (HashSync.apply): the key's index, if built, follows it. */
  applied(db: number, key: Buffer, element: Buffer): void {
    const index = this.indexes.get(db, key);
    if (index === undefined) return;
    const versions = this.host.replicas.hashes.versions(db, key, element);
    const visible = versions === null ? null : visibleField(versions);
    const score = visible === null ? null : decodeScore(visible.value);
    const name = element.toString('latin1');
    if (score === null) index.delete(name);
    else index.set(name, score);
  }

  /** close(), and the index goes with the key when its last member went. */
  private closeIndexed(db: number, key: Buffer, opened: Opened, now: number): void {
    this.close(db, key, opened, now);
    if (opened.summary.count <= 0) this.indexes.delete(db, key);
  }
}
