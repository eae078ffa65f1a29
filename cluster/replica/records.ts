// cluster/replica/records.ts — this replica's records in the local engine,
// apart from what they mean: each key's record (its encoded versions,
// versions/codec.ts) in its database's engine (dir/db0 ... dir/db15, opened
// on first write), collections' element records in their own (dir/dbN.elements).
// Reading a record with a checksum failure taken as missing (kept mode:
// onCorrupt is told, the other replicas answer and repair it); writing one
// with the key counts (key-counts.ts) and anti-entropy's Merkle trees
// (RecordObserver) kept up to date; the record's winner located without
// decoding (versions/fast-path.ts); and the kept mode's upkeep: reaping
// drops records, repairs replace them, flushes drop databases, the
// scrubber verifies the files. ReplicaStore (store.ts) reads and writes
// versions on top of it.
import { EngineError, type EngineOptions, type EngineStats, type ExpirySweep, type FsyncMode, type ScrubCursor, type ScrubStep } from '../../engine/index';
import { realClock, type Clock } from '../clock';
import type { ScanPage } from '../coordinator/coordinator';
import { Databases } from './databases';
import { DbMap } from './db-map';
import { KeyCounts, WinnerKind } from './key-counts';
import { encodeVersions } from '../versions/codec';
import type { WinnerLocation } from '../versions/fast-path';
import type { RecordObserver } from './record-observer';
import { locateRecord } from './record-reads';
import type { KeyVersions } from '../versions/versions';

/** The largest record kept in the scratch buffer between rewrites. */
const SCRATCH_MAX = 64 * 1024;

/**
 * Element records stay on disk (mmap / page cache), none in the keydir: a
 * 1M-field hash then holds 55 keydir bytes per field instead of 125 (its
 * ~60-byte records inlined), below redis-server's 115 resident bytes per
 * field (bench:collection-memory); an element read is a copy from a mapped
 * page, small beside a command's cost.
 */
const ELEMENT_INLINE_MAX = 0;

export class ReplicaRecords {
  readonly databases: number;
  protected readonly dbs: Databases;
  /** Collections' element records (dir/dbN.elements), apart from the keyspace. */
  protected readonly elements: Databases;
  /** Which directory holds each database (SWAPDB). */
  private readonly dbMap: DbMap;
  /** Where the last locate() put the winner it found. */
  protected readonly where: WinnerLocation = { valueOffset: 0, valueLength: -1, expireAt: 0, siblings: 0, type: 0 };
  /** Where localWrite reads the record it rewrites. */
  private scratch = Buffer.allocUnsafe(4096);
  /** Keys, tombstones and records with an expiry, per database (key-counts.ts). */
  private readonly counts: KeyCounts;
  /** Told of every record written (kept mode: anti-entropy runs only with other replicas). */
  observer: RecordObserver | null = null;
  /**
   * Kept mode, per database: the time of its latest flush (anti-entropy/
   * flush-epochs.ts), 0 = never flushed. A sibling written before it
   * (timestamp < floor) is dropped on arrival, and a write made here gets a
   * timestamp of at least it (flush-purge.ts).
   */
  readonly flushFloor: number[];
  /**
   * Kept mode: called when a record fails its checksum. A read then treats
   * the key as missing here (the other replicas answer, and repair it); a
   * write that would make a new dot from it fails instead (a lost clock
   * would reuse dots).
   */
  onCorrupt: ((db: number, key: Buffer, reason: string) => void) | null = null;

  /**
   * `reap`: no other replica holds these keys (N = 1), so nothing can bring
   * an old version back: a record whose every sibling is a tombstone is
   * deleted from the engine at once, and the engine expires a record when
   * its last value sibling expires (Redis's own expiry and DBSIZE). Without
   * it (N > 1) records are kept, tombstones and expired versions included,
   * until anti-entropy knows every replica has them.
   */
  constructor(
    dir: string,
    options: EngineOptions,
    databases: number,
    readonly reap: boolean,
    /** What live() reads the time from. */
    protected readonly clock: Clock = realClock,
  ) {
    this.databases = databases;
    this.dbMap = new DbMap(dir, databases);
    this.dbs = new Databases(dir, options, databases, this.dbMap);
    this.elements = new Databases(dir, { ...options, inlineValueMax: ELEMENT_INLINE_MAX }, databases, this.dbMap, '.elements');
    this.flushFloor = new Array<number>(databases).fill(0);
    this.counts = new KeyCounts(databases, reap, (db, key) => this.countedKind(db, key));
  }

  // ---- reading records ----

