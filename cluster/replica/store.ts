// cluster/replica/store.ts — this node's replicas of keys: each key's versions
// (versions/versions.ts), encoded by versions/codec.ts, stored as the key's value in the
// local engine. Each Redis database is its own engine directory (dir/db0 ...
// dir/db15), opened on first write. Synchronous, as the engine is: the
// coordinator calls localWrite() or coordinate() for the writes it
// coordinates and apply() for the versions other replicas send (their writes,
// read repair), then sends or acks. GET reads the winner straight from the
// record (locateWinner), a plain SET rewrites it without decoding the
// siblings it supersedes (encodeLocalWrite).
// A string read (get, getInto) of a key whose winner is of another type
// throws WrongTypeError (Redis's checkType); meta() tells the type (TYPE).
// A counter (INCR's value, datatypes/counter.ts) reads as a string: its
// decimal, made from the decoded record (only counters take that path).
//
// Tombstones and expiry are versions: a DEL is a sibling without a value and
// an expired sibling stays a sibling, so neither an older sibling nor a stale
// replica's copy can come back (no resurrection). So with other replicas
// (N > 1) the engine record has expireAt 0 and is never deleted: the versions
// decide, and reaping tombstones and expired versions waits for anti-entropy
// to know every replica has them. With N = 1 nothing can come back: a
// deleted key's record goes at once and the engine expires records itself
// (reap mode), as a single Redis does.
import { EngineError, type EngineOptions, type EngineStats, type ExpirySweep, type FsyncMode, type ScrubCursor, type ScrubStep } from '../../engine/index';
import { realClock, type Clock } from '../clock';
import { WRONG_TYPE, type ScanPage } from '../coordinator/coordinator';
import { Databases } from './databases';
import { DbMap } from './db-map';
import { ElementRecords, type ElementHooks } from './element-records';
import { HashReplica } from './hash-replica';
import { CorruptVersionsError, decodeVersions, encodeVersions } from '../versions/codec';
import { encodeLocalWrite, locateWinner, type WinnerLocation } from '../versions/fast-path';
import { madeTypeClash } from '../versions/type-clash';
import { stringRead } from '../versions/counter-read';
import { DataType, redisType } from '../../datatypes/types';
import { afterFlush, oldestWrite } from '../versions/lifetimes';
import { supersedes } from '../versions/supersedes';
import { WrongTypeError } from '../versions/wrong-type';
import { EMPTY_VERSIONS, equalVersions, merge, update, type Actor, type KeyVersions, type VersionVector, type VersionWrite } from '../versions/versions';

export interface CoordinatedWrite {
  /** The key's versions after the write: what the coordinator sends to the other replicas. */
  versions: KeyVersions;
  /** Siblings dropped by the sibling bound (INFO counts them). */
  pruned: number;
}

export interface AppliedVersions extends CoordinatedWrite {
  /** False when this replica already had everything incoming brings: nothing was written. */
  changed: boolean;
  /** Whether this merge made a type clash (type-clash.ts): INFO's dynamo_type_clashes. */
  clashed: boolean;
}

/** A key for an error message, as redis-cli quotes it: printable ASCII as is, other bytes as \xNN, long keys cut. */
function quotedKey(key: Buffer): string {
  const shown = 64;
  let text = '"';
  for (const byte of key.subarray(0, shown)) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return key.length > shown ? `${text}..." (${key.length} bytes)` : `${text}"`;
}

/** Told of every record this replica writes (anti-entropy's Merkle trees). */
export interface RecordObserver {
  /** The key's record was replaced: old null when it had none, record null when it was deleted. */
  stored(db: number, key: Buffer, old: Buffer | null, record: Buffer | null): void;
  /** The same for a collection's element record (element-records.ts) in the elements engine. */
  storedElement(db: number, elementKey: Buffer, old: Buffer | null, record: Buffer | null): void;
  /** A database was dropped whole. */
  flushed(db: number): void;
}

