// cluster/anti-entropy/partition-trees.ts — this replica's Merkle trees, one per
// partition it replicates (merkle-tree.ts). Built at start by iterating each
// partition's slot range in the engine's ring-hash order (a partition is a
// contiguous slot range, and the keydir is ordered by slot << 50 | xxh64),
// every database at once; then kept up to date by the replica store, which
// tells them of every record it writes (RecordObserver). Answers what a
// peer's exchange asks of them: roots, children, the keys of some leaves.
// Collections' element records (replica/element-records.ts) are in the
// trees too, beside the keys: an element key is in its parent's slot, so in
// the same partition and leaf range; its contribution is seeded apart
// (ELEMENT_SPACE), so an element and a user key of the same bytes never
// cancel out. Per-replica summaries are left out. Equal replicas still
// compare one root per partition, whatever they hold.
import type { RecordObserver } from '../replica/record-observer';
import { keySlot, SLOT_COUNT } from '../ring/slot';
import { contribution, keySeeds, MerkleTree, NODE_BYTES } from './merkle-tree';

/** What the trees read of the replica store. */
export interface RecordSource {
  readonly databases: number;
  /** Keys of db with from <= ring hash < to (engine scanRange), tombstones included; cursor 0n when done. */
  scanRecords(db: number, from: bigint, count: number, to: bigint): { cursor: bigint; keys: Buffer[] };
  record(db: number, key: Buffer): Buffer | null;
  /** The element records (summaries left out), in the same order. */
  readonly elementRecords: {
    scan(db: number, from: bigint, count: number, to: bigint): { cursor: bigint; keys: Buffer[] };
    record(db: number, elementKey: Buffer): Buffer | null;
  };
}

/** One key of a leaf, as the exchange compares them. */
export interface LeafEntry {
  db: number;
  /** An element record (the elements engine), not a key. */
  element: boolean;
  key: Buffer;
  /** Its contribution, NODE_BYTES bytes. */
  hash: Buffer;
}

/** Leaves per partition at least: small partitions (many of them) cut their slots into sub-buckets. */
const MIN_LEAVES = 1024;
const SLOT_SHIFT = 50n;
const SCAN_PAGE = 1000;
/** Added to the database of an element record's seeds: hash(db, key) of the keyspace and of the elements never meet. */
const ELEMENT_SPACE = 0x40000000;

export class PartitionTrees implements RecordObserver {
  readonly slotsPerPartition: number;
  /** Leaves of each tree, and sub-buckets of each slot (a power of two). */
  readonly leafCount: number;
  private readonly bucketsPerSlot: number;
  private readonly bucketShift: number;
  private readonly trees: (MerkleTree | null)[];
  private readonly seeds = new Uint32Array(2);
  private readonly lanes = new Uint32Array(2);

  constructor(
    private readonly source: RecordSource,
    readonly partitionCount: number,
    /** The partitions this node holds a replica of. */
    readonly held: readonly number[],
  ) {
    this.slotsPerPartition = SLOT_COUNT / partitionCount;
    this.bucketsPerSlot = Math.max(1, MIN_LEAVES / this.slotsPerPartition);
    this.bucketShift = 32 - Math.log2(this.bucketsPerSlot);
    this.leafCount = this.slotsPerPartition * this.bucketsPerSlot;
    this.trees = new Array<MerkleTree | null>(partitionCount).fill(null);
  }

  /** Builds every held partition's tree from the store (at start, and after a flush). */
  build(): void {
    for (const p of this.held) this.buildPartition(p);
  }

  private buildPartition(p: number): void {
    const tree = (this.trees[p] ??= new MerkleTree(this.leafCount));
    tree.clear();
    const from = BigInt(p * this.slotsPerPartition) << SLOT_SHIFT;
    const to = BigInt((p + 1) * this.slotsPerPartition) << SLOT_SHIFT;
    for (let db = 0; db < this.source.databases; db++) {
      for (const element of [false, true]) {
        let cursor = from;
        do {
          const page = this.scan(element, db, cursor, to);
          for (const key of page.keys) {
            const record = this.read(element, db, key);
            if (record === null) continue;
            this.add(tree, this.leafOf(keySlot(key), keySeeds(element ? db + ELEMENT_SPACE : db, key, this.seeds)), record);
          }
          cursor = page.cursor;
        } while (cursor !== 0n);
      }
    }
  }

