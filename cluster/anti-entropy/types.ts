// cluster/anti-entropy/types.ts — anti-entropy's settings and figures, as the
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
