// cluster/coordinator.ts — where every command's reads and writes go. The
// Coordinator interface is what the server sees; LocalCoordinator is the
// cluster of one (N=R=W=1): each Redis database is its own engine
// directory (dir/db0 ... dir/db15), opened on first use. The Dynamo
// replication issue puts a quorum coordinator behind the same interface.
import type { Engine, EngineOptions, EngineStats, FsyncMode } from '../engine/index';
import { Databases } from './databases';

export interface KeyMeta {
  /** Absolute expiry in ms since the epoch, 0 = none. */
  expireAt: number;
  length: number;
}

export interface ScanPage {
  cursor: bigint;
  keys: Buffer[];
}

export interface Coordinator {
  readonly databases: number;
  get(db: number, key: Buffer): Buffer | null;
  /** As Engine.getInto: the value read into target at offset; -1 when absent. */
  getInto(db: number, key: Buffer, target: Buffer, offset: number): number;
  meta(db: number, key: Buffer): KeyMeta | null;
  /** A hint before a batch of pipelined commands: count keys end to end in keys, lens[i] bytes each. */
  prefetch(db: number, keys: Buffer, lens: Uint32Array, count: number): void;
  /** expireAt: absolute ms since the epoch, 0 = no expiry. */
  set(db: number, key: Buffer, value: Buffer, expireAt: number): void;
  /** True when a live key was removed. */
  delete(db: number, key: Buffer): boolean;
  scan(db: number, cursor: bigint, count: number): ScanPage;
  /** Keys of db, expired ones not yet reclaimed included (as Redis's DBSIZE). */
  size(db: number): number;
  /** Keys of db that have an expiry. */
  expiring(db: number): number;
  flush(db: number): void;
  /** Writes tombstones for up to `limit` expired keys of db; returns how many. */
  reclaimExpired(db: number, limit: number): number;
  /** Resolves once every write made so far is durable under the fsync policy; null when already. */
  durable(): Promise<void> | null;
  /** CONFIG SET appendfsync: the new policy for every database. */
  setFsync(mode: FsyncMode): void;
  stats(): EngineStats[];
  close(): void;
}

export class LocalCoordinator implements Coordinator {
  readonly databases: number;
  private readonly dbs: Databases;
  private readonly expiryCursor: bigint[];

  /**
   * onWrite hears of every key a write changed (set, or delete of a live
   * key): WATCH's invalidation hangs on it. onExpire hears of every key
   * reclaimed because a read found it expired (INFO's expired_keys).
   */
  constructor(
    dir: string,
    options: EngineOptions,
    databases = 16,
    private readonly onWrite: (db: number, key: Buffer) => void = () => undefined,
    private readonly onExpire: (db: number, key: Buffer) => void = () => undefined,
  ) {
    this.databases = databases;
    this.dbs = new Databases(dir, options, databases);
    this.expiryCursor = new Array<bigint>(databases).fill(0n);
  }

  private existing(db: number): Engine | null {
    return this.dbs.existing(db);
  }

  get(db: number, key: Buffer): Buffer | null {
    const e = this.existing(db);
    if (e === null) return null;
    const value = e.get(key);
    if (value === null) this.expireOnAccess(db, e, key);
    return value;
  }

  getInto(db: number, key: Buffer, target: Buffer, offset: number): number {
    const e = this.existing(db);
    if (e === null) return -1;
    const len = e.getInto(key, target, offset);
    if (len < 0) this.expireOnAccess(db, e, key);
    return len;
  }

  prefetch(db: number, keys: Buffer, lens: Uint32Array, count: number): void {
    this.dbs.existing(db)?.prefetch(keys, lens, count);
  }

  meta(db: number, key: Buffer): KeyMeta | null {
    const e = this.existing(db);
    if (e === null) return null;
    const info = e.info(key);
    if (info === null) {
      this.expireOnAccess(db, e, key);
      return null;
    }
    return { expireAt: info.expireAt, length: info.valueLength };
  }

  /** A miss may be an expired key: reclaim it now, as Redis does on access. */
  private expireOnAccess(db: number, e: Engine, key: Buffer): void {
    if (!e.expireIfDue(key)) return;
    this.dbs.wrote(db, e.lastSeq);
    this.onExpire(db, key);
  }

  set(db: number, key: Buffer, value: Buffer, expireAt: number): void {
    this.dbs.wrote(db, this.dbs.open(db).put(key, value, { expireAt }));
    this.onWrite(db, key);
  }

  delete(db: number, key: Buffer): boolean {
    const e = this.existing(db);
    if (e === null) return false;
    const removed = e.delete(key);
    this.dbs.wrote(db, e.lastSeq);
    if (removed) this.onWrite(db, key);
    return removed;
  }

  scan(db: number, cursor: bigint, count: number): ScanPage {
    const e = this.existing(db);
    if (e === null) return { cursor: 0n, keys: [] };
    return e.scan(cursor, count);
  }

  size(db: number): number {
    return this.existing(db)?.stats().keys ?? 0;
  }

  expiring(db: number): number {
    return this.existing(db)?.stats().expiring ?? 0;
  }

  flush(db: number): void {
    this.dbs.flush(db);
    this.expiryCursor[db] = 0n;
  }

  reclaimExpired(db: number, limit: number): number {
    const e = this.existing(db);
    if (e === null) return 0;
    const { cursor, reclaimed } = e.reclaimExpired(this.expiryCursor[db], limit);
    this.expiryCursor[db] = cursor;
    if (reclaimed > 0) this.dbs.wrote(db, e.lastSeq);
    return reclaimed;
  }

  durable(): Promise<void> | null {
    return this.dbs.durable();
  }

  setFsync(mode: FsyncMode): void {
    this.dbs.setFsync(mode);
  }

  stats(): EngineStats[] {
    return this.dbs.stats();
  }

  close(): void {
    this.dbs.close();
  }
}
