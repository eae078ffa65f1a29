// redis-compat/scripts/server.ts — the server group: COMMAND COUNT/LIST/
// INFO/DOCS compared per command dynkv has, CONFIG GET/SET of the issue's
// settings, INFO's sections and fields (values that vary are masked), TIME's
// shape, FUNCTION FLUSH.
import type { Reply } from '../raw-client';
import { all, c, mask, maskField, unordered, unorderedPairs, type Normalizer, type Script, type Step } from '../harness';

/** The commands of the issue (and so of dynkv), as COMMAND LIST names them. */
export const ISSUE_COMMANDS = [
  'ping', 'echo', 'quit', 'reset', 'hello', 'auth', 'select', 'client', 'command', 'info', 'config', 'dbsize', 'flushdb', 'flushall', 'time', 'function',
  'multi', 'exec', 'discard', 'watch', 'unwatch',
  'get', 'set', 'setnx', 'setex', 'psetex', 'getset', 'getdel', 'getex', 'mget', 'mset', 'msetnx', 'append', 'strlen', 'incr', 'decr', 'incrby', 'decrby',
  'incrbyfloat', 'getrange', 'substr', 'setrange', 'lcs', 'getbit', 'setbit', 'bitcount', 'bitpos',
  'del', 'unlink', 'exists', 'type', 'expire', 'pexpire', 'expireat', 'pexpireat', 'ttl', 'pttl', 'expiretime', 'pexpiretime', 'persist', 'keys', 'scan',
  'randomkey', 'rename', 'renamenx', 'copy', 'move', 'touch', 'object',
  'shutdown',
  'pfadd', 'pfcount', 'pfmerge', 'pfdebug', 'pfselftest', 'bitop', 'bitfield', 'bitfield_ro',
];

/** Subcommands of the issue (and OBJECT HELP), per container; CLIENT SETINFO is redis 7.2's (see connection.ts), so not compared. */
const SUBCOMMANDS: Record<string, string[]> = {
  client: ['id', 'setname', 'getname', 'list', 'info', 'kill', 'no-evict'],
  command: ['count', 'info', 'docs', 'list'],
  config: ['get', 'set'],
  function: ['flush'],
  object: ['encoding', 'freq', 'idletime', 'refcount', 'help'],
};

const name = (r: Reply | undefined): string => r?.data?.toString() ?? r?.text ?? '';

/** Commands and subcommands of the issue, as COMMAND LIST names them (it lists subcommands as 'client|id'). */
const ISSUE_NAMES = new Set([...ISSUE_COMMANDS, ...Object.entries(SUBCOMMANDS).flatMap(([c, subs]) => subs.map((s) => `${c}|${s}`))]);

/** Keeps only the issue's names of a COMMAND LIST reply, sorted. */
const onlyIssueCommands: Normalizer = (r, p) => unordered(r.items ? { ...r, items: r.items.filter((x) => ISSUE_NAMES.has(name(x))) } : r, p);

/** COMMAND INFO of a container: keeps the subcommands of the issue (redis has more), sorted (redis's order is its hash order). */
function infoSubs(container: string): Normalizer {
  const keep = new Set(SUBCOMMANDS[container].map((s) => `${container}|${s}`));
  return (r) => {
    const entry = r.items?.[0];
    const subs = entry?.items?.[9];
    if (!entry?.items || !subs?.items) return r;
    const items = [...entry.items];
    const kept = subs.items.filter((s) => keep.has(name(s.items?.[0])));
    items[9] = { ...subs, items: kept.sort((a, b) => (name(a.items?.[0]) < name(b.items?.[0]) ? -1 : 1)) };
    return { ...r, items: [{ ...entry, items }] };
  };
}

/** Keeps the map entries (name, value) of a COMMAND DOCS reply whose name is the issue's; sorted by name when `sort`. */
function issueEntries(items: Reply[], sort: boolean): Reply[] {
  const kept: Reply[][] = [];
  for (let i = 0; i + 1 < items.length; i += 2) if (ISSUE_NAMES.has(name(items[i]))) kept.push([items[i], items[i + 1]]);
  if (sort) kept.sort((a, b) => (name(a[0]) < name(b[0]) ? -1 : 1));
  return kept.flat();
}

/** One command's COMMAND DOCS map: its subcommands field keeps the issue's, sorted (redis has more, in its hash order). */
function docsWithIssueSubs(doc: Reply): Reply {
  if (!doc.items) return doc;
  const fields = [...doc.items];
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (name(fields[i]) === 'subcommands' && fields[i + 1].items) fields[i + 1] = { ...fields[i + 1], items: issueEntries(fields[i + 1].items ?? [], true) };
  return { ...doc, items: fields };
}

