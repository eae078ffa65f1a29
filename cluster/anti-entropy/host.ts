// cluster/anti-entropy/host.ts — what the background upkeep of this node's
// replicas (tombstone reaping, flush epochs, scrubbing and repair of corrupt
// records) needs of the coordinator, its settings and its counters. The
// coordinator implements MaintenanceHost; nothing here imports it.
import type { BusReply } from '../bus/bus';
import type { Clock } from '../clock';
import type { ReplicaStore } from '../replica/store';
import type { Actor, KeyVersions } from '../versions/versions';

export interface MaintenanceHost {
  readonly selfId: string;
  readonly actor: Actor;
  readonly databases: number;
  readonly clock: Clock;
  readonly replicas: ReplicaStore;
  /** The key's N replicas. */
  preferenceList(key: Buffer): readonly string[];
  /** The other members, up or not. */
  peers(): string[];
  /** Whether membership believes the member up (requests to others fail at once or time out). */
  isUp(node: string): boolean;
  /** A bus request to a member; rejects when it fails or times out. */
  request(node: string, argv: readonly (Buffer | string)[]): Promise<BusReply>;
  /** Merges versions into this node's replica (WATCH sees the change). */
  applyHere(db: number, key: Buffer, versions: KeyVersions): boolean;
}

export interface MaintenanceSettings {
  /** cluster-tombstone-grace, in ms: how long a dead record is kept before reaping may reclaim it. */
  tombstoneGraceMs: number;
  /** cluster-scrub-rate: bytes of data files verified per second; 0 = no scrubbing. */
  scrubBytesPerSecond: number;
}

/** cluster-tombstone-grace's default: one day (see reaper.ts for why). */
export const DEFAULT_TOMBSTONE_GRACE_S = 86_400;
/** cluster-scrub-rate's default: 1 MiB/s, a pass over 100 GB in about 28 hours. */
export const DEFAULT_SCRUB_RATE = 1024 * 1024;

export interface MaintenanceCounters {
  /** Dead records (tombstones, expired versions) this replica reclaimed. */
  tombstonesReaped: number;
  /** Dead records sent to a replica that still held a live version, before reaping. */
  tombstonesPushed: number;
  /** Flush epochs learned from a peer (a flush this node missed). */
  flushesLearned: number;
  /** Data-file bytes the scrubber verified. */
  scrubbedBytes: number;
  /** Records found failing their checksum (by the scrubber or a read). */
  corruptRecords: number;
  /** Keys whose corrupt record was rebuilt from the other replicas (or found gone everywhere). */
  corruptRepaired: number;
}
