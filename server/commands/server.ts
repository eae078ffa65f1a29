// server/commands/server.ts — the server group: INFO, CONFIG, TIME,
// FUNCTION FLUSH and COMMAND (COUNT, INFO, DOCS, LIST), the last answered
// from the command table's metadata (DOCS from its data in docs.ts).
import os from 'node:os';
import { settings, ConfigError } from '../config';
import { CommandError, ERR, quoted } from '../errors';
import { nowMicros } from '../clock';
import { redisVersion, version } from '../version';
import { commandTable } from './table';
import { globMatch } from '../glob';
import { container } from './subcommands';
import { commandDocs } from './docs';
import type { CommandArg, CommandContext, CommandFlag, CommandHandler, CommandSpec, KeySpec } from './types';
import type { ReplyWriter } from '../../protocol/writer';

function spec(name: string, arity: number, flags: readonly CommandFlag[], categories: readonly string[], handler: CommandHandler, tips?: string[]): CommandSpec {
  return { name, arity, flags, firstKey: 0, lastKey: 0, step: 0, categories, handler, tips };
}

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
      'aof_rewrite_in_progress:0',
      `aof_last_write_status:${failing === null ? 'ok' : 'err'}`,
      `aof_last_bgrewrite_status:ok`,
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
      `dynamo_n:${st.n}`,
      `dynamo_r:${st.r}`,
      `dynamo_w:${st.w}`,
      `dynamo_read_repairs:${c.readRepairs}`,
      `dynamo_read_repairs_failed:${c.readRepairsFailed}`,
      `dynamo_siblings_pruned:${c.siblingsPruned}`,
      `dynamo_forwarded:${c.forwarded}`,
      `dynamo_forwards_served:${c.forwardsServed}`,
      `dynamo_unavailable:${c.unavailable}`,
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

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'cluster', 'keyspace'];
const ALL_SECTIONS = Object.keys(SECTIONS);

