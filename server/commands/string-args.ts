// server/commands/string-args.ts — argument parsing shared by the string and
// bitmap families, as Redis parses them: string2ll for integers
// (datatypes/int64.ts), options matched
// like C strings (case-insensitive, an argument ends at its first NUL byte),
// relative and absolute expire times, and reads that count keyspace hits.
import { CommandError, ERR, invalidExpireTime } from '../errors';
import { WRONG_TYPE, type KeyMeta } from '../../cluster/index';
import { INT64_MAX, INT64_MIN, string2ll } from '../../datatypes/int64';
import type { CommandContext } from './types';

export { INT64_MAX, INT64_MIN, string2ll };

const INT64_MAX_MS_AS_SECONDS = 9223372036854775; // LLONG_MAX / 1000

/** An int64 argument (getLongLongFromObjectOrReply); throws `message` when it is not one. */
export function int64Arg(buf: Buffer, message: string = ERR.notInteger): number | bigint {
  const v = string2ll(buf);
  if (v === null) throw new CommandError(message);
  return v;
}

/** A number or bigint as a number that keeps its order against any string length. */
export function clampToSafe(v: number | bigint): number {
  if (typeof v === 'number') return v;
  return v > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
}

/** True when arg equals `lower` ignoring case, read as a C string (up to its first NUL). */
export function isToken(arg: Buffer, lower: string): boolean {
  const n = lower.length;
  if (arg.length < n || (arg.length > n && arg[n] !== 0)) return false;
  for (let i = 0; i < n; i++) {
    const c = arg[i];
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Redis's getExpireMillisecondsOrReply: the absolute expiry in ms for an
 * EX/PX (relative) or EXAT/PXAT (absolute) argument. `command` names the
 * command in the invalid-expire error.
 */
export function expireAtArg(arg: Buffer, seconds: boolean, relative: boolean, command: string): number {
  const v = int64Arg(arg);
  if (v <= 0 || (seconds && v > INT64_MAX_MS_AS_SECONDS)) throw new CommandError(invalidExpireTime(command));
  const now = relative ? Date.now() : 0;
  if (typeof v === 'number') {
    const ms = seconds ? v * 1000 + now : v + now;
    if (ms <= Number.MAX_SAFE_INTEGER) return ms;
  }
  // Redis adds in int64 and rejects a sum that wrapped around.
  const ms = (seconds ? BigInt(v) * 1000n : BigInt(v)) + BigInt(now);
  if (ms > INT64_MAX) throw new CommandError(invalidExpireTime(command));
  return Number(ms);
}

/** lookupKeyRead: the value of key in the client's database, counted as a keyspace hit or miss. */
export function readValue(ctx: CommandContext, key: Buffer): Buffer | null {
  const value = ctx.store.get(ctx.client.db, key);
  if (value === null) ctx.server.stats.keyspaceMisses++;
  else ctx.server.stats.keyspaceHits++;
  return value;
}

/** Replies with a key's value (or a null bulk) read straight into the reply; counts hits and misses. WRONGTYPE for another type. */
export function replyValue(ctx: CommandContext, key: Buffer): void {
  const { store, client } = ctx;
  const len = ctx.reply.bulkRead((slab, offset) => {
    const read = store.getInto(client.db, key, slab, offset);
    if (read === WRONG_TYPE) throw new CommandError(ERR.wrongType);
    return read;
  });
  if (len < 0) ctx.server.stats.keyspaceMisses++;
  else ctx.server.stats.keyspaceHits++;
}

/** replyValue for MGET: a key of another type is a null bulk (a hit: the key exists), as Redis's MGET. */
export function replyValueOrNull(ctx: CommandContext, key: Buffer): void {
  const { store, client } = ctx;
  const len = ctx.reply.bulkRead((slab, offset) => store.getInto(client.db, key, slab, offset));
  if (len < 0 && len !== WRONG_TYPE) ctx.server.stats.keyspaceMisses++;
  else ctx.server.stats.keyspaceHits++;
}

/** A key's meta for a string command: WRONGTYPE when it holds another type (Redis's checkType). */
export function stringMeta(ctx: CommandContext, key: Buffer): KeyMeta | null {
  const meta = ctx.store.meta(ctx.client.db, key);
  if (meta !== null && meta.type !== 0) throw new CommandError(ERR.wrongType);
  return meta;
}

/** Redis's checkStringLength: a string of size + append bytes must fit proto-max-bulk-len. */
export function checkStringLength(ctx: CommandContext, size: number, append: number): void {
  if (size + append > ctx.server.config.protoMaxBulkLen) throw new CommandError(ERR.stringTooLong);
}
