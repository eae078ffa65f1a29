// server/commands/set-random.ts — SPOP and SRANDMEMBER, as Redis 7.0's
// spopCommand, spopWithCountCommand, srandmemberCommand and
// srandmemberWithCountCommand: the same argument checks in the same order,
// the same reply types (SPOP with a count answers a set, SRANDMEMBER an
// array), the whole set when the count reaches its size (in the order
// SUNION would give it), random picks otherwise (the store's sets.random).
import { fitsIntset, compareIntsetMembers } from '../../datatypes/set';
import { CommandError, ERR } from '../errors';
import { isSet, readSet, replySet } from './set-lookup';
import { int64Arg, string2ll } from './string-args';
import type { CommandContext } from './types';

const LONG_MAX = 9223372036854775807n;
const SET_ERR = {
  notPositive: 'ERR value is out of range, must be positive',
  outOfRange: `ERR value is out of range, value must between -${LONG_MAX} and ${LONG_MAX}`,
} as const;

/** The whole set in the order SUNION of it answers (numeric when its members would make an intset). */
function wholeSet(ctx: CommandContext, key: Buffer): Buffer[] {
  const members = ctx.store.sets.members(ctx.client.db, key);
  if (fitsIntset(members, ctx.server.config.setMaxIntsetEntries)) members.sort(compareIntsetMembers);
  return members;
}

/** SPOP key [count]. */
export function spop(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) throw new CommandError(ERR.syntax);
  const db = ctx.client.db;
  const key = argv[1];
  if (argv.length === 3) {
    spopWithCount(ctx, key, argv[2]);
    return;
  }
  if (!isSet(ctx, key)) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.bulk(ctx.store.sets.pop(db, key, 1)[0]);
}

function spopWithCount(ctx: CommandContext, key: Buffer, arg: Buffer): void {
  const parsed = string2ll(arg);
  if (parsed === null || parsed < 0) throw new CommandError(SET_ERR.notPositive);
  const db = ctx.client.db;
  if (!isSet(ctx, key) || parsed === 0) {
    ctx.reply.setHeader(0);
    return;
  }
  if (parsed < ctx.store.sets.length(db, key)) {
    replySet(ctx, ctx.store.sets.pop(db, key, Number(parsed)));
    return;
  }
  const popped = wholeSet(ctx, key);
  ctx.store.sets.remove(db, key, popped, 0);
  replySet(ctx, popped);
}

/** SRANDMEMBER key [count]. */
export function srandmember(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) throw new CommandError(ERR.syntax);
  const db = ctx.client.db;
  const key = argv[1];
  if (argv.length === 3) {
    srandmemberWithCount(ctx, key, argv[2]);
    return;
  }
  if (!readSet(ctx, key)) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.bulk(ctx.store.sets.random(db, key, 1, true)[0]);
}

function srandmemberWithCount(ctx: CommandContext, key: Buffer, arg: Buffer): void {
  const l = BigInt(int64Arg(arg));
  if (l < -LONG_MAX) throw new CommandError(SET_ERR.outOfRange);
  const db = ctx.client.db;
  if (!readSet(ctx, key) || l === 0n) {
    ctx.reply.arrayHeader(0);
    return;
  }
  const distinct = l > 0n;
  const count = distinct ? l : -l;
  const size = ctx.store.sets.length(db, key);
  let picks: Buffer[];
  // A count past the set's size returns it whole, each member once (in the set's own order).
  if (distinct && count >= BigInt(size)) picks = ctx.store.sets.members(db, key);
  else picks = ctx.store.sets.random(db, key, Number(count), distinct);
  ctx.reply.arrayHeader(picks.length);
  for (const m of picks) ctx.reply.bulk(m);
}
