// cluster/replica/store.ts — this node's replicas of keys: each key's versions
// (versions/versions.ts), encoded by versions/codec.ts, stored as the key's record in
// the local engine (records.ts keeps the records, their counts and upkeep;
// this file reads and writes versions). Synchronous, as the engine is: the
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
import type { EngineOptions } from '../../engine/index';
import { realClock, type Clock } from '../clock';
import { WRONG_TYPE, type ScanPage } from '../coordinator/coordinator';
import { ElementRecords, type ElementHooks } from './element-records';
import { HashReplica } from './hash-replica';
import { WinnerKind, winnerKind } from './key-counts';
import { decodeRecord } from './record-reads';
import { ReplicaRecords } from './records';
import { decodeVersions, encodeVersions } from '../versions/codec';
import { encodeLocalWrite } from '../versions/fast-path';
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

export class ReplicaStore extends ReplicaRecords implements ElementHooks {
  readonly hashes: HashReplica;
  /** The element records of every collection type, for the failure half (handoff, anti-entropy, reaping, flushes, scrubbing). */
  readonly elementRecords: ElementRecords;
  /**
   * Kept mode: the highest counter of this node's actor in any record it
   * reaped (anti-entropy/reaped-counter.ts). A key this replica holds no
   * record of is written with a dot above it, not at 1: a replica that has
   * not reaped the key yet may still hold a tombstone whose clock covers the
   * reaped dots, and would take a reused dot for one it has seen (KV679).
   */
  counterFloor = 0;

  /** `reap`: N = 1, nothing can bring an old version back (records.ts). */
  constructor(dir: string, options: EngineOptions, databases = 16, reap = false, clock: Clock = realClock) {
    super(dir, options, databases, reap, clock);
    this.hashes = new HashReplica(this.elements, reap, this);
    this.elementRecords = new ElementRecords(this.elements, this, this.hashes);
  }

  /** This replica's versions of the key, tombstones and expired siblings included; null when it has none. */
  read(db: number, key: Buffer): KeyVersions | null {
    const record = this.record(db, key);
    return record === null ? null : decodeRecord(db, key, record, decodeVersions);
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
    return stringRead(decodeRecord(db, key, record, decodeVersions), this.clock.now());
  }

  /** getInto of a key whose winner is not a string: a counter's decimal (a HyperLogLog's joined bytes) read into target over the record at offset, else WRONG_TYPE. */
  private typedInto(db: number, key: Buffer, target: Buffer, offset: number, len: number): number {
    if (redisType(this.where.type) !== DataType.string) return WRONG_TYPE;
    const text = stringRead(decodeRecord(db, key, target.subarray(offset, offset + len), decodeVersions), this.clock.now());
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

  prefetch(db: number, keys: Buffer, lens: Uint32Array, count: number): void {
    this.dbs.existing(db)?.prefetch(keys, lens, count);
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
      const text = stringRead(decodeRecord(db, key, record, decodeVersions), this.clock.now());
      return text === null ? null : { expireAt: w.expireAt, length: text.length, type: DataType.string, tag: w.type };
    }
    return { expireAt: w.expireAt, length: w.valueLength, type: w.type };
  }

  /**
   * The winner's Redis type when it reads as a value now, as meta() tells it
   * (a counter's tag included); -1 when none. Not an access of the key, and
   * no allocation: the record is read into the scratch buffer (a
   * collection's catch-up asks it after every quorum read).
   */
  liveType(db: number, key: Buffer): number {
    const record = this.scratchRecord(db, key, true);
    if (record === null) return -1;
    this.locate(db, key, record, 0, record.length);
    return this.live() ? this.where.type : -1;
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
   * The coordinator's write. context 'local' is a plain Redis SET/DEL: it
   * supersedes every sibling this replica has seen (the context is its own
   * clock); otherwise it is the client's context (DYN.SET), and the siblings
   * it does not cover stay.
   */
  coordinate(db: number, key: Buffer, context: VersionVector | 'local', actor: Actor, write: VersionWrite, maxSiblings: number): CoordinatedWrite {
    if (write.timestamp < this.flushFloor[db]) write = { ...write, timestamp: this.flushFloor[db] };
    const old = this.checkedRecord(db, key);
    const current = old === null ? this.floorVersions(actor) : decodeRecord(db, key, old, decodeVersions);
    const result = update(current, context === 'local' ? current.clock : context, actor, write, maxSiblings);
    this.store(db, key, old, current, result.versions);
    return result;
  }

  /** Versions from another replica (its coordinated write, or read repair): merged in, stored only when that changed something. */
  apply(db: number, key: Buffer, incoming: KeyVersions, maxSiblings: number): AppliedVersions {
    if (this.flushFloor[db] !== 0) incoming = afterFlush(incoming, this.flushFloor[db]);
    const old = this.record(db, key);
    const current = old === null ? EMPTY_VERSIONS : decodeRecord(db, key, old, decodeVersions);
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
    this.storeRecord(db, key, old, record ?? encodeVersions(versions), winnerKind(versions), winnerKind(current), recordExpiry(versions));
  }

  /** ElementHooks: an element record was written (kept mode): anti-entropy's trees follow it. */
  storedElement(db: number, elementKey: Buffer, old: Buffer | null, record: Buffer | null): void {
    this.observer?.storedElement(db, elementKey, old, record);
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
