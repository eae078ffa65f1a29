// cluster/coordinator/key-indexes.ts — the in-memory indexes collection types
// keep per key (sorted sets' skiplists, lists' position indexes), by database,
// and the sweep that frees the indexes of keys gone without a command on them:
// an expired key is reclaimed by the engine's sweep, which tells no one, so a
// rate limiter's sorted set per client with a TTL would otherwise keep its
// index for good. Active expiry runs the sweep a little each cycle.

export class KeyIndexes<T> {
  private readonly dbs: (Map<string, T> | undefined)[] = [];
  private sweepDb = 0;
  private cursor: Iterator<string> | null = null;

  get(db: number, key: Buffer): T | undefined {
    return this.dbs[db]?.get(key.toString('latin1'));
  }

  set(db: number, key: Buffer, index: T): void {
    let map = this.dbs[db];
    if (map === undefined) this.dbs[db] = map = new Map();
    map.set(key.toString('latin1'), index);
  }

  delete(db: number, key: Buffer): void {
    const map = this.dbs[db];
    if (map !== undefined && map.size > 0) map.delete(key.toString('latin1'));
  }

  /** FLUSHDB: every index of the database goes. */
  clear(db: number): void {
    this.dbs[db]?.clear();
  }

  get size(): number {
    let n = 0;
    for (const map of this.dbs) n += map?.size ?? 0;
    return n;
  }

  /**
   * Looks at up to `limit` indexes, going on from where the last sweep
   * stopped, and drops those whose key `live` finds gone. Returns how many
   * it dropped.
   */
  sweep(limit: number, live: (db: number, key: Buffer) => boolean): number {
    let dropped = 0;
    let seen = 0;
    // At most one pass over the databases per call: an empty store costs a loop over them, no more.
    for (let turns = 0; seen < limit && turns <= this.dbs.length; ) {
      const map = this.dbs[this.sweepDb];
      if (this.cursor === null && map !== undefined) this.cursor = map.keys();
      const next = this.cursor?.next();
      if (next === undefined || next.done === true) {
        this.cursor = null;
        this.sweepDb = this.dbs.length === 0 ? 0 : (this.sweepDb + 1) % this.dbs.length;
        turns++;
        continue;
      }
      seen++;
      // Deleting the entry just visited leaves a Map iterator valid.
      if (!live(this.sweepDb, Buffer.from(next.value, 'latin1'))) {
        map?.delete(next.value);
        dropped++;
      }
    }
    return dropped;
  }
}