  private scan(element: boolean, db: number, from: bigint, to: bigint): { cursor: bigint; keys: Buffer[] } {
    return element ? this.source.elementRecords.scan(db, from, SCAN_PAGE, to) : this.source.scanRecords(db, from, SCAN_PAGE, to);
  }

  private read(element: boolean, db: number, key: Buffer): Buffer | null {
    return element ? this.source.elementRecords.record(db, key) : this.source.record(db, key);
  }

  /** RecordObserver: a record of the store was replaced (old null: it had none; record null: deleted). */
  stored(db: number, key: Buffer, old: Buffer | null, record: Buffer | null): void {
    this.toggle(db, key, old, record);
  }

  /** RecordObserver: an element record was replaced. */
  storedElement(db: number, elementKey: Buffer, old: Buffer | null, record: Buffer | null): void {
    this.toggle(db + ELEMENT_SPACE, elementKey, old, record);
  }

  /** Takes the old record's contribution out of its leaf and puts the new one's in (seedDb: the database, or ELEMENT_SPACE above it). */
  private toggle(seedDb: number, key: Buffer, old: Buffer | null, record: Buffer | null): void {
    const slot = keySlot(key);
    const tree = this.trees[Math.floor(slot / this.slotsPerPartition)];
    if (tree === null) return;
    const leaf = this.leafOf(slot, keySeeds(seedDb, key, this.seeds));
    if (old !== null) this.add(tree, leaf, old);
    if (record !== null) this.add(tree, leaf, record);
  }

  /** RecordObserver: a database was dropped whole. */
  flushed(): void {
    this.build();
  }

  /** XOR into the leaf: adds the record's contribution (the key's seeds in this.seeds), or takes it back out. */
  private add(tree: MerkleTree, leaf: number, record: Buffer): void {
    contribution(this.seeds, record, this.lanes);
    tree.toggle(leaf, this.lanes[0], this.lanes[1]);
  }

  /** The leaf of a key of this slot whose bucket hash (keySeeds) is `hash`. */
  private leafOf(slot: number, hash: number): number {
    const bucket = this.bucketsPerSlot === 1 ? 0 : hash >>> this.bucketShift;
    return (slot % this.slotsPerPartition) * this.bucketsPerSlot + bucket;
  }

  /** A held partition's tree; throws for a partition this node does not replicate. */
  tree(p: number): MerkleTree {
    const tree = Number.isInteger(p) && p >= 0 && p < this.partitionCount ? this.trees[p] : null;
    if (tree === null) throw new RangeError(`partition ${p} has no tree here: this node holds no replica of it`);
    return tree;
  }

  /** Every partition's root, NODE_BYTES each in partition order; zeros for a partition not held. */
  roots(): Buffer {
    const out = Buffer.alloc(this.partitionCount * NODE_BYTES);
    for (let p = 0; p < this.partitionCount; p++) this.trees[p]?.writeRoot(out, p * NODE_BYTES);
    return out;
  }

  /** The keys and element keys of these leaves of partition p, every database, with their contributions. */
  leafEntries(p: number, leaves: readonly number[]): LeafEntry[] {
    const tree = this.tree(p);
    const wanted = new Set<number>();
    const slots = new Set<number>();
    for (const leaf of leaves) {
      if (!(Number.isInteger(leaf) && leaf >= 0 && leaf < tree.leafCount)) throw new RangeError(`leaf ${leaf} is not within 0..${tree.leafCount - 1}`);
      wanted.add(leaf);
      slots.add(p * this.slotsPerPartition + Math.floor(leaf / this.bucketsPerSlot));
    }
    const entries: LeafEntry[] = [];
    for (const slot of slots) {
      for (let db = 0; db < this.source.databases; db++) {
        for (const element of [false, true]) {
          let cursor = BigInt(slot) << SLOT_SHIFT;
          const to = BigInt(slot + 1) << SLOT_SHIFT;
          do {
            const page = this.scan(element, db, cursor, to);
            for (const key of page.keys) {
              if (!wanted.has(this.leafOf(slot, keySeeds(element ? db + ELEMENT_SPACE : db, key, this.seeds)))) continue;
              const record = this.read(element, db, key);
              if (record === null) continue;
              contribution(this.seeds, record, this.lanes);
              const hash = Buffer.allocUnsafe(NODE_BYTES);
              hash.writeUInt32BE(this.lanes[0], 0);
              hash.writeUInt32BE(this.lanes[1], 4);
              entries.push({ db, element, key, hash });
            }
            cursor = page.cursor;
          } while (cursor !== 0n);
        }
      }
    }
    return entries;
  }
}
