// server/commands/server.ts — the server group: INFO, CONFIG, TIME,
// FUNCTION FLUSH and COMMAND (COUNT, INFO, DOCS, LIST), the last answered
// from the command table's metadata.
import os from 'node:os';
import { settings, ConfigError } from '../config';
import { CommandError, ERR } from '../errors';
import { redisVersion, version } from '../version';
import { commandTable } from './index';
import { globMatch } from '../glob';
import { container } from './subcommands';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec, KeySpec } from './types';
import type { ReplyWriter } from '../../protocol/writer';

function spec(name: string, arity: number, flags: readonly CommandFlag[], categories: readonly string[], summary: string, since: string, group: string, handler: CommandHandler, tips?: string[], complexity = 'O(1)'): CommandSpec {
  return { name, arity, flags, firstKey: 0, lastKey: 0, step: 0, categories, summary, since, group, complexity, handler, tips };
}

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
      `arch_bits:64`,
      `process_id:${process.pid}`,
      `run_id:${s.runId}`,
      `tcp_port:${s.config.port}`,
      `server_time_usec:${Date.now() * 1000}`,
      `uptime_in_seconds:${uptime}`,
      `uptime_in_days:${Math.floor(uptime / 86400)}`,
      `executable:${process.argv[1] ?? ''}`,
      `config_file:${s.config.configFile}`,
    ];
  },
  clients: (ctx) => [`connected_clients:${ctx.server.clients.size}`, `maxclients:${ctx.server.config.maxclients}`, 'blocked_clients:0', 'tracking_clients:0'],
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
  keyspace: (ctx) => {
    const lines: string[] = [];
    for (let db = 0; db < ctx.store.databases; db++) {
      const keys = ctx.store.size(db);
      if (keys > 0) lines.push(`db${db}:keys=${keys},expires=${ctx.store.expiring(db)},avg_ttl=0`);
    }
    return lines;
  },
};

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'keyspace'];
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

