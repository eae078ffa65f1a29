// engine/index.ts — the typed API of the storage engine.
// Wraps the native Bitcask-style log (engine/native/) : synchronous reads,
// synchronous appends to a write buffer, durability reported asynchronously.
// Knows keys, opaque value bytes, expiry and tombstones; nothing of versions
// or nodes.
import path from 'node:path';

export type FsyncMode = 'always' | 'everysec' | 'no';

export interface EngineOptions {
  /** appendfsync policy, as Redis: 'always' (group commit), 'everysec' (default), 'no'. */
  fsync?: FsyncMode;
  /** A segment rolls once it would grow past this many bytes (default 256 MiB). */
  segmentSize?: number;
  /** A sealed segment is merged once this fraction of its bytes is dead (default 0.5). */
  mergeThreshold?: number;
  /** How often the background thread looks for segments to merge, ms (default 10000; 0 = never). */
  mergeIntervalMs?: number;
  /** Writes block once this many bytes wait for the disk (default 64 MiB). */
  maxPendingBytes?: number;
  /**
   * Values up to this many bytes are also kept in memory, in their keydir
   * entry, so reading them touches no segment (default 64; 0 = none). A
   * value read from a segment joins its entry then (after a restart).
   */
  inlineValueMax?: number;
}

export interface PutOptions {
  /** Absolute expiry time in ms since the epoch; 0 or absent = never. */
  expireAt?: number;
}

export interface EngineStats {
  keys: number;
  /** Keys with an expiry (expired ones not yet reclaimed included). */
  expiring: number;
  liveBytes: number;
  deadBytes: number;
  segments: number;
  pendingBytes: number;
  keydirBytes: number;
  /** Index slots written by deletes' shifts and table rebuilds since the open: the key index's upkeep work. */
  keydirMoves: number;
  merges: number;
  writeError: string | null;
  /** Data-file fsyncs made by the syncer (appendfsync always: at least one per group of acknowledged writes). */
  fsyncs: number;
  /** A merge (compaction) is running now. */
  merging: boolean;
  /** The last merge that ended failed (a full disk...); a merge that succeeds clears it. */
  lastMergeFailed: boolean;
  /** Data files the open loaded from their hint file. */
  openedFromHints: number;
  /** Data files the open scanned record by record (no valid hint file). */
  openedByScan: number;
}

export interface KeyInfo {
  /** Absolute expiry in ms since the epoch, 0 = none. */
  expireAt: number;
  valueLength: number;
}

/** One step of active expiry (Engine.reclaimExpired). */
export interface ExpirySweep {
  cursor: bigint;
  reclaimed: number;
  /** Time to live left of the visited keys with an expiry ahead, in ms, added up; and how many they were. */
  ttlSumMs: number;
  ttlCount: number;
}

export interface ScanResult {
  /** Pass back to continue; 0n when the scan is complete. */
  cursor: bigint;
  keys: Buffer[];
}

export interface CompactResult {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** A run of bytes of a data file holding no valid record, found by Engine.scrub. */
export interface ScrubFinding {
  file: string;
  offset: number;
  length: number;
  /** The live keys whose records sat in the run: this engine has lost their values. */
  keys: Buffer[];
}

/** Where a scrub pass is: a segment id and an offset in it; { segment: 0, offset: 0 } starts a pass. */
export interface ScrubCursor {
  segment: number;
  offset: number;
}

export interface ScrubStep {
  /** Where the next step goes on; { 0, 0 } once the pass reached the end of the last segment. */
  cursor: ScrubCursor;
  /** Record bytes whose crc was checked (bad runs included). */
  bytes: number;
  found: ScrubFinding[];
}

export interface RepairReport {
  segments: number;
  records: number;
  dropped: { file: string; offset: number; length: number }[];
}

/** An engine failure with a stable code: ENOSPC, EIO, ELOCKED, ECORRUPT, ECLOSED, ... */
export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}

interface NativeEngine {
  get(key: Buffer, touch: boolean, cache: boolean): Buffer | null;
  getInto(key: Buffer, target: Buffer, offset: number, touch: boolean): number;
  idle(key: Buffer): number;
  touch(key: Buffer, idleSeconds: number): boolean;
  prefetch(keys: Buffer, lens: Uint32Array, count: number): void;
  info(key: Buffer): [number, number] | null;
  put(key: Buffer, value: Buffer, expireAt: number): number;
  del(key: Buffer): boolean;
  lastSeq(): number;
  scan(cursor: bigint, end: bigint, count: number): [bigint, Buffer[]];
  reclaimExpired(cursor: bigint, visit: number, reclaim: boolean): [bigint, number, number, number];
  expireIfDue(key: Buffer): boolean;
  stats(): EngineStats;
  compact(id: number, all: boolean): void;
  notifyAt(seq: number): number;
  scrub(segment: number, offset: number, budget: number): [number, number, number, [string, number, number, Buffer[]][]];
  setFsync(mode: number): void;
  ref(): void;
  unref(): void;
  close(): void;
}