/**
 * COMMAND DOCS: compared whole (argument trees, history, doc flags), except
 * that a container's subcommands keep only the issue's (CLIENT SETINFO is
 * redis 7.2's, redis 7.0 has subcommands dynkv lacks), sorted. Without names
 * COMMAND DOCS gives every command: only the issue's are kept, sorted.
 */
function docsNorm(allCommands: boolean): Normalizer {
  return (r) => {
    if (!r.items) return r;
    const items = allCommands ? issueEntries(r.items, true) : r.items;
    const out: Reply[] = [];
    for (let i = 0; i + 1 < items.length; i += 2) out.push(items[i], docsWithIssueSubs(items[i + 1]));
    return { ...r, items: out };
  };
}

function commandSteps(): Step[] {
  const steps: Step[] = [];
  for (const cmd of ISSUE_COMMANDS) {
    const container = SUBCOMMANDS[cmd] !== undefined;
    steps.push({ cmd: ['COMMAND', 'INFO', cmd], norm: container ? infoSubs(cmd) : undefined });
    steps.push(container ? { cmd: ['COMMAND', 'DOCS', cmd], norm: docsNorm(false) } : c('COMMAND', 'DOCS', cmd));
    for (const sub of SUBCOMMANDS[cmd] ?? []) {
      steps.push(c('COMMAND', 'INFO', `${cmd}|${sub}`));
      steps.push(c('COMMAND', 'DOCS', `${cmd}|${sub}`));
    }
  }
  return steps;
}

/** INFO fields compared with their values; the others are compared by presence only. */
const INFO_EXACT = new Set([
  'redis_mode', 'arch_bits', 'connected_clients', 'maxclients', 'blocked_clients', 'tracking_clients', 'maxmemory', 'maxmemory_human', 'maxmemory_policy',
  'loading', 'async_loading', 'rdb_bgsave_in_progress', 'aof_rewrite_in_progress', 'aof_last_write_status', 'aof_last_bgrewrite_status',
  'total_connections_received', 'rejected_connections', 'expired_keys', 'evicted_keys', 'keyspace_hits', 'keyspace_misses', 'total_error_replies',
  'role', 'connected_slaves', 'master_failover_state', 'master_repl_offset', 'repl_backlog_active',
]);
/**
 * INFO fields clients and tools read: both servers must have them, but
 * their values are masked, each for its reason:
 */
const INFO_FIELDS = new Set([
  ...INFO_EXACT,
  'redis_version', // Debian's redis-server may report another 7.0.x; dynkv's own is checked by a step below
  'os', // the same machine, but dynkv reports what Node's os module says, Redis what uname(2) says
  'process_id', 'run_id', 'tcp_port', 'executable', 'config_file', // two processes: their own pid, random id, port, binary and arguments
  'uptime_in_seconds', 'uptime_in_days', 'server_time_usec', // the servers started, and answer, at different instants
  // memory: two implementations of the store hold the same keys in different amounts of memory
  'used_memory', 'used_memory_human', 'used_memory_rss', 'used_memory_rss_human',
  'total_system_memory', 'total_system_memory_human', // the same machine, but Node's os.totalmem() and Redis's sysconf count it apart
  // counts of the whole run, whose intended differences (replies of other lengths, commands refused on one side only) add up in them
  'total_commands_processed', 'total_net_input_bytes', 'total_net_output_bytes',
  'instantaneous_ops_per_sec', 'used_cpu_sys', 'used_cpu_user', // rates and CPU time: measurements of each process, at its own instants
]);
/** Sections of the issue (plus CPU, which both have). Redis's others (modules, errorstats, cluster) are not compared. */
const INFO_SECTIONS = new Set(['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'keyspace', 'commandstats']);

/** Reduces an INFO text to its compared part: section headers, known fields (values masked unless stable), keyspace and commandstats lines. */
export function infoShape(text: string): string {
  const out: string[] = [];
  let section = '';
  let lines: string[] = [];
  const flush = (): void => {
    if (INFO_SECTIONS.has(section)) out.push(`# ${section}`, ...lines.sort());
    lines = [];
  };
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      flush();
      section = line.slice(2).toLowerCase();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1);
    // avg_ttl: each server's active expiry samples the TTLs at its own moments (a running estimate), so the figures differ.
    if (section === 'keyspace') lines.push(line.replace(/avg_ttl=\d+/, 'avg_ttl=*'));
    // usec and usec_per_call: time each process spent, a measurement of its own.
    else if (section === 'commandstats') lines.push(line.replace(/usec=\d+/, 'usec=*').replace(/usec_per_call=[\d.]+/, 'usec_per_call=*'));
    else if (INFO_EXACT.has(field)) lines.push(`${field}:${value}`);
    else if (INFO_FIELDS.has(field)) lines.push(`${field}:*`);
  }
  flush();
  return out.join('\n');
}

