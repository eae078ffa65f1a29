// server/config.ts — redis-server's way of configuring: an optional config
// file (`name value ...` lines, # comments) then `--name value ...` flags,
// later settings winning. Also what CONFIG GET/SET read and change at run
// time. An unknown or malformed setting is a ConfigError naming it. The
// cluster settings are only stored here; cluster-config.ts checks them
// together once the client port is bound.
import fs from 'node:fs';
import { DEFAULT_ANTI_ENTROPY, DEFAULT_HANDOFF, DEFAULT_HEARTBEAT_MS, DEFAULT_PARTITIONS, DEFAULT_PHI_THRESHOLD, DEFAULT_SCRUB_RATE, DEFAULT_TOMBSTONE_GRACE_S, MAX_WEIGHT, SLOT_COUNT } from '../cluster/index';
import { defaultOutputLimits, formatOutputLimits, OutputLimitError, parseOutputLimits } from './output-limits';
import type { AppendFsync, ServerConfig } from './state';

export class ConfigError extends Error {}

/** The longest string dynkv stores: 512 MiB, Redis's default proto-max-bulk-len. */
export const MAX_STRING_LEN = 512 * 1024 * 1024;

export function defaultConfig(): ServerConfig {
  return {
    port: 6379,
    bind: ['127.0.0.1'],
    dir: './data',
    appendfsync: 'everysec',
    requirepass: '',
    maxclients: 10000,
    protoMaxBulkLen: MAX_STRING_LEN,
    clientOutputBufferLimit: defaultOutputLimits(),
    protectedMode: true,
    databases: 16,
    configFile: '',
    clusterNodes: '',
    clusterN: 0,
    clusterR: 0,
    clusterW: 0,
    clusterPort: 0,
    clusterSecret: '',
    clusterSecretFile: '',
    clusterWeight: 1,
    clusterPartitions: DEFAULT_PARTITIONS,
    clusterTimeout: 1000,
    clusterPhiThreshold: DEFAULT_PHI_THRESHOLD,
    clusterHeartbeatMs: DEFAULT_HEARTBEAT_MS,
    enableFaultInjection: false,
    clusterHintMaxBytes: DEFAULT_HANDOFF.maxBytes,
    clusterHintMaxAge: DEFAULT_HANDOFF.maxAgeMs / 1000,
    clusterHintWindow: DEFAULT_HANDOFF.window,
    clusterHintRate: DEFAULT_HANDOFF.rateBytes,
    clusterAntiEntropyIntervalMs: DEFAULT_ANTI_ENTROPY.intervalMs,
    clusterAntiEntropyKeysPerSec: DEFAULT_ANTI_ENTROPY.keysPerSec,
    clusterTombstoneGrace: DEFAULT_TOMBSTONE_GRACE_S,
    clusterScrubRate: DEFAULT_SCRUB_RATE,
    hashListpack: { entries: 512, value: 64 },
    rdbCompression: true,
    hllSparseMaxBytes: 3000,
    setMaxIntsetEntries: 512,
    zsetListpack: { entries: 128, value: 64 },
    listMaxListpackSize: -2,
    listCompressDepth: 0,
  };
}

interface Setting {
  /** Changeable with CONFIG SET while running. */
  mutable: boolean;
  /** Takes several words (save, bind); the others take their value whole. */
  words?: boolean;
  /** What CONFIG GET shows; absent for a secret that CONFIG GET never shows. */
  get?(c: ServerConfig): string;
  set(c: ServerConfig, args: string[]): void;
}

function one(name: string, args: string[]): string {
  if (args.length !== 1) throw new ConfigError(`wrong number of arguments for '${name}'`);
  return args[0];
}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text)) throw new ConfigError(`argument couldn't be parsed into an integer for '${name}'`);
  const n = Number(text);
  if (n < min || n > max) throw new ConfigError(`argument must be between ${min} and ${max} inclusive for '${name}'`);
  return n;
}

/** A decimal number from min to max, e.g. 8 or 2.5. */
function decimal(name: string, text: string, min: number, max: number): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new ConfigError(`argument couldn't be parsed into a decimal number for '${name}'`);
  return bounded(name, Number(text), min, max);
}

function bounded(name: string, n: number, min: number, max: number): number {
  if (n < min || n > max) throw new ConfigError(`argument must be between ${min} and ${max} inclusive for '${name}'`);
  return n;
}

