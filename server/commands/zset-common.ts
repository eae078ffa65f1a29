// server/commands/zset-common.ts — what the sorted set commands
// (zsets.ts, zset-ranges.ts, zset-algebra.ts) share: the type check as
// Redis's lookupKeyRead/lookupKeyWrite + checkType, replying a member and
// its score as Redis 7.0 does (RESP3 doubles, WITHSCORES pairs), and the
// command spec shape (every sorted set command runs at the key's first
// live replica: access 'read-write').
import { formatScore } from '../../datatypes/zset';
import type { ZsetSkiplist } from '../../datatypes/zset-skiplist';
import { CommandError, ERR } from '../errors';
import { countLookup } from './keys';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec, KeySpec } from './types';

export const ZSET_ERR = {
  notFloat: 'ERR value is not a valid float',
  nan: 'ERR resulting score is not a number (NaN)',
  rangeNotFloat: 'ERR min or max is not a float',
  lexRange: 'ERR min or max not valid string range item',
} as const;

/** lookupKeyWrite + checkType: the key's members, null when absent; WRONGTYPE when another type. */
export function writeZset(ctx: CommandContext, key: Buffer): ZsetSkiplist | null {
  const index = ctx.store.zsets.view(ctx.client.db, key);
  if (index === null && ctx.store.meta(ctx.client.db, key) !== null) throw new CommandError(ERR.wrongType);
  return index;
}

/** lookupKeyRead + checkType: counts the keyspace hit or miss. */
export function readZset(ctx: CommandContext, key: Buffer): ZsetSkiplist | null {
  const index = ctx.store.zsets.view(ctx.client.db, key);
  const found = index !== null || ctx.store.meta(ctx.client.db, key) !== null;
  countLookup(ctx, found);
  if (!found) return null;
  if (index === null) throw new CommandError(ERR.wrongType);
  ctx.store.touch(ctx.client.db, key);
  return index;
}

export function replyScore(ctx: CommandContext, score: number): void {
  ctx.reply.double(formatScore(score));
}

export function replyMember(ctx: CommandContext, member: string): void {
  ctx.reply.bulk(Buffer.from(member, 'latin1'));
}

/** The array header of n members, WITHSCORES or not: pairs in RESP3, flat in RESP2. */
export function replyMembersHeader(ctx: CommandContext, n: number, withscores: boolean): void {
  ctx.reply.arrayHeader(withscores && ctx.reply.resp === 2 ? n * 2 : n);
}

/** One member of such an array (and its score WITHSCORES). */
export function replyEntry(ctx: CommandContext, member: string, score: number, withscores: boolean): void {
  if (withscores && ctx.reply.resp === 3) ctx.reply.arrayHeader(2);
  replyMember(ctx, member);
  if (withscores) replyScore(ctx, score);
}

/** The keys of a numkeys command: argv[at] keys from argv[at + 1] (fewer when argv is short or numkeys is bad). */
export function numkeysKeys(argv: readonly Buffer[], at: number, into: Buffer[]): void {
  const n = Number(argv[at]?.toString('latin1'));
  if (!Number.isInteger(n) || n < 1) return;
  for (let i = at + 1; i <= at + n && i < argv.length; i++) into.push(argv[i]);
}

const READ_WRITE = (): { access: 'read-write' } => ({ access: 'read-write' });

export interface ZsetSpecOptions {
  firstKey?: number;
  lastKey?: number;
  keySpecs?: KeySpec[];
  keys?: (argv: readonly Buffer[], into: Buffer[]) => void;
  tips?: string[];
}

export function zsetSpec(name: string, arity: number, flags: readonly CommandFlag[], fast: boolean, keySpecFlags: string[], handler: CommandHandler, opts: ZsetSpecOptions = {}): CommandSpec {
  const write = flags.includes('write');
  const firstKey = opts.firstKey ?? 1;
  return {
    name, arity, flags, firstKey, lastKey: opts.lastKey ?? firstKey, step: firstKey === 0 ? 0 : 1,
    categories: [write ? 'write' : 'read', 'sortedset', fast ? 'fast' : 'slow'],
    keySpecFlags, keySpecs: opts.keySpecs, keys: opts.keys, tips: opts.tips, cluster: READ_WRITE, handler,
  };
}