/** What a read of one key finds on this replica, for KeyMeta. */
export interface ReplicaMeta {
  expireAt: number;
  length: number;
  /** The winner's Redis type (0: a string, a counter's too). */
  type: number;
  /** The stored tag when it is not the type: DataType.counter or DataType.hll. */
  tag?: number;
}

/** The record of a key without versions, for supersedes(). */
const EMPTY_RECORD = encodeVersions(EMPTY_VERSIONS);

/** A record's winner, classified for the key counts: none, a value, a value with an expiry, a tombstone. */
const enum WinnerKind {
  None,
  Value,
  Expiring,
  Tombstone,
}

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

export class ReplicaStore implements ElementHooks {
  readonly databases: number;
  private readonly dbs: Databases;
  /** Collections' element records (dir/dbN.elements), apart from the keyspace. */
  private readonly elements: Databases;
  /** Which directory holds each database (SWAPDB). */
  private readonly dbMap: DbMap;
  readonly hashes: HashReplica;
  /** The element records of every collection type, for the failure half (handoff, anti-entropy, reaping, flushes, scrubbing). */
  readonly elementRecords: ElementRecords;
  private readonly where: WinnerLocation = { valueOffset: 0, valueLength: -1, expireAt: 0, siblings: 0, type: 0 };
  /** Where localWrite reads the record it rewrites. */
  private scratch = Buffer.allocUnsafe(4096);
  /** Kept mode only, per database: records whose winner is a tombstone, and those with an expiry (null until counted). */
  private readonly tombstones: (number | null)[];
  private readonly expiringCount: (number | null)[];
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
   * Kept mode: the highest counter of this node's actor in any record it
   * reaped (anti-entropy/reaped-counter.ts). A key this replica holds no
   * record of is written with a dot above it, not at 1: a replica that has
   * not reaped the key yet may still hold a tombstone whose clock covers the
   * reaped dots, and would take a reused dot for one it has seen (KV679).
   */
  counterFloor = 0;

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
    databases = 16,
    readonly reap = false,
    /** What live() reads the time from. */
    private readonly clock: Clock = realClock,
  ) {
    this.databases = databases;
    this.dbMap = new DbMap(dir, databases);
    this.dbs = new Databases(dir, options, databases, this.dbMap);
    this.elements = new Databases(dir, { ...options, inlineValueMax: ELEMENT_INLINE_MAX }, databases, this.dbMap, '.elements');
    this.flushFloor = new Array<number>(databases).fill(0);
    this.hashes = new HashReplica(this.elements, reap, this);
    this.elementRecords = new ElementRecords(this.elements, this, this.hashes);
    this.tombstones = new Array<number | null>(databases).fill(null);
    this.expiringCount = new Array<number | null>(databases).fill(null);
  }

  /** This replica's versions of the key, tombstones and expired siblings included; null when it has none. */
  read(db: number, key: Buffer): KeyVersions | null {
    const record = this.record(db, key);
    return record === null ? null : this.decode(db, key, record, decodeVersions);
  }

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
  private corrupt(db: number, key: Buffer, err: unknown): boolean {
    if (this.reap || !(err instanceof EngineError) || err.code !== 'ECORRUPT') return false;
    // The lost record's kind is unknown: count again when asked.
    this.tombstones[db] = null;
    this.expiringCount[db] = null;
    this.onCorrupt?.(db, key, err.message);
    return true;
  }

  /**
   * The winner's value read into target at offset (the GET fast path): its
   * length, or -1 when the winner is a tombstone, expired, or the
   * key is absent. A length past target's room means nothing was read: call
   * again with at least that much room. -2 (WRONG_TYPE) when the value is
   * not a string (GET answers WRONGTYPE, MGET nil).
   */
  getInto(db: number, key: Buffer, target: Buffer, offset: number): number {
    const e = this.dbs.existing(db);
    if (e === null) return -1;
    let len: number;
    try {
      len = e.getInto(key, target, offset, true);
    } catch (err) {
      if (this.corrupt(db, key, err)) return -1;
      throw err;
    }
    if (len < 0 || len > target.length - offset) return len;
    const w = this.where;
    this.locate(db, key, target, offset, offset + len);
    if (!this.live()) return -1;
    if (w.type !== 0) return this.typedInto(db, key, target, offset, len);
    if (w.valueOffset !== offset) target.copyWithin(offset, w.valueOffset, w.valueOffset + w.valueLength);
    return w.valueLength;
  }

  /** The winner's value (a view into the record read), or null as getInto's -1. `touch` false: not an access of the key. WrongTypeError: not a string. */
  get(db: number, key: Buffer, touch = true): Buffer | null {
    const record = this.record(db, key, touch);
    if (record === null) return null;
    const w = this.where;
    this.locate(db, key, record, 0, record.length);
    if (!this.live()) return null;
    if (w.type !== 0) return this.typedRead(db, key, record);
    return record.subarray(w.valueOffset, w.valueOffset + w.valueLength);
  }

  /** get of a key whose winner is not a string: a counter's decimal (of the join), a HyperLogLog's joined bytes, else WrongTypeError. Apart, so get stays as small as before. */
  private typedRead(db: number, key: Buffer, record: Buffer): Buffer | null {
    if (redisType(this.where.type) !== DataType.string) throw new WrongTypeError();
    return stringRead(this.decode(db, key, record, decodeVersions), this.clock.now());
  }

  /** getInto of a key whose winner is not a string: a counter's decimal (a HyperLogLog's joined bytes) read into target over the record at offset, else WRONG_TYPE. */
  private typedInto(db: number, key: Buffer, target: Buffer, offset: number, len: number): number {
    if (redisType(this.where.type) !== DataType.string) return WRONG_TYPE;
    const text = stringRead(this.decode(db, key, target.subarray(offset, offset + len), decodeVersions), this.clock.now());
    if (text === null) return -1;
    if (text.length <= target.length - offset) text.copy(target, offset);
    return text.length;
  }

  /** Seconds since the key's record was last written or read by a client (Engine.idle); -1 when this replica has none. */
  idle(db: number, key: Buffer): number {
    return this.dbs.existing(db)?.idle(key) ?? -1;
  }

  /** Counts a client's access of the key's record without reading it (TOUCH); idleSeconds > 0: an access that long ago (RESTORE IDLETIME). */
  touch(db: number, key: Buffer, idleSeconds = 0): void {
    this.dbs.existing(db)?.touch(key, idleSeconds);
  }

  /** The winner's expiry and length when it reads as a value (not an access of the key). */
  meta(db: number, key: Buffer): ReplicaMeta | null {
    // Into the scratch buffer: a collection command looks its key up before each write, and an allocating read costs it more than the lookup.
    const record = this.scratchRecord(db, key, true);
    if (record === null) return null;
    const w = this.where;
    this.locate(db, key, record, 0, record.length);
    if (!this.live()) return null;
    if (w.type === DataType.counter || w.type === DataType.hll) {
      const text = stringRead(this.decode(db, key, record, decodeVersions), this.clock.now());
      return text === null ? null : { expireAt: w.expireAt, length: text.length, type: DataType.string, tag: w.type };
    }
    return { expireAt: w.expireAt, length: w.valueLength, type: w.type };
  }

  /**
   * A plain Redis SET or DEL coordinated here: the new version supersedes
   * every sibling this replica has (encodeLocalWrite). Returns the record
   * written, what the coordinator sends to the other replicas.
   */
  localWrite(db: number, key: Buffer, actor: Actor, write: VersionWrite): Buffer {
    if (write.timestamp < this.flushFloor[db]) write = { ...write, timestamp: this.flushFloor[db] };
    const current = this.scratchRecord(db, key, false);
    const before = this.reap ? WinnerKind.None : this.kind(db, key, current);
    const record = current === null && this.counterFloor > 0 ? encodeVersions(update(this.floorVersions(actor), new Map(), actor, write).versions) : encodeLocalWrite(current, actor, write);
    this.storeRecord(db, key, current, record, write.value === null ? WinnerKind.Tombstone : write.expireAt === 0 ? WinnerKind.Value : WinnerKind.Expiring, before, write.value === null ? -1 : write.expireAt);
    return record;
  }

  /** The versions a key (or element) without a record starts from: no sibling, and this actor's counter at counterFloor. */
  floorVersions(actor: Actor): KeyVersions {
    return this.counterFloor === 0 ? EMPTY_VERSIONS : { clock: new Map([[actor, this.counterFloor]]), siblings: [] };
  }

  /**
   * The key's record read into a scratch buffer (no allocation), valid until
   * the next call; null when absent. A record over SCRATCH_MAX is read into
   * a buffer of its own, not kept: the scratch buffer once grew to the
   * largest record ever rewritten (500 MB after a 500 MiB value's DEL) and
   * held it for good (issue 9).
   */
  private scratchRecord(db: number, key: Buffer, tolerant: boolean): Buffer | null {
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

  /**
   * The coordinator's write. context 'local' is a plain Redis SET/DEL: it
   * supersedes every sibling this replica has seen (the context is its own
   * clock); otherwise it is the client's context (DYN.SET), and the siblings
   * it does not cover stay.
   */
  coordinate(db: number, key: Buffer, context: VersionVector | 'local', actor: Actor, write: VersionWrite, maxSiblings: number): CoordinatedWrite {
    if (write.timestamp < this.flushFloor[db]) write = { ...write, timestamp: this.flushFloor[db] };
    const old = this.checkedRecord(db, key);
    const current = old === null ? this.floorVersions(actor) : this.decode(db, key, old, decodeVersions);
    const result = update(current, context === 'local' ? current.clock : context, actor, write, maxSiblings);
    this.store(db, key, old, current, result.versions);
    return result;
  }

  /** Versions from another replica (its coordinated write, or read repair): merged in, stored only when that changed something. */
  apply(db: number, key: Buffer, incoming: KeyVersions, maxSiblings: number): AppliedVersions {
    if (this.flushFloor[db] !== 0) incoming = afterFlush(incoming, this.flushFloor[db]);
    const old = this.record(db, key);
    const current = old === null ? EMPTY_VERSIONS : this.decode(db, key, old, decodeVersions);
    const { versions, pruned } = merge(current, incoming, maxSiblings);
    const changed = !equalVersions(versions, current);
    if (changed) this.store(db, key, old, current, versions);
    return { versions, changed, pruned, clashed: changed && madeTypeClash(current, versions) };
  }

  /**
   * apply() for a peer's encoded record (replication, read repair). The
   * common case, a record that already holds everything the stored one has
   * (supersedes(), read from the bytes), is stored as it is, without
   * decoding either; otherwise the versions are merged. A record that does
   * not decode throws CorruptVersionsError.
   */
  applyRecord(db: number, key: Buffer, record: Buffer, maxSiblings: number): { changed: boolean; pruned: number; clashed: boolean } {
    if (this.flushFloor[db] !== 0 && oldestWrite(record) < this.flushFloor[db]) {
      const { changed, pruned, clashed } = this.apply(db, key, decodeVersions(record), maxSiblings);
      return { changed, pruned, clashed };
    }
    const stored = this.scratchRecord(db, key, true);
    if (stored !== null && stored.equals(record)) return { changed: false, pruned: 0, clashed: false };
    if (!this.reap && supersedes(record, stored ?? EMPTY_RECORD, maxSiblings)) {
      const before = this.kind(db, key, stored);
      this.storeRecord(db, key, stored, record, this.kind(db, key, record), before, 0);
      return { changed: true, pruned: 0, clashed: false };
    }
    const incoming = decodeVersions(record);
    const current = this.read(db, key) ?? EMPTY_VERSIONS;
    const { versions, pruned } = merge(current, incoming, maxSiblings);
    const changed = !equalVersions(versions, current);
    if (changed) this.store(db, key, stored, current, versions, pruned === 0 && equalVersions(versions, incoming) ? record : null);
    return { changed, pruned, clashed: changed && madeTypeClash(current, versions) };
  }

  /** Stores versions (encoded, unless `record` already holds them) over the record `old`, keeping the key counts. */
  private store(db: number, key: Buffer, old: Buffer | null, current: KeyVersions, versions: KeyVersions, record: Buffer | null = null): void {
    const top = versions.siblings[0];
    const after = top === undefined ? WinnerKind.None : top.value === null ? WinnerKind.Tombstone : top.expireAt === 0 ? WinnerKind.Value : WinnerKind.Expiring;
    const was = current.siblings[0];
    const before = was === undefined ? WinnerKind.None : was.value === null ? WinnerKind.Tombstone : was.expireAt === 0 ? WinnerKind.Value : WinnerKind.Expiring;
    this.storeRecord(db, key, old, record ?? encodeVersions(versions), after, before, recordExpiry(versions));
  }

  /**
   * Writes the record. Reap mode: a record without a value sibling is
   * deleted (expiry -1), and the engine expires it with its last value;
   * kept mode: expireAt 0, the engine never drops a version on its own.
   */
  private storeRecord(db: number, key: Buffer, old: Buffer | null, record: Buffer, after: WinnerKind, before: WinnerKind, expiry: number): void {
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
    this.recount(db, before, after);
    this.observer?.stored(db, key, old, record);
  }

  private recount(db: number, before: WinnerKind, after: WinnerKind): void {
    const tombstones = this.tombstones[db];
    if (tombstones !== null) this.tombstones[db] = tombstones + (after === WinnerKind.Tombstone ? 1 : 0) - (before === WinnerKind.Tombstone ? 1 : 0);
    const expiring = this.expiringCount[db];
    if (expiring !== null) this.expiringCount[db] = expiring + (after === WinnerKind.Expiring ? 1 : 0) - (before === WinnerKind.Expiring ? 1 : 0);
  }

  private kind(db: number, key: Buffer, record: Buffer | null): WinnerKind {
    if (record === null) return WinnerKind.None;
    const w = this.where;
    this.locate(db, key, record, 0, record.length);
    if (w.siblings === 0) return WinnerKind.None;
    if (w.valueLength < 0) return WinnerKind.Tombstone;
    return w.expireAt === 0 ? WinnerKind.Value : WinnerKind.Expiring;
  }

  /**
   * Keys of db whose winner is live now (neither a tombstone nor
   * expired), in ring-hash order from cursor (0n to start; 0n back when
   * done). A page may hold fewer than `count` keys, as Redis's SCAN may.
   */
  scan(db: number, cursor: bigint, count: number): ScanPage {
    const e = this.dbs.existing(db);
    if (e === null) return { cursor: 0n, keys: [] };
    const page = e.scan(cursor, count);
    if (this.reap) return page;
    const keys = page.keys.filter((key) => this.meta(db, key) !== null);
    return { cursor: page.cursor, keys };
  }


  /** Keys of db, expired ones not yet reclaimed included (as Redis's DBSIZE); tombstones are not keys. */
  size(db: number): number {
    const e = this.dbs.existing(db);
    if (e === null) return 0;
    const keys = e.stats().keys;
    return this.reap ? keys : keys - this.counted(db).tombstones;
  }

  /** Keys of db whose winner has an expiry. */
  expiring(db: number): number {
    const e = this.dbs.existing(db);
    if (e === null) return 0;
    return this.reap ? e.stats().expiring : this.counted(db).expiring;
  }

  /** Kept mode: the tombstone and expiry counts of db, counted once by a full scan, then kept up to date by every write. */
  private counted(db: number): { tombstones: number; expiring: number } {
    let tombstones = this.tombstones[db];
    let expiring = this.expiringCount[db];
    if (tombstones === null || expiring === null) {
      tombstones = 0;
      expiring = 0;
      const e = this.dbs.existing(db);
      let cursor = 0n;
      if (e !== null) {
        do {
          const page = e.scan(cursor, 1000);
          for (const key of page.keys) {
            const kind = this.countedKind(db, key);
            if (kind === WinnerKind.Tombstone) tombstones++;
            else if (kind === WinnerKind.Expiring) expiring++;
          }
          cursor = page.cursor;
        } while (cursor !== 0n);
      }
      this.tombstones[db] = tombstones;
      this.expiringCount[db] = expiring;
    }
    return { tombstones, expiring };
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
      this.tombstones[db] = null;
      this.expiringCount[db] = null;
    }
    if (!e.delete(key) && before === WinnerKind.None) return;
    this.dbs.wrote(db, e.lastSeq);
    this.recount(db, before, WinnerKind.None);
  }

  /** Kept mode: stores versions as the key's record, over whatever it held (a record rebuilt from the other replicas, a flush's survivor). */
  replace(db: number, key: Buffer, versions: KeyVersions): void {
    // What the record held is unknown (it may not read): count again when asked.
    this.tombstones[db] = null;
    this.expiringCount[db] = null;
    this.dbs.wrote(db, this.dbs.open(db).put(key, encodeVersions(versions), { expireAt: 0 }));
  }

  /** One scrubber step over db's data files (Engine.scrub); null when db holds nothing. */
  scrub(db: number, cursor: ScrubCursor, budget: number): ScrubStep | null {
    return this.dbs.existing(db)?.scrub(cursor, budget) ?? null;
  }

  prefetch(db: number, keys: Buffer, lens: Uint32Array, count: number): void {
    this.dbs.existing(db)?.prefetch(keys, lens, count);
  }

  /** ElementHooks: an element record was written (kept mode): anti-entropy's trees follow it. */
  storedElement(db: number, elementKey: Buffer, old: Buffer | null, record: Buffer | null): void {
    this.observer?.storedElement(db, elementKey, old, record);
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
    for (const perDb of [this.tombstones, this.expiringCount, this.flushFloor]) [perDb[a], perDb[b]] = [perDb[b], perDb[a]];
  }

  /** Drops db's whole engine directory (FLUSHDB on this replica). */
  flush(db: number): void {
    this.dbs.flush(db);
    this.elements.flush(db);
    this.tombstones[db] = null;
    this.expiringCount[db] = null;
    this.observer?.flushed(db);
  }

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

  /**
   * Whether the winner this.where holds reads as a value now. The clock is
   * read only when it can matter: in reap mode the engine already hides a
   * record whose only sibling expired.
   */
  private live(): boolean {
    const w = this.where;
    if (w.valueLength < 0) return false;
    return w.expireAt === 0 || (this.reap && w.siblings === 1) || w.expireAt > this.clock.now();
  }

  /** locateWinner into this.where; a corrupt record throws CorruptVersionsError naming the db and key. */
  private locate(db: number, key: Buffer, bytes: Buffer, start: number, end: number): void {
    try {
      locateWinner(bytes, start, end, this.where);
    } catch (err) {
      if (err instanceof CorruptVersionsError) throw new CorruptVersionsError(`db ${db} key ${quotedKey(key)}: ${err.message}`);
      throw err;
    }
  }

  /** Decodes a stored record; a corrupt one throws CorruptVersionsError naming the db and key. */
  private decode<T>(db: number, key: Buffer, record: Buffer, decoder: (record: Buffer) => T): T {
    try {
      return decoder(record);
    } catch (err) {
      if (err instanceof CorruptVersionsError) throw new CorruptVersionsError(`db ${db} key ${quotedKey(key)}: ${err.message}`);
      throw err;
    }
  }
}

/**
 * Reap mode's engine expiry for a record: -1 when it holds no value sibling
 * (delete it), 0 when a value never expires, else the last value's expiry.
 */
function recordExpiry(versions: KeyVersions): number {
  let last = -1;
  for (const s of versions.siblings) {
    if (s.value === null) continue;
    if (s.expireAt === 0) return 0;
    last = Math.max(last, s.expireAt);
  }
  return last;
}
