// server/commands/bitop.ts — BITOP AND|OR|XOR|NOT destkey key..., as Redis's
// bitops.c: sources shorter than the longest read as zero padded, a missing
// key as an empty string; the result replaces destkey whatever its type
// (no TTL kept), and when every source is empty destkey is deleted.
import { BIT_ERR, CommandError, ERR } from '../errors';
import { isToken, readValue } from './string-args';
import type { CommandContext, CommandSpec } from './types';

const AND = 0;
const OR = 1;
const XOR = 2;
const NOT = 3;

function opOf(name: Buffer): number {
  if (isToken(name, 'and')) return AND;
  if (isToken(name, 'or')) return OR;
  if (isToken(name, 'xor')) return XOR;
  if (isToken(name, 'not')) return NOT;
  throw new CommandError(ERR.syntax);
}

function bitop(ctx: CommandContext, argv: Buffer[]): void {
  const op = opOf(argv[1]);
  if (op === NOT && argv.length !== 4) throw new CommandError(BIT_ERR.notSingleSource);
  const sources: Buffer[] = [];
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const value = readValue(ctx, argv[j]) ?? Buffer.alloc(0); // WRONGTYPE for another type
    sources.push(value);
    if (value.length > maxlen) maxlen = value.length;
  }
  const db = ctx.client.db;
  const dest = argv[2];
  if (maxlen === 0) {
    ctx.store.delete(db, dest);
    ctx.reply.integer(0);
    return;
  }
  const res = Buffer.alloc(maxlen); // zero padded
  sources[0].copy(res, 0);
  if (op === NOT) {
    for (let i = 0; i < maxlen; i++) res[i] = ~res[i];
  } else {
    for (let k = 1; k < sources.length; k++) {
      const src = sources[k];
      const n = src.length;
      if (op === AND) {
        for (let i = 0; i < n; i++) res[i] &= src[i];
        res.fill(0, n);
      } else if (op === OR) {
        for (let i = 0; i < n; i++) res[i] |= src[i];
      } else {
        for (let i = 0; i < n; i++) res[i] ^= src[i];
      }
    }
  }
  ctx.store.set(db, dest, res, 0);
  ctx.reply.integer(maxlen);
}

export const bitopCommands: CommandSpec[] = [
  {
    name: 'bitop', arity: -4, flags: ['write', 'denyoom'], firstKey: 2, lastKey: -1, step: 1,
    categories: ['write', 'bitmap', 'slow'],
    keySpecs: [
      { flags: ['OW', 'update'], index: 2, lastKey: 0, keyStep: 1 },
      { flags: ['RO', 'access'], index: 3, lastKey: -1, keyStep: 1 },
    ],
    handler: bitop,
  },
];
