// cluster/coordinator/coordinator.ts — what the server sees of the store: the Coordinator
// interface. Every command's reads and writes go through it, on a cluster of
// one as on many nodes (one code path: dynamo-coordinator.ts is the only
// implementation). The data calls are synchronous, as Redis's command
// implementations are; what needs the network happens around them:
//
//   route()   -> a node to forward the whole command to, or null to run here
//   prepare() -> quorum reads of the command's keys (R replies, merged)
//   begin()   -> the handler runs, synchronously, on what prepare() gathered
//   end()     -> the writes it made, waiting for their W acks
//
// On a cluster of one (`single`) none of this is needed: a command runs at
// once, its writes acked by the local engine alone.
import type { EngineStats, ExpirySweep, FsyncMode } from '../../engine/index';
import type { HandoffSettings, HintTargetStats } from '../handoff/delivery';
import type { AntiEntropyStatus } from '../anti-entropy/types';
import type { MaintenanceCounters, MaintenanceSettings } from '../anti-entropy/types';
import type { ClusterMember, MemberState } from '../membership/membership';
import type { KeyVersions, VersionVector } from '../versions/versions';
import type { HashAccess } from './hash-access';
import type { Counter } from '../../datatypes/counter';
import type { CounterRead } from '../versions/counter-read';
import type { SetAccess } from './set-access';
import type { ZsetAccess } from './zset-access';
import type { ListAccess } from './list-access';

export interface KeyMeta {
  /** Absolute expiry in ms since the epoch, 0 = none. */
  expireAt: number;
  length: number;
  /** The value's Redis type (datatypes/types.ts; 0: a string, a counter's too): TYPE, WRONGTYPE. */
  type: number;
  /** The stored tag when it is not the type: DataType.counter (INCR's value), DataType.hll (PFADD's in a cluster). */
  tag?: number;
}

/** getInto's answer for a key whose value is not a string. */
export const WRONG_TYPE = -2;

export interface ScanPage {
  cursor: bigint;
  keys: Buffer[];
}

/** A quorum was not met: the reply is `-DYNUNAVAILABLE needed W=2, got 1`, never a silent success. */
export class DynUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DynUnavailableError';
  }
}

/** What a command does to its keys, for routing: only writes that read first must run at one coordinator per key. */
export type CommandAccess = 'read' | 'blind-write' | 'read-write';

/** The versions prepare() gathered for keys this node holds no replica of, for the handler to read. */
export type PreparedView = Map<string, KeyVersions> | null;

export interface ClusterCounters {
  /** Replicas sent merged versions after a read found them stale. */
  readRepairs: number;
  /** Read repairs the replica did not ack (down, or timed out). */
  readRepairsFailed: number;
  /** Siblings dropped by the per-key bound. */
  siblingsPruned: number;
  /** Commands sent to another node to coordinate. */
  forwarded: number;
  /** Commands other nodes sent here to coordinate. */
  forwardsServed: number;
  /** Requests answered -DYNUNAVAILABLE. */
  unavailable: number;
  /** Merges here that left a key or an element with live values of two types (cluster/versions/type-clash.ts). */
  typeClashes: number;
}

export interface ClusterNodeState extends ClusterMember {
  state: MemberState;
  /** The failure detector's suspicion of it now (0 for this node). */
  phi: number;
}

