// cluster/coordinator/indexed-collection.ts — a collection type that keeps an
// in-memory index per key (sorted sets' skiplists, lists' position indexes):
// the indexes, and what every such type does with them as keys go (DEL,
// FLUSHDB, SWAPDB, expiry).
import { Collection } from './collection';
import { KeyIndexes } from './key-indexes';

export abstract class IndexedCollection<T> extends Collection {
  protected readonly indexes = new KeyIndexes<T>();

  /** DEL / UNLINK of the key (any type): its index, if any, goes at once (a key made again later gets a new one). */
  dropIndex(db: number, key: Buffer): void {
    this.indexes.delete(db, key);
  }

  /** FLUSHDB, FLUSHALL, SWAPDB: every index of the database goes. */
  dropIndexes(db: number): void {
    this.indexes.clear(db);
  }

  /** Active expiry: drops the indexes of up to `limit` keys found gone (expired) since their last command. */
  sweepIndexes(limit: number): number {
    return this.indexes.sweep(limit, (db, key) => this.host.holdsReplica(key) && this.exists(db, key));
  }

  /** Keys whose index is in memory (INFO memory's collection_indexes). */
  indexCount(): number {
    return this.indexes.size;
  }
}
