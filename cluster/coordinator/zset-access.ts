// cluster/coordinator/zset-access.ts — the sorted set operations the
// Coordinator offers the commands (server/commands/zsets*.ts), apart from
// their implementation (zsets.ts), so that coordinator.ts, which every
// cluster module reads, imports nothing that imports it back.
import type { ZsetListpackLimits } from '../../datatypes/zset';
import type { ZsetSkiplist } from '../../datatypes/zset-skiplist';

/** One member and its score. */
export interface ZsetEntry {
  readonly member: Buffer;
  readonly score: number;
}

/** One member's new score, or null: its removal. */
export interface ZsetChange {
  readonly member: Buffer;
  readonly score: number | null;
}

/** The sorted set operations of the Coordinator (coordinator.ts). */
export interface ZsetAccess {
  /** ZCARD: O(1), from the summary. */
  length(db: number, key: Buffer): number;
  /** The members in order (score, then member bytes), to read only; null when the key is no sorted set. */
  view(db: number, key: Buffer): ZsetSkiplist | null;
  /** Writes each member's new score or removal: makes the key when absent, deletes it with its last member. */
  update(db: number, key: Buffer, changes: readonly ZsetChange[], limits: ZsetListpackLimits): void;
  /** ZREM: how many of the members were there. */
  remove(db: number, key: Buffer, members: readonly Buffer[]): number;
  /** The STORE commands: the key (of any type, or absent) made anew with these members; none deletes it. */
  replace(db: number, key: Buffer, entries: readonly ZsetEntry[], limits: ZsetListpackLimits): void;
  /** OBJECT ENCODING: listpack or skiplist, by Redis's rule. */
  encoding(db: number, key: Buffer): 'listpack' | 'skiplist';
  /** ZSCAN: a listpack answers whole with cursor 0; a skiplist pages through its element records from cursor. */
  scan(db: number, key: Buffer, cursor: bigint, count: number): { cursor: bigint; entries: ZsetEntry[]; listpack: boolean };
}
