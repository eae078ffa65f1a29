// server/commands/sort-patterns.ts — what SORT's BY and GET patterns read, as
// Redis 7.0's lookupKeyByPattern: `#` is the element itself; otherwise the
// first '*' is replaced by the element, and a `->field` after it reads that
// field of a hash (the key must then be a hash, else a string); no '*', a
// missing key or a key of another type reads nothing. Patterns are searched
// as C strings (up to a NUL byte), the key and field keep every byte. Each
// lookup counts a keyspace hit or miss (lookupKeyRead). And the numeric
// score of an element or a BY value: C's strtod on the whole C string.
import { DynUnavailableError } from '../../cluster/index';
import { cString, strtod } from '../../datatypes/zset';
import { DataType } from '../../datatypes/types';
import { countLookup } from './keys';
import type { CommandContext } from './types';

/** The smallest normal double: glibc's strtod says ERANGE below it (a subnormal result). */
const MIN_NORMAL = 2.2250738585072014e-308;

/** Whether this node holds a replica of key (always, on a cluster of one). */
export function holdsHere(ctx: CommandContext, key: Buffer): boolean {
  return ctx.store.single || ctx.store.preferenceList(key).includes(ctx.store.selfId);
}

/** The key a pattern names for an element, and the hash field after `->` (null: the key is a string). */
function patternKey(pattern: Buffer, element: Buffer): { key: Buffer; field: Buffer | null } | null {
  const nul = pattern.indexOf(0);
  const clen = nul < 0 ? pattern.length : nul;
  const star = pattern.indexOf(0x2a);
  if (star < 0 || star >= clen) return null;
  const arrow = pattern.indexOf('->', star + 1, 'latin1');
  // strstr finds "->" only before the NUL, and a field must follow it there.
  const field = arrow >= 0 && arrow + 2 < clen ? pattern.subarray(arrow + 2) : null;
  const tail = pattern.subarray(star + 1, field === null ? pattern.length : arrow);
  return { key: Buffer.concat([pattern.subarray(0, star), element, tail]), field };
}

/**
 * What a BY or GET pattern reads for an element; null when nothing. In a
 * cluster the key is read at this node's replica of it, and a key this node
 * holds none of answers DYNUNAVAILABLE (not a wrong nil).
 */
export function lookupByPattern(ctx: CommandContext, pattern: Buffer, element: Buffer): Buffer | null {
  if (pattern[0] === 0x23 && (pattern.length === 1 || pattern[1] === 0)) return element;
  const named = patternKey(pattern, element);
  if (named === null) return null;
  const db = ctx.client.db;
  if (!holdsHere(ctx, named.key)) {
    throw new DynUnavailableError(`DYNUNAVAILABLE SORT reads BY/GET keys at this node's replicas and it holds none of '${named.key.toString('latin1')}' (use a hash tag, or a cluster where N covers every node)`);
  }
  const meta = ctx.store.meta(db, named.key);
  countLookup(ctx, meta !== null);
  if (meta === null) return null;
  if (named.field === null) return meta.type === DataType.string ? ctx.store.get(db, named.key) : null;
  if (meta.type !== DataType.hash) return null;
  ctx.store.touch(db, named.key);
  return ctx.store.hashes.get(db, named.key, named.field);
}

/** A value's score as SORT reads it (strtod, all of it up to a NUL, not NaN, no ERANGE); null when it is no double. */
export function parseScoreOf(value: Buffer): number | null {
  const text = cString(value);
  const r = strtod(text);
  if (r.end !== text.length) return null;
  if (Number.isNaN(r.value) || r.range) return null;
  if (r.value !== 0 && Math.abs(r.value) < MIN_NORMAL) return null;
  return r.value;
}
