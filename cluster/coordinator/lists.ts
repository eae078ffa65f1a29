// cluster/coordinator/lists.ts — the list type's operations as the commands
// call them (Redis's t_list.c listType* API, apart from the commands in
// server/commands/lists.ts): a collection (collection.ts) whose elements are
// the items, each element record named by the item's position id
// (datatypes/list-position.ts: byte order = list order) and holding the
// item's value. A push writes one element record, a pop one tombstone:
// LPUSH into a list of a million items appends about one item to the log.
//
// The order lives in an in-memory index per list (list-index.ts), with the
// values of items up to INLINE_BYTES (bigger ones are read from their
// element record when asked for): built from the element records at the
// list's first use here, kept by this replica's writes and by its peers'
// (elementChanged, called by hash-sync's apply), dropped with the key. Each index carries the generation stamped
// in the list's summary when it was made or first indexed here (the
// summary's insertion-number field, which lists do not use otherwise): a
// summary made anew (the key deleted and made again, FLUSHDB, a peer's
// first element) carries another stamp, so a stale index is never used.
import { randomBytes, randomInt } from 'node:crypto';
import { newHashSummary, type HashSummary } from '../../datatypes/hash';
import { PositionWriter, WRITER_BYTES } from '../../datatypes/list-position';
import { DataType } from '../../datatypes/types';
import { type CollectionHost, type Opened } from './collection';
import type { HashSync } from './hash-sync';
import type { ListAccess } from './list-access';
import { IndexedCollection } from './indexed-collection';
import { ListIndex } from './list-index';

/** Values up to this many bytes are kept in the index (LRANGE reads memory); bigger ones stay on disk only. */
export const INLINE_BYTES = 256;

/** Summaries made by hash code paths start their insertion number at 1; stamps are larger. */
const UNSTAMPED = 1;
let lastGeneration = randomInt(2, 2 ** 47);

function nextGeneration(): number {
  return ++lastGeneration;
}

export class Lists extends IndexedCollection<ListIndex> implements ListAccess {
  private readonly writer = new PositionWriter(randomBytes(WRITER_BYTES));

  constructor(host: CollectionHost, sync: HashSync | null) {
    super(host, sync, DataType.list);
  }

  encoding(): 'quicklist' {
    return 'quicklist';
  }

  push(db: number, key: Buffer, argv: readonly Buffer[], from: number, left: boolean): number {
    const now = this.host.clock.now();
    const { opened, index } = this.openForWrite(db, key, now);
    for (let j = from; j < argv.length; j++) {
      const end = left ? index.first() : index.last();
      const id = end === null ? this.writer.first() : left ? this.writer.before(end) : this.writer.after(end);
      this.writeItem(db, key, opened, index, id, argv[j], now, true);
    }
    this.finish(db, key, opened, now);
    return index.size;
  }

  pop(db: number, key: Buffer, left: boolean, count: number): string[] {
    const summary = this.summary(db, key);
    if (summary === null) return [];
    const index = this.indexOf(db, key, summary);
    const now = this.host.clock.now();
    const out: string[] = [];
    const opened = { summary, synced: this.touch(db, key, summary), stored: null };
    for (let n = Math.min(count, index.size); n > 0; n--) {
      const at = left ? 0 : index.size - 1;
      out.push(this.value(db, key, index, at));
      this.writeItem(db, key, opened, index, index.at(at), null, now);
    }
    this.finish(db, key, opened, now);
    return out;
  }

  range(db: number, key: Buffer, from: number, to: number): string[] {
    const summary = this.summary(db, key);
    if (summary === null) return [];
    const index = this.indexOf(db, key, summary);
    const values = index.slice(from, to, true);
    for (let k = 0; k < values.length; k++) if (values[k] === null) values[k] = this.value(db, key, index, from + k);
    return values as string[];
  }

  item(db: number, key: Buffer, i: number): string | null {
    const summary = this.summary(db, key);
    if (summary === null) return null;
    const index = this.indexOf(db, key, summary);
    const at = i < 0 ? index.size + i : i;
    return at < 0 || at >= index.size ? null : this.value(db, key, index, at);
  }

