// server/commands/sets.ts — the set family, as Redis 7.0's t_set.c
// commands: SADD SREM SISMEMBER SMISMEMBER SCARD SMEMBERS SMOVE SSCAN here,
// SPOP SRANDMEMBER in set-random.ts, SINTER SINTERCARD SUNION SDIFF and the
// STORE forms in set-algebra.ts; the command table entries of them all
// (COMMAND INFO as redis-server 7.0.15 gives it). The type's operations are
// the store's (cluster/coordinator/sets.ts, Redis's setType* API); here are
// argument parsing, the type check (WRONGTYPE) and replies, in Redis's
// order. Every set command runs at the key's first live replica in a
// cluster (the element records are on its replicas): access 'read-write'.
import { globMatch } from '../glob';
import { parseCursor, replyEmptyScan, scanOptions } from './scan';
import { setAlgebra, setAlgebraStore, sintercard } from './set-algebra';
import { isSet, readSet } from './set-lookup';
import { spop, srandmember } from './set-random';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec, KeySpec } from './types';

/** Engine scan counts are 32-bit; a bigger COUNT only means "all". */

function sadd(ctx: CommandContext, argv: Buffer[]): void {
  // add() refuses another type (WRONGTYPE) before writing.
  ctx.reply.integer(ctx.store.sets.add(ctx.client.db, argv[1], argv, 2, ctx.server.config.setMaxIntsetEntries));
}

function srem(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(isSet(ctx, argv[1]) ? ctx.store.sets.remove(ctx.client.db, argv[1], argv, 2) : 0);
}

function sismember(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(readSet(ctx, argv[1]) && ctx.store.sets.isMember(ctx.client.db, argv[1], argv[2]) ? 1 : 0);
}

function smismember(ctx: CommandContext, argv: Buffer[]): void {
  const found = readSet(ctx, argv[1]);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) ctx.reply.integer(found && ctx.store.sets.isMember(ctx.client.db, argv[1], argv[j]) ? 1 : 0);
}

function scard(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(readSet(ctx, argv[1]) ? ctx.store.sets.length(ctx.client.db, argv[1]) : 0);
}

/** SMOVE source destination member: 0 for an absent source, else both keys checked (WRONGTYPE) before anything moves, as Redis. */
function smove(ctx: CommandContext, argv: Buffer[]): void {
  if (!isSet(ctx, argv[1])) {
    ctx.reply.integer(0);
    return;
  }
  isSet(ctx, argv[2]);
  ctx.reply.integer(ctx.store.sets.move(ctx.client.db, argv[1], argv[2], argv[3], ctx.server.config.setMaxIntsetEntries));
}

/** SSCAN key cursor [MATCH pattern] [COUNT count], as Redis's sscanCommand and scanGenericCommand (no TYPE: SCAN's alone). */
function sscan(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[2]);
  if (!readSet(ctx, argv[1])) {
    replyEmptyScan(ctx);
    return;
  }
  const { count, pattern } = scanOptions(argv, 3, false);
  const page = ctx.store.sets.scan(ctx.client.db, argv[1], cursor, count);
  const p = pattern;
  const members = p === null ? page.members : page.members.filter((m) => globMatch(p, m));
  ctx.reply.arrayHeader(2);
  ctx.reply.bulk(page.cursor.toString());
  ctx.reply.arrayHeader(members.length);
  for (const m of members) ctx.reply.bulk(m);
}

const READ_WRITE = (): { access: 'read-write' } => ({ access: 'read-write' });

interface Meta {
  firstKey?: number;
  lastKey?: number;
  keySpecFlags?: string[];
  keySpecs?: KeySpec[];
  tips?: string[];
}

function spec(name: string, arity: number, flags: readonly CommandFlag[], fast: boolean, handler: CommandHandler, meta: Meta): CommandSpec {
  const firstKey = meta.firstKey ?? 1;
  return {
    name, arity, flags, firstKey, lastKey: meta.lastKey ?? firstKey, step: firstKey === 0 ? 0 : 1,
    categories: [flags.includes('write') ? 'write' : 'read', 'set', fast ? 'fast' : 'slow'],
    keySpecFlags: meta.keySpecFlags, keySpecs: meta.keySpecs, tips: meta.tips, cluster: READ_WRITE, handler,
  };
}

const one = (flags: string[], index: number): KeySpec => ({ flags, index, lastKey: 0, keyStep: 1 });
const rest = (index: number): KeySpec => ({ flags: ['RO', 'access'], index, lastKey: -1, keyStep: 1 });
const ORDER = ['nondeterministic_output_order'];
const RANDOM = ['nondeterministic_output'];

export const setCommands: CommandSpec[] = [
  spec('sadd', -3, ['write', 'denyoom', 'fast'], true, sadd, { keySpecFlags: ['RW', 'insert'] }),
  spec('srem', -3, ['write', 'fast'], true, srem, { keySpecFlags: ['RW', 'delete'] }),
  spec('smembers', 2, ['readonly'], false, setAlgebra('inter'), { keySpecFlags: ['RO', 'access'], tips: ORDER }),
  spec('sismember', 3, ['readonly', 'fast'], true, sismember, { keySpecFlags: ['RO'] }),
  spec('smismember', -3, ['readonly', 'fast'], true, smismember, { keySpecFlags: ['RO', 'access'] }),
  spec('scard', 2, ['readonly', 'fast'], true, scard, { keySpecFlags: ['RO'] }),
  spec('spop', -2, ['write', 'fast'], true, spop, { keySpecFlags: ['RW', 'access', 'delete'], tips: RANDOM }),
  spec('srandmember', -2, ['readonly'], false, srandmember, { keySpecFlags: ['RO', 'access'], tips: RANDOM }),
  spec('smove', 4, ['write', 'fast'], true, smove, { lastKey: 2, keySpecs: [one(['RW', 'access', 'delete'], 1), one(['RW', 'insert'], 2)] }),
  spec('sinter', -2, ['readonly'], false, setAlgebra('inter'), { lastKey: -1, keySpecFlags: ['RO', 'access'], tips: ORDER }),
  spec('sinterstore', -3, ['write', 'denyoom'], false, setAlgebraStore('inter'), { lastKey: -1, keySpecs: [one(['RW', 'update'], 1), rest(2)] }),
  spec('sintercard', -3, ['readonly', 'movablekeys'], false, sintercard, {
    firstKey: 0,
    keySpecs: [{ flags: ['RO', 'access'], index: 1, lastKey: 0, keyStep: 0, keynum: { keynumIdx: 0, firstKey: 1, keyStep: 1 } }],
  }),
  spec('sunion', -2, ['readonly'], false, setAlgebra('union'), { lastKey: -1, keySpecFlags: ['RO', 'access'], tips: ORDER }),
  spec('sunionstore', -3, ['write', 'denyoom'], false, setAlgebraStore('union'), { lastKey: -1, keySpecs: [one(['OW', 'update'], 1), rest(2)] }),
  spec('sdiff', -2, ['readonly'], false, setAlgebra('diff'), { lastKey: -1, keySpecFlags: ['RO', 'access'], tips: ORDER }),
  spec('sdiffstore', -3, ['write', 'denyoom'], false, setAlgebraStore('diff'), { lastKey: -1, keySpecs: [one(['OW', 'update'], 1), rest(2)] }),
  spec('sscan', -3, ['readonly'], false, sscan, { keySpecFlags: ['RO', 'access'], tips: RANDOM }),
];
