// cluster/coordinator/list-access.ts — the list operations the Coordinator
// offers the commands (server/commands/lists.ts), apart from their
// implementation (lists.ts), so that coordinator.ts imports nothing that
// imports it back. Indexes are 0-based from the head and already checked by
// the caller unless said otherwise; keys are lists or absent (the commands
// check WRONGTYPE first). Items come back as latin1 strings (one char per
// byte, as the lists keep them in memory; ReplyWriter.bulkLatin1 writes them).

/** The list operations of the Coordinator (coordinator.ts). */
export interface ListAccess {
  /** LLEN: O(1), from the summary; 0 when absent. */
  length(db: number, key: Buffer): number;
  /** LPUSH (left) or RPUSH of argv[from...], in argument order; makes the list when absent; the new length. */
  push(db: number, key: Buffer, argv: readonly Buffer[], from: number, left: boolean): number;
  /** Up to count items from the head (left) or the tail, removed; the key goes with its last item. */
  pop(db: number, key: Buffer, left: boolean, count: number): string[];
  /** The items from index `from` to `to`, inclusive (0 <= from <= to < length). */
  range(db: number, key: Buffer, from: number, to: number): string[];
  /** The item at index i (negative: from the tail, as LINDEX); null when out of range or absent. */
  item(db: number, key: Buffer, i: number): string | null;
  /** LSET of index i (negative: from the tail); false when out of range. */
  set(db: number, key: Buffer, i: number, value: Buffer): boolean;
  /** LINSERT: value after (or before) the first item equal to pivot; the new length, or -1 when no item equals pivot. */
  insert(db: number, key: Buffer, after: boolean, pivot: Buffer, value: Buffer): number;
  /** LREM: removes the first count items equal to value from the head (count > 0), the tail (count < 0) or all (0); how many. */
  remove(db: number, key: Buffer, count: number, value: Buffer): number;
  /** LTRIM start stop, with Redis's index arithmetic (negative from the tail, out of range clamped). */
  trim(db: number, key: Buffer, start: number, stop: number): void;
  /**
   * LPOS: indexes of the items equal to element, scanning from the head
   * (rank > 0) or the tail (rank < 0), skipping |rank| - 1 matches, at
   * most count of them (0: all), looking at no more than maxlen items (0:
   * all).
   */
  positions(db: number, key: Buffer, element: Buffer, rank: number, count: number, maxlen: number): number[];
  /** OBJECT ENCODING: what redis-server 7.0 answers for every list. */
  encoding(db: number, key: Buffer): 'quicklist';
}
