// cluster/replica/key-counts.ts — a replica's key counts per database:
// DBSIZE's keys and INFO's expires. In reap mode (N = 1) the engine's own.
// In kept mode (N > 1, where tombstones and expired versions stay records
// until reaped): how many records have a tombstone for winner (DBSIZE
// leaves them out) and how many an expiry. Counted once by a full scan when
// first asked, then kept up to date by every write (recount); forgotten
// (counted again when asked) when what a record held is unknown.
import type { Engine } from '../../engine/index';
import type { KeyVersions } from '../versions/versions';

/** A record's winner, classified for the key counts: none, a value, a value with an expiry, a tombstone. */
export const enum WinnerKind {
  None,
  Value,
  Expiring,
  Tombstone,
}

/** The kind of the versions' winner (their first sibling). */
export function winnerKind(versions: KeyVersions): WinnerKind {
  const top = versions.siblings[0];
  return top === undefined ? WinnerKind.None : top.value === null ? WinnerKind.Tombstone : top.expireAt === 0 ? WinnerKind.Value : WinnerKind.Expiring;
}

interface Counted {
  tombstones: number;
  expiring: number;
}

export class KeyCounts {
  /** Per database: records whose winner is a tombstone, and those with an expiry (null until counted). */
  private readonly tombstones: (number | null)[];
  private readonly expiringCount: (number | null)[];

  constructor(
    databases: number,
    /** N = 1: the engine deletes tombstones and counts expiries itself. */
    private readonly reap: boolean,
    /** The winner kind of a key's record (for the first count). */
    private readonly kindOf: (db: number, key: Buffer) => WinnerKind,
  ) {
    this.tombstones = new Array<number | null>(databases).fill(null);
    this.expiringCount = new Array<number | null>(databases).fill(null);
  }

  /** A record of db went from a winner of kind `before` to one of kind `after`. */
  recount(db: number, before: WinnerKind, after: WinnerKind): void {
    const tombstones = this.tombstones[db];
    if (tombstones !== null) this.tombstones[db] = tombstones + (after === WinnerKind.Tombstone ? 1 : 0) - (before === WinnerKind.Tombstone ? 1 : 0);
    const expiring = this.expiringCount[db];
    if (expiring !== null) this.expiringCount[db] = expiring + (after === WinnerKind.Expiring ? 1 : 0) - (before === WinnerKind.Expiring ? 1 : 0);
  }

  /** SWAPDB: the two databases' counts change places with them. */
  swap(a: number, b: number): void {
    for (const perDb of [this.tombstones, this.expiringCount]) [perDb[a], perDb[b]] = [perDb[b], perDb[a]];
  }

  /** What a record of db held is unknown (it failed its checksum, was replaced whole, the database was flushed): count again when asked. */
  forget(db: number): void {
    this.tombstones[db] = null;
    this.expiringCount[db] = null;
  }

  /** Keys of db (its engine's), expired ones not yet reclaimed included (as Redis's DBSIZE); tombstones are not keys. */
  size(db: number, engine: Engine | null): number {
    if (engine === null) return 0;
    const keys = engine.stats().keys;
    return this.reap ? keys : keys - this.counted(db, engine).tombstones;
  }

  /** Keys of db whose winner has an expiry. */
  expiring(db: number, engine: Engine | null): number {
    if (engine === null) return 0;
    return this.reap ? engine.stats().expiring : this.counted(db, engine).expiring;
  }

  /** Kept mode: db's counts, counted by a scan of its engine the first time. */
  private counted(db: number, engine: Engine): Counted {
    let tombstones = this.tombstones[db];
    let expiring = this.expiringCount[db];
    if (tombstones === null || expiring === null) {
      tombstones = 0;
      expiring = 0;
      let cursor = 0n;
      do {
        const page = engine.scan(cursor, 1000);
        for (const key of page.keys) {
          const kind = this.kindOf(db, key);
          if (kind === WinnerKind.Tombstone) tombstones++;
          else if (kind === WinnerKind.Expiring) expiring++;
        }
        cursor = page.cursor;
      } while (cursor !== 0n);
      this.tombstones[db] = tombstones;
      this.expiringCount[db] = expiring;
    }
    return { tombstones, expiring };
  }
}