const infoNorm: Normalizer = (r) => {
  if (r.data === undefined) return r;
  const verbatim = r.type === '=';
  const body = r.data.toString().slice(verbatim ? 4 : 0);
  return { ...r, data: Buffer.from((verbatim ? 'txt:' : '') + infoShape(body)) };
};

/** Keeps one INFO line (for the explicit dynkv expectations). */
function infoLine(field: string): Normalizer {
  return (r) => (r.data === undefined ? r : { type: '$', data: Buffer.from(new RegExp(`^${field}:.*$`, 'm').exec(r.data.toString())?.[0].trimEnd() ?? `<no ${field}>`) });
}

/** TIME: two bulk strings, seconds close to now, microseconds below 1e6 (the servers answer at different instants, so the values are not compared). */
const timeNorm: Normalizer = (r) => {
  if (!r.items || r.items.length !== 2) return r;
  const [s, us] = r.items.map((x) => x.data?.toString() ?? '');
  const nowOk = /^\d+$/.test(s) && Math.abs(Number(s) - Date.now() / 1000) < 5;
  const usOk = /^\d{1,6}$/.test(us);
  return { ...r, items: [{ type: '$', data: Buffer.from(nowOk ? '<now>' : s) }, { type: '$', data: Buffer.from(usOk ? '<usec>' : us) }] };
};

/** CONFIG GET: each server has its own port and data directory (the harness gives them); the order of a pattern's matches is unspecified. */
const configNorm = all(unorderedPairs, maskField('port'), maskField('dir'));

