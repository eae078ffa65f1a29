// server/state.ts — state shared by every connection of one server: the
// configuration, counters for INFO, the client registry and WATCH's
// key -> watchers index.
import crypto from 'node:crypto';
import type { Client } from './client';
import type { OutputLimits } from './output-limits';

export type AppendFsync = 'always' | 'everysec' | 'no';

export interface ServerConfig {
  port: number;
  bind: string[];
  dir: string;
  appendfsync: AppendFsync;
  requirepass: string;
  maxclients: number;
  protoMaxBulkLen: number;
  /** client-output-buffer-limit, per client class (output-limits.ts). */
  clientOutputBufferLimit: OutputLimits;
  protectedMode: boolean;
  databases: number;
  /** The config file given on the command line, if any. */
  configFile: string;
  /** `--cluster-nodes` as given: `host:port[@busport][=weight],...`; '' is a cluster of one (see cluster-config.ts). */
  clusterNodes: string;
  /** Replicas per key, read and write quorums; 0 = the default for the member count. */
  clusterN: number;
  clusterR: number;
  clusterW: number;
  /** This node's cluster bus port; 0 = port + 10000. */
  clusterPort: number;
  /** The secret every node of the cluster shares (the bus handshake); never shown by CONFIG GET. */
  clusterSecret: string;
  /** The file clusterSecret was read from ('' when given as cluster-secret itself). */
  clusterSecretFile: string;
  /** This node's weight in the ring, 1 to 1048576, unless its cluster-nodes entry gives one. */
  clusterWeight: number;
  /** Q: the ring's partition count, a power of two from 1 to 16384. */
  clusterPartitions: number;
  /** Timeout of a request to another node, in ms. */
  clusterTimeout: number;
  /** phi at which a silent peer is down (failure detection), 0.1 to 100. */
  clusterPhiThreshold: number;
  /** Period of the heartbeat to each peer, in ms. */
  clusterHeartbeatMs: number;
  /** Lets tests drop and heal traffic between nodes. */
  enableFaultInjection: boolean;
  /** Hinted handoff: unacked hint bytes kept per target node. */
  clusterHintMaxBytes: number;
  /** Hinted handoff: seconds a hint is kept before it is dropped. */
  clusterHintMaxAge: number;
  /** Hinted handoff: hints in flight per target node. */
  clusterHintWindow: number;
  /** Hinted handoff: hint bytes sent per second over all targets; 0 = no cap. */
  clusterHintRate: number;
  /** Anti-entropy: pause between rounds (ms), keys pulled per second at most (a node away longer than cluster-hint-max-age resyncs). */
  clusterAntiEntropyIntervalMs: number;
  clusterAntiEntropyKeysPerSec: number;
  /** Seconds a dead record (tombstone, expired version) is kept before reaping may reclaim it. */
  clusterTombstoneGrace: number;
  /** Bytes of data files the scrubber verifies per second; 0 = none. */
  clusterScrubRate: number;
  /** hash-max-listpack-entries and hash-max-listpack-value: OBJECT ENCODING of hashes (replaced whole by CONFIG SET). */
  hashListpack: { readonly entries: number; readonly value: number };
  /** rdbcompression: DUMP compresses strings longer than 20 bytes with LZF. */
  rdbCompression: boolean;
  /** hll-sparse-max-bytes: a sparse HyperLogLog longer than this turns dense (Redis's default 3000). */
  hllSparseMaxBytes: number;
  /** set-max-intset-entries: a set of integers is an intset up to this many members. */
  setMaxIntsetEntries: number;
  zsetListpack: { readonly entries: number; readonly value: number };
  /**
   * list-max-listpack-size and list-compress-depth: accepted and shown as Redis
   * 7.0 does; no reply depends on them (OBJECT ENCODING of a list is quicklist
   * whatever they say; in Redis they size and compress quicklist nodes).
   */
  listMaxListpackSize: number;
  listCompressDepth: number;
}

