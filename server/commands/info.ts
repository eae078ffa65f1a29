// server/commands/info.ts — INFO: its sections (server, clients, memory,
// persistence, stats, replication, cpu, commandstats, cluster, keyspace),
// each a function of the server's state and the store's figures, printed as
// redis-server prints them.
import os from 'node:os';
import type { AntiEntropyStatus } from '../../cluster/index';
import { nowMicros } from '../clock';
import { redisVersion, version } from '../version';
import type { MaintenanceCounters } from '../../cluster/index';
import type { CommandContext, CommandHandler } from './types';
import type { HintTargetStats } from '../../cluster/index';

/** Node's architectures with 64-bit pointers (INFO arch_bits). */
const ARCH_64 = new Set(['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el']);

function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes}B` : `${v.toFixed(2)}${units[u]}`;
}

type Section = (ctx: CommandContext) => string[];

/** The cluster section's anti-entropy lines: state, figures, and one line per peer (as Redis's slaveN lines). */
function antiEntropyLines(ae: AntiEntropyStatus | null): string[] {
  if (ae === null) return [];
  return [
    `dynamo_sync_state:${ae.syncingPartitions > 0 ? 'syncing' : 'synced'}`,
    `dynamo_syncing_partitions:${ae.syncingPartitions}`,
    `dynamo_ae_exchanges:${ae.exchanges}`,
    `dynamo_ae_exchanges_equal:${ae.exchangesEqual}`,
    `dynamo_ae_exchange_failures:${ae.exchangeFailures}`,
    `dynamo_ae_keys_repaired:${ae.keysRepaired}`,
    `dynamo_ae_elements_repaired:${ae.elementsRepaired}`,
    `dynamo_ae_bytes_sent:${ae.bytesSent}`,
    `dynamo_ae_bytes_received:${ae.bytesReceived}`,
    ...ae.peers.map((p, i) => `dynamo_ae_peer${i}:id=${p.id},exchanges=${p.exchanges},last_exchange_ms=${p.lastExchangeAt}`),
  ];
}

const SECTIONS: Record<string, Section> = {
  server: (ctx) => {
    const s = ctx.server;
    const uptime = Math.floor((Date.now() - s.startedAt) / 1000);
    return [
      `redis_version:${redisVersion}`,
      `dynkv_version:${version}`,
      'redis_mode:standalone',
      `os:${os.type()} ${os.release()} ${os.arch()}`,
      `arch_bits:${ARCH_64.has(os.arch()) ? 64 : 32}`,
      `process_id:${process.pid}`,
      `run_id:${s.runId}`,
      `tcp_port:${s.config.port}`,
      `server_time_usec:${nowMicros()}`,
      `uptime_in_seconds:${uptime}`,
      `uptime_in_days:${Math.floor(uptime / 86400)}`,
      `executable:${process.argv[1] ?? ''}`,
      `config_file:${s.config.configFile}`,
    ];
  },
  clients: (ctx) => {
    // The largest input and output buffers of the clients connected now (Redis keeps the peaks of the last seconds).
    let input = 0;
    let output = 0;
    for (const c of ctx.server.clients.values()) {
      const b = c.buffers();
      input = Math.max(input, b.queryBuffer);
      output = Math.max(output, b.heldOutput + b.pendingOutput);
    }
    return [
      `connected_clients:${ctx.server.clients.size}`,
      `maxclients:${ctx.server.config.maxclients}`,
      `client_recent_max_input_buffer:${input}`,
      `client_recent_max_output_buffer:${output}`,
      'blocked_clients:0',
      'tracking_clients:0',
    ];
  },
  memory: (ctx) => {
    const m = process.memoryUsage();
    const keydir = ctx.store.stats().reduce((a, st) => a + st.keydirBytes, 0);
    return [
      `used_memory:${m.heapUsed + m.external + keydir}`,
      `used_memory_human:${human(m.heapUsed + m.external + keydir)}`,
      `used_memory_rss:${m.rss}`,
      `used_memory_rss_human:${human(m.rss)}`,
      `keydir_memory:${keydir}`,
      `collection_indexes:${ctx.store.indexCount()}`,
      `total_system_memory:${os.totalmem()}`,
      `total_system_memory_human:${human(os.totalmem())}`,
      'maxmemory:0',
      'maxmemory_human:0B',
      'maxmemory_policy:noeviction',
    ];
  },
  persistence: (ctx) => {
    const stats = ctx.store.stats();
    const failing = stats.find((st) => st.writeError !== null)?.writeError ?? null;
    const sum = (f: (st: (typeof stats)[number]) => number): number => stats.reduce((a, st) => a + f(st), 0);
    return [
      'loading:0',
      'async_loading:0',
      'rdb_bgsave_in_progress:0',
      `aof_enabled:1`,
      // The log's merges are dynkv's AOF rewrites.
      `aof_rewrite_in_progress:${stats.some((st) => st.merging) ? 1 : 0}`,
      `aof_last_write_status:${failing === null ? 'ok' : 'err'}`,
      `aof_last_bgrewrite_status:${stats.some((st) => st.lastMergeFailed) ? 'err' : 'ok'}`,
      `appendfsync:${ctx.server.config.appendfsync}`,
      `log_live_bytes:${sum((st) => st.liveBytes)}`,
      `log_dead_bytes:${sum((st) => st.deadBytes)}`,
      `log_segments:${sum((st) => st.segments)}`,
      `log_pending_bytes:${sum((st) => st.pendingBytes)}`,
      `log_merges:${sum((st) => st.merges)}`,
      `log_fsyncs:${sum((st) => st.fsyncs)}`,
    ];
  },
  stats: (ctx) => {
    const st = ctx.server.stats;
    return [
      `total_connections_received:${st.connectionsReceived}`,
      `total_commands_processed:${st.commandsProcessed}`,
      `instantaneous_ops_per_sec:${ctx.server.instantaneousOps()}`,
      `total_net_input_bytes:${st.netInputBytes}`,
      `total_net_output_bytes:${st.netOutputBytes}`,
      `rejected_connections:${st.rejectedConnections}`,
      `expired_keys:${st.expiredKeys}`,
      'evicted_keys:0',
      `keyspace_hits:${st.keyspaceHits}`,
      `keyspace_misses:${st.keyspaceMisses}`,
      `total_error_replies:${st.errorReplies}`,
      // Redis 7.0 has no such field; named as Redis 7.2 names it.
      `client_output_buffer_limit_disconnections:${st.outputBufferLimitDisconnections}`,
    ];
  },
  replication: () => ['role:master', 'connected_slaves:0', 'master_failover_state:no-failover', 'master_repl_offset:0', 'repl_backlog_active:0'],
  cpu: () => {
    const u = process.cpuUsage();
    return [`used_cpu_sys:${(u.system / 1e6).toFixed(6)}`, `used_cpu_user:${(u.user / 1e6).toFixed(6)}`];
  },
  commandstats: (ctx) =>
    [...ctx.server.commandStats].map(
      ([name, s]) => `cmdstat_${name}:calls=${s.calls},usec=${Math.round(s.usec)},usec_per_call=${(s.calls === 0 ? 0 : s.usec / s.calls).toFixed(2)},rejected_calls=${s.rejectedCalls},failed_calls=${s.failedCalls}`,
    ),
  // Redis Cluster is off (cluster_enabled:0, as redis-server says); dynkv's own Dynamo cluster follows.
  cluster: (ctx) => {
    const st = ctx.store;
    const c = st.counters;
    const nodes = st.nodes();
    return [
      'cluster_enabled:0',
      `dynamo_node:${st.selfId}`,
      `dynamo_nodes:${nodes.length}`,
      // Down: every peer not usable, auth-failed ones (a different cluster secret) included.
      `dynamo_nodes_down:${nodes.filter((m) => m.state === 'down' || m.state === 'auth-failed').length}`,
      `dynamo_nodes_auth_failed:${nodes.filter((m) => m.state === 'auth-failed').length}`,
      `dynamo_nodes_suspect:${nodes.filter((m) => m.state === 'suspect').length}`,
      `dynamo_n:${st.n}`,
      `dynamo_r:${st.r}`,
      `dynamo_w:${st.w}`,
      `dynamo_read_repairs:${c.readRepairs}`,
      `dynamo_read_repairs_failed:${c.readRepairsFailed}`,
      `dynamo_siblings_pruned:${c.siblingsPruned}`,
      `dynamo_forwarded:${c.forwarded}`,
      `dynamo_forwards_served:${c.forwardsServed}`,
      `dynamo_unavailable:${c.unavailable}`,
      `dynamo_type_clashes:${c.typeClashes}`,
      // One line per other member, as Redis's slave0:ip=...,state=... lines.
      ...nodes.filter((m) => m.state !== 'myself').map((m, i) => `dynamo_peer${i}:id=${m.id},state=${m.state},phi=${m.phi.toFixed(2)}`),
      ...hintLines(st.handoffStats()),
      ...antiEntropyLines(st.antiEntropyStatus()),
      ...maintenanceLines(st.maintenanceCounters),
    ];
  },
  keyspace: (ctx) => {
    const lines: string[] = [];
    for (let db = 0; db < ctx.store.databases; db++) {
      const keys = ctx.store.size(db);
      if (keys > 0) lines.push(`db${db}:keys=${keys},expires=${ctx.store.expiring(db)},avg_ttl=${ctx.server.avgTtl[db] ?? 0}`);
    }
    return lines;
  },
};

/** Hinted handoff: totals, then one line per target this node keeps hints for (as Redis's slaveN lines). */
function hintLines(targets: readonly HintTargetStats[]): string[] {
  let queued = 0;
  let delivered = 0;
  let dropped = 0;
  for (const h of targets) {
    queued += h.queued;
    delivered += h.delivered;
    dropped += h.dropped;
  }
  return [
    `dynamo_hints_queued:${queued}`,
    `dynamo_hints_delivered:${delivered}`,
    `dynamo_hints_dropped:${dropped}`,
    ...targets.map((h, i) => `dynamo_hints_target${i}:node=${h.target},queued=${h.queued},bytes=${h.bytes},delivered=${h.delivered},dropped=${h.dropped}`),
  ];
}

/** INFO cluster's lines for tombstone reaping, flush epochs, the scrubber and repairs of corrupt records. */
function maintenanceLines(m: MaintenanceCounters): string[] {
  return [
    `dynamo_tombstones_reaped:${m.tombstonesReaped}`,
    `dynamo_elements_reclaimed:${m.elementsReclaimed}`,
    `dynamo_tombstones_pushed:${m.tombstonesPushed}`,
    `dynamo_flushes_learned:${m.flushesLearned}`,
    `dynamo_scrubbed_bytes:${m.scrubbedBytes}`,
    `dynamo_corrupt_records:${m.corruptRecords}`,
    `dynamo_corrupt_repaired:${m.corruptRepaired}`,
  ];
}

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'cluster', 'keyspace'];
const ALL_SECTIONS = Object.keys(SECTIONS);

export const info: CommandHandler = (ctx, argv) => {
  let wanted: string[];
  if (argv.length === 1) wanted = DEFAULT_SECTIONS;
  else {
    const asked = argv.slice(1).map((a) => a.toString().toLowerCase());
    if (asked.includes('all') || asked.includes('everything')) wanted = ALL_SECTIONS;
    else if (asked.includes('default')) wanted = DEFAULT_SECTIONS;
    else wanted = ALL_SECTIONS.filter((s) => asked.includes(s));
  }
  const out: string[] = [];
  for (const name of wanted) {
    if (out.length > 0) out.push('');
    out.push(`# ${name === 'commandstats' ? 'Commandstats' : name[0].toUpperCase() + name.slice(1)}`, ...SECTIONS[name](ctx));
  }
  ctx.reply.verbatim(out.length === 0 ? '' : `${out.join('\r\n')}\r\n`);
};
