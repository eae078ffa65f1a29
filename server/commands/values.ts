// server/commands/values.ts — a key's value taken whole and written whole,
// whatever its type, in the one shape DUMP's serialization has
// (datatypes/rdb/payload.ts RdbValue): DUMP and RESTORE (dump.ts), RENAME,
// COPY and MOVE of collections (keys.ts). A collection is read and written
// element by element through its type's operations, so these are O(size),
// as DUMP/RESTORE are in Redis (Redis's RENAME is O(1): it moves a pointer).
import type { RdbValue } from '../../datatypes/rdb/payload';
import { DataType } from '../../datatypes/types';
import type { CommandContext } from './types';

/** The key's value, whole (DUMP's, RENAME's, COPY's and MOVE's source); null when absent. Not a lookup of the key: callers count it. */
export function readValue(ctx: CommandContext, db: number, key: Buffer): RdbValue | null {
  const meta = ctx.store.meta(db, key);
  if (meta === null) return null;
  if (meta.type === DataType.hash) {
    const pairs = ctx.store.hashes.entries(db, key).flatMap((e) => [e.field, e.value]);
    return { type: 'hash', pairs, compact: ctx.store.hashes.encoding(db, key) === 'listpack' };
  }
  if (meta.type === DataType.set) return { type: 'set', members: ctx.store.sets.members(db, key), compact: ctx.store.sets.encoding(db, key) === 'intset' };
  if (meta.type === DataType.zset) {
    const entries: { member: Buffer; score: number }[] = [];
    for (let n = ctx.store.zsets.view(db, key)?.first() ?? null; n !== null; n = n.forward) entries.push({ member: Buffer.from(n.member, 'latin1'), score: n.score });
    return { type: 'zset', entries, compact: ctx.store.zsets.encoding(db, key) === 'listpack' };
  }
  if (meta.type === DataType.list) return { type: 'list', items: ctx.store.lists.range(db, key, 0, ctx.store.lists.length(db, key) - 1).map((item) => Buffer.from(item, 'latin1')) };
  if (meta.type !== DataType.string) throw new Error(`DUMP: type tag ${meta.type} has no serialization in this build`);
  const value = ctx.store.get(db, key);
  return value === null ? null : { type: 'string', value };
}

/** Writes the value under key, absent now, with this expiry (0: none). */
export function writeValue(ctx: CommandContext, db: number, key: Buffer, value: RdbValue, expireAt: number): void {
  switch (value.type) {
    case 'string':
      ctx.store.set(db, key, value.value, expireAt);
      return;
    case 'hash': {
      const argv = [key, key, ...value.pairs];
      ctx.store.hashes.set(db, key, argv, 2, ctx.server.config.hashListpack);
      if (expireAt !== 0) ctx.store.setExpiry(db, key, expireAt);
      return;
    }
    case 'set':
      // As Redis loads a plain set: a hashtable from the start when longer than set-max-intset-entries, else by the intset rule.
      ctx.store.sets.store(db, key, value.members, !value.compact && value.members.length > ctx.server.config.setMaxIntsetEntries, ctx.server.config.setMaxIntsetEntries);
      if (expireAt !== 0) ctx.store.setExpiry(db, key, expireAt);
      return;
    case 'zset':
      ctx.store.zsets.replace(db, key, value.entries, ctx.server.config.zsetListpack);
      if (expireAt !== 0) ctx.store.setExpiry(db, key, expireAt);
      return;
    case 'list':
      ctx.store.lists.push(db, key, [key, ...value.items], 1, false);
      if (expireAt !== 0) ctx.store.setExpiry(db, key, expireAt);
      return;
  }
}

