// cluster/anti-entropy/types.ts — anti-entropy's and upkeep's (reaping, scrubbing) settings and figures, as the
// rest of cluster/ sees them (membership's options, the Coordinator's INFO),
// apart from the modules so that nothing imports them back.

export interface AntiEntropyOptions {
  /** Pause between two rounds of exchanges once synced, ms. */
  readonly intervalMs: number;
  /** Keys read from peers per second at most. */
  readonly keysPerSec: number;
  /** A node away longer than this resyncs every partition, ms. */
  readonly resyncAfterMs: number;
}

/** The defaults (cluster-anti-entropy-*; resyncAfterMs: cluster-hint-max-age's 3 h). */
export const DEFAULT_ANTI_ENTROPY: AntiEntropyOptions = { intervalMs: 10_000, keysPerSec: 5000, resyncAfterMs: 3 * 3600_000 };

/** Anti-entropy traffic and repairs. */
export interface ExchangeMeter {
  /** Bytes of the requests sent, as RESP. */
  bytesSent: number;
  /** Bytes of the replies received, as RESP. */
  bytesReceived: number;
  /** Keys a pull changed here. */
  keysRepaired: number;
  /** Collections' element records a pull changed here. */
  elementsRepaired: number;
}

/** Anti-entropy's state and figures, for INFO. */
export interface AntiEntropyStatus extends ExchangeMeter {
  /** Partitions of this replica not synced since it lost data. */
  syncingPartitions: number;
  /** Exchanges completed (one per peer and round: roots, then the differing subtrees). */
  exchanges: number;
  /** Exchanges that stopped at the roots: every partition agreed. */
  exchangesEqual: number;
  /** Exchanges that failed (the peer down, a timeout...). */
  exchangeFailures: number;
  /** Per peer: when the last exchange with it completed (ms since the epoch, 0 = never), and how many did. */
  peers: { id: string; lastExchangeAt: number; exchanges: number }[];
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
  /** Element records of collections whose header is gone, reclaimed here (element-reclaim.ts). */
  elementsReclaimed: number;
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
