// server/cluster-config.ts — turns the cluster settings of config.ts into
// this node's view of the cluster: who it is, the members with their bus
// ports and weights, N/R/W. Checked once the client port is bound (port 0
// picks one), so every mistake in a member list stops the start with a
// ConfigError naming the entry. Without cluster-nodes a node is a cluster of
// one (N=R=W=1), as ARCHITECTURE.md wants: the same code path, one member.
// Also the one rule tying two mutable settings, checked at start and at
// CONFIG SET: cluster-hint-max-age below cluster-tombstone-grace.
import { MAX_WEIGHT, type ClusterMember, type ClusterOptions, type HandoffSettings, type MaintenanceSettings } from '../cluster/index';
import { ConfigError } from './config';
import type { ServerConfig } from './state';

/** One entry of cluster-nodes, with what it spelled out. */
interface Entry {
  text: string;
  spec: ClusterMember;
  weightGiven: boolean;
  busPortGiven: boolean;
}

const BUS_PORT_OFFSET = 10000;
const ENTRY = /^(\[[0-9A-Fa-f:.]+\]|[^\s:@=,[\]]+):(\d+)(?:@(\d+))?(?:=(\d+))?$/;

/**
 * This node's cluster. `boundPort` is the client port the server listens on.
 * Throws ConfigError when the settings do not describe a cluster this node
 * belongs to. A `--cluster-weight` other than the default 1 that disagrees
 * with self's `=weight` is an error; when they agree, or it is left at 1,
 * the entry's weight counts.
 */
