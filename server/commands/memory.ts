// server/commands/memory.ts — MEMORY USAGE and MEMORY HELP. USAGE answers what
// redis-server 7.0 would take for the key's contents (datatypes/memory-usage.ts:
// its objectComputeSize model), reading the value here: a collection's
// elements at this node's replica (in a cluster the command runs at the key's
// first live replica; a node with none answers -DYNUNAVAILABLE), sampling
// SAMPLES elements or list nodes (default 5, 0: all) as Redis does. The other
// MEMORY subcommands (DOCTOR, STATS, MALLOC-STATS, PURGE) are not here: they
// answer Redis's unknown subcommand error.
import {
  QuicklistModel,
  hashtableHashSize,
  hashtableSetSize,
  intsetSize,
  keySize,
  listpackSize,
  skiplistSize,
  stringSize,
  zsetListpackElements,
} from '../../datatypes/memory-usage';
import { DataType } from '../../datatypes/types';
import { CommandError, ERR } from '../errors';
import { isToken, string2ll } from './string-args';
import { container } from './subcommands';
import type { CommandContext, CommandSpec } from './types';

/** OBJ_COMPUTE_SIZE_DEF_SAMPLES */
const DEFAULT_SAMPLES = 5;
/** Items read from a list at a time while packing its nodes. */
const LIST_CHUNK = 256;

/** SAMPLES as Redis parses it: an int64, negative a syntax error; 0 means all (Infinity here). */
function parseSamples(argv: readonly Buffer[]): number {
  let samples = DEFAULT_SAMPLES;
  for (let j = 3; j < argv.length; j++) {
    if (!isToken(argv[j], 'samples') || j + 1 >= argv.length) throw new CommandError(ERR.syntax);
    const v = string2ll(argv[++j]);
    if (v === null) throw new CommandError(ERR.notInteger);
    if (v < 0) throw new CommandError(ERR.syntax);
    samples = v === 0 ? Infinity : Number(v);
  }
  return samples;
}

/** Up to `samples` elements of a hashtable-encoded collection, in the order its scan gives them. */
function sampleScan<T>(samples: number, page: (cursor: bigint, count: number) => { cursor: bigint; items: T[] }): T[] {
  const out: T[] = [];
  let cursor = 0n;
  do {
    const p = page(cursor, Math.min(1000, samples - out.length));
    for (const it of p.items) if (out.length < samples) out.push(it);
    cursor = p.cursor;
  } while (cursor !== 0n && out.length < samples);
  return out;
}

function listSize(ctx: CommandContext, key: Buffer, samples: number): number {
  const db = ctx.client.db;
  const length = ctx.store.lists.length(db, key);
  const model = new QuicklistModel(ctx.server.config.listMaxListpackSize, samples === Infinity ? 0 : samples);
  for (let from = 0; from < length; from += LIST_CHUNK) {
    const items = ctx.store.lists.range(db, key, from, Math.min(length, from + LIST_CHUNK) - 1);
    let more = true;
    for (const item of items) if (!(more = model.add(Buffer.from(item, 'latin1')))) break;
    if (!more) break;
  }
  return model.size(length);
}

function valueSize(ctx: CommandContext, key: Buffer, type: number, samples: number): number {
  const db = ctx.client.db;
  const { store } = ctx;
  switch (type) {
    case DataType.list:
      return listSize(ctx, key, samples);
    case DataType.set: {
      if (store.sets.encoding(db, key) === 'intset') return intsetSize(store.sets.members(db, key));
      const sample = sampleScan(samples, (cursor, count) => {
        const p = store.sets.scan(db, key, cursor, count);
        return { cursor: p.cursor, items: p.members };
      });
      return hashtableSetSize(store.sets.length(db, key), sample, ctx.server.config.setMaxIntsetEntries);
    }
    case DataType.hash: {
      if (store.hashes.encoding(db, key) === 'listpack') return listpackSize(store.hashes.entries(db, key).flatMap((e) => [e.field, e.value]));
      const sample = sampleScan(samples, (cursor, count) => {
        const p = store.hashes.scan(db, key, cursor, count);
        return { cursor: p.cursor, items: p.entries };
      });
      return hashtableHashSize(store.hashes.length(db, key), sample, ctx.server.config.hashListpack.entries);
    }
    case DataType.zset: {
      const index = store.zsets.view(db, key);
      const entries: { member: Buffer; score: number }[] = [];
      const listpack = store.zsets.encoding(db, key) === 'listpack';
      for (let n = index?.first() ?? null; n !== null && (listpack || entries.length < samples); n = n.forward) entries.push({ member: Buffer.from(n.member, 'latin1'), score: n.score });
      if (listpack) return listpackSize(zsetListpackElements(entries));
      return skiplistSize(index?.size ?? 0, entries.map((e) => e.member));
    }
    default: {
      const value = store.get(db, key, false);
      return value === null ? 0 : stringSize(value);
    }
  }
}

/** MEMORY USAGE key [SAMPLES count] */
function memoryUsage(ctx: CommandContext, argv: Buffer[]): void {
  const samples = parseSamples(argv);
  const meta = ctx.store.meta(ctx.client.db, argv[2]);
  if (meta === null) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.integer(valueSize(ctx, argv[2], meta.type, samples) + keySize(argv[2]));
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

function memoryHelp(ctx: CommandContext): void {
  ctx.reply.arrayHeader(MEMORY_HELP.length);
  for (const line of MEMORY_HELP) ctx.reply.simple(line);
}

// Metadata as redis-server 7.0.15's COMMAND INFO reports it.
export const memoryCommands: CommandSpec[] = [
  container('memory', [
    {
      name: 'memory|usage', arity: -3, flags: ['readonly'], firstKey: 2, lastKey: 2, step: 1,
      categories: ['read', 'slow'], keySpecFlags: ['RO'],
      // A collection's elements are at its replicas: the command runs at the key's first live one.
      cluster: () => ({ access: 'read-write' }),
      handler: memoryUsage,
    },
    {
      name: 'memory|help', arity: 2, flags: ['loading', 'stale'], firstKey: 0, lastKey: 0, step: 0,
      categories: ['slow'],
      handler: memoryHelp,
    },
  ]),
];
