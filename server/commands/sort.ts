// server/commands/sort.ts — SORT and SORT_RO, as Redis 7.0's sortCommandGeneric:
// the options parsed in order (ASC DESC ALPHA LIMIT BY GET, STORE for SORT
// only), the elements of a list, set or sorted set (an absent key an empty
// list) scored by themselves or by a BY pattern's keys, sorted, cut by LIMIT,
// and answered, or stored as a list (an empty result deletes the
// destination). The patterns' keys (sort-patterns.ts) are read at this
// node's replicas; in a cluster, a key this node holds no replica of answers
// -DYNUNAVAILABLE (README, "SORT in a cluster").
import { DynUnavailableError } from '../../cluster/index';
import { DataType } from '../../datatypes/types';
import { CommandError, ERR } from '../errors';
import { countLookup } from './keys';
import { holdsHere, lookupByPattern, parseScoreOf } from './sort-patterns';
import { isToken, string2ll } from './string-args';
import type { CommandContext, CommandSpec, KeySpec } from './types';

const SORT_ERR = {
  notDouble: "ERR One or more scores can't be converted into double",
} as const;

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  /** LIMIT offset count as given (count < 0: to the end). */
  offset: number;
  count: number;
  by: Buffer | null;
  /** BY names no key (no '*' in it): the elements keep their order. */
  dontsort: boolean;
  gets: Buffer[];
  store: Buffer | null;
}

/** A LIMIT argument as getLongFromObjectOrReply reads it; beyond 2^53 clamped (no list is that long). */
function limitArg(arg: Buffer): number | null {
  const v = string2ll(arg);
  if (v === null) return null;
  if (typeof v === 'bigint') return v > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  return v;
}

/** The options from argv[2] on, in Redis's order of checks; a string is the error reply. */
function parseSortOptions(argv: readonly Buffer[], readonly: boolean): SortOptions | string {
  const o: SortOptions = { desc: false, alpha: false, offset: 0, count: -1, by: null, dontsort: false, gets: [], store: null };
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (isToken(a, 'asc')) o.desc = false;
    else if (isToken(a, 'desc')) o.desc = true;
    else if (isToken(a, 'alpha')) o.alpha = true;
    else if (isToken(a, 'limit') && left >= 2) {
      const offset = limitArg(argv[j + 1]);
      const count = offset === null ? null : limitArg(argv[j + 2]);
      if (offset === null || count === null) return ERR.notInteger;
      o.offset = offset;
      o.count = count;
      j += 2;
    } else if (!readonly && isToken(a, 'store') && left >= 1) {
      o.store = argv[++j];
    } else if (isToken(a, 'by') && left >= 1) {
      o.by = argv[++j];
      // strchr: the pattern as a C string.
      const nul = o.by.indexOf(0);
      const star = o.by.indexOf(0x2a);
      o.dontsort = star < 0 || (nul >= 0 && star > nul);
    } else if (isToken(a, 'get') && left >= 1) {
      o.gets.push(argv[++j]);
    } else {
      return ERR.syntax;
    }
  }
  return o;
}

/** One element to sort: itself, its numeric score, or (ALPHA BY) the value it sorts by (null: the BY key is missing). */
interface Item {
  readonly el: Buffer;
  score: number;
  by: Buffer | null;
}

/** strcoll in the C locale: the bytes up to each one's first NUL. */
function collate(a: Buffer, b: Buffer): number {
  const na = a.indexOf(0);
  const nb = b.indexOf(0);
  return Buffer.compare(na < 0 ? a : a.subarray(0, na), nb < 0 ? b : b.subarray(0, nb));
}

/** Redis's sortCompare, before DESC turns it around. */
function comparer(o: SortOptions, store: boolean): (x: Item, y: Item) => number {
  if (!o.alpha) return (x, y) => (x.score > y.score ? 1 : x.score < y.score ? -1 : Buffer.compare(x.el, y.el));
  const strings = store ? Buffer.compare : collate;
  if (o.by === null) return (x, y) => strings(x.el, y.el);
  return (x, y) => {
    if (x.by === null || y.by === null) return x.by === y.by ? 0 : x.by === null ? -1 : 1;
    return strings(x.by, y.by);
  };
}