const configSubs: CommandSpec[] = [
  spec('config|get', -3, ['admin', 'noscript', 'loading', 'stale'], ['admin', 'slow', 'dangerous'], 'Get the values of configuration parameters', '2.0.0', 'server', (ctx, argv) => {
    const found = new Map<string, string>();
    for (const pattern of argv.slice(2)) {
      const text = pattern.toString();
      const exact = settings[text.toLowerCase()];
      if (!/[*?[]/.test(text)) {
        // A plain name comes back as it was asked (Redis does so).
        if (exact !== undefined) found.set(text, exact.get(ctx.server.config));
        continue;
      }
      const re = globToRegExp(text);
      for (const [name, s] of Object.entries(settings)) if (re.test(name)) found.set(name, s.get(ctx.server.config));
    }
    ctx.reply.mapHeader(found.size);
    for (const [k, v] of found) {
      ctx.reply.bulk(k);
      ctx.reply.bulk(v);
    }
  }, undefined, 'O(N) when N is the number of configuration parameters provided'),
  spec('config|set', -4, ['admin', 'noscript', 'loading', 'stale'], ['admin', 'slow', 'dangerous'], 'Set configuration parameters to the given values', '2.0.0', 'server', (ctx, argv) => {
    if (argv.length % 2 !== 0) throw new CommandError(ERR.syntax);
    const next = { ...ctx.server.config };
    for (let i = 2; i < argv.length; i += 2) {
      const name = argv[i].toString().toLowerCase();
      const s = settings[name];
      if (s === undefined) throw new CommandError(`ERR Unknown option or number of arguments for CONFIG SET - '${argv[i].toString()}'`);
      if (!s.mutable) throw new CommandError(`ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`);
      try {
        const value = argv[i + 1].toString();
        s.set(next, s.words === true ? value.split(' ').filter((w) => w !== '') : [value]);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        throw new CommandError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${err.message.replace(/ for '.*'$/, '')}`);
      }
    }
    if (next.appendfsync !== ctx.server.config.appendfsync) ctx.store.setFsync(next.appendfsync);
    ctx.server.config = next;
    ctx.reply.ok();
  }, ['request_policy:all_nodes', 'response_policy:all_succeeded'], 'O(N) when N is the number of configuration parameters provided'),
  spec('config|resetstat', 2, ['admin', 'noscript', 'loading', 'stale'], ['admin', 'slow', 'dangerous'], 'Reset the stats returned by INFO', '2.0.0', 'server', (ctx) => {
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

function writeCommandDocs(r: ReplyWriter, s: CommandSpec): void {
  const fields: [string, string | undefined][] = [
    ['summary', s.summary],
    ['since', s.since],
    ['group', s.group],
    ['complexity', s.complexity],
  ];
  const present = fields.filter(([, v]) => v !== undefined);
  const subs = s.subcommands ?? [];
  const args = s.arguments?.filter((a) => a.type !== 'oneof' && a.type !== 'block');
  r.mapHeader(present.length + (args !== undefined ? 1 : 0) + (subs.length > 0 ? 1 : 0));
  for (const [k, v] of present) {
    r.bulk(k);
    r.bulk(v as string);
  }
  // Argument groups (oneof, block) need their members listed for redis-cli to read them: left out.
  if (args !== undefined) {
    r.bulk('arguments');
    r.arrayHeader(args.length);
    for (const a of args) {
      r.mapHeader(a.flags !== undefined ? 3 : 2);
      r.bulk('name');
      r.bulk(a.name);
      r.bulk('type');
      r.bulk(a.type);
      if (a.flags !== undefined) {
        r.bulk('flags');
        writeFlags(r, a.flags);
      }
    }
  }
  if (subs.length > 0) {
    r.bulk('subcommands');
    r.mapHeader(subs.length);
    for (const sub of subs) {
      r.bulk(sub.name);
      writeCommandDocs(r, sub);
    }
  }
}

function findSpec(name: string): CommandSpec | undefined {
  const [top, sub] = name.toLowerCase().split('|');
  const s = commandTable.get(top);
  return sub === undefined ? s : s?.subcommands?.find((x) => x.name === `${top}|${sub}`);
}

const commandSubs: CommandSpec[] = [
  spec('command|count', 2, ['loading', 'stale'], ['slow', 'connection'], 'Get total number of Redis commands', '2.8.13', 'server', (ctx) => ctx.reply.integer(commandTable.size)),
  spec('command|list', -2, ['loading', 'stale'], ['slow', 'connection'], 'Get an array of Redis command names', '7.0.0', 'server', (ctx, argv) => {
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
  }, ['nondeterministic_output_order'], 'O(N) where N is the total number of Redis commands'),
  spec('command|info', -2, ['loading', 'stale'], ['slow', 'connection'], 'Get array of specific Redis command details, or all when no argument is given.', '2.8.13', 'server', (ctx, argv) => {
    const specs = argv.length === 2 ? [...commandTable.values()] : argv.slice(2).map((a) => findSpec(a.toString()));
    ctx.reply.arrayHeader(specs.length);
    for (const s of specs) {
      if (s === undefined) ctx.reply.nullBulk();
      else writeCommandInfo(ctx.reply, s);
    }
  }, ['nondeterministic_output_order'], 'O(N) where N is the number of commands to look up'),
  spec('command|docs', -2, ['loading', 'stale'], ['slow', 'connection'], 'Get array of specific Redis command documentation', '7.0.0', 'server', (ctx, argv) => {
    const specs = (argv.length === 2 ? [...commandTable.values()] : argv.slice(2).map((a) => findSpec(a.toString()))).filter((s): s is CommandSpec => s !== undefined);
    ctx.reply.mapHeader(specs.length);
    for (const s of specs) {
      ctx.reply.bulk(s.name);
      writeCommandDocs(ctx.reply, s);
    }
  }, ['nondeterministic_output_order'], 'O(N) where N is the number of commands to look up'),
];

const commandRouter = container('command', 'Get array of Redis command details', '2.8.13', 'server', commandSubs, 'O(N) where N is the total number of Redis commands');

export const serverCommands: CommandSpec[] = [
  spec('info', -1, ['loading', 'stale'], ['slow', 'dangerous'], 'Get information and statistics about the server', '1.0.0', 'server', info, ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special']),
  container('config', 'A container for server configuration commands', '2.0.0', 'server', configSubs),
  spec('time', 1, ['loading', 'stale', 'fast'], ['fast'], 'Return the current server time', '2.6.0', 'server', (ctx) => {
    const us = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() * 1000) % 1000));
    ctx.reply.bulkArray([String(us / 1000000n), String(us % 1000000n)]);
  }, ['nondeterministic_output']),
  container('function', 'A container for function commands', '7.0.0', 'scripting', [
    spec('function|flush', -2, ['write', 'noscript'], ['write', 'slow', 'scripting'], 'Deleting all functions', '7.0.0', 'scripting', (ctx, argv) => {
      if (argv.length > 3) throw new CommandError("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.");
      if (argv.length === 3 && !['async', 'sync'].includes(argv[2].toString().toLowerCase())) throw new CommandError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
      ctx.reply.ok(); // no functions can exist: there is nothing to flush
    }, ['request_policy:all_shards', 'response_policy:all_succeeded'], 'O(N) where N is the number of functions deleted'),
  ]),
  {
    ...commandRouter,
    arity: -1,
    flags: ['loading', 'stale'],
    categories: ['slow', 'connection'],
    tips: ['nondeterministic_output_order'],
    handler: (ctx, argv) => {
      if (argv.length === 1) {
        ctx.reply.arrayHeader(commandTable.size);
        for (const s of commandTable.values()) writeCommandInfo(ctx.reply, s);
      } else commandRouter.handler(ctx, argv);
    },
  },
];