export interface Coordinator {
  readonly databases: number;
  /** One member: commands run at once (N=R=W=1), route/prepare/end are not needed. */
  readonly single: boolean;
  /** The value; a read is an access of the key (OBJECT IDLETIME) unless `touch` is false. get and getInto read strings: WrongTypeError on another type. */
  get(db: number, key: Buffer, touch?: boolean): Buffer | null;
  /** As Engine.getInto: the value read into target at offset; -1 when absent, WRONG_TYPE when not a string. An access of the key. */
  getInto(db: number, key: Buffer, target: Buffer, offset: number): number;
  /** Expiry and length; not an access of the key (TTL, TYPE, EXISTS, OBJECT). */
  meta(db: number, key: Buffer): KeyMeta | null;
  /** Seconds since the key was last written or read here (OBJECT IDLETIME); null when this node holds no replica of it. */
  idle(db: number, key: Buffer): number | null;
  /** Counts an access of the key without reading it (TOUCH); idleSeconds > 0: an access that long ago, on this node (RESTORE IDLETIME). */
  touch(db: number, key: Buffer, idleSeconds?: number): void;
  /** A hint before a batch of pipelined commands: count keys end to end in keys, lens[i] bytes each. */
  prefetch(db: number, keys: Buffer, lens: Uint32Array, count: number): void;
  /** expireAt: absolute ms since the epoch, 0 = no expiry. */
  set(db: number, key: Buffer, value: Buffer, expireAt: number): void;
  /** True when a live key was removed. */
  delete(db: number, key: Buffer): boolean;
  /** INCR's read (versions/counter-read.ts): the key's counter, or a new one over its string (`parse`: its integer, null when none) or over nothing; WrongTypeError for another type. With N = 1 (no concurrent INCRs) increment() writes the value as a string. */
  counter(db: number, key: Buffer, parse: (value: Buffer) => bigint | null): CounterRead;
  /** INCRBY's write: the counter read, plus `by` from this node, with this expiry (0 = none). */
  increment(db: number, key: Buffer, counter: Counter, by: bigint, expireAt: number): void;
  /** PFADD's, PFMERGE's and PFCOUNT's write of a HyperLogLog: in a cluster tagged hll, so concurrent writes merge register-wise (datatypes/hyperloglog-join.ts). */
  writeHll(db: number, key: Buffer, value: Buffer, expireAt: number): void;
  /** EXPIRE/PERSIST of a key of any type: its value and type kept, the expiry (0 = none) replaced; false when not live. */
  setExpiry(db: number, key: Buffer, expireAt: number): boolean;
  /** The hash type's operations (hashes.ts). */
  readonly hashes: HashAccess;
  /** The set type's operations (sets.ts). */
  readonly sets: SetAccess;
  /** The sorted set type's operations (zsets.ts). */
  readonly zsets: ZsetAccess;
  /** The list type's operations (lists.ts). */
  readonly lists: ListAccess;
  scan(db: number, cursor: bigint, count: number): ScanPage;
  /** Keys of db, expired ones not yet reclaimed included (as Redis's DBSIZE). */
  size(db: number): number;
  /** Keys of db that have an expiry. */
  expiring(db: number): number;
  flush(db: number): void;
  /** Writes tombstones for up to `limit` expired keys of db (visited from where the last call stopped): how many, and the TTLs it saw. */
  reclaimExpired(db: number, limit: number): ExpirySweep;
  /** Frees the in-memory indexes (sorted sets, lists) of up to `limit` keys gone since their last command (expired): how many. */
  sweepIndexes(limit: number): number;
  /** How many keys have an in-memory index (sorted sets, lists) built: INFO memory's collection_indexes. */
  indexCount(): number;
  /** Resolves once every write made so far is durable under the fsync policy; null when already. */
  durable(): Promise<void> | null;
  /** CONFIG SET appendfsync: the new policy for every database. */
  setFsync(mode: FsyncMode): void;
  stats(): EngineStats[];

  /** DYN.ELEMENTS: this replica's element records of a collection (tombstones included, any type), and its summary's count (null: no summary). */
  localElements(db: number, key: Buffer): { count: number | null; records: { member: Buffer; kind: number; versions: KeyVersions }[] };
  /** Every version of the key the handler can see (DYN.VERSIONS): prepared, or this replica's. */
  versions(db: number, key: Buffer): KeyVersions;
  /** DYN.SET / DYN.DEL: a write that resolves the siblings `context` covers; value null writes a tombstone. w overrides W. */
  writeWithContext(db: number, key: Buffer, value: Buffer | null, expireAt: number, context: VersionVector | 'local', w: number | null): void;
  /** The node a command on these keys must run at, or null for this one. `forwarded`: it came from another node (never forward again). */
  route(keys: readonly Buffer[], access: CommandAccess, forwarded: boolean): string | null;
  /** Runs the command at that node; resolves with its raw reply, or null when the node did not answer (route again). */
  forward(node: string, db: number, resp: number, argv: readonly Buffer[]): Promise<Buffer | null>;
  /** Quorum reads of the keys (r overrides R); rejects with DynUnavailableError. */
  prepare(db: number, keys: readonly Buffer[], r: number | null): Promise<PreparedView>;
  /** Before the handler: what it reads of keys held elsewhere; origin = the node that forwarded the command. */
  begin(view: PreparedView, origin: string | null): void;
  /** After the handler: resolves once its writes have their W acks (null: nothing to wait for); the string is the error reply. */
  end(): Promise<string | null> | null;
  /** Called with a command another node forwards here; set by the server. */
  onForward: ((db: number, resp: number, argv: Buffer[], from: string) => Promise<Buffer>) | null;

  readonly selfId: string;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly counters: ClusterCounters;
  preferenceList(key: Buffer): readonly string[];
  nodes(): ClusterNodeState[];
  /** CONFIG SET cluster-phi-threshold / cluster-heartbeat-ms: failure detection's settings from now on. */
  setFailureDetection(phiThreshold: number, heartbeatMs: number): void;
  /** Anti-entropy's state and figures (INFO); null when N = 1. */
  antiEntropyStatus(): AntiEntropyStatus | null;
  /** Partition -> owner, the ring's partition count and slots per partition. */
  ring(): { partitions: number; slotsPerPartition: number; owners: string[] };
  /** Hints kept here, per target (INFO). */
  handoffStats(): HintTargetStats[];
  /** CONFIG SET cluster-hint-*: hinted handoff's new bounds and pace. */
  configureHandoff(settings: HandoffSettings): void;
  /** CONFIG SET cluster-tombstone-grace / cluster-scrub-rate (and their values at start). */
  configure(settings: MaintenanceSettings): void;
  /** Reaping, flush epochs, scrubbing and repair, for INFO. */
  readonly maintenanceCounters: MaintenanceCounters;
  /** DYN.FAULT: drop all bus traffic with a peer, or heal every drop; false when fault injection is off. */
  fault(drop: string | null): boolean;
  start(): Promise<void>;
  close(): Promise<void>;
}
