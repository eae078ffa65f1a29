// server/commands/zset-algebra.ts — ZUNION ZINTER ZDIFF, their STORE forms
// and ZINTERCARD, as Redis 7.0's zunionInterDiffGenericCommand: numkeys
// sources (sorted sets, or sets scoring 1: zset-sources.ts; absent ones
// empty), WEIGHTS and AGGREGATE SUM|MIN|MAX (not for
// ZDIFF), WITHSCORES (not for the STORE forms), LIMIT (ZINTERCARD only);
// sources taken from the smallest, as Redis sorts them, so sums round the
// same. Every key must be held here (the cluster routes the command to a
// node holding replicas of them all, else DYNUNAVAILABLE).
import { parseScore } from '../../datatypes/zset';
import type { ZsetEntry } from '../../cluster/index';
import { CommandError, ERR } from '../errors';
import { int64Arg, isToken, string2ll } from './string-args';
import type { CommandContext } from './types';
import { numkeysKeys, replyEntry, replyMembersHeader, zsetSpec } from './zset-common';
import { zsetSourceOf, type ZsetSource } from './zset-sources';

type Op = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

interface Source {
  readonly input: ZsetSource | null;
  weight: number;
}

function size(s: Source): number {
  return s.input?.size ?? 0;
}

/** zunionInterAggregate (NaN sums count as 0). */
function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

function weighted(weight: number, score: number): number {
  const v = weight * score;
  return Number.isNaN(v) ? 0 : v;
}

/** The result as member -> score (members as latin1 strings). */
function compute(op: Op, sources: Source[], how: Aggregate, limit: number): Map<string, number> {
  const out = new Map<string, number>();
  // Redis sorts the sources by size, smallest first (ZDIFF keeps the first).
  const sorted = op === 'diff' ? sources : [...sources].sort((a, b) => size(a) - size(b));
  if (op === 'inter') {
    if (sorted.some((s) => size(s) === 0)) return out;
    const [first, ...rest] = sorted;
    for (const [member, firstScore] of (first.input as ZsetSource).entries()) {
      let score = weighted(first.weight, firstScore);
      let everywhere = true;
      for (const s of rest) {
        const other = (s.input as ZsetSource).score(member);
        if (other === undefined) {
          everywhere = false;
          break;
        }
        score = aggregate(score, weighted(s.weight, other), how);
      }
      if (!everywhere) continue;
      out.set(member, score);
      if (limit > 0 && out.size >= limit) break;
    }
    return out;
  }
  if (op === 'union') {
    for (const s of sorted) {
      if (s.input === null) continue;
      for (const [member, memberScore] of s.input.entries()) {
        const score = weighted(s.weight, memberScore);
        const had = out.get(member);
        out.set(member, had === undefined ? score : aggregate(had, score, how));
      }
    }
    return out;
  }
  const [first, ...rest] = sorted;
  if (first.input === null) return out;
  for (const [member, score] of first.input.entries()) {
    if (rest.some((s) => s.input?.score(member) !== undefined)) continue;
    out.set(member, score);
  }
  return out;
}

