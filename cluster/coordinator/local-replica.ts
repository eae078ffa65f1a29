// cluster/coordinator/local-replica.ts — the part of the Coordinator that
// this node's replica answers alone (no request to a peer): what the
// handler reads (the command's prepared view of a key held elsewhere, else
// the local replica), the replica's counts, scans and expiry sweeps, its
// durability, and peers' versions merged into it. DynamoCoordinator
// (dynamo-coordinator.ts) extends it with routing, quorum reads and writes.
import type { EngineStats, ExpirySweep, FsyncMode } from '../../engine/index';
import { SUMMARY_KIND } from '../replica/element-records';
import type { ReplicaStore } from '../replica/store';
import type { Clock } from '../clock';
import { decodeVersions } from '../versions/codec';
import { counterRead, stringRead, type CounterRead } from '../versions/counter-read';
import { DEFAULT_MAX_SIBLINGS, EMPTY_VERSIONS, liveWinner, type KeyVersions } from '../versions/versions';
import { NO_ORIGIN, startCounter } from '../../datatypes/counter';
import { DataType, redisType } from '../../datatypes/types';
import { CommandScope } from './command-scope';
import { WRONG_TYPE, type ClusterCounters, type KeyMeta, type ScanPage } from './coordinator';

export interface CoordinatorHooks {
  /** Every key a write changed on this replica (WATCH's invalidation). */
  onWrite(db: number, key: Buffer): void;
  /** Every key reclaimed because a read found it expired (INFO's expired_keys). */
  onExpire(db: number, key: Buffer): void;
}

export class LocalReplica {
  readonly maxSiblings = DEFAULT_MAX_SIBLINGS;
  readonly counters: ClusterCounters = { readRepairs: 0, readRepairsFailed: 0, siblingsPruned: 0, forwarded: 0, forwardsServed: 0, unavailable: 0, typeClashes: 0 };
  /** The running command's view, origin and pending writes (begin/end). */
  protected readonly scope = new CommandScope();
  protected readonly expiryCursor: bigint[];

  constructor(
    readonly replicas: ReplicaStore,
    readonly databases: number,
    /** The key's N replicas (1: this node's replica is the only one). */
    readonly n: number,
    readonly hooks: CoordinatorHooks,
    /** Where time comes from: realClock in a server, a ManualClock in tests. */
    readonly clock: Clock,
  ) {
    this.expiryCursor = new Array<bigint>(databases).fill(0n);
  }

  // ---- reads of what the handler sees ----

  get(db: number, key: Buffer, touch = true): Buffer | null {
    const viewed = this.scope.viewed(key);
    if (viewed !== undefined) return stringRead(viewed, this.clock.now());
    const value = this.replicas.get(db, key, touch);
    if (value === null) this.expireOnAccess(db, key);
    return value;
  }

  getInto(db: number, key: Buffer, target: Buffer, offset: number): number {
    const viewed = this.scope.viewed(key);
    if (viewed !== undefined) {
      const top = liveWinner(viewed, this.clock.now());
      if (top === null) return -1;
      if (redisType(top.type ?? 0) !== DataType.string) return WRONG_TYPE;
      const value = stringRead(viewed, this.clock.now()) as Buffer;
      if (value.length <= target.length - offset) value.copy(target, offset);
      return value.length;
    }
    const len = this.replicas.getInto(db, key, target, offset);
    if (len < 0) this.expireOnAccess(db, key);
    return len;
  }

  meta(db: number, key: Buffer): KeyMeta | null {
    const viewed = this.scope.viewed(key);
    if (viewed !== undefined) {
      const top = liveWinner(viewed, this.clock.now());
      if (top === null) return null;
      if (top.type === DataType.counter || top.type === DataType.hll) return { expireAt: top.expireAt, length: (stringRead(viewed, this.clock.now()) as Buffer).length, type: DataType.string, tag: top.type };
      return { expireAt: top.expireAt, length: (top.value as Buffer).length, type: top.type ?? 0 };
    }
    const meta = this.replicas.meta(db, key);
    if (meta === null) this.expireOnAccess(db, key);
    return meta;
  }

