// server/commands/zset-ranges.ts — the sorted set commands over a range of
// ranks, scores or members, as Redis 7.0's zrangeGenericCommand and
// zremrangeGenericCommand: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES),
// ZRANGESTORE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
// ZREVRANGEBYLEX, ZCOUNT, ZLEXCOUNT, ZREMRANGEBYRANK, ZREMRANGEBYSCORE,
// ZREMRANGEBYLEX. Ranges walk the key's index (O(log n) to the first
// member, then one step per member).
import { aboveMin, belowMax, lexAboveMin, lexBelowMax, parseLexRange, parseScoreRange, type LexRange, type ScoreRange } from '../../datatypes/zset';
import type { ZsetNode, ZsetSkiplist } from '../../datatypes/zset-skiplist';
import type { ZsetEntry } from '../../cluster/index';
import { CommandError, ERR } from '../errors';
import { clampToSafe, int64Arg, isToken } from './string-args';
import type { CommandContext } from './types';
import { readZset, replyEntry, replyMembersHeader, writeZset, ZSET_ERR, zsetSpec } from './zset-common';

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

function longArg(arg: Buffer): number {
  return clampToSafe(int64Arg(arg));
}

/** The members of a rank range (genericZrangebyrankCommand's sanitising). */
function byRank(index: ZsetSkiplist, startArg: number, endArg: number, reverse: boolean): ZsetNode[] {
  const llen = index.size;
  let start = startArg < 0 ? llen + startArg : startArg;
  let end = endArg < 0 ? llen + endArg : endArg;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return [];
  if (end >= llen) end = llen - 1;
  const out: ZsetNode[] = [];
  let node = index.at(reverse ? llen - 1 - start : start);
  for (let n = end - start + 1; n > 0 && node !== null; n--) {
    out.push(node);
    node = reverse ? node.backward : node.forward;
  }
  return out;
}

/** Walks from the first member in range, skips offset, then takes up to limit (negative: all) while in range. */
function walk(first: ZsetNode | null, reverse: boolean, inRange: (n: ZsetNode) => boolean, offset: number, limit: number): ZsetNode[] {
  const out: ZsetNode[] = [];
  if (offset < 0) return out;
  let node = first;
  for (let skip = offset; node !== null && skip > 0; skip--) node = reverse ? node.backward : node.forward;
  for (let left = limit; node !== null && left !== 0 && inRange(node); left--) {
    out.push(node);
    node = reverse ? node.backward : node.forward;
  }
  return out;
}

function byScore(index: ZsetSkiplist, range: ScoreRange, reverse: boolean, offset: number, limit: number): ZsetNode[] {
  if (offset > 0 && offset >= index.size) return [];
  const first = reverse ? index.lastInScore(range) : index.firstInScore(range);
  return walk(first, reverse, (n) => (reverse ? aboveMin(range, n.score) : belowMax(range, n.score)), offset, limit);
}

function byLex(index: ZsetSkiplist, range: LexRange, reverse: boolean, offset: number, limit: number): ZsetNode[] {
  if (offset > 0 && offset >= index.size) return [];
  const first = reverse ? index.lastInLex(range) : index.firstInLex(range);
  return walk(first, reverse, (n) => (reverse ? lexAboveMin(range, n.member) : lexBelowMax(range, n.member)), offset, limit);
}

/**
 * zrangeGenericCommand: argv[at] is the source key, then min and max, then
 * options; dst (ZRANGESTORE) stores instead of replying members.
 */