function byScoreThenMember(a: [string, number], b: [string, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** argv[at] is numkeys; dst the STORE forms' destination; cardinality ZINTERCARD. */
function zsetOp(ctx: CommandContext, argv: Buffer[], at: number, dst: Buffer | null, op: Op, cardinality: boolean): void {
  const command = argv[0].toString('latin1').toLowerCase();
  const setnum = int64Arg(argv[at]);
  if (setnum < 1) throw new CommandError(`ERR at least 1 input key is needed for '${command}' command`);
  if (setnum > argv.length - (at + 1)) throw new CommandError(ERR.syntax);
  const n = Number(setnum);
  const sources: Source[] = [];
  let j = at + 1;
  for (let i = 0; i < n; i++, j++) sources.push({ input: zsetSourceOf(ctx, argv[j], dst !== null), weight: 1 });
  let how: Aggregate = 'sum';
  let withscores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    if (op !== 'diff' && !cardinality && remaining >= n + 1 && isToken(argv[j], 'weights')) {
      j++;
      for (let i = 0; i < n; i++, j++) {
        const w = parseScore(argv[j]);
        if (w === null) throw new CommandError('ERR weight value is not a float');
        sources[i].weight = w;
      }
    } else if (op !== 'diff' && !cardinality && remaining >= 2 && isToken(argv[j], 'aggregate')) {
      const name = argv[j + 1];
      if (isToken(name, 'sum')) how = 'sum';
      else if (isToken(name, 'min')) how = 'min';
      else if (isToken(name, 'max')) how = 'max';
      else throw new CommandError(ERR.syntax);
      j += 2;
    } else if (dst === null && !cardinality && isToken(argv[j], 'withscores')) {
      withscores = true;
      j++;
    } else if (cardinality && remaining >= 2 && isToken(argv[j], 'limit')) {
      const l = string2ll(argv[j + 1]);
      if (l === null || l < 0) throw new CommandError("ERR LIMIT can't be negative");
      limit = Number(l);
      j += 2;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  const result = compute(op, sources, how, cardinality ? limit : 0);
  if (cardinality) {
    ctx.reply.integer(result.size);
    return;
  }
  const sorted = [...result].sort(byScoreThenMember);
  if (dst !== null) {
    const entries: ZsetEntry[] = sorted.map(([member, score]) => ({ member: Buffer.from(member, 'latin1'), score }));
    ctx.store.zsets.replace(ctx.client.db, dst, entries, ctx.server.config.zsetListpack);
    ctx.reply.integer(entries.length);
    return;
  }
  replyMembersHeader(ctx, sorted.length, withscores);
  for (const [member, score] of sorted) replyEntry(ctx, member, score, withscores);
}

const STORE_SPECS = [
  { flags: ['OW', 'update'], index: 1, lastKey: 0, keyStep: 1 },
  { flags: ['RO', 'access'], index: 3, lastKey: -1, keyStep: 1 },
];
const READ_SPECS = [{ flags: ['RO', 'access'], index: 2, lastKey: -1, keyStep: 1 }];

function storeKeys(argv: readonly Buffer[], into: Buffer[]): void {
  into.push(argv[1]);
  numkeysKeys(argv, 2, into);
}

const readKeys = (argv: readonly Buffer[], into: Buffer[]): void => numkeysKeys(argv, 1, into);

export const zsetAlgebraCommands = [
  zsetSpec('zunion', -3, ['readonly'], false, ['RO', 'access'], (ctx, argv) => zsetOp(ctx, argv, 1, null, 'union', false), { firstKey: 0, keySpecs: READ_SPECS, keys: readKeys }),
  zsetSpec('zinter', -3, ['readonly'], false, ['RO', 'access'], (ctx, argv) => zsetOp(ctx, argv, 1, null, 'inter', false), { firstKey: 0, keySpecs: READ_SPECS, keys: readKeys }),
  zsetSpec('zdiff', -3, ['readonly'], false, ['RO', 'access'], (ctx, argv) => zsetOp(ctx, argv, 1, null, 'diff', false), { firstKey: 0, keySpecs: READ_SPECS, keys: readKeys }),
  zsetSpec('zintercard', -3, ['readonly'], false, ['RO', 'access'], (ctx, argv) => zsetOp(ctx, argv, 1, null, 'inter', true), { firstKey: 0, keySpecs: READ_SPECS, keys: readKeys }),
  zsetSpec('zunionstore', -4, ['write', 'denyoom'], false, ['OW', 'update'], (ctx, argv) => zsetOp(ctx, argv, 2, argv[1], 'union', false), { keySpecs: STORE_SPECS, keys: storeKeys }),
  zsetSpec('zinterstore', -4, ['write', 'denyoom'], false, ['OW', 'update'], (ctx, argv) => zsetOp(ctx, argv, 2, argv[1], 'inter', false), { keySpecs: STORE_SPECS, keys: storeKeys }),
  zsetSpec('zdiffstore', -4, ['write', 'denyoom'], false, ['OW', 'update'], (ctx, argv) => zsetOp(ctx, argv, 2, argv[1], 'diff', false), { keySpecs: STORE_SPECS, keys: storeKeys }),
];
