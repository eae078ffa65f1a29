// server/commands/set-algebra.ts — SINTER SINTERCARD SINTERSTORE SUNION
// SUNIONSTORE SDIFF SDIFFSTORE, as Redis 7.0's sinterGenericCommand and
// sunionDiffGenericCommand: every key looked up in order (counted as a
// read; WRONGTYPE at the first key of another type, an absent key an empty
// set), the same algorithm choices, so the result has the encoding
// redis-server's has: an intset result answers in numeric order, a
// hashtable one in storage order (Redis's is its dict's: nobody's to match).
// The STORE forms replace the destination whatever its type (the store's
// sets.store); an empty result deletes it.
import { fitsIntset, compareIntsetMembers, isIntsetMember } from '../../datatypes/set';
import { CommandError, ERR } from '../errors';
import { readSet, replySet } from './set-lookup';
import { isToken, string2ll } from './string-args';
import type { CommandContext } from './types';

const SINTERCARD_ERR = {
  numkeys: 'ERR numkeys should be greater than 0',
  tooMany: "ERR Number of keys can't be greater than number of args",
  limit: "ERR LIMIT can't be negative",
} as const;

/** One key of the operation: absent (an empty set) or a set of size members. */
interface Operand {
  readonly key: Buffer;
  readonly size: number;
}

/** Looks every key up in order (lookupKeyRead + checkType): null for an absent key. */
function operands(ctx: CommandContext, keys: readonly Buffer[]): (Operand | null)[] {
  const out: (Operand | null)[] = [];
  for (const key of keys) out.push(readSet(ctx, key) ? { key, size: ctx.store.sets.length(ctx.client.db, key) } : null);
  return out;
}

/** A result: its members (each once) in the order Redis answers them, and whether Redis holds it as a hashtable. */
interface Result {
  readonly members: Buffer[];
  readonly hashtable: boolean;
}

/** Redis's reply order of a result: numeric for an intset, as built for a hashtable. */
function ordered(members: Buffer[], hashtable: boolean): Result {
  if (!hashtable) members.sort(compareIntsetMembers);
  return { members, hashtable };
}

/** The intersection, iterating the smallest set (a stable sort by size, as glibc's qsort) and probing the others; at most limit members (0: all). */
function intersect(ctx: CommandContext, sets: (Operand | null)[], limit: number): Result {
  if (sets.some((s) => s === null)) return { members: [], hashtable: false };
  const present = (sets as Operand[]).slice().sort((a, b) => a.size - b.size);
  const db = ctx.client.db;
  const first = present[0];
  const members: Buffer[] = [];
  for (const m of ctx.store.sets.members(db, first.key)) {
    let all = true;
    for (let j = 1; j < present.length && all; j++) if (!present[j].key.equals(first.key)) all = ctx.store.sets.isMember(db, present[j].key, m);
    if (!all) continue;
    members.push(m);
    if (limit > 0 && members.length >= limit) break;
  }
  // Redis replies in the smallest set's own order (already numeric for an intset); a stored result is built as an intset first.
  return { members, hashtable: !fitsIntset(members, ctx.server.config.setMaxIntsetEntries) };
}

/** Every member of the sets, each once, in the order first seen. */
function union(ctx: CommandContext, sets: (Operand | null)[]): Result {
  const seen = new Map<string, Buffer>();
  for (const s of sets) {
    if (s === null) continue;
    for (const m of ctx.store.sets.members(ctx.client.db, s.key)) {
      const name = m.toString('latin1');
      if (!seen.has(name)) seen.set(name, m);
    }
  }
  const members = [...seen.values()];
  return ordered(members, !fitsIntset(members, ctx.server.config.setMaxIntsetEntries));
}

/**
 * The first set less the others, by the algorithm Redis 7.0 picks: (1)
 * probe the others for each member of the first when that costs less,
 * else (2) take the first whole and remove the others' members. (2) builds
 * the first whole, so the result is a hashtable when the first set could
 * not be an intset, however small the result.
 */
function difference(ctx: CommandContext, sets: (Operand | null)[]): Result {
  const first = sets[0];
  if (first === null) return { members: [], hashtable: false };
  const db = ctx.client.db;
  const max = ctx.server.config.setMaxIntsetEntries;
  const others = sets.slice(1).filter((s): s is Operand => s !== null);
  const algoOne = Math.floor((first.size * (others.length + 1)) / 2);
  const algoTwo = first.size + others.reduce((n, s) => n + s.size, 0);
  const firstMembers = ctx.store.sets.members(db, first.key);
  if (algoOne <= algoTwo) {
    const members: Buffer[] = [];
    for (const m of firstMembers) if (!others.some((s) => s.key.equals(first.key) || ctx.store.sets.isMember(db, s.key, m))) members.push(m);
    return ordered(members, !fitsIntset(members, max));
  }
  const kept = new Map<string, Buffer>();
  for (const m of firstMembers) kept.set(m.toString('latin1'), m);
  const hashtable = firstMembers.length > max || !firstMembers.every(isIntsetMember);
  for (const s of others) {
    if (s.key.equals(first.key)) kept.clear();
    else for (const m of ctx.store.sets.members(db, s.key)) kept.delete(m.toString('latin1'));
    if (kept.size === 0) break;
  }
  return ordered([...kept.values()], hashtable);
}

/** SINTER, SUNION, SDIFF: the result as a set reply. */
export function setAlgebra(kind: 'inter' | 'union' | 'diff'): (ctx: CommandContext, argv: Buffer[]) => void {
  return (ctx, argv) => {
    const sets = operands(ctx, argv.slice(1));
    const result = kind === 'inter' ? intersect(ctx, sets, 0) : kind === 'union' ? union(ctx, sets) : difference(ctx, sets);
    replySet(ctx, result.members);
  };
}

/** SINTERSTORE, SUNIONSTORE, SDIFFSTORE: the result replaces argv[1]; its size as the reply. */
export function setAlgebraStore(kind: 'inter' | 'union' | 'diff'): (ctx: CommandContext, argv: Buffer[]) => void {
  return (ctx, argv) => {
    const sets = operands(ctx, argv.slice(2));
    const result = kind === 'inter' ? intersect(ctx, sets, 0) : kind === 'union' ? union(ctx, sets) : difference(ctx, sets);
    ctx.reply.integer(ctx.store.sets.store(ctx.client.db, argv[1], result.members, result.hashtable, ctx.server.config.setMaxIntsetEntries));
  };
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit]. */
export function sintercard(ctx: CommandContext, argv: Buffer[]): void {
  const numkeys = string2ll(argv[1]);
  if (numkeys === null || numkeys < 1) throw new CommandError(SINTERCARD_ERR.numkeys);
  if (numkeys > argv.length - 2) throw new CommandError(SINTERCARD_ERR.tooMany);
  const n = Number(numkeys);
  let limit = 0;
  for (let j = 2 + n; j < argv.length; j++) {
    if (isToken(argv[j], 'limit') && j + 1 < argv.length) {
      const l = string2ll(argv[++j]);
      if (l === null || l < 0) throw new CommandError(SINTERCARD_ERR.limit);
      limit = l > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Number(l);
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  ctx.reply.integer(intersect(ctx, operands(ctx, argv.slice(2, 2 + n)), limit).members.length);
}
