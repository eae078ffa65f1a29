// server/commands/counters.ts — the string family's counters, as Redis's
// t_string.c: INCR, DECR, INCRBY, DECRBY on int64 values (exact beyond 2^53,
// overflow refused) and INCRBYFLOAT on long doubles (longdouble.ts). All
// keep the key's TTL, as Redis overwrites the value in place.
// INCR, DECR, INCRBY and DECRBY write a counter (datatypes/counter.ts): this
// node's increments on top of the value they found, so increments made on
// both sides of a partition all count once it heals; every command reads it
// as the string of its decimal. INCRBYFLOAT writes the sum as a string (a
// register): long double sums are not associative, so per-node float totals
// could not give Redis's digits.
import { CommandError, ERR, STRING_ERR } from '../errors';
import { counterValue } from '../../datatypes/counter';
import { addLongDouble, formatLongDouble, parseLongDouble, ZERO } from './longdouble';
import { INT64_MAX, INT64_MIN, int64Arg, string2ll } from './string-args';
import type { CommandContext, CommandSpec } from './types';

function incrDecr(ctx: CommandContext, key: Buffer, incr: number | bigint): void {
  const db = ctx.client.db;
  const { counter, expireAt } = ctx.store.counter(db, key, integerOf);
  if (counter === null) throw new CommandError(ERR.notInteger);
  // Increments merged from both sides of a partition may pass int64: that text is no integer to Redis either.
  const value = counterValue(counter);
  if (value > INT64_MAX || value < INT64_MIN) throw new CommandError(ERR.notInteger);
  const by = BigInt(incr);
  const result = value + by;
  if (result > INT64_MAX || result < INT64_MIN) throw new CommandError(ERR.overflow);
  ctx.store.increment(db, key, counter, by, expireAt);
  ctx.reply.integer(result);
}

/** A string value's integer as INCR reads it (Redis's string2ll), null when it is none. */
function integerOf(value: Buffer): bigint | null {
  const n = string2ll(value);
  return n === null ? null : BigInt(n);
}

function incr(ctx: CommandContext, argv: Buffer[]): void {
  incrDecr(ctx, argv[1], 1);
}

function decr(ctx: CommandContext, argv: Buffer[]): void {
  incrDecr(ctx, argv[1], -1);
}

function incrby(ctx: CommandContext, argv: Buffer[]): void {
  incrDecr(ctx, argv[1], int64Arg(argv[2]));
}

function decrby(ctx: CommandContext, argv: Buffer[]): void {
  const by = int64Arg(argv[2]);
  if (by === INT64_MIN) throw new CommandError(STRING_ERR.decrementOverflow); // -by does not fit
  incrDecr(ctx, argv[1], -by);
}

function incrbyfloat(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const key = argv[1];
  const meta = ctx.store.meta(db, key);
  const old = meta === null ? null : ctx.store.get(db, key);
  const value = old === null ? ZERO : parseLongDouble(old);
  const by = parseLongDouble(argv[2]);
  if (value === null || by === null) throw new CommandError(ERR.notFloat);
  const sum = addLongDouble(value, by);
  if (sum === null) throw new CommandError(ERR.nanOrInfinity);
  const text = formatLongDouble(sum);
  ctx.store.set(db, key, Buffer.from(text, 'latin1'), old === null || meta === null ? 0 : meta.expireAt);
  ctx.reply.bulk(text);
}

function counter(name: string, arity: number, handler: CommandSpec['handler']): CommandSpec {
  return {
    name, arity, flags: ['write', 'denyoom', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'fast'], keySpecFlags: ['RW', 'access', 'update'], handler,
  };
}

export const counterCommands: CommandSpec[] = [
  counter('incr', 2, incr),
  counter('decr', 2, decr),
  counter('incrby', 3, incrby),
  counter('decrby', 3, decrby),
  counter('incrbyfloat', 3, incrbyfloat),
];