/** Redis's memory units: 1k = 1000, 1kb = 1024, also m/mb, g/gb. */
export function parseMemory(name: string, text: string): number {
  const m = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(text);
  if (m === null) throw new ConfigError(`argument must be a memory value for '${name}'`);
  const units: Record<string, number> = { k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1]) * (m[2] === undefined ? 1 : units[m[2].toLowerCase()]);
}

function yesNo(name: string, text: string): boolean {
  const t = text.toLowerCase();
  if (t !== 'yes' && t !== 'no') throw new ConfigError(`argument must be 'yes' or 'no' for '${name}'`);
  return t === 'yes';
}

const INT64_MAX_TEXT = '9223372036854775807';

/** Redis's size_t settings: an integer (or, for a memory one, a memory value) from 0 to LLONG_MAX. */
function sizeSetting(name: string, text: string, memory: boolean): number {
  if (memory) {
    const n = parseMemory(name, text);
    if (n > Number.MAX_SAFE_INTEGER) throw new ConfigError(`argument must be between 0 and ${INT64_MAX_TEXT} inclusive for '${name}'`);
    return n;
  }
  if (!/^-?\d+$/.test(text)) throw new ConfigError(`argument couldn't be parsed into an integer for '${name}'`);
  const n = BigInt(text);
  if (n < 0n || n > BigInt(INT64_MAX_TEXT)) throw new ConfigError(`argument must be between 0 and ${INT64_MAX_TEXT} inclusive for '${name}'`);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

const hashListpackEntries: Setting = {
  mutable: true,
  get: (c) => String(c.hashListpack.entries),
  set: (c, a) => (c.hashListpack = { ...c.hashListpack, entries: sizeSetting('hash-max-listpack-entries', one('hash-max-listpack-entries', a), false) }),
};

const hashListpackValue: Setting = {
  mutable: true,
  get: (c) => String(c.hashListpack.value),
  set: (c, a) => (c.hashListpack = { ...c.hashListpack, value: sizeSetting('hash-max-listpack-value', one('hash-max-listpack-value', a), true) }),
};

const zsetListpackEntries: Setting = {
  mutable: true,
  get: (c) => String(c.zsetListpack.entries),
  set: (c, a) => (c.zsetListpack = { ...c.zsetListpack, entries: sizeSetting('zset-max-listpack-entries', one('zset-max-listpack-entries', a), false) }),
};

const zsetListpackValue: Setting = {
  mutable: true,
  get: (c) => String(c.zsetListpack.value),
  set: (c, a) => (c.zsetListpack = { ...c.zsetListpack, value: sizeSetting('zset-max-listpack-value', one('zset-max-listpack-value', a), true) }),
};

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** list-max-listpack-size (or its 7.0 alias, named as given in errors): an int, as Redis's createIntConfig. */
function listMaxListpackSize(name: string): Setting {
  return { mutable: true, get: (c) => String(c.listMaxListpackSize), set: (c, a) => (c.listMaxListpackSize = integer(name, one(name, a), INT_MIN, INT_MAX)) };
}

export const settings: Record<string, Setting> = {
  'zset-max-listpack-entries': zsetListpackEntries,
  'zset-max-listpack-value': zsetListpackValue,
  'zset-max-ziplist-entries': zsetListpackEntries,
  'zset-max-ziplist-value': zsetListpackValue,
  'list-max-listpack-size': listMaxListpackSize('list-max-listpack-size'),
  'list-max-ziplist-size': listMaxListpackSize('list-max-ziplist-size'),
  'list-compress-depth': {
    mutable: true,
    get: (c) => String(c.listCompressDepth),
    set: (c, a) => (c.listCompressDepth = integer('list-compress-depth', one('list-compress-depth', a), 0, INT_MAX)),
  },
  'hash-max-listpack-entries': hashListpackEntries,
  'hash-max-listpack-value': hashListpackValue,
  // Redis 7.0's aliases, from the ziplist days.
  'hash-max-ziplist-entries': hashListpackEntries,
  'hash-max-ziplist-value': hashListpackValue,
  // DUMP's strings: LZF-compressed when longer than 20 bytes (datatypes/rdb/payload.ts).
  rdbcompression: {
    mutable: true,
    get: (c) => (c.rdbCompression ? 'yes' : 'no'),
    set: (c, a) => (c.rdbCompression = yesNo('rdbcompression', one('rdbcompression', a))),
  },
  'hll-sparse-max-bytes': {
    mutable: true,
    get: (c) => String(c.hllSparseMaxBytes),
    set: (c, a) => (c.hllSparseMaxBytes = sizeSetting('hll-sparse-max-bytes', one('hll-sparse-max-bytes', a), true)),
  },
  'set-max-intset-entries': {
    mutable: true,
    get: (c) => String(c.setMaxIntsetEntries),
    set: (c, a) => (c.setMaxIntsetEntries = sizeSetting('set-max-intset-entries', one('set-max-intset-entries', a), false)),
  },
  port: {
    mutable: false,
    get: (c) => String(c.port),
    set: (c, a) => (c.port = integer('port', one('port', a), 0, 65535)),
  },
  bind: {
    mutable: false,
    words: true,
    get: (c) => c.bind.join(' '),
    set: (c, a) => {
      if (a.length === 0) throw new ConfigError("wrong number of arguments for 'bind'");
      c.bind = a.flatMap((s) => s.split(' ').filter((x) => x !== ''));
    },
  },
  dir: {
    mutable: false,
    get: (c) => c.dir,
    set: (c, a) => (c.dir = one('dir', a)),
  },
  appendfsync: {
    mutable: true,
    get: (c) => c.appendfsync,
    set: (c, a) => {
      const v = one('appendfsync', a).toLowerCase();
      if (v !== 'always' && v !== 'everysec' && v !== 'no') throw new ConfigError("argument(s) must be one of the following: everysec, always, no for 'appendfsync'");
      c.appendfsync = v as AppendFsync;
    },
  },
  // dynkv's append-only log is its store: it cannot be turned off.
  appendonly: {
    mutable: true,
    get: () => 'yes',
    set: (_c, a) => {
      if (!yesNo('appendonly', one('appendonly', a))) throw new ConfigError("dynkv cannot turn appendonly off: the append-only log is its store for 'appendonly'");
    },
  },
  // dynkv takes no RDB snapshots (the log is the store): only the empty save, no snapshots, is true of it.
  save: {
    mutable: true,
    words: true,
    get: () => '',
    set: (_c, a) => {
      if (a.some((w) => w.trim() !== '')) throw new ConfigError(`dynkv takes no RDB snapshots: only save "" is accepted for 'save'`);
    },
  },
  requirepass: {
    mutable: true,
    get: (c) => c.requirepass,
    set: (c, a) => (c.requirepass = one('requirepass', a)),
  },
  maxclients: {
    mutable: true,
    get: (c) => String(c.maxclients),
    set: (c, a) => (c.maxclients = integer('maxclients', one('maxclients', a), 1, 4294967295)),
  },
  'proto-max-bulk-len': {
    mutable: true,
    get: (c) => String(c.protoMaxBulkLen),
    set: (c, a) => {
      const n = parseMemory('proto-max-bulk-len', one('proto-max-bulk-len', a));
      if (n < 1024 * 1024 || n > Number.MAX_SAFE_INTEGER) throw new ConfigError("argument must be between 1048576 and 9223372036854775807 inclusive for 'proto-max-bulk-len'");
      // Redis's default is dynkv's most: a string and its version record must fit one engine record (MAX_VALUE_LEN).
      if (n > MAX_STRING_LEN) throw new ConfigError(`dynkv stores strings of at most ${MAX_STRING_LEN} bytes for 'proto-max-bulk-len'`);
      c.protoMaxBulkLen = n;
    },
  },
  'client-output-buffer-limit': {
    mutable: true,
    get: (c) => formatOutputLimits(c.clientOutputBufferLimit),
    set: (c, a) => {
      try {
        c.clientOutputBufferLimit = parseOutputLimits(c.clientOutputBufferLimit, a);
      } catch (err) {
        if (err instanceof OutputLimitError) throw new ConfigError(err.message);
        throw err;
      }
    },
  },
  'protected-mode': {
    mutable: true,
    get: (c) => (c.protectedMode ? 'yes' : 'no'),
    set: (c, a) => (c.protectedMode = yesNo('protected-mode', one('protected-mode', a))),
  },
  databases: {
    mutable: false,
    get: (c) => String(c.databases),
    set: (c, a) => (c.databases = integer('databases', one('databases', a), 1, 256)),
  },
  'cluster-nodes': {
    mutable: false,
    get: (c) => c.clusterNodes,
    set: (c, a) => (c.clusterNodes = one('cluster-nodes', a).trim()),
  },
  'cluster-n': {
    mutable: false,
    get: (c) => String(c.clusterN),
    set: (c, a) => (c.clusterN = integer('cluster-n', one('cluster-n', a), 0, SLOT_COUNT)),
  },
  'cluster-r': {
    mutable: false,
    get: (c) => String(c.clusterR),
    set: (c, a) => (c.clusterR = integer('cluster-r', one('cluster-r', a), 0, SLOT_COUNT)),
  },
  'cluster-w': {
    mutable: false,
    get: (c) => String(c.clusterW),
    set: (c, a) => (c.clusterW = integer('cluster-w', one('cluster-w', a), 0, SLOT_COUNT)),
  },
  'cluster-port': {
    mutable: false,
    get: (c) => String(c.clusterPort),
    set: (c, a) => (c.clusterPort = integer('cluster-port', one('cluster-port', a), 0, 65535)),
  },
  // No get: CONFIG GET never shows the secret, asked by name or by a pattern; it answers as for a name it does not know.
  'cluster-secret': {
    mutable: false,
    set: (c, a) => {
      c.clusterSecret = one('cluster-secret', a);
      c.clusterSecretFile = '';
    },
  },
  'cluster-secret-file': {
    mutable: false,
    get: (c) => c.clusterSecretFile,
    set: (c, a) => {
      const file = one('cluster-secret-file', a);
      c.clusterSecret = readSecretFile(file);
      c.clusterSecretFile = file;
    },
  },
  'cluster-weight': {
    mutable: false,
    get: (c) => String(c.clusterWeight),
    set: (c, a) => (c.clusterWeight = integer('cluster-weight', one('cluster-weight', a), 1, MAX_WEIGHT)),
  },
  'cluster-partitions': {
    mutable: false,
    get: (c) => String(c.clusterPartitions),
    set: (c, a) => {
      const q = integer('cluster-partitions', one('cluster-partitions', a), 1, SLOT_COUNT);
      // As Ring.create: Q equal partitions of the 16384 slots.
      if ((q & (q - 1)) !== 0) throw new ConfigError(`argument must be a power of two from 1 to ${SLOT_COUNT} for 'cluster-partitions'`);
      c.clusterPartitions = q;
    },
  },
  'cluster-timeout': {
    mutable: false,
    get: (c) => String(c.clusterTimeout),
    set: (c, a) => (c.clusterTimeout = integer('cluster-timeout', one('cluster-timeout', a), 1, 3_600_000)),
  },
  // Failure detection: changeable while running (CONFIG SET tells the coordinator).
  'cluster-phi-threshold': {
    mutable: true,
    get: (c) => String(c.clusterPhiThreshold),
    set: (c, a) => (c.clusterPhiThreshold = decimal('cluster-phi-threshold', one('cluster-phi-threshold', a), 0.1, 100)),
  },
  'cluster-heartbeat-ms': {
    mutable: true,
    get: (c) => String(c.clusterHeartbeatMs),
    set: (c, a) => (c.clusterHeartbeatMs = integer('cluster-heartbeat-ms', one('cluster-heartbeat-ms', a), 10, 3_600_000)),
  },
  'cluster-hint-max-bytes': {
    mutable: true,
    get: (c) => String(c.clusterHintMaxBytes),
    set: (c, a) => (c.clusterHintMaxBytes = bounded('cluster-hint-max-bytes', parseMemory('cluster-hint-max-bytes', one('cluster-hint-max-bytes', a)), 1024, Number.MAX_SAFE_INTEGER)),
  },
  'cluster-hint-max-age': {
    mutable: true,
    get: (c) => String(c.clusterHintMaxAge),
    set: (c, a) => (c.clusterHintMaxAge = integer('cluster-hint-max-age', one('cluster-hint-max-age', a), 1, 365 * 86400)),
  },
  'cluster-hint-window': {
    mutable: true,
    get: (c) => String(c.clusterHintWindow),
    set: (c, a) => (c.clusterHintWindow = integer('cluster-hint-window', one('cluster-hint-window', a), 1, 65536)),
  },
  'cluster-hint-rate': {
    mutable: true,
    get: (c) => String(c.clusterHintRate),
    set: (c, a) => (c.clusterHintRate = bounded('cluster-hint-rate', parseMemory('cluster-hint-rate', one('cluster-hint-rate', a)), 0, Number.MAX_SAFE_INTEGER)),
  },
  'cluster-anti-entropy-interval-ms': {
    mutable: false,
    get: (c) => String(c.clusterAntiEntropyIntervalMs),
    set: (c, a) => (c.clusterAntiEntropyIntervalMs = integer('cluster-anti-entropy-interval-ms', one('cluster-anti-entropy-interval-ms', a), 1, 86_400_000)),
  },
  'cluster-anti-entropy-keys-per-sec': {
    mutable: false,
    get: (c) => String(c.clusterAntiEntropyKeysPerSec),
    set: (c, a) => (c.clusterAntiEntropyKeysPerSec = integer('cluster-anti-entropy-keys-per-sec', one('cluster-anti-entropy-keys-per-sec', a), 1, 10_000_000)),
  },
  'cluster-tombstone-grace': {
    mutable: true,
    get: (c) => String(c.clusterTombstoneGrace),
    set: (c, a) => (c.clusterTombstoneGrace = integer('cluster-tombstone-grace', one('cluster-tombstone-grace', a), 0, 315_360_000)),
  },
  'cluster-scrub-rate': {
    mutable: true,
    get: (c) => String(c.clusterScrubRate),
    set: (c, a) => (c.clusterScrubRate = parseMemory('cluster-scrub-rate', one('cluster-scrub-rate', a))),
  },
  'enable-fault-injection': {
    mutable: false,
    get: (c) => (c.enableFaultInjection ? 'yes' : 'no'),
    set: (c, a) => (c.enableFaultInjection = yesNo('enable-fault-injection', one('enable-fault-injection', a))),
  },
};

/**
 * The cluster secret kept in a file, read once at start: its text without
 * the line end(s) at its end. Kept out of argv, where ps shows it to every
 * user; CONFIG GET never shows it either. An unreadable or empty file, or
 * one of several lines, is a ConfigError naming it.
 */
export function readSecretFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`can't read cluster-secret-file '${file}': ${(err as Error).message}`);
  }
  const secret = text.replace(/[\r\n]+$/, '');
  if (secret === '') throw new ConfigError(`cluster-secret-file '${file}' is empty`);
  if (/[\r\n]/.test(secret)) throw new ConfigError(`cluster-secret-file '${file}' holds more than one line: the secret is its one line`);
  return secret;
}