export function clusterSetup(config: ServerConfig, boundPort: number): ClusterOptions {
  checkHintAge(config);
  const common = {
    partitions: config.clusterPartitions,
    secret: config.clusterSecret,
    timeoutMs: config.clusterTimeout,
    faultInjection: config.enableFaultInjection,
    phiThreshold: config.clusterPhiThreshold,
    heartbeatMs: config.clusterHeartbeatMs,
    handoff: handoffSettings(config),
    // A node away longer than hints are kept missed writes no hint will bring: it resyncs.
    antiEntropy: { intervalMs: config.clusterAntiEntropyIntervalMs, keysPerSec: config.clusterAntiEntropyKeysPerSec, resyncAfterMs: config.clusterHintMaxAge * 1000 },
  };
  if (config.clusterNodes === '') {
    for (const [name, value] of [['cluster-n', config.clusterN], ['cluster-r', config.clusterR], ['cluster-w', config.clusterW]] as const) {
      if (value > 1) throw new ConfigError(`${name} ${value} needs other nodes: without cluster-nodes this node is a cluster of one (n = r = w = 1)`);
    }
    const self = alone(config, boundPort);
    return { self, members: [self], n: 1, r: 1, w: 1, ...common };
  }
  const entries = parseMembers(config.clusterNodes);
  const own = findSelf(entries, config.bind.map(unbind), boundPort);
  const self = { ...own.spec, weight: selfWeight(own, config.clusterWeight) };
  if (config.clusterPort !== 0 && config.clusterPort !== own.spec.busPort) {
    const why = own.busPortGiven ? `its @${own.spec.busPort}` : `its bus port ${own.spec.busPort} (port + ${BUS_PORT_OFFSET}); write it as '${own.spec.id}@${config.clusterPort}'`;
    throw new ConfigError(`cluster-port ${config.clusterPort} disagrees with this node's cluster-nodes entry '${own.text}': ${why}`);
  }
  const members = entries.map((e) => (e === own ? self : e.spec)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (members.length > 1 && config.clusterSecret === '') throw new ConfigError('cluster-secret or cluster-secret-file is required when cluster-nodes names other nodes');
  return { self, members, ...quorum(config, members.length), ...common };
}

/**
 * A hint is delivered up to cluster-hint-max-age after its write; a tombstone
 * covering that write may be reaped once cluster-tombstone-grace has passed
 * (reaper.ts). A hint delivered after the reap would bring the deleted key
 * back, so every hint must be dropped before the grace period ends: a
 * ConfigError naming both otherwise (at start; CONFIG SET turns it into its
 * error reply and changes nothing).
 */
export function checkHintAge(config: ServerConfig): void {
  if (config.clusterHintMaxAge < config.clusterTombstoneGrace) return;
  throw new ConfigError(
    `cluster-hint-max-age ${config.clusterHintMaxAge} must be less than cluster-tombstone-grace ${config.clusterTombstoneGrace}: a hint older than the grace period could bring back a key whose tombstone was reaped`,
  );
}

/** Hinted handoff's settings (cluster-hint-*), as the coordinator takes them; CONFIG SET passes them again. */
export function handoffSettings(config: ServerConfig): HandoffSettings {
  return { maxBytes: config.clusterHintMaxBytes, maxAgeMs: config.clusterHintMaxAge * 1000, window: config.clusterHintWindow, rateBytes: config.clusterHintRate };
}

/** cluster-tombstone-grace and cluster-scrub-rate, as the coordinator takes them (at start and at CONFIG SET). */
export function maintenanceSettings(config: ServerConfig): MaintenanceSettings {
  return { tombstoneGraceMs: config.clusterTombstoneGrace * 1000, scrubBytesPerSecond: config.clusterScrubRate };
}

/** A cluster of one, named after the first bind address. */
function alone(config: ServerConfig, boundPort: number): ClusterMember {
  const host = unbind(config.bind[0] ?? '127.0.0.1');
  const defaultBus = boundPort + BUS_PORT_OFFSET;
  const busPort = config.clusterPort !== 0 ? config.clusterPort : defaultBus <= 65535 ? defaultBus : 0;
  return { id: `${host.includes(':') ? `[${host}]` : host}:${boundPort}`, host, port: boundPort, busPort, weight: config.clusterWeight };
}

/** Redis's `bind -::1` marks an address that may be missing; the address is what counts. */
function unbind(address: string): string {
  return address.replace(/^-/, '').toLowerCase();
}

function parseMembers(text: string): Entry[] {
  const entries = text.split(',').map((part) => parseEntry(part.trim()));
  const seen = new Map<string, Entry>();
  for (const e of entries) {
    // A client or bus address used twice would have two nodes listen on it.
    for (const port of [e.spec.port, e.spec.busPort]) {
      const address = `${e.spec.host}:${port}`;
      const other = seen.get(address);
      if (other === e) throw new ConfigError(`cluster-nodes: entry '${e.text}' uses port ${port} for both clients and the bus`);
      if (other?.spec.id === e.spec.id) throw new ConfigError(`cluster-nodes names node ${e.spec.id} twice: '${other.text}' and '${e.text}'`);
      if (other !== undefined) throw new ConfigError(`cluster-nodes: entries '${other.text}' and '${e.text}' both use ${address}`);
      seen.set(address, e);
    }
  }
  return entries;
}

function parseEntry(text: string): Entry {
  if (text === '') throw new ConfigError('cluster-nodes: empty entry (two commas in a row, or one at an end)');
  const m = ENTRY.exec(text);
  if (m === null) throw new ConfigError(`cluster-nodes: entry '${text}' is not host:port[@busport][=weight]`);
  const host = m[1].replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = portNumber(text, 'port', m[2]);
  const busPort = m[3] === undefined ? port + BUS_PORT_OFFSET : portNumber(text, 'bus port', m[3]);
  if (busPort > 65535) throw new ConfigError(`cluster-nodes: entry '${text}' has no room for its default bus port ${busPort} (port + ${BUS_PORT_OFFSET}); give one with @busport`);
  const weight = m[4] === undefined ? 1 : Number(m[4]);
  if (!(weight >= 1 && weight <= MAX_WEIGHT)) throw new ConfigError(`cluster-nodes: entry '${text}' has weight ${m[4]}, not an integer from 1 to ${MAX_WEIGHT}`);
  const id = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { text, spec: { id, host, port, busPort, weight }, weightGiven: m[4] !== undefined, busPortGiven: m[3] !== undefined };
}

function portNumber(entry: string, what: string, digits: string): number {
  const n = Number(digits);
  if (!(n >= 1 && n <= 65535)) throw new ConfigError(`cluster-nodes: entry '${entry}' has ${what} ${digits}, not from 1 to 65535`);
  return n;
}

/** The entry on this node's port: the only one, or the one on a bound address. */
function findSelf(entries: Entry[], bind: string[], boundPort: number): Entry {
  const onPort = entries.filter((e) => e.spec.port === boundPort);
  if (onPort.length === 1) return onPort[0];
  if (onPort.length === 0) throw new ConfigError(`cluster-nodes names no node with this node's port ${boundPort}`);
  const bound = onPort.filter((e) => bind.includes(e.spec.host));
  const list = onPort.map((e) => `'${e.text}'`).join(', ');
  if (bound.length === 0) throw new ConfigError(`cluster-nodes: none of ${list} is on a bound address (bind ${bind.join(' ')}); bind this node's address`);
  if (bound.length > 1) throw new ConfigError(`cluster-nodes: ${list} are all on bound addresses (bind ${bind.join(' ')}); bind only this node's address`);
  return bound[0];
}

function selfWeight(own: Entry, clusterWeight: number): number {
  if (!own.weightGiven) return clusterWeight;
  if (clusterWeight !== 1 && clusterWeight !== own.spec.weight) {
    throw new ConfigError(`cluster-weight ${clusterWeight} disagrees with this node's cluster-nodes entry '${own.text}'`);
  }
  return own.spec.weight;
}

/** N (default 3, at most the member count), R and W (default a majority of N). */
function quorum(config: ServerConfig, count: number): { n: number; r: number; w: number } {
  const n = config.clusterN !== 0 ? config.clusterN : Math.min(3, count);
  if (n > count) throw new ConfigError(`cluster-n ${n} is more than the ${count} nodes of cluster-nodes`);
  const majority = Math.min(n, Math.floor(n / 2) + 1);
  const r = config.clusterR !== 0 ? config.clusterR : majority;
  const w = config.clusterW !== 0 ? config.clusterW : majority;
  if (r > n) throw new ConfigError(`cluster-r ${r} is more than cluster-n ${n}`);
  if (w > n) throw new ConfigError(`cluster-w ${w} is more than cluster-n ${n}`);
  return { n, r, w };
}