function zrangeGeneric(ctx: CommandContext, argv: Buffer[], at: number, dst: Buffer | null, type: RangeType, direction: Direction): void {
  let withscores = false;
  let offset = 0;
  let limit = -1;
  let minAt = at + 1;
  let maxAt = at + 2;
  for (let j = at + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    if (dst === null && isToken(argv[j], 'withscores')) {
      withscores = true;
    } else if (isToken(argv[j], 'limit') && left >= 2) {
      offset = longArg(argv[j + 1]);
      limit = longArg(argv[j + 2]);
      j += 2;
    } else if (direction === 'auto' && isToken(argv[j], 'rev')) {
      direction = 'reverse';
    } else if (type === 'auto' && isToken(argv[j], 'bylex')) {
      type = 'lex';
    } else if (type === 'auto' && isToken(argv[j], 'byscore')) {
      type = 'score';
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  const reverse = direction === 'reverse';
  if (type === 'auto') type = 'rank';
  if (limit !== -1 && type === 'rank') throw new CommandError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (withscores && type === 'lex') throw new CommandError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  if (reverse && type !== 'rank') [minAt, maxAt] = [maxAt, minAt];
  let select: (index: ZsetSkiplist) => ZsetNode[];
  if (type === 'rank') {
    const start = longArg(argv[minAt]);
    const end = longArg(argv[maxAt]);
    select = (index) => byRank(index, start, end, reverse);
  } else if (type === 'score') {
    const range = parseScoreRange(argv[minAt], argv[maxAt]);
    if (range === null) throw new CommandError(ZSET_ERR.rangeNotFloat);
    select = (index) => byScore(index, range, reverse, offset, limit);
  } else {
    const range = parseLexRange(argv[minAt], argv[maxAt]);
    if (range === null) throw new CommandError(ZSET_ERR.lexRange);
    select = (index) => byLex(index, range, reverse, offset, limit);
  }
  const index = dst === null ? readZset(ctx, argv[at]) : writeZset(ctx, argv[at]);
  const nodes = index === null ? [] : select(index);
  if (dst !== null) {
    const entries: ZsetEntry[] = nodes.map((n) => ({ member: Buffer.from(n.member, 'latin1'), score: n.score }));
    ctx.store.zsets.replace(ctx.client.db, dst, entries, ctx.server.config.zsetListpack);
    ctx.reply.integer(entries.length);
    return;
  }
  replyMembersHeader(ctx, nodes.length, withscores);
  for (const n of nodes) replyEntry(ctx, n.member, n.score, withscores);
}

function zcount(ctx: CommandContext, argv: Buffer[]): void {
  const range = parseScoreRange(argv[2], argv[3]);
  if (range === null) throw new CommandError(ZSET_ERR.rangeNotFloat);
  const index = readZset(ctx, argv[1]);
  const first = index?.firstInScore(range) ?? null;
  const last = index?.lastInScore(range) ?? null;
  ctx.reply.integer(index === null || first === null || last === null ? 0 : index.rank(last.member) - index.rank(first.member) + 1);
}

function zlexcount(ctx: CommandContext, argv: Buffer[]): void {
  const range = parseLexRange(argv[2], argv[3]);
  if (range === null) throw new CommandError(ZSET_ERR.lexRange);
  const index = readZset(ctx, argv[1]);
  const first = index?.firstInLex(range) ?? null;
  const last = index?.lastInLex(range) ?? null;
  ctx.reply.integer(index === null || first === null || last === null ? 0 : index.rank(last.member) - index.rank(first.member) + 1);
}

/** zremrangeGenericCommand: the range parsed first, then the key; how many members went. */
function zremrange(ctx: CommandContext, argv: Buffer[], type: 'rank' | 'score' | 'lex'): void {
  let select: (index: ZsetSkiplist) => ZsetNode[];
  if (type === 'rank') {
    const start = longArg(argv[2]);
    const end = longArg(argv[3]);
    select = (index) => byRank(index, start, end, false);
  } else if (type === 'score') {
    const range = parseScoreRange(argv[2], argv[3]);
    if (range === null) throw new CommandError(ZSET_ERR.rangeNotFloat);
    select = (index) => byScore(index, range, false, 0, -1);
  } else {
    const range = parseLexRange(argv[2], argv[3]);
    if (range === null) throw new CommandError(ZSET_ERR.lexRange);
    select = (index) => byLex(index, range, false, 0, -1);
  }
  const index = writeZset(ctx, argv[1]);
  if (index === null) {
    ctx.reply.integer(0);
    return;
  }
  const members = select(index).map((n) => Buffer.from(n.member, 'latin1'));
  ctx.reply.integer(members.length === 0 ? 0 : ctx.store.zsets.remove(ctx.client.db, argv[1], members));
}

const RO = ['RO', 'access'];

export const zsetRangeCommands = [
  zsetSpec('zrange', -4, ['readonly'], false, RO, (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'auto', 'auto')),
  zsetSpec('zrangestore', -5, ['write', 'denyoom'], false, ['OW', 'update'], (ctx, argv) => zrangeGeneric(ctx, argv, 2, argv[1], 'auto', 'auto'), {
    lastKey: 2,
    keySpecs: [
      { flags: ['OW', 'update'], index: 1, lastKey: 0, keyStep: 1 },
      { flags: ['RO', 'access'], index: 2, lastKey: 0, keyStep: 1 },
    ],
  }),
  zsetSpec('zrevrange', -4, ['readonly'], false, RO, (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'rank', 'reverse')),
  zsetSpec('zrangebyscore', -4, ['readonly'], false, RO, (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'score', 'forward')),
  zsetSpec('zrevrangebyscore', -4, ['readonly'], false, RO, (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'score', 'reverse')),
  zsetSpec('zrangebylex', -4, ['readonly'], false, RO, (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'lex', 'forward')),
  zsetSpec('zrevrangebylex', -4, ['readonly'], false, RO, (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'lex', 'reverse')),
  zsetSpec('zcount', 4, ['readonly', 'fast'], true, ['RO', 'access'], zcount),
  zsetSpec('zlexcount', 4, ['readonly', 'fast'], true, ['RO', 'access'], zlexcount),
  zsetSpec('zremrangebyrank', 4, ['write'], false, ['RW', 'delete'], (ctx, argv) => zremrange(ctx, argv, 'rank')),
  zsetSpec('zremrangebyscore', 4, ['write'], false, ['RW', 'delete'], (ctx, argv) => zremrange(ctx, argv, 'score')),
  zsetSpec('zremrangebylex', 4, ['write'], false, ['RW', 'delete'], (ctx, argv) => zremrange(ctx, argv, 'lex')),
];