export interface CommandStat {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

export class ServerState {
  readonly startedAt = Date.now();
  readonly runId = crypto.randomBytes(20).toString('hex');
  readonly clients = new Map<number, Client>();
  readonly commandStats = new Map<string, CommandStat>();
  readonly stats = {
    connectionsReceived: 0,
    commandsProcessed: 0,
    rejectedConnections: 0,
    expiredKeys: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    errorReplies: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    /** Clients closed for passing client-output-buffer-limit. */
    outputBufferLimitDisconnections: 0,
  };
  /** Per database: active expiry's running estimate of the TTL left of keys with an expiry, in ms (INFO keyspace avg_ttl; 0 = none). */
  readonly avgTtl: number[] = [];
  /** Stops the server as SIGTERM does (SHUTDOWN); set by the entry point, null when nothing may stop it. */
  shutdown: ((reason: string) => void) | null = null;
  private nextClientId = 1;
  private readonly opsSamples: number[] = [];
  private lastSampledCommands = 0;
  private readonly watchers = new Map<string, Set<Client>>();

  constructor(public config: ServerConfig) {}

  /** Called every 100 ms: INFO's instantaneous_ops_per_sec averages the last 16 samples, as Redis. */
  sampleOps(): void {
    const now = this.stats.commandsProcessed;
    this.opsSamples.push((now - this.lastSampledCommands) * 10);
    this.lastSampledCommands = now;
    if (this.opsSamples.length > 16) this.opsSamples.shift();
  }

  instantaneousOps(): number {
    if (this.opsSamples.length === 0) return 0;
    return Math.round(this.opsSamples.reduce((a, b) => a + b, 0) / this.opsSamples.length);
  }

  newClientId(): number {
    return this.nextClientId++;
  }

  watch(client: Client, db: number, key: Buffer, existed: boolean): void {
    const k = watchKey(db, key);
    if (client.watched.has(k)) return;
    client.watched.set(k, { db, key, existed });
    let set = this.watchers.get(k);
    if (set === undefined) this.watchers.set(k, (set = new Set()));
    set.add(client);
  }

  unwatchAll(client: Client): void {
    for (const k of client.watched.keys()) {
      const set = this.watchers.get(k);
      set?.delete(client);
      if (set?.size === 0) this.watchers.delete(k);
    }
    client.watched.clear();
    client.watchDirty = false;
  }

  /** A key was written: transactions watching it will fail. */
  keyModified(db: number, key: Buffer): void {
    if (this.watchers.size === 0) return;
    const set = this.watchers.get(watchKey(db, key));
    if (set !== undefined) for (const c of set) c.watchDirty = true;
  }

  /**
   * SWAPDB a b, as Redis 7.0's touchAllWatchedKeysInDb both ways: a watcher
   * of a key in a or b fails when the key exists in either (before the swap
   * or after: the same pair of databases). INFO's avg_ttl estimates go with
   * their databases.
   */
  databasesSwapped(a: number, b: number, exists: (db: number, key: Buffer) => boolean): void {
    for (const [k, set] of this.watchers) {
      const colon = k.indexOf(':');
      const db = Number(k.slice(0, colon));
      if (db !== a && db !== b) continue;
      const key = Buffer.from(k.slice(colon + 1), 'latin1');
      if (exists(a, key) || exists(b, key)) for (const c of set) c.watchDirty = true;
    }
    [this.avgTtl[a], this.avgTtl[b]] = [this.avgTtl[b] ?? 0, this.avgTtl[a] ?? 0];
  }

  /** FLUSHDB / FLUSHALL (db = -1): every watcher of that db fails. */
  dbModified(db: number): void {
    for (const [k, set] of this.watchers) {
      if (db !== -1 && !k.startsWith(`${db}:`)) continue;
      for (const c of set) c.watchDirty = true;
    }
  }
}

function watchKey(db: number, key: Buffer): string {
  return `${db}:${key.toString('latin1')}`;
}
