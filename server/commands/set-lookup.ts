// server/commands/set-lookup.ts — what every set command file shares: the
// type check of a key (Redis's checkType: WRONGTYPE for another type), with
// or without counting the lookup as a keyspace hit or miss (lookupKeyRead
// counts, lookupKeyWrite does not), and a reply of members as a set
// (RESP3 '~', RESP2 an array).
import { DataType } from '../../datatypes/types';
import { CommandError, ERR } from '../errors';
import { countLookup } from './keys';
import type { CommandContext } from './types';

/** Whether the key holds a set: false when absent, WRONGTYPE when another type (lookupKeyWrite + checkType). */
export function isSet(ctx: CommandContext, key: Buffer): boolean {
  const meta = ctx.store.meta(ctx.client.db, key);
  if (meta === null) return false;
  if (meta.type !== DataType.set) throw new CommandError(ERR.wrongType);
  return true;
}

/** lookupKeyRead + checkType: counts the keyspace hit or miss, and the access of the key. */
export function readSet(ctx: CommandContext, key: Buffer): boolean {
  const meta = ctx.store.meta(ctx.client.db, key);
  countLookup(ctx, meta !== null);
  if (meta === null) return false;
  if (meta.type !== DataType.set) throw new CommandError(ERR.wrongType);
  ctx.store.touch(ctx.client.db, key);
  return true;
}

/** Members as a set reply. */
export function replySet(ctx: CommandContext, members: readonly Buffer[]): void {
  ctx.reply.setHeader(members.length);
  for (const m of members) ctx.reply.bulk(m);
}