const info: CommandHandler = (ctx, argv) => {
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

/** Redis's glob for CONFIG GET patterns: enough for * and ?. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

/** Redis's CONFIG SET error for a setting it found: `arg` is the name as sent (bad name) or its own (bad value). */
function configSetFailed(arg: string, why: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${arg}') - ${why}`;
}

const configSubs: CommandSpec[] = [
  spec('config|get', -3, ['admin', 'noscript', 'loading', 'stale'], ['admin', 'slow', 'dangerous'], (ctx, argv) => {
    const found = new Map<string, string>();
    for (const pattern of argv.slice(2)) {
      const text = pattern.toString();
      const exact = settings[text.toLowerCase()];
      if (!/[*?[]/.test(text)) {
        // A plain name comes back as it was asked (Redis does so); a setting without get (the cluster secret) never does.
        if (exact?.get !== undefined) found.set(text, exact.get(ctx.server.config));
        continue;
      }
      const re = globToRegExp(text);
      for (const [name, s] of Object.entries(settings)) if (s.get !== undefined && re.test(name)) found.set(name, s.get(ctx.server.config));
    }
    ctx.reply.mapHeader(found.size);
    for (const [k, v] of found) {
      ctx.reply.bulk(k);
      ctx.reply.bulk(v);
    }
  }),
  spec('config|set', -4, ['admin', 'noscript', 'loading', 'stale'], ['admin', 'slow', 'dangerous'], (ctx, argv) => {
    if (argv.length % 2 !== 0) throw new CommandError(ERR.syntax);
    // As Redis: every name is checked before any value (the first unknown name wins), then the values in order.
    const chosen: string[] = [];
    let unknown: Buffer | null = null;
    for (let i = 2; i < argv.length; i += 2) {
      const name = argv[i].toString('latin1').toLowerCase();
      const s = settings[name];
      if (s === undefined) unknown ??= argv[i];
      else if (!s.mutable || chosen.includes(name)) {
        if (unknown !== null) break;
        throw new CommandError(configSetFailed(quoted(argv[i]), s.mutable ? 'duplicate parameter' : "can't set immutable config"));
      } else chosen.push(name);
    }
    if (unknown !== null) throw new CommandError(`ERR Unknown option or number of arguments for CONFIG SET - '${quoted(unknown)}'`);
    const next = { ...ctx.server.config };
    for (let i = 0; i < chosen.length; i++) {
      const s = settings[chosen[i]];
      try {
        const value = argv[3 + 2 * i].toString();
        s.set(next, s.words === true ? value.split(' ').filter((w) => w !== '') : [value]);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        throw new CommandError(configSetFailed(chosen[i], err.message.replace(/ for '.*'$/, '')));
      }
    }
    if (next.appendfsync !== ctx.server.config.appendfsync) ctx.store.setFsync(next.appendfsync);
    ctx.server.config = next;
    ctx.reply.ok();
  }, ['request_policy:all_nodes', 'response_policy:all_succeeded']),
  spec('config|resetstat', 2, ['admin', 'noscript', 'loading', 'stale'], ['admin', 'slow', 'dangerous'], (ctx) => {
    ctx.server.commandStats.clear();
    for (const k of Object.keys(ctx.server.stats) as (keyof typeof ctx.server.stats)[]) ctx.server.stats[k] = 0;
    ctx.reply.ok();
  }),
];

function writeFlags(r: ReplyWriter, flags: readonly string[]): void {
  r.setHeader(flags.length);
  for (const f of flags) r.simple(f);
}

function keySpecsOf(s: CommandSpec): readonly KeySpec[] {
  if (s.keySpecs !== undefined) return s.keySpecs;
  if (s.firstKey <= 0) return [];
  const lastKey = s.lastKey < 0 ? s.lastKey : s.lastKey - s.firstKey;
  return [{ flags: s.keySpecFlags ?? [], index: s.firstKey, lastKey, keyStep: s.step }];
}

function writeCommandInfo(r: ReplyWriter, s: CommandSpec): void {
  r.arrayHeader(10);
  r.bulk(s.name);
  r.integer(s.arity);
  writeFlags(r, s.flags);
  r.integer(s.firstKey);
  r.integer(s.lastKey);
  r.integer(s.step);
  writeFlags(r, s.categories.map((c) => `@${c}`));
  r.setHeader(s.tips?.length ?? 0);
  for (const t of s.tips ?? []) r.bulk(t);
  // As Redis: key specs are a set; subcommands a set when there are none, else an array.
  const specs = keySpecsOf(s);
  r.setHeader(specs.length);
  for (const k of specs) {
    r.mapHeader(k.notes === undefined ? 3 : 4);
    if (k.notes !== undefined) {
      r.bulk('notes');
      r.bulk(k.notes);
    }
    r.bulk('flags');
    writeFlags(r, k.flags);
    r.bulk('begin_search');
    r.mapHeader(2);
    r.bulk('type');
    r.bulk('index');
    r.bulk('spec');
    r.mapHeader(1);
    r.bulk('index');
    r.integer(k.index);
    r.bulk('find_keys');
    r.mapHeader(2);
    r.bulk('type');
    r.bulk('range');
    r.bulk('spec');
    r.mapHeader(3);
    r.bulk('lastkey');
    r.integer(k.lastKey);
    r.bulk('keystep');
    r.integer(k.keyStep);
    r.bulk('limit');
    r.integer(0);
  }
  const subs = s.subcommands ?? [];
  if (subs.length === 0) r.setHeader(0);
  else r.arrayHeader(subs.length);
  for (const sub of subs) writeCommandInfo(r, sub);
}

/** A map field: its name and how to write its value, or undefined when the field is absent. */
type Field = [string, (() => void) | undefined];

function field<T>(name: string, value: T | undefined, write: (v: T) => void): Field {
  return [name, value === undefined ? undefined : () => write(value)];
}

/** Writes a map of the present fields, in the order given. */
function writeFields(r: ReplyWriter, fields: readonly Field[]): void {
  const present = fields.filter((f): f is [string, () => void] => f[1] !== undefined);
  r.mapHeader(present.length);
  for (const [name, write] of present) {
    r.bulk(name);
    write();
  }
}

/** COMMAND DOCS arguments, each a map in Redis 7.0's field order; oneof and block list their members. */
function writeDocArgs(r: ReplyWriter, args: readonly CommandArg[]): void {
  r.arrayHeader(args.length);
  const bulk = (v: string): void => r.bulk(v);
  for (const a of args) {
    writeFields(r, [
      field('name', a.name, bulk),
      field('type', a.type, bulk),
      field('key_spec_index', a.keySpecIndex, (v) => r.integer(v)),
      field('token', a.token, bulk),
      field('summary', a.summary, bulk),
      field('since', a.since, bulk),
      field('deprecated_since', a.deprecatedSince, bulk),
      field('flags', a.flags, (v) => writeFlags(r, v)),
      field('arguments', a.arguments, (v) => writeDocArgs(r, v)),
    ]);
  }
}

/** One command's COMMAND DOCS map (data in docs.ts), in Redis 7.0's field order, subcommands nested. */
function writeCommandDocs(r: ReplyWriter, s: CommandSpec): void {
  const d = commandDocs[s.name];
  const bulk = (v: string): void => r.bulk(v);
  const subs = s.subcommands !== undefined && s.subcommands.length > 0 ? s.subcommands : undefined;
  writeFields(r, [
    field('summary', d.summary, bulk),
    field('since', d.since, bulk),
    field('group', d.group, bulk),
    field('complexity', d.complexity, bulk),
    field('doc_flags', d.docFlags, (v) => writeFlags(r, v)),
    field('deprecated_since', d.deprecatedSince, bulk),
    field('replaced_by', d.replacedBy, bulk),
    field('history', d.history, (v) => {
      r.setHeader(v.length);
      for (const [version, change] of v) r.bulkArray([version, change]);
    }),
    field('arguments', d.arguments, (v) => writeDocArgs(r, v)),
    field('subcommands', subs, (v) => {
      r.mapHeader(v.length);
      for (const sub of v) {
        r.bulk(sub.name);
        writeCommandDocs(r, sub);
      }
    }),
  ]);
}

function findSpec(name: string): CommandSpec | undefined {
  const [top, sub] = name.toLowerCase().split('|');
  const s = commandTable.get(top);
  return sub === undefined ? s : s?.subcommands?.find((x) => x.name === `${top}|${sub}`);
}

const commandSubs: CommandSpec[] = [
  spec('command|count', 2, ['loading', 'stale'], ['slow', 'connection'], (ctx) => ctx.reply.integer(commandTable.size)),
  spec('command|list', -2, ['loading', 'stale'], ['slow', 'connection'], (ctx, argv) => {
    let names = [...commandTable.values()].flatMap((c) => [c.name, ...(c.subcommands ?? []).map((sub) => sub.name)]);
    if (argv.length > 2) {
      if (argv.length !== 5 || argv[2].toString().toLowerCase() !== 'filterby') throw new CommandError(ERR.syntax);
      const by = argv[3].toString().toLowerCase();
      const arg = argv[4].toString();
      if (by === 'pattern') names = names.filter((n) => globMatch(Buffer.from(arg), Buffer.from(n)));
      else if (by === 'aclcat') names = names.filter((n) => findSpec(n)?.categories.includes(arg.toLowerCase()) === true);
      else if (by === 'module') names = [];
      else throw new CommandError(ERR.syntax);
    }
    ctx.reply.bulkArray(names);
  }, ['nondeterministic_output_order']),
  spec('command|info', -2, ['loading', 'stale'], ['slow', 'connection'], (ctx, argv) => {
    const specs = argv.length === 2 ? [...commandTable.values()] : argv.slice(2).map((a) => findSpec(a.toString()));
    ctx.reply.arrayHeader(specs.length);
    for (const s of specs) {
      if (s === undefined) ctx.reply.nullBulk();
      else writeCommandInfo(ctx.reply, s);
    }
  }, ['nondeterministic_output_order']),
  spec('command|docs', -2, ['loading', 'stale'], ['slow', 'connection'], (ctx, argv) => {
    const specs = (argv.length === 2 ? [...commandTable.values()] : argv.slice(2).map((a) => findSpec(a.toString()))).filter((s): s is CommandSpec => s !== undefined);
    ctx.reply.mapHeader(specs.length);
    for (const s of specs) {
      ctx.reply.bulk(s.name);
      writeCommandDocs(ctx.reply, s);
    }
  }, ['nondeterministic_output_order']),
];

const commandRouter = container('command', commandSubs);

export const serverCommands: CommandSpec[] = [
  spec('info', -1, ['loading', 'stale'], ['slow', 'dangerous'], info, ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special']),
  container('config', configSubs),
  spec('time', 1, ['loading', 'stale', 'fast'], ['fast'], (ctx) => {
    const us = nowMicros();
    ctx.reply.bulkArray([String(Math.floor(us / 1e6)), String(us % 1e6)]);
  }, ['nondeterministic_output']),
  container('function', [
    spec('function|flush', -2, ['write', 'noscript'], ['write', 'slow', 'scripting'], (ctx, argv) => {
      if (argv.length > 3) throw new CommandError("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.");
      if (argv.length === 3 && !['async', 'sync'].includes(argv[2].toString().toLowerCase())) throw new CommandError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
      ctx.reply.ok(); // no functions can exist: there is nothing to flush
    }, ['request_policy:all_shards', 'response_policy:all_succeeded']),
  ]),
  {
    ...commandRouter,
    arity: -1,
    flags: ['loading', 'stale'],
    categories: ['slow', 'connection'],
    tips: ['nondeterministic_output_order'],
    // COMMAND alone (with a subcommand, the dispatcher runs the subcommand's spec).
    handler: (ctx) => {
      ctx.reply.arrayHeader(commandTable.size);
      for (const s of commandTable.values()) writeCommandInfo(ctx.reply, s);
    },
  },
];
