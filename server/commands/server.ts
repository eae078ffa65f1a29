// server/commands/server.ts — the server group: INFO (its sections in
// info.ts), CONFIG, TIME, FUNCTION FLUSH and COMMAND (COUNT, INFO, DOCS,
// LIST), the last answered from the command table's metadata (DOCS from its
// data in docs.ts).
import { checkHintAge, maintenanceSettings } from '../cluster-config';
import { settings, ConfigError } from '../config';
import { handoffSettings } from '../cluster-config';
import { CommandError, ERR, quoted } from '../errors';
import { nowMicros } from '../clock';
import { commandTable } from './table';
import { globMatch } from '../glob';
import { container } from './subcommands';
import { commandDocs } from './docs';
import type { CommandArg, CommandFlag, CommandHandler, CommandSpec, KeySpec } from './types';
import type { ReplyWriter } from '../../protocol/writer';
import { info } from './info';

function spec(name: string, arity: number, flags: readonly CommandFlag[], categories: readonly string[], handler: CommandHandler, tips?: string[]): CommandSpec {
  return { name, arity, flags, firstKey: 0, lastKey: 0, step: 0, categories, handler, tips };
}

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
    const paired = chosen.find((name) => name === 'cluster-hint-max-age' || name === 'cluster-tombstone-grace');
    if (paired !== undefined) {
      try {
        checkHintAge(next);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        throw new CommandError(configSetFailed(paired, err.message));
      }
    }
    if (next.appendfsync !== ctx.server.config.appendfsync) ctx.store.setFsync(next.appendfsync);
    if (next.clusterPhiThreshold !== ctx.server.config.clusterPhiThreshold || next.clusterHeartbeatMs !== ctx.server.config.clusterHeartbeatMs) {
      ctx.store.setFailureDetection(next.clusterPhiThreshold, next.clusterHeartbeatMs);
    }
    if (chosen.some((name) => name.startsWith('cluster-hint-'))) ctx.store.configureHandoff(handoffSettings(next));
    ctx.store.configure(maintenanceSettings(next));
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

/** A key spec's begin_search and find_keys of type 'unknown' (their specs empty maps), as Redis writes SORT's. */
function writeUnknownSearch(r: ReplyWriter): void {
  r.mapHeader(2);
  r.bulk('type');
  r.bulk('unknown');
  r.bulk('spec');
  r.mapHeader(0);
  r.bulk('find_keys');
  r.mapHeader(2);
  r.bulk('type');
  r.bulk('unknown');
  r.bulk('spec');
  r.mapHeader(0);
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
    if (k.unknown === true) {
      writeUnknownSearch(r);
      continue;
    }
    r.mapHeader(2);
    r.bulk('type');
    if (k.keyword !== undefined) {
      r.bulk('keyword');
      r.bulk('spec');
      r.mapHeader(2);
      r.bulk('keyword');
      r.bulk(k.keyword.keyword);
      r.bulk('startfrom');
      r.integer(k.keyword.startFrom);
    } else {
      r.bulk('index');
      r.bulk('spec');
      r.mapHeader(1);
      r.bulk('index');
      r.integer(k.index);
    }
    r.bulk('find_keys');
    r.mapHeader(2);
    r.bulk('type');
    if (k.keynum !== undefined) {
      r.bulk('keynum');
      r.bulk('spec');
      r.mapHeader(3);
      r.bulk('keynumidx');
      r.integer(k.keynum.keynumIdx);
      r.bulk('firstkey');
      r.integer(k.keynum.firstKey);
      r.bulk('keystep');
      r.integer(k.keynum.keyStep);
      continue;
    }
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