  /**
   * The key's stored record (encoded versions); null when this replica has
   * none, or (kept mode) when it fails its checksum (onCorrupt is told).
   * `touch`: a client's read of the key (OBJECT IDLETIME).
   */
  record(db: number, key: Buffer, touch = false): Buffer | null {
    const e = this.dbs.existing(db);
    if (e === null) return null;
    try {
      return e.get(key, touch);
    } catch (err) {
      if (this.corrupt(db, key, err)) return null;
      throw err;
    }
  }

  /**
   * record() that throws on a record failing its checksum, for what must not
   * take it as missing. `cache` false: a background pass over the records
   * (reaping, counting) does not keep small values in memory.
   */
  checkedRecord(db: number, key: Buffer, cache = true): Buffer | null {
    return this.dbs.existing(db)?.get(key, false, cache) ?? null;
  }

  /** Kept mode: true when err is a checksum failure, which onCorrupt is told of. */
  protected corrupt(db: number, key: Buffer, err: unknown): boolean {
    if (this.reap || !(err instanceof EngineError) || err.code !== 'ECORRUPT') return false;
    // The lost record's kind is unknown: count again when asked.
    this.counts.forget(db);
    this.onCorrupt?.(db, key, err.message);
    return true;
  }

  /**
   * The key's record read into a scratch buffer (no allocation), valid until
   * the next call; null when absent. A record over SCRATCH_MAX is read into
   * a buffer of its own, not kept: the scratch buffer once grew to the
   * largest record ever rewritten (500 MB after a 500 MiB value's DEL) and
   * held it for good (issue 9).
   */
  protected scratchRecord(db: number, key: Buffer, tolerant: boolean): Buffer | null {
    const e = this.dbs.existing(db);
    if (e === null) return null;
    let len: number;
    try {
      len = e.getInto(key, this.scratch, 0);
    } catch (err) {
      if (tolerant && this.corrupt(db, key, err)) return null;
      throw err;
    }
    if (len > this.scratch.length) {
      const into = Buffer.allocUnsafe(len);
      if (len <= SCRATCH_MAX) this.scratch = into;
      len = e.getInto(key, into, 0);
      return len < 0 ? null : into.subarray(0, len);
    }
    return len < 0 ? null : this.scratch.subarray(0, len);
  }

  // ---- a record's winner, without decoding ----

  /** locateWinner into this.where; a corrupt record throws CorruptVersionsError naming the db and key. */
  protected locate(db: number, key: Buffer, bytes: Buffer, start: number, end: number): void {
    locateRecord(db, key, bytes, start, end, this.where);
  }

  /**
   * Whether the winner this.where holds reads as a value now. The clock is
   * read only when it can matter: in reap mode the engine already hides a
   * record whose only sibling expired.
   */
  protected live(): boolean {
    const w = this.where;
    if (w.valueLength < 0) return false;
    return w.expireAt === 0 || (this.reap && w.siblings === 1) || w.expireAt > this.clock.now();
  }

  protected kind(db: number, key: Buffer, record: Buffer | null): WinnerKind {
    if (record === null) return WinnerKind.None;
    const w = this.where;
    this.locate(db, key, record, 0, record.length);
    if (w.siblings === 0) return WinnerKind.None;
    if (w.valueLength < 0) return WinnerKind.Tombstone;
    return w.expireAt === 0 ? WinnerKind.Value : WinnerKind.Expiring;
  }

  // ---- writing records ----

  /**
   * Writes the record. Reap mode: a record without a value sibling is
   * deleted (expiry -1), and the engine expires it with its last value;
   * kept mode: expireAt 0, the engine never drops a version on its own.
   */
  protected storeRecord(db: number, key: Buffer, old: Buffer | null, record: Buffer, after: WinnerKind, before: WinnerKind, expiry: number): void {
    if (this.reap) {
      if (expiry < 0) {
        const e = this.dbs.existing(db);
        if (e === null) return;
        e.delete(key);
        this.dbs.wrote(db, e.lastSeq);
        return;
      }
      this.dbs.wrote(db, this.dbs.open(db).put(key, record, { expireAt: expiry }));
      return;
    }
    this.dbs.wrote(db, this.dbs.open(db).put(key, record, { expireAt: 0 }));
    this.counts.recount(db, before, after);
    this.observer?.stored(db, key, old, record);
  }

  // ---- the keys ----

  /** Keys of db, expired ones not yet reclaimed included (as Redis's DBSIZE); tombstones are not keys. */
  size(db: number): number {
    return this.counts.size(db, this.dbs.existing(db));
  }

  /** Keys of db whose winner has an expiry. */
  expiring(db: number): number {
    return this.counts.expiring(db, this.dbs.existing(db));
  }

  /** The key's winner kind for the counts; a record that fails its checksum counts as none (reads and the scrubber report it). */
  private countedKind(db: number, key: Buffer): WinnerKind {
    try {
      return this.kind(db, key, this.checkedRecord(db, key, false));
    } catch (err) {
      if (err instanceof EngineError && err.code === 'ECORRUPT') return WinnerKind.None;
      throw err;
    }
  }

