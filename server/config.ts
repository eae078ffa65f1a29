// server/config.ts — redis-server's way of configuring: an optional config
// file (`name value ...` lines, # comments) then `--name value ...` flags,
// later settings winning. Also what CONFIG GET/SET read and change at run
// time. An unknown or malformed setting is a ConfigError naming it.
import fs from 'node:fs';
import type { AppendFsync, ServerConfig } from './state';

export class ConfigError extends Error {}

export function defaultConfig(): ServerConfig {
  return {
    port: 6379,
    bind: ['127.0.0.1'],
    dir: './data',
    appendfsync: 'everysec',
    appendonly: 'yes',
    save: '',
    requirepass: '',
    maxclients: 10000,
    protoMaxBulkLen: 512 * 1024 * 1024,
    protectedMode: true,
    databases: 16,
    configFile: '',
  };
}

interface Setting {
  /** Changeable with CONFIG SET while running. */
  mutable: boolean;
  /** Takes several words (save, bind); the others take their value whole. */
  words?: boolean;
  get(c: ServerConfig): string;
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

export const settings: Record<string, Setting> = {
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
  appendonly: {
    mutable: true,
    get: (c) => c.appendonly,
    // The log is the store: appendonly is always on; 'no' is accepted for compatibility.
    set: (c, a) => (c.appendonly = yesNo('appendonly', one('appendonly', a)) ? 'yes' : 'no'),
  },
  save: {
    mutable: true,
    words: true,
    get: (c) => c.save,
    set: (c, a) => (c.save = a.join(' ')),
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
      // As Redis's range; the engine itself refuses values over 512 MiB.
      if (n < 1024 * 1024 || n > Number.MAX_SAFE_INTEGER) throw new ConfigError("argument must be between 1048576 and 9223372036854775807 inclusive for 'proto-max-bulk-len'");
      c.protoMaxBulkLen = n;
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
};

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