export const server: Script = {
  name: 'server',
  // Redis lowers maxclients to fit `ulimit -n`; a fixed value keeps CONFIG GET comparable on any machine.
  serverArgs: ['--maxclients', '1000'],
  steps: [
    // COMMAND
    // COMMAND COUNT counts top-level commands; COMMAND LIST also lists subcommands ('client|id').
    {
      cmd: ['COMMAND', 'COUNT', '=', 'top-level names in', 'COMMAND', 'LIST'],
      run: async (cl) => {
        const count = await cl.call(['COMMAND', 'COUNT']);
        const list = await cl.call(['COMMAND', 'LIST']);
        const n = list?.items?.filter((x) => !name(x).includes('|')).length ?? -1;
        return count?.type === ':' && Number(count.text) === n ? { type: '+', text: 'COUNT matches LIST' } : { type: '-', text: `COUNT ${count?.text} but LIST has ${n} top-level names` };
      },
    },
    c('COMMAND', 'COUNT', 'x'),
    { cmd: ['COMMAND', 'LIST'], norm: onlyIssueCommands },
    { cmd: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'get*'], norm: unordered },
    c('COMMAND', 'LIST', 'FILTERBY', 'FOO', 'x'),
    c('COMMAND', 'INFO', 'nosuchcommand'),
    c('COMMAND', 'INFO', 'get', 'nosuchcommand', 'SET'),
    c('COMMAND', 'DOCS', 'nosuchcommand'),
    c('COMMAND', 'DOCS', 'GET', 'nosuchcommand', 'set', 'Client|List'),
    { cmd: ['COMMAND', 'DOCS', 'get', 'object', 'config|get'], norm: docsNorm(false) },
    { cmd: ['COMMAND', 'DOCS'], norm: docsNorm(true) },
    c('COMMAND', 'FOO'),
    ...commandSteps(),
    // CONFIG GET / SET of the issue's settings
    { cmd: ['CONFIG', 'GET', 'port'], norm: configNorm },
    { cmd: ['CONFIG', 'GET', 'dir'], norm: configNorm },
    c('CONFIG', 'GET', 'bind'),
    c('CONFIG', 'GET', 'appendfsync'),
    c('CONFIG', 'GET', 'requirepass'),
    c('CONFIG', 'GET', 'maxclients'),
    c('CONFIG', 'GET', 'proto-max-bulk-len'),
    c('CONFIG', 'GET', 'save'),
    c('CONFIG', 'GET', 'protected-mode'),
    c('CONFIG', 'GET', 'databases'),
    // dynkv's log is the store: it always persists, whatever appendonly says.
    { cmd: ['CONFIG', 'GET', 'appendonly'], dynkv: (p) => (p === 3 ? '{"appendonly" => "yes"}' : '["appendonly", "yes"]'), why: 'the test starts redis-server with --appendonly no; dynkv always logs (appendonly yes)' },
    { cmd: ['CONFIG', 'GET', 'maxclients', 'appendfsync', 'save'], norm: configNorm },
    { cmd: ['CONFIG', 'GET', 'proto-max-*'], norm: configNorm },
    { cmd: ['CONFIG', 'GET', 'MAXCLIENTS'], norm: configNorm },
    c('CONFIG', 'GET', 'nosuchsetting'),
    c('CONFIG', 'GET'),
    c('CONFIG', 'SET', 'maxclients', '500'),
    c('CONFIG', 'GET', 'maxclients'),
    c('CONFIG', 'SET', 'maxclients', 'abc'),
    c('CONFIG', 'SET', 'maxclients', '0'),
    c('CONFIG', 'SET', 'maxclients', '1000', 'save', ''),
    { cmd: ['CONFIG', 'GET', 'maxclients', 'save'], norm: configNorm },
    // settings dynkv cannot honour are refused, never accepted and ignored
    {
      cmd: ['CONFIG', 'SET', 'save', '3600 1'],
      dynkv: `-ERR CONFIG SET failed (possibly related to argument 'save') - dynkv takes no RDB snapshots: only save "" is accepted`,
      why: 'dynkv takes no RDB snapshots: its log is the store',
    },
    c('CONFIG', 'SET', 'save', ''),
    {
      cmd: ['CONFIG', 'SET', 'appendonly', 'no'],
      dynkv: "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - dynkv cannot turn appendonly off: the append-only log is its store",
      why: 'the append-only log is dynkv\'s store: it cannot be turned off',
    },
    // names are all checked before values: an unknown name wins over a bad value, as does an immutable or repeated one met first
    c('CONFIG', 'SET', 'appendfsync', 'sometimes', 'nosuch', '1'),
    c('CONFIG', 'SET', 'nosuch', '1', 'databases', '20'),
    c('CONFIG', 'SET', 'DATABASES', '20', 'nosuch', '1'),
    c('CONFIG', 'SET', 'maxclients', '10', 'MaxClients', '20'),
    c('CONFIG', 'SET', 'APPENDFSYNC', 'sometimes'),
    c('CONFIG', 'GET', 'maxclients'),
    c('CONFIG', 'SET', 'appendfsync', 'always'),
    c('CONFIG', 'GET', 'appendfsync'),
    c('CONFIG', 'SET', 'appendfsync', 'sometimes'),
    c('CONFIG', 'SET', 'appendfsync', 'everysec'),
    c('CONFIG', 'SET', 'appendonly', 'maybe'),
    c('CONFIG', 'SET', 'proto-max-bulk-len', '2mb'),
    c('CONFIG', 'GET', 'proto-max-bulk-len'),
    // a string may grow to exactly proto-max-bulk-len, not a byte more
    ...[
      c('SETRANGE', 'pm', '2097150', 'x'),
      c('APPEND', 'pm', 'y'),
      c('APPEND', 'pm', 'z'),
      c('SETRANGE', 'pm', '2097152', 'z'),
      c('SETRANGE', 'pm2', '2097151', 'x'),
      c('SETRANGE', 'pm3', '2097152', 'x'),
      c('STRLEN', 'pm'),
      c('DEL', 'pm', 'pm2', 'pm3'),
    ].map((step) => ({ ...step, singleNode: "CONFIG SET is per node, as in Redis Cluster: the key's coordinator keeps its own proto-max-bulk-len" })),
    c('CONFIG', 'SET', 'proto-max-bulk-len', '100'),
    c('CONFIG', 'SET', 'proto-max-bulk-len', '536870912'),
    {
      cmd: ['CONFIG', 'SET', 'proto-max-bulk-len', '536870913'],
      dynkv: "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - dynkv stores strings of at most 536870912 bytes",
      why: 'a string and its versions record must fit one engine record',
    },
    c('CONFIG', 'SET', 'proto-max-bulk-len', '536870912'),
    c('CONFIG', 'SET', 'databases', '20'),
    c('CONFIG', 'SET', 'nosuchsetting', 'x'),
    c('CONFIG', 'SET', 'maxclients'),
    c('CONFIG', 'SET', 'maxclients', '10', 'save'),
    c('CONFIG', 'FOO'),
    c('CONFIG'),
    c('CONFIG', 'RESETSTAT'),
    // requirepass at run time: new connections must AUTH, this one stays authenticated
    c('CONFIG', 'SET', 'requirepass', 'pw'),
    c('GET', 'x'),
    { cmd: ['GET', 'x'], conn: 'late' },
    { cmd: ['AUTH', 'pw'], conn: 'late' },
    { cmd: ['GET', 'x'], conn: 'late' },
    c('CONFIG', 'SET', 'requirepass', ''),
    // INFO: sections and fields
    c('SET', 'k1', 'v'),
    c('SET', 'k2', 'v', 'EX', '100'),
    c('GET', 'k1'),
    c('GET', 'nokey'),
    c('SELECT', '3'),
    c('SET', 'k3', 'v'),
    c('SELECT', '0'),
    { cmd: ['INFO'], norm: infoNorm },
    { cmd: ['INFO', 'server'], norm: infoNorm },
    { cmd: ['INFO', 'SERVER'], norm: infoNorm },
    { cmd: ['INFO', 'clients'], norm: infoNorm },
    { cmd: ['INFO', 'memory'], norm: infoNorm },
    { cmd: ['INFO', 'persistence'], norm: infoNorm },
    { cmd: ['INFO', 'stats'], norm: infoNorm },
    { cmd: ['INFO', 'replication'], norm: infoNorm },
    { cmd: ['INFO', 'keyspace'], norm: infoNorm },
    { cmd: ['INFO', 'commandstats'], norm: infoNorm },
    { cmd: ['INFO', 'all'], norm: infoNorm },
    { cmd: ['INFO', 'everything'], norm: infoNorm },
    { cmd: ['INFO', 'default'], norm: infoNorm },
    { cmd: ['INFO', 'server', 'keyspace'], norm: infoNorm },
    { cmd: ['INFO', 'nosuchsection'], norm: infoNorm },
    // dynkv's version fields: redis_version is fixed at 7.0.15 so clients enable their 7.0 features.
    { cmd: ['INFO', 'server'], norm: infoLine('redis_version'), dynkv: '"redis_version:7.0.15"', why: 'dynkv reports redis_version 7.0.15 whatever Debian ships' },
    { cmd: ['INFO', 'server'], norm: all(infoLine('dynkv_version'), mask(/:.+$/, ':<version>')), dynkv: '"dynkv_version:<version>"', why: 'dynkv adds dynkv_version to INFO server' },
    { cmd: ['INFO', 'persistence'], norm: infoLine('aof_enabled'), dynkv: '"aof_enabled:1"', why: 'dynkv always logs; the test starts redis-server with --appendonly no' },
    // TIME
    { cmd: ['TIME'], norm: timeNorm },
    c('TIME', 'x'),
    // SHUTDOWN's refusals (a successful one would stop the server under test: test/server-core.test.ts)
    c('SHUTDOWN', 'ABORT'),
    c('SHUTDOWN', 'foo'),
    c('SHUTDOWN', 'SAVE', 'NOSAVE'),
    c('SHUTDOWN', 'NOW', 'ABORT'),
    c('SHUTDOWN', 'nosave', 'abort'),
    { cmd: ['MULTI'], conn: 'shutdown-multi' },
    { cmd: ['SHUTDOWN'], conn: 'shutdown-multi' },
    { cmd: ['PING'], conn: 'shutdown-multi' },
    { cmd: ['EXEC'], conn: 'shutdown-multi' },
    // FUNCTION FLUSH: dynkv has no functions, so flushing always succeeds
    c('FUNCTION', 'FLUSH'),
    c('FUNCTION', 'FLUSH', 'ASYNC'),
    c('FUNCTION', 'FLUSH', 'SYNC'),
    c('FUNCTION', 'FLUSH', 'FOO'),
    c('FUNCTION', 'FLUSH', 'SYNC', 'ASYNC'),
    c('FUNCTION'),
    // DBSIZE
    c('DBSIZE'),
    { cmd: ['INFO', 'keyspace'], norm: infoNorm },
    { cmd: ['INFO', 'commandstats'], norm: infoNorm },
  ],
};