  idle(db: number, key: Buffer): number | null {
    const seconds = this.replicas.idle(db, key);
    return seconds < 0 ? null : seconds;
  }

  touch(db: number, key: Buffer, idleSeconds = 0): void {
    this.replicas.touch(db, key, idleSeconds);
  }

  /** Reap mode (N = 1): a miss may be an expired key, reclaimed now as Redis does on access. */
  private expireOnAccess(db: number, key: Buffer): void {
    if (this.replicas.reap && this.replicas.expireIfDue(db, key)) this.hooks.onExpire(db, key);
  }

  localElements(db: number, key: Buffer): { count: number | null; records: { member: Buffer; kind: number; versions: KeyVersions }[] } {
    const records: { member: Buffer; kind: number; versions: KeyVersions }[] = [];
    for (const { elementKey, kind, member } of this.replicas.elementRecords.collection(db, key)) {
      const record = kind === SUMMARY_KIND ? null : this.replicas.elementRecords.record(db, elementKey);
      if (record !== null) records.push({ member, kind, versions: decodeVersions(record) });
    }
    return { count: this.replicas.hashes.summary(db, key)?.count ?? null, records };
  }

  versions(db: number, key: Buffer): KeyVersions {
    return this.scope.viewed(key) ?? this.replicas.read(db, key) ?? EMPTY_VERSIONS;
  }

  /**
   * With N = 1 a key has one replica, so no two INCRs of it are ever
   * concurrent: the value stays a string, read and written by GET's and
   * SET's fast paths (a counter costs INCR 2-3x its time, measured).
   */
  counter(db: number, key: Buffer, parse: (value: Buffer) => bigint | null): CounterRead {
    if (this.n > 1) return counterRead(this.versions(db, key), this.clock.now(), parse);
    const meta = this.meta(db, key);
    const value = meta === null ? null : this.get(db, key);
    if (meta === null || value === null) return { counter: startCounter(0n, NO_ORIGIN), expireAt: 0 };
    const base = parse(value);
    return { counter: base === null ? null : startCounter(base, NO_ORIGIN), expireAt: meta.expireAt };
  }

  // ---- the replica's keys, durability, engine ----

  prefetch(db: number, keys: Buffer, lens: Uint32Array, count: number): void {
    this.replicas.prefetch(db, keys, lens, count);
  }

  scan(db: number, cursor: bigint, count: number): ScanPage {
    return this.replicas.scan(db, cursor, count);
  }

  size(db: number): number {
    return this.replicas.size(db);
  }

  expiring(db: number): number {
    return this.replicas.expiring(db);
  }

  reclaimExpired(db: number, limit: number): ExpirySweep {
    const sweep = this.replicas.reclaimExpired(db, this.expiryCursor[db], limit);
    this.expiryCursor[db] = sweep.cursor;
    return sweep;
  }

  /** A flush starts the expiry sweep of db over. */
  protected restartExpirySweep(db: number): void {
    this.expiryCursor[db] = 0n;
  }

  durable(): Promise<void> | null {
    return this.replicas.durable();
  }

  setFsync(mode: FsyncMode): void {
    this.replicas.setFsync(mode);
  }

  stats(): EngineStats[] {
    return this.replicas.stats();
  }

  // ---- peers' versions merged in ----

  /** Merges a peer's record into the local replica (replication, read repair). */
  applyRecord(db: number, key: Buffer, record: Buffer): boolean {
    const { changed, pruned, clashed } = this.replicas.applyRecord(db, key, record, this.maxSiblings);
    this.counters.siblingsPruned += pruned;
    if (clashed) this.counters.typeClashes++;
    if (changed) this.hooks.onWrite(db, key);
    return changed;
  }

  /** Merges versions into the local replica. */
  applyHere(db: number, key: Buffer, versions: KeyVersions): boolean {
    const { changed, pruned, clashed } = this.replicas.apply(db, key, versions, this.maxSiblings);
    this.counters.siblingsPruned += pruned;
    if (clashed) this.counters.typeClashes++;
    if (changed) this.hooks.onWrite(db, key);
    return changed;
  }
}