interface NativeModule {
  Engine: new (
    dir: string,
    fsync: number,
    segmentSize: number,
    mergeThreshold: number,
    mergeIntervalMs: number,
    maxPendingBytes: number,
    inlineValueMax: number,
    onEvent: (kind: string, value: number, code: string, message: string) => void,
  ) => NativeEngine;
  repair(dir: string): RepairReport;
  ringHash(key: Buffer): bigint;
  keySlot(key: Buffer): number;
  maxValueLen: number;
}

const native = loadNative();

/** The largest value the engine stores (a record's value: for the cluster, a string in its version record). */
export const MAX_VALUE_LEN: number = native.maxValueLen;

function loadNative(): NativeModule {
  // dist/engine/index.js and engine/index.ts both sit two levels under the root.
  const root = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');
  return require(path.join(root, 'build', 'Release', 'dynkv_engine.node')) as NativeModule;
}

function toError(err: unknown): unknown {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && !(err instanceof EngineError)) {
    return new EngineError((err as unknown as { code: string }).code, err.message);
  }
  return err;
}

function asBuffer(key: Buffer | string): Buffer {
  return typeof key === 'string' ? Buffer.from(key) : key;
}

const FSYNC_MODES: Record<FsyncMode, number> = { always: 0, everysec: 1, no: 2 };
const FULL_RANGE_END = 1n << 64n;

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Engine {
  private readonly native: NativeEngine;
  private waiters: Waiter[] = [];
  private durableSeq = 0;
  private compactions = new Map<number, { resolve: (r: CompactResult) => void; reject: (e: Error) => void }>();
  private nextCompactionId = 1;
  private closed = false;
  private referenced = false;
  private lastError: EngineError | null = null;

  private constructor(readonly dir: string, private fsyncMode: FsyncMode, options: EngineOptions) {
    try {
      this.native = new native.Engine(
        dir,
        FSYNC_MODES[fsyncMode],
        options.segmentSize ?? 256 * 1024 * 1024,
        options.mergeThreshold ?? 0.5,
        options.mergeIntervalMs ?? 10_000,
        options.maxPendingBytes ?? 64 * 1024 * 1024,
        options.inlineValueMax ?? 64,
        (kind, value, code, message) => this.onEvent(kind, value, code, message),
      );
    } catch (err) {
      throw toError(err);
    }
  }

  static open(dir: string, options: EngineOptions = {}): Engine {
    const fsync = options.fsync ?? 'everysec';
    if (!(fsync in FSYNC_MODES)) throw new EngineError('EINVAL', `invalid fsync mode '${fsync}'`);
    return new Engine(dir, fsync, options);
  }

  /**
   * The value of a live key, or null when absent, deleted or expired.
   * `touch`: the read is an access of the key (idle() counts from it).
   * `cache` false: a small value read from its segment is not kept in memory
   * (inlineValueMax) — for passes over every key that nobody asked for.
   */
  get(key: Buffer | string, touch = false, cache = true): Buffer | null {
    try {
      return this.native.get(asBuffer(key), touch, cache);
    } catch (err) {
      throw toError(err);
    }
  }

  /**
   * Reads a live key's value into target at offset, without allocating:
   * returns its length, or -1 when absent. A length larger than the room
   * left (target.length - offset) means nothing was read: call again with
   * room. `touch` as get's.
   */
  getInto(key: Buffer, target: Buffer, offset: number, touch = false): number {
    try {
      return this.native.getInto(key, target, offset, touch);
    } catch (err) {
      throw toError(err);
    }
  }

  /**
   * Seconds since a live key was last written, read with `touch` or
   * touched (since the engine opened, for a key not accessed since: the
   * access clock is not stored), as Redis's OBJECT IDLETIME; -1 when absent.
   */
  idle(key: Buffer): number {
    return this.native.idle(key);
  }

  /** Counts an access of a live key without reading it (TOUCH); idleSeconds > 0: an access that long ago (RESTORE IDLETIME). False when absent. */
  touch(key: Buffer, idleSeconds = 0): boolean {
    return this.native.touch(key, idleSeconds);
  }

  /**
   * A hint before a batch of lookups (pipelined commands): `count` keys laid
   * end to end in `keys`, lens[i] bytes each. Their index entries and records
   * are brought into the cache together, so the cache misses of the batch
   * overlap instead of adding up. Changes nothing.
   */
  prefetch(keys: Buffer, lens: Uint32Array, count: number): void {
    try {
      this.native.prefetch(keys, lens, count);
    } catch (err) {
      throw toError(err);
    }
  }

  /** Expiry and value length of a live key without reading the value. */
  info(key: Buffer | string): KeyInfo | null {
    const r = this.native.info(asBuffer(key));
    return r === null ? null : { expireAt: r[0], valueLength: r[1] };
  }

  has(key: Buffer | string): boolean {
    return this.native.info(asBuffer(key)) !== null;
  }

  /** Appends the record; returns its sequence number (see waitDurable). */
  put(key: Buffer | string, value: Buffer | string, options?: PutOptions): number {
    try {
      return this.native.put(asBuffer(key), asBuffer(value), options?.expireAt ?? 0);
    } catch (err) {
      throw toError(err);
    }
  }

  /** Writes a tombstone; true when a live key was removed. */
  delete(key: Buffer | string): boolean {
    try {
      return this.native.del(asBuffer(key));
    } catch (err) {
      throw toError(err);
    }
  }

  get fsync(): FsyncMode {
    return this.fsyncMode;
  }

  /** Changes the fsync policy of a running engine (CONFIG SET appendfsync). */
  set fsync(mode: FsyncMode) {
    if (!(mode in FSYNC_MODES)) throw new EngineError('EINVAL', `invalid fsync mode '${mode}'`);
    this.native.setFsync(FSYNC_MODES[mode]);
    this.fsyncMode = mode;
  }

  /** The sequence number of the latest write. */
  get lastSeq(): number {
    return this.native.lastSeq();
  }

  /**
   * Resolves once the write with this sequence number is durable under the
   * engine's fsync mode: fsynced for 'always', handed to the OS otherwise.
   */
  waitDurable(seq: number): Promise<void> {
    if (this.closed) return Promise.reject(new EngineError('ECLOSED', 'engine is closed'));
    if (seq <= this.durableSeq) return Promise.resolve();
    this.durableSeq = Math.max(this.durableSeq, this.native.notifyAt(seq));
    if (seq <= this.durableSeq) {
      this.settleWaiters(); // earlier waiters resolve first
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.updateRef();
    });
  }

  /** Whether the write with this sequence number is known durable (see waitDurable); asks nothing of the syncer. */
  isDurable(seq: number): boolean {
    return seq <= this.durableSeq;
  }

  /** Resolves once every write made so far is durable. */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new EngineError('ECLOSED', 'engine is closed'));
    return this.waitDurable(this.native.lastSeq());
  }

  /**
   * Keys in ring-hash order from a cursor (0n to start). A key that lives
   * through the whole scan is returned at least once, whatever is written
   * meanwhile. `count` is a hint: keys sharing one hash come together.
   */
  scan(cursor: bigint | number | string, count = 10): ScanResult {
    return this.scanRange(BigInt(cursor), FULL_RANGE_END, count);
  }

  /**
   * Keys whose ring hash h satisfies from <= h < to, in hash order. Continue
   * with the returned cursor as the new `from`; 0n means done. Ring hash =
   * slot << 50 | 50 bits of xxh64, slot = Redis Cluster's CRC16 slot, so a
   * slot range [a, b) is the hash range [a << 50, b << 50).
   */
  scanRange(from: bigint, to: bigint, count = 10): ScanResult {
    if (from < 0n || from >= FULL_RANGE_END) throw new EngineError('EINVAL', 'cursor out of range');
    const [next, keys] = this.native.scan(from, to > FULL_RANGE_END ? FULL_RANGE_END : to, Math.max(1, count | 0));
    return { cursor: next, keys };
  }

  /**
   * Lazy expiry: deletes the key, with a tombstone, when it is there but
   * expired (true). A read already treats it as missing; this reclaims it.
   */
  expireIfDue(key: Buffer | string): boolean {
    try {
      return this.native.expireIfDue(asBuffer(key));
    } catch (err) {
      throw toError(err);
    }
  }

  /**
   * Active expiry: deletes, with tombstones, the expired keys among the next
   * `visit` keys from the cursor (0n to start); with `reclaim` false it only
   * looks. Returns the cursor to go on with (0n after the end of the ring),
   * how many keys it reclaimed, and the time to live of the visited keys
   * whose expiry is ahead (their sum in ms and count: Redis's avg_ttl sample).
   */
  reclaimExpired(cursor: bigint, visit = 20, reclaim = true): ExpirySweep {
    try {
      const [next, reclaimed, ttlSumMs, ttlCount] = this.native.reclaimExpired(cursor, Math.max(1, visit | 0), reclaim);
      return { cursor: next, reclaimed, ttlSumMs, ttlCount };
    } catch (err) {
      throw toError(err);
    }
  }

  stats(): EngineStats {
    return this.native.stats();
  }

  /**
   * Checks the crc of about `budget` bytes of records of the sealed,
   * fsynced data files from the cursor on (the scrubber's step; reads no
   * keydir value, changes nothing). Each bad run is named by file and
   * offset, with the live keys whose records sat in it.
   */
  scrub(cursor: ScrubCursor, budget: number): ScrubStep {
    try {
      const [segment, offset, bytes, found] = this.native.scrub(cursor.segment, cursor.offset, Math.max(1, Math.floor(budget)));
      return { cursor: { segment, offset }, bytes, found: found.map(([file, at, length, keys]) => ({ file, offset: at, length, keys })) };
    } catch (err) {
      throw toError(err);
    }
  }

  /** Merges sealed segments now: those past mergeThreshold, or all with {all: true}. */
  compact(options: { all?: boolean } = {}): Promise<CompactResult> {
    if (this.closed) return Promise.reject(new EngineError('ECLOSED', 'engine is closed'));
    const id = this.nextCompactionId++;
    return new Promise<CompactResult>((resolve, reject) => {
      this.compactions.set(id, { resolve, reject });
      this.updateRef();
      this.native.compact(id, options.all === true);
    });
  }

  /** Flushes, fsyncs and closes; pending waiters resolve first. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const last = this.native.lastSeq();
    try {
      this.native.close();
    } catch (err) {
      throw toError(err);
    } finally {
      // Close wrote and fsynced everything it could: waiters resolve unless writes were failing.
      const err = this.lastError ?? new EngineError('ECLOSED', 'engine is closed');
      for (const w of this.waiters) (w.seq <= last && this.lastError === null ? w.resolve() : w.reject(err));
      this.waiters = [];
      for (const c of this.compactions.values()) c.reject(new EngineError('ECLOSED', 'engine is closed'));
      this.compactions.clear();
      this.updateRef();
    }
  }

  private onEvent(kind: string, value: number, code: string, message: string): void {
    switch (kind) {
      case 'durable':
        this.durableSeq = Math.max(this.durableSeq, value);
        this.lastError = null;
        this.settleWaiters();
        break;
      case 'error': {
        // A write failed: every write not yet durable fails with it.
        this.lastError = new EngineError(code, message);
        const failed = this.waiters;
        this.waiters = [];
        for (const w of failed) w.reject(this.lastError);
        break;
      }
      case 'compacted':
      case 'compactFailed': {
        const c = this.compactions.get(value);
        if (c === undefined) break;
        this.compactions.delete(value);
        if (kind === 'compacted') c.resolve(JSON.parse(message) as CompactResult);
        else c.reject(new EngineError(code, message));
        break;
      }
      default:
        throw new Error(`unknown engine event ${kind}`);
    }
    this.updateRef();
  }

  private settleWaiters(): void {
    const durable = this.durableSeq;
    const rest: Waiter[] = [];
    for (const w of this.waiters) (w.seq <= durable ? w.resolve() : rest.push(w));
    this.waiters = rest;
  }

  /** Keeps the process alive only while someone waits on the engine. */
  private updateRef(): void {
    const want = !this.closed && (this.waiters.length > 0 || this.compactions.size > 0);
    if (want === this.referenced) return;
    this.referenced = want;
    if (want) this.native.ref();
    else if (!this.closed) this.native.unref();
  }
}

export function open(dir: string, options: EngineOptions = {}): Engine {
  return Engine.open(dir, options);
}

/**
 * Salvages every valid record of a data directory (the engine must not be
 * open) and reports what was dropped, by file and offset.
 */
export function repair(dir: string): RepairReport {
  try {
    return native.repair(dir);
  } catch (err) {
    throw toError(err);
  }
}

/** The engine's ordering hash of a key: slot << 50 | 50 bits of xxh64. */
export function ringHash(key: Buffer | string): bigint {
  return native.ringHash(asBuffer(key));
}

/** Redis Cluster's hash slot of a key (CRC16 of the key or its {hash tag}, mod 16384). */
export function keySlot(key: Buffer | string): number {
  return native.keySlot(asBuffer(key));
}