  // ---- kept mode's upkeep: expiry, reaping, repair, scrubbing, flushes ----

  /** Reap mode: the engine's record expired at `now`; reclaims it (a tombstone in the log). True when it did. */
  expireIfDue(db: number, key: Buffer): boolean {
    const e = this.dbs.existing(db);
    if (!this.reap || e === null || !e.expireIfDue(key)) return false;
    this.dbs.wrote(db, e.lastSeq);
    return true;
  }

  /**
   * Reap mode: reclaims up to `limit` expired records from cursor; kept mode
   * reclaims nothing (anti-entropy will). Both sample the TTLs they visit.
   */
  reclaimExpired(db: number, cursor: bigint, limit: number): ExpirySweep {
    const e = this.dbs.existing(db);
    if (e === null) return { cursor: 0n, reclaimed: 0, ttlSumMs: 0, ttlCount: 0 };
    const result = e.reclaimExpired(cursor, limit, this.reap);
    if (result.reclaimed > 0) this.dbs.wrote(db, e.lastSeq);
    return result;
  }

  /**
   * Every key of db that has a record, tombstones and expired ones included,
   * in ring-hash order from cursor, up to ring hash `to` (excluded; the
   * whole ring when absent): Engine.scanRange. Cursor 0n when done.
   * Anti-entropy's trees, reaping, flush purges.
   */
  scanRecords(db: number, cursor: bigint, count: number, to?: bigint): ScanPage {
    const e = this.dbs.existing(db);
    if (e === null) return { cursor: 0n, keys: [] };
    return to === undefined ? e.scan(cursor, count) : e.scanRange(cursor, to, count);
  }

  /** Kept mode: removes the key's record (a reaped tombstone, a flushed or lost record); the engine's merge reclaims its bytes. */
  drop(db: number, key: Buffer): void {
    const e = this.dbs.existing(db);
    if (e === null) return;
    let before: WinnerKind;
    try {
      before = this.kind(db, key, this.checkedRecord(db, key));
    } catch (err) {
      if (!(err instanceof EngineError) || err.code !== 'ECORRUPT') throw err;
      before = WinnerKind.None;
      this.counts.forget(db);
    }
    if (!e.delete(key) && before === WinnerKind.None) return;
    this.dbs.wrote(db, e.lastSeq);
    this.counts.recount(db, before, WinnerKind.None);
  }

  /** Kept mode: stores versions as the key's record, over whatever it held (a record rebuilt from the other replicas, a flush's survivor). */
  replace(db: number, key: Buffer, versions: KeyVersions): void {
    // What the record held is unknown (it may not read): count again when asked.
    this.counts.forget(db);
    this.dbs.wrote(db, this.dbs.open(db).put(key, encodeVersions(versions), { expireAt: 0 }));
  }

  /** One scrubber step over db's data files (Engine.scrub); null when db holds nothing. */
  scrub(db: number, cursor: ScrubCursor, budget: number): ScrubStep | null {
    return this.dbs.existing(db)?.scrub(cursor, budget) ?? null;
  }

  /**
   * SWAPDB on a node that is the whole cluster: the two databases exchange
   * their directories (records and element records together), the map
   * persisted first (db-map.ts); no key is copied.
   */
  swap(a: number, b: number): void {
    this.dbMap.swap(a, b);
    this.dbs.swap(a, b);
    this.elements.swap(a, b);
    this.counts.swap(a, b);
    [this.flushFloor[a], this.flushFloor[b]] = [this.flushFloor[b], this.flushFloor[a]];
  }

  /** Drops db's whole engine directory (FLUSHDB on this replica). */
  flush(db: number): void {
    this.dbs.flush(db);
    this.elements.flush(db);
    this.counts.forget(db);
    this.observer?.flushed(db);
  }

  // ---- durability, the engines ----

  /** Resolves once every write made so far is durable under the fsync policy; null when already. */
  durable(): Promise<void> | null {
    const keys = this.dbs.durable();
    const elements = this.elements.durable();
    if (keys === null || elements === null) return keys ?? elements;
    return Promise.all([keys, elements]).then(() => undefined);
  }

  get fsync(): FsyncMode {
    return this.dbs.fsync;
  }

  setFsync(mode: FsyncMode): void {
    this.dbs.setFsync(mode);
    this.elements.setFsync(mode);
  }

  /** Each database's keyspace engine, then each one's elements engine. */
  stats(): EngineStats[] {
    return [...this.dbs.stats(), ...this.elements.stats()];
  }

  close(): void {
    this.dbs.close();
    this.elements.close();
  }
}