  set(db: number, key: Buffer, i: number, value: Buffer): boolean {
    const summary = this.summary(db, key);
    if (summary === null) return false;
    const index = this.indexOf(db, key, summary);
    const at = i < 0 ? index.size + i : i;
    if (at < 0 || at >= index.size) return false;
    const now = this.host.clock.now();
    const opened = { summary, synced: this.touch(db, key, summary), stored: null };
    this.writeItem(db, key, opened, index, index.at(at), value, now);
    this.finish(db, key, opened, now);
    return true;
  }

  insert(db: number, key: Buffer, after: boolean, pivot: Buffer, value: Buffer): number {
    const summary = this.summary(db, key);
    if (summary === null) return 0;
    const index = this.indexOf(db, key, summary);
    const at = this.find(db, key, index, pivot.toString('latin1'));
    if (at === -1) return -1;
    const lo = after ? index.at(at) : at > 0 ? index.at(at - 1) : null;
    const hi = !after ? index.at(at) : at + 1 < index.size ? index.at(at + 1) : null;
    const id = lo === null ? this.writer.before(hi as string) : hi === null ? this.writer.after(lo) : this.writer.between(lo, hi);
    const now = this.host.clock.now();
    const opened = { summary, synced: this.touch(db, key, summary), stored: null };
    this.writeItem(db, key, opened, index, id, value, now, true);
    this.finish(db, key, opened, now);
    return index.size;
  }

  remove(db: number, key: Buffer, count: number, value: Buffer): number {
    const summary = this.summary(db, key);
    if (summary === null) return 0;
    const index = this.indexOf(db, key, summary);
    const wanted = value.toString('latin1');
    const limit = count === 0 ? Infinity : Math.abs(count);
    const hits: string[] = [];
    for (let k = 0; k < index.size && hits.length < limit; k++) {
      const at = count < 0 ? index.size - 1 - k : k;
      if (this.value(db, key, index, at) === wanted) hits.push(index.at(at));
    }
    this.removeIds(db, key, summary, index, hits);
    return hits.length;
  }

  trim(db: number, key: Buffer, start: number, stop: number): void {
    const summary = this.summary(db, key);
    if (summary === null) return;
    const index = this.indexOf(db, key, summary);
    const llen = index.size;
    // Redis's ltrimCommand arithmetic.
    let from = start < 0 ? llen + start : start;
    let to = stop < 0 ? llen + stop : stop;
    if (from < 0) from = 0;
    let left: number;
    let right: number;
    if (from > to || from >= llen) {
      left = llen;
      right = 0;
    } else {
      if (to >= llen) to = llen - 1;
      left = from;
      right = llen - to - 1;
    }
    const hits: string[] = [];
    if (left > 0) hits.push(...index.ids(0, left - 1));
    if (right > 0 && left < llen) hits.push(...index.ids(llen - right, llen - 1));
    this.removeIds(db, key, summary, index, hits);
  }

  positions(db: number, key: Buffer, element: Buffer, rank: number, count: number, maxlen: number): number[] {
    const summary = this.summary(db, key);
    if (summary === null) return [];
    const index = this.indexOf(db, key, summary);
    const wanted = element.toString('latin1');
    const llen = index.size;
    const fromHead = rank > 0;
    const skip = Math.abs(rank);
    const out: number[] = [];
    let matches = 0;
    for (let scanned = 0; scanned < llen && (maxlen === 0 || scanned < maxlen); scanned++) {
      const at = fromHead ? scanned : llen - scanned - 1;
      if (this.value(db, key, index, at) !== wanted) continue;
      matches++;
      if (matches < skip) continue;
      out.push(at);
      if (count !== 0 && out.length >= count) break;
    }
    return out;
  }

  /**
   * A peer's element write merged here (hash-sync.ts's apply): the index of
   * the key, when this replica keeps one, follows the item that turned live
   * or dead, or got another value. Elements of other types never reach a
   * list's index: no index exists for their keys, or a stale one that the
   * generation check drops.
   */
  elementChanged(db: number, key: Buffer, element: Buffer, wasLive: boolean, isLive: boolean): void {
    const index = this.indexes.get(db, key);
    if (index === undefined) return;
    const id = element.toString('latin1');
    if (!isLive) {
      if (wasLive) index.remove(id);
      return;
    }
    const value = inline(this.host.replicas.hashes.field(db, key, element)?.value ?? null);
    if (!wasLive || !index.setValue(id, value)) index.insert(id, value);
  }

