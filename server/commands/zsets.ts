// server/commands/zsets.ts — the sorted set family's single-key commands, as
// Redis 7.0's t_zset.c: ZADD ZINCRBY ZSCORE ZMSCORE ZCARD ZREM ZRANK
// ZREVRANK ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN; the range commands are
// zset-ranges.ts, ZUNION/ZINTER/ZDIFF zset-algebra.ts, and this file's
// zsetCommands lists them all. The type's storage is the store's
// (cluster/coordinator/zsets.ts); here are argument parsing, the type check
// (WRONGTYPE) and replies, in the order Redis does them, so the same bad
// command fails with the same error.
import { formatScore, listpackScoreText, parseScore } from '../../datatypes/zset';
import type { ZsetChange } from '../../cluster/index';
import { CommandError, ERR } from '../errors';
import { globMatch } from '../glob';
import { parseCursor, replyEmptyScan, scanOptions } from './scan';
import { clampToSafe, int64Arg, isToken, string2ll } from './string-args';
import type { CommandContext } from './types';
import { zsetAlgebraCommands } from './zset-algebra';
import { numkeysKeys, readZset, replyEntry, replyMember, replyMembersHeader, replyScore, writeZset, ZSET_ERR, zsetSpec } from './zset-common';
import { zsetRangeCommands } from './zset-ranges';

const LONG_MAX = 9223372036854775807n;
/** Engine scan counts are 32-bit; a bigger COUNT only means "all". */

/** ZADD and ZINCRBY (zaddGenericCommand): options, pairs, every score parsed before anything is written. */
export function zadd(ctx: CommandContext, argv: Buffer[], incrOnly: boolean): void {
  let nx = false, xx = false, ch = false, incr = incrOnly, gt = false, lt = false;
  let at = 2;
  for (; at < argv.length; at++) {
    const opt = argv[at];
    if (isToken(opt, 'nx')) nx = true;
    else if (isToken(opt, 'xx')) xx = true;
    else if (isToken(opt, 'ch')) ch = true;
    else if (isToken(opt, 'incr')) incr = true;
    else if (isToken(opt, 'gt')) gt = true;
    else if (isToken(opt, 'lt')) lt = true;
    else break;
  }
  const elements = argv.length - at;
  if (elements % 2 === 1 || elements === 0) throw new CommandError(ERR.syntax);
  if (nx && xx) throw new CommandError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) throw new CommandError('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && elements > 2) throw new CommandError('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = at; j < argv.length; j += 2) {
    const score = parseScore(argv[j]);
    if (score === null) throw new CommandError(ZSET_ERR.notFloat);
    scores.push(score);
  }
  const key = argv[1];
  const index = writeZset(ctx, key);
  let added = 0, updated = 0, processed = 0;
  let last = 0;
  const changes: ZsetChange[] = [];
  let nan = false;
  if (index !== null || !xx) {
    const pending = new Map<string, number>();
    for (let j = 0; j < scores.length; j++) {
      const member = argv[at + 1 + j * 2];
      const name = member.toString('latin1');
      const current = pending.has(name) ? pending.get(name) : index?.score(name);
      let score = scores[j];
      if (current !== undefined) {
        if (nx) continue;
        if (incr) {
          score += current;
          if (Number.isNaN(score)) {
            nan = true;
            break;
          }
        }
        if ((lt && score >= current) || (gt && score <= current)) continue;
        last = score;
        processed++;
        if (score !== current) {
          changes.push({ member, score });
          pending.set(name, score);
          updated++;
        }
      } else {
        if (xx) continue;
        last = score;
        processed++;
        added++;
        changes.push({ member, score });
        pending.set(name, score);
      }
    }
  }
  ctx.store.zsets.update(ctx.client.db, key, changes, ctx.server.config.zsetListpack);
  if (nan) throw new CommandError(ZSET_ERR.nan);
  if (incr) {
    if (processed > 0) replyScore(ctx, last);
    else ctx.reply.nullBulk();
  } else {
    ctx.reply.integer(ch ? added + updated : added);
  }
}

function zscore(ctx: CommandContext, argv: Buffer[]): void {
  const score = readZset(ctx, argv[1])?.score(argv[2].toString('latin1'));
  if (score === undefined) ctx.reply.nullBulk();
  else replyScore(ctx, score);
}

function zmscore(ctx: CommandContext, argv: Buffer[]): void {
  const index = readZset(ctx, argv[1]);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = index?.score(argv[j].toString('latin1'));
    if (score === undefined) ctx.reply.nullBulk();
    else replyScore(ctx, score);
  }
}

function zcard(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(readZset(ctx, argv[1]) === null ? 0 : ctx.store.zsets.length(ctx.client.db, argv[1]));
}

