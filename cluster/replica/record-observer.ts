// cluster/replica/record-observer.ts — the hook anti-entropy's Merkle trees
// (anti-entropy/partition-trees.ts) hang on the replica: told of every
// record written, replaced or dropped, so the trees follow the data without
// a rescan.

/** Told of every record this replica writes (anti-entropy's Merkle trees). */
export interface RecordObserver {
  /** The key's record was replaced: old null when it had none, record null when it was deleted. */
  stored(db: number, key: Buffer, old: Buffer | null, record: Buffer | null): void;
  /** The same for a collection's element record (element-records.ts) in the elements engine. */
  storedElement(db: number, elementKey: Buffer, old: Buffer | null, record: Buffer | null): void;
  /** A database was dropped whole. */
  flushed(db: number): void;
}