/** The source's type after lookupKeyRead (a keyspace hit or miss, STORE or not): null when absent; WRONGTYPE for a string or hash. */
function sourceType(ctx: CommandContext, key: Buffer): number | null {
  const meta = ctx.store.meta(ctx.client.db, key);
  countLookup(ctx, meta !== null);
  if (meta === null) return null;
  if (meta.type !== DataType.list && meta.type !== DataType.set && meta.type !== DataType.zset) throw new CommandError(ERR.wrongType);
  ctx.store.touch(ctx.client.db, key);
  return meta.type;
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
/** What STORE pushes for a GET that read nothing. */
const EMPTY = Buffer.alloc(0);

/**
 * The elements to sort and the range [start, end] of them to answer. With
 * nothing to sort, a list or a sorted set gives just the range asked for,
 * walked from the tail for DESC (as Redis loads them), and the range is
 * then all of it.
 */
function load(ctx: CommandContext, key: Buffer, type: number | null, o: SortOptions): { items: Item[]; start: number; end: number } {
  const db = ctx.client.db;
  const length = type === DataType.list ? ctx.store.lists.length(db, key) : type === DataType.set ? ctx.store.sets.length(db, key) : type === DataType.zset ? ctx.store.zsets.length(db, key) : 0;
  let start = o.offset < 0 ? 0 : o.offset;
  let end = o.count < 0 ? length - 1 : start + o.count - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;
  const item = (el: Buffer): Item => ({ el, score: 0, by: null });
  if (type === DataType.list && o.dontsort) {
    if (end < start) return { items: [], start, end };
    const from = o.desc ? length - 1 - end : start;
    const items = ctx.store.lists.range(db, key, from, from + (end - start)).map((s) => item(latin1(s)));
    if (o.desc) items.reverse();
    return { items, start: 0, end: items.length - 1 };
  }
  if (type === DataType.zset && o.dontsort) {
    const index = ctx.store.zsets.view(db, key);
    const items: Item[] = [];
    let n = index === null || end < start ? null : o.desc ? index.at(length - 1 - start) : index.at(start);
    for (let i = start; i <= end && n !== null; i++, n = o.desc ? n.backward : n.forward) items.push(item(latin1(n.member)));
    return { items, start: 0, end: items.length - 1 };
  }
  let items: Item[] = [];
  if (type === DataType.list) items = ctx.store.lists.range(db, key, 0, length - 1).map((s) => item(latin1(s)));
  else if (type === DataType.set) items = ctx.store.sets.members(db, key).map(item);
  else if (type === DataType.zset) for (let n = ctx.store.zsets.view(db, key)?.first() ?? null; n !== null; n = n.forward) items.push(item(latin1(n.member)));
  return { items, start, end };
}

/** Scores every item by itself or its BY key; false when one is not a double (the reply is then an error). */
function score(ctx: CommandContext, items: Item[], o: SortOptions): boolean {
  let numeric = true;
  for (const it of items) {
    let value: Buffer | null = it.el;
    if (o.by !== null) {
      value = lookupByPattern(ctx, o.by, it.el);
      if (value === null) continue;
    }
    if (o.alpha) {
      if (o.by !== null) it.by = value;
      continue;
    }
    const s = parseScoreOf(value);
    if (s === null) numeric = false;
    else it.score = s;
  }
  return numeric;
}

function sortGeneric(ctx: CommandContext, argv: Buffer[], readonly: boolean): void {
  const parsed = parseSortOptions(argv, readonly);
  if (typeof parsed === 'string') throw new CommandError(parsed);
  const o = parsed;
  const db = ctx.client.db;
  const type = sourceType(ctx, argv[1]);
  // A set in no order is sorted as ALPHA when stored, so replicas agree (Redis does it for scripts too).
  if (o.dontsort && type === DataType.set && o.store !== null) {
    o.dontsort = false;
    o.alpha = true;
    o.by = null;
  }
  if (o.store !== null && !holdsHere(ctx, o.store)) {
    throw new DynUnavailableError('DYNUNAVAILABLE SORT STORE writes its destination at a replica of it; this node holds none (send the command to a replica)');
  }
  const { items, start, end } = load(ctx, argv[1], type, o);
  let numeric = true;
  if (!o.dontsort) {
    numeric = score(ctx, items, o);
    const cmp = comparer(o, o.store !== null);
    items.sort(o.desc ? (x, y) => -cmp(x, y) : cmp);
  }
  if (!numeric) throw new CommandError(SORT_ERR.notDouble);
  const picked = end >= start ? items.slice(start, end + 1) : [];
  // Every GET is read before anything is written: a lookup may fail (DYNUNAVAILABLE) and the reply must be that error alone.
  const values: (Buffer | null)[] = [];
  for (const it of picked) {
    if (o.gets.length === 0) values.push(it.el);
    for (const g of o.gets) values.push(lookupByPattern(ctx, g, it.el));
  }
  if (o.store === null) {
    ctx.reply.arrayHeader(values.length);
    for (const v of values) ctx.reply.bulk(v);
    return;
  }
  ctx.store.delete(db, o.store);
  if (values.length > 0) ctx.store.lists.push(db, o.store, [o.store, ...values.map((v) => v ?? EMPTY)], 1, false);
  ctx.reply.integer(values.length);
}

/** The keys the cluster routes by: the source, and STORE's destination. */
function sortKeys(readonly: boolean): (argv: readonly Buffer[]) => { access: 'read-write'; keys: Buffer[] } {
  return (argv) => {
    const o = parseSortOptions(argv, readonly);
    const keys = [argv[1]];
    if (typeof o !== 'string' && o.store !== null) keys.push(o.store);
    return { access: 'read-write', keys };
  };
}

const SORT_KEY: KeySpec = { flags: ['RO', 'access'], index: 1, lastKey: 0, keyStep: 1 };
const BY_GET_KEYS: KeySpec = {
  notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
  flags: ['RO', 'access'], index: 0, lastKey: 0, keyStep: 0, unknown: true,
};
const STORE_KEY: KeySpec = {
  notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
  flags: ['OW', 'update'], index: 0, lastKey: 0, keyStep: 0, unknown: true,
};

// Metadata as redis-server 7.0.15's COMMAND INFO reports it.
export const sortCommands: CommandSpec[] = [
  {
    name: 'sort', arity: -2, flags: ['write', 'denyoom', 'movablekeys'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'set', 'sortedset', 'list', 'slow', 'dangerous'],
    keySpecs: [SORT_KEY, BY_GET_KEYS, STORE_KEY],
    cluster: sortKeys(false),
    handler: (ctx, argv) => sortGeneric(ctx, argv, false),
  },
  {
    name: 'sort_ro', arity: -2, flags: ['readonly', 'movablekeys'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'set', 'sortedset', 'list', 'slow', 'dangerous'],
    keySpecs: [SORT_KEY, BY_GET_KEYS],
    cluster: sortKeys(true),
    handler: (ctx, argv) => sortGeneric(ctx, argv, true),
  },
];