function zrem(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(writeZset(ctx, argv[1]) === null ? 0 : ctx.store.zsets.remove(ctx.client.db, argv[1], argv.slice(2)));
}

function zrank(ctx: CommandContext, argv: Buffer[], reverse: boolean): void {
  const index = readZset(ctx, argv[1]);
  const rank = index === null ? -1 : index.rank(argv[2].toString('latin1'));
  if (index === null || rank < 0) ctx.reply.nullBulk();
  else ctx.reply.integer(reverse ? index.size - 1 - rank : rank);
}

/**
 * genericZpopCommand: pops up to count members of the first non-empty key
 * (keys checked in order, WRONGTYPE on the first of another type). count
 * -1: a single pop, flat reply; emitKey: ZMPOP's [key, [[member, score] ...]].
 */
function zpop(ctx: CommandContext, keys: readonly Buffer[], max: boolean, count: number, nested: boolean, emitKey: boolean): void {
  let key: Buffer | null = null;
  for (const k of keys) {
    if (writeZset(ctx, k) === null) continue;
    key = k;
    break;
  }
  if (key === null || count === 0) {
    if (key === null && emitKey) ctx.reply.nullArray();
    else ctx.reply.arrayHeader(0);
    return;
  }
  const index = ctx.store.zsets.view(ctx.client.db, key);
  if (index === null) throw new Error('zpop: a sorted set without its index');
  const n = Math.min(count === -1 ? 1 : count, index.size);
  const popped: { member: string; score: number }[] = [];
  for (let node = max ? index.last() : index.first(); node !== null && popped.length < n; node = max ? node.backward : node.forward) popped.push({ member: node.member, score: node.score });
  if (emitKey) {
    ctx.reply.arrayHeader(2);
    ctx.reply.bulk(key);
    ctx.reply.arrayHeader(n);
  } else {
    ctx.reply.arrayHeader(nested ? n : n * 2);
  }
  for (const p of popped) {
    if (nested) ctx.reply.arrayHeader(2);
    replyMember(ctx, p.member);
    replyScore(ctx, p.score);
  }
  ctx.store.zsets.update(ctx.client.db, key, popped.map((p) => ({ member: Buffer.from(p.member, 'latin1'), score: null })), ctx.server.config.zsetListpack);
}

/** getPositiveLongFromObjectOrReply. */
function positiveLong(arg: Buffer): number {
  const v = string2ll(arg);
  if (v === null || v < 0) throw new CommandError('ERR value is out of range, must be positive');
  return clampToSafe(v);
}

function zpopMinMax(ctx: CommandContext, argv: Buffer[], max: boolean): void {
  if (argv.length > 3) throw new CommandError(ERR.syntax);
  const count = argv.length === 3 ? positiveLong(argv[2]) : -1;
  zpop(ctx, [argv[1]], max, count, ctx.reply.resp === 3 && count !== -1, false);
}

/** getRangeLongFromObjectOrReply(1, LONG_MAX, message). */
function atLeastOne(arg: Buffer, message: string): number {
  const v = string2ll(arg);
  if (v === null || v < 1) throw new CommandError(`ERR ${message}`);
  return clampToSafe(v);
}

function zmpop(ctx: CommandContext, argv: Buffer[]): void {
  const numkeys = atLeastOne(argv[1], 'numkeys should be greater than 0');
  const whereAt = 1 + numkeys + 1;
  if (whereAt >= argv.length) throw new CommandError(ERR.syntax);
  let max: boolean;
  if (isToken(argv[whereAt], 'min')) max = false;
  else if (isToken(argv[whereAt], 'max')) max = true;
  else throw new CommandError(ERR.syntax);
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count === -1 && isToken(argv[j], 'count') && j + 1 < argv.length) {
      count = atLeastOne(argv[++j], 'count should be greater than 0');
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  zpop(ctx, argv.slice(2, 2 + numkeys), max, count === -1 ? 1 : count, true, true);
}

