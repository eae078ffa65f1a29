// cluster/index.ts — what the rest of dynkv (server/, bin/) may use of the
// Dynamo layer: the Coordinator interface and its one implementation, the
// errors a command can meet, the clock it runs on, the cluster's
// configuration types and ring constants, and the versions DYN.* commands
// read and write. Everything else in cluster/ is its own business (test/
// and bench/ may reach inside).
export { DEFAULT_ANTI_ENTROPY, DEFAULT_SCRUB_RATE, DEFAULT_TOMBSTONE_GRACE_S, type AntiEntropyStatus, type MaintenanceCounters, type MaintenanceSettings } from './anti-entropy/types';
export { realClock } from './clock';
export { DynUnavailableError, WRONG_TYPE, type CommandAccess, type Coordinator, type KeyMeta } from './coordinator/coordinator';
export { DynamoCoordinator } from './coordinator/dynamo-coordinator';
export { DEFAULT_HEARTBEAT_MS, DEFAULT_PHI_THRESHOLD, type ClusterMember, type ClusterOptions } from './membership/membership';
export { DEFAULT_HANDOFF, type HandoffSettings, type HintTargetStats } from './handoff/delivery';
export type { HashAccess } from './coordinator/hash-access';
export type { HashEntry } from './coordinator/hashes';
export type { SetAccess } from './coordinator/set-access';
export type { ZsetAccess, ZsetChange, ZsetEntry } from './coordinator/zset-access';
export type { ListAccess } from './coordinator/list-access';
export { DEFAULT_PARTITIONS, MAX_WEIGHT } from './ring/ring';
export { SLOT_COUNT } from './ring/slot';
export { InvalidContextError, decodeContext, encodeContext } from './versions/codec';
export { liveWinner, type VersionVector } from './versions/versions';
export { WrongTypeError } from './versions/wrong-type';
