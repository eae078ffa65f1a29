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
  /** Merges a peer's element record into this node's replica through its collection type (its summary kept). */
  applyElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): boolean;
  /** Merges versions into this node's replica (WATCH sees the change). */
  applyHere(db: number, key: Buffer, versions: KeyVersions): boolean;
}