  /** The first index of an item equal to value, from the head; -1 when none. */
  private find(db: number, key: Buffer, index: ListIndex, value: string): number {
    for (let i = 0; i < index.size; i++) if (this.value(db, key, index, i) === value) return i;
    return -1;
  }

  private removeIds(db: number, key: Buffer, summary: HashSummary, index: ListIndex, ids: readonly string[]): void {
    if (ids.length === 0) return;
    const now = this.host.clock.now();
    const opened = { summary, synced: this.touch(db, key, summary), stored: null };
    for (const id of ids) this.writeItem(db, key, opened, index, id, null, now);
    this.finish(db, key, opened, now);
  }

  /** Opens the list for a push, making it when absent (a new index, a new stamp). */
  private openForWrite(db: number, key: Buffer, now: number): { opened: Opened; index: ListIndex } {
    if (this.writable(db, key)) {
      // What open() does for an existing collection, without looking the key up again.
      const summary = this.host.replicas.hashes.summary(db, key) ?? newHashSummary();
      return { opened: { summary, synced: this.touch(db, key, summary), stored: null }, index: this.indexOf(db, key, summary) };
    }
    const opened = this.open(db, key, now);
    opened.summary.nextSeq = nextGeneration();
    const index = new ListIndex(opened.summary.nextSeq);
    this.indexes.set(db, key, index);
    return { opened, index };
  }

  /** One item's element record written (value null: removed), the index following. `fresh`: a new id (push, insert), never written before. */
  private writeItem(db: number, key: Buffer, opened: Opened, index: ListIndex, id: string, value: Buffer | null, now: number, fresh = false): void {
    const write = this.writeElement(db, key, opened.summary, Buffer.from(id, 'latin1'), value, 0, now, Infinity, DataType.string, fresh);
    if (!write.isLive) index.remove(id);
    else if (write.wasLive) index.setValue(id, inline(value));
    else index.insert(id, inline(value));
  }

  /** After writes: the summary kept, or (the last item gone) the key and its index. */
  private finish(db: number, key: Buffer, opened: Opened, now: number): void {
    this.close(db, key, opened, now);
    if (opened.summary.count <= 0) this.indexes.delete(db, key);
  }

  /** The list's index, built from its element records when this replica has none for the summary's stamp. */
  private indexOf(db: number, key: Buffer, summary: HashSummary): ListIndex {
    const replica = this.host.replicas.hashes;
    if (summary.nextSeq <= UNSTAMPED) {
      summary.nextSeq = nextGeneration();
      replica.writeSummary(db, key, summary);
    }
    const cached = this.indexes.get(db, key);
    // The count check is a guard: an element record changed by a path that did not tell the index (none known) shows as a count the index does not have.
    if (cached !== undefined && cached.generation === summary.nextSeq && cached.size === summary.count) return cached;
    const items = replica.entries(db, key).map((e): [string, string | null] => [e.field.toString('latin1'), inline(e.value)]);
    items.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const index = new ListIndex(summary.nextSeq, items);
    this.indexes.set(db, key, index);
    return index;
  }

  /** The value of the item at index `at`: kept in the index, or read from its element record. */
  private value(db: number, key: Buffer, index: ListIndex, at: number): string {
    const kept = index.valueAt(at);
    if (kept !== null) return kept;
    const field = this.host.replicas.hashes.field(db, key, Buffer.from(index.at(at), 'latin1'));
    if (field === null) throw new Error(`list ${key.toString('latin1')}: an indexed item has no live element record`);
    return field.value.toString('latin1');
  }
}

/** What the index keeps of a value: the value when small, else null. */
function inline(value: Buffer | null): string | null {
  return value === null || value.length > INLINE_BYTES ? null : value.toString('latin1');
}