/** Splits one config-file line into words, with "double" and 'single' quotes. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function apply(config: ServerConfig, name: string, args: string[], where: string): void {
  const setting = settings[name.toLowerCase()];
  if (setting === undefined) throw new ConfigError(`${where}: unknown setting '${name}'`);
  try {
    setting.set(config, args);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${where}: ${err.message}`);
    throw err;
  }
}

/** argv as given to dynkv-server (without node and the script). */
export function parseArgs(argv: readonly string[]): ServerConfig {
  const config = defaultConfig();
  let i = 0;
  if (argv.length > 0 && !argv[0].startsWith('--')) {
    config.configFile = argv[0];
    let text: string;
    try {
      text = fs.readFileSync(argv[0], 'utf8');
    } catch (err) {
      throw new ConfigError(`can't read config file '${argv[0]}': ${(err as Error).message}`);
    }
    text.split(/\r?\n/).forEach((line, n) => {
      const w = words(line.trim());
      if (w.length === 0 || w[0].startsWith('#')) return;
      apply(config, w[0], w.slice(1), `${argv[0]} line ${n + 1}`);
    });
    i = 1;
  }
  while (i < argv.length) {
    const flag = argv[i];
    if (!flag.startsWith('--') || flag.length === 2) throw new ConfigError(`unexpected argument '${flag}'`);
    const args: string[] = [];
    for (i++; i < argv.length && !argv[i].startsWith('--'); i++) args.push(argv[i]);
    apply(config, flag.slice(2), args, `option ${flag}`);
  }
  return config;
}