function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/** ZRANDMEMBER key [count [WITHSCORES]], as zrandmemberCommand and zrandmemberWithCountCommand. */
function zrandmember(ctx: CommandContext, argv: Buffer[]): void {
  const key = argv[1];
  if (argv.length === 2) {
    const index = readZset(ctx, key);
    if (index === null) ctx.reply.nullBulk();
    else replyMember(ctx, (index.at(randomIndex(index.size)) as { member: string }).member);
    return;
  }
  const l = BigInt(int64Arg(argv[2]));
  if (l < -LONG_MAX) throw new CommandError(`ERR value is out of range, value must between -${LONG_MAX} and ${LONG_MAX}`);
  if (argv.length > 4 || (argv.length === 4 && !isToken(argv[3], 'withscores'))) throw new CommandError(ERR.syntax);
  const withscores = argv.length === 4;
  if (withscores && (l < -LONG_MAX / 2n || l > LONG_MAX / 2n)) throw new CommandError('ERR value is out of range');
  const index = readZset(ctx, key);
  if (index === null) {
    ctx.reply.arrayHeader(0);
    return;
  }
  const size = index.size;
  const uniq = l >= 0n;
  const count = uniq ? l : -l;
  if (count === 0n) {
    ctx.reply.arrayHeader(0);
    return;
  }
  if (!uniq || count === 1n) {
    const n = Number(count);
    replyMembersHeader(ctx, n, withscores);
    for (let i = 0; i < n; i++) {
      const node = index.at(randomIndex(size));
      if (node !== null) replyEntry(ctx, node.member, node.score, withscores);
    }
    return;
  }
  // CASE 1 (count >= size): the whole set, from the highest as Redis walks a listpack back to front.
  if (count >= BigInt(size)) {
    replyMembersHeader(ctx, size, withscores);
    for (let node = index.last(); node !== null; node = node.backward) replyEntry(ctx, node.member, node.score, withscores);
    return;
  }
  // Else count distinct members, in the set's order.
  const n = Number(count);
  const chosen = new Uint8Array(size);
  for (let picked = 0; picked < n; ) {
    const i = randomIndex(size);
    if (chosen[i] === 0) {
      chosen[i] = 1;
      picked++;
    }
  }
  replyMembersHeader(ctx, n, withscores);
  let i = 0;
  for (let node = index.first(); node !== null; node = node.forward, i++) if (chosen[i] === 1) replyEntry(ctx, node.member, node.score, withscores);
}

/** ZSCAN key cursor [MATCH pattern] [COUNT count]: scores as text (Redis's scan replies strings). */
function zscan(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[2]);
  if (readZset(ctx, argv[1]) === null) {
    replyEmptyScan(ctx);
    return;
  }
  const { count, pattern } = scanOptions(argv, 3, false);
  const page = ctx.store.zsets.scan(ctx.client.db, argv[1], cursor, count);
  const p = pattern;
  const entries = p === null ? page.entries : page.entries.filter((e) => globMatch(p, e.member));
  ctx.reply.arrayHeader(2);
  ctx.reply.bulk(page.cursor.toString());
  ctx.reply.arrayHeader(entries.length * 2);
  for (const e of entries) {
    ctx.reply.bulk(e.member);
    ctx.reply.bulk(page.listpack ? listpackScoreText(e.score) : formatScore(e.score));
  }
}

export const zsetCommands = [
  zsetSpec('zadd', -4, ['write', 'denyoom', 'fast'], true, ['RW', 'update'], (ctx, argv) => zadd(ctx, argv, false)),
  zsetSpec('zincrby', 4, ['write', 'denyoom', 'fast'], true, ['RW', 'access', 'update'], (ctx, argv) => zadd(ctx, argv, true)),
  zsetSpec('zscore', 3, ['readonly', 'fast'], true, ['RO', 'access'], zscore),
  zsetSpec('zmscore', -3, ['readonly', 'fast'], true, ['RO', 'access'], zmscore),
  zsetSpec('zcard', 2, ['readonly', 'fast'], true, ['RO'], zcard),
  zsetSpec('zrem', -3, ['write', 'fast'], true, ['RW', 'delete'], zrem),
  zsetSpec('zrank', 3, ['readonly', 'fast'], true, ['RO'], (ctx, argv) => zrank(ctx, argv, false)),
  zsetSpec('zrevrank', 3, ['readonly', 'fast'], true, ['RO'], (ctx, argv) => zrank(ctx, argv, true)),
  zsetSpec('zpopmin', -2, ['write', 'fast'], true, ['RW', 'access', 'delete'], (ctx, argv) => zpopMinMax(ctx, argv, false)),
  zsetSpec('zpopmax', -2, ['write', 'fast'], true, ['RW', 'access', 'delete'], (ctx, argv) => zpopMinMax(ctx, argv, true)),
  zsetSpec('zmpop', -4, ['write'], false, ['RW', 'access', 'delete'], zmpop, {
    firstKey: 0,
    keySpecs: [{ flags: ['RW', 'access', 'delete'], index: 2, lastKey: -1, keyStep: 1 }],
    keys: (argv, into) => numkeysKeys(argv, 1, into),
  }),
  zsetSpec('zrandmember', -2, ['readonly'], false, ['RO', 'access'], zrandmember, { tips: ['nondeterministic_output'] }),
  zsetSpec('zscan', -3, ['readonly'], false, ['RO', 'access'], zscan, { tips: ['nondeterministic_output'] }),
  ...zsetRangeCommands,
  ...zsetAlgebraCommands,
];
