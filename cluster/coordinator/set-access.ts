// cluster/coordinator/set-access.ts — the set operations the Coordinator
// offers the commands (server/commands/sets.ts ...), apart from their
// implementation (sets.ts), so that coordinator.ts imports nothing that
// imports it back.

/** The set operations of the Coordinator (coordinator.ts). Keys are sets or absent: the commands check WRONGTYPE first. */
export interface SetAccess {
  /** SISMEMBER: false when the member or the set is absent. */
  isMember(db: number, key: Buffer, member: Buffer): boolean;
  /** SADD of argv[from...]: makes the set when absent; how many members are new. */
  add(db: number, key: Buffer, argv: readonly Buffer[], from: number, maxIntset: number): number;
  /** SREM of argv[from...]: how many were there; the key goes with its last member. */
  remove(db: number, key: Buffer, argv: readonly Buffer[], from: number): number;
  /** SCARD: O(1), from the summary. */
  length(db: number, key: Buffer): number;
  /** Every member: an intset's in numeric order (as Redis lists an intset), a hashtable's in storage order. */
  members(db: number, key: Buffer): Buffer[];
  /** OBJECT ENCODING: intset or hashtable, by Redis's rule. */
  encoding(db: number, key: Buffer): 'intset' | 'hashtable';
  /** SSCAN: an intset answers whole with cursor 0 (as Redis); a hashtable pages through its element records from cursor. */
  scan(db: number, key: Buffer, cursor: bigint, count: number): { cursor: bigint; members: Buffer[] };
  /** count random members (1 <= count; distinct: each at most once, count below the set's size); none when absent. */
  random(db: number, key: Buffer, count: number, distinct: boolean): Buffer[];
  /** SPOP: removes count random distinct members (count below the set's size) and answers them; none when absent. */
  pop(db: number, key: Buffer, count: number): Buffer[];
  /** SMOVE: 1 when the member was in src (then it is in dst, and no longer in src unless src is dst), else 0. */
  move(db: number, src: Buffer, dst: Buffer, member: Buffer, maxIntset: number): number;
  /**
   * The STORE forms: dst (of any type, or absent) becomes the set of these
   * distinct members (deleted when none); hashtable: the encoding Redis's
   * algorithm arrives at. How many members dst has.
   */
  store(db: number, dst: Buffer, members: readonly Buffer[], hashtable: boolean, maxIntset: number): number;
}
