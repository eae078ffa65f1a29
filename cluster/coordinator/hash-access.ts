// cluster/coordinator/hash-access.ts — the hash operations the Coordinator
// offers the commands (server/commands/hashes.ts), apart from their
// implementation (hashes.ts), so that coordinator.ts, which every cluster
// module reads, imports nothing that imports it back.
import type { ListpackLimits } from '../../datatypes/hash';
import type { HashEntry } from '../replica/hash-replica';

/** The hash operations of the Coordinator (coordinator.ts). */
export interface HashAccess {
  /** The field's value; null when the field or the hash is absent. */
  get(db: number, key: Buffer, field: Buffer): Buffer | null;
  /** HSET of the pairs argv[from], argv[from + 1] ...: makes the hash when absent; how many fields are new. */
  set(db: number, key: Buffer, argv: readonly Buffer[], from: number, limits: ListpackLimits): number;
  /** HINCRBY's write of `text` (the field's value + by): a PN-counter field in a cluster, a plain value on one node. */
  increment(db: number, key: Buffer, field: Buffer, by: bigint, text: Buffer, limits: ListpackLimits): void;
  /** HDEL of argv[from...]: how many were there; the key goes with its last field. */
  delete(db: number, key: Buffer, argv: readonly Buffer[], from: number): number;
  /** HLEN: O(1), from the summary. */
  length(db: number, key: Buffer): number;
  /** Every field, in Redis's listpack order (insertion order). */
  entries(db: number, key: Buffer): HashEntry[];
  /** OBJECT ENCODING: listpack or hashtable, by Redis's rule. */
  encoding(db: number, key: Buffer): 'listpack' | 'hashtable';
  /**
   * HSCAN: a listpack-encoded hash answers whole with cursor 0 (as Redis);
   * a hashtable one pages through its element records from cursor.
   */
  scan(db: number, key: Buffer, cursor: bigint, count: number): { cursor: bigint; entries: HashEntry[] };
}
