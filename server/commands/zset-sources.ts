// server/commands/zset-sources.ts — the inputs of ZUNION, ZINTER, ZDIFF, their
// STORE forms and ZINTERCARD (zset-algebra.ts), as Redis 7.0's zsetopsrc:
// a sorted set, or a set whose members all score 1 (Redis accepts both:
// zuiInitIterator, zuiFind, zuiLength); absent keys are empty; any other
// type is WRONGTYPE. A set source reads its members only when iterated and
// answers lookups member by member (SISMEMBER), as zuiFind does.
import { DataType } from '../../datatypes/types';
import type { ZsetSkiplist } from '../../datatypes/zset-skiplist';
import { CommandError, ERR } from '../errors';
import { countLookup } from './keys';
import type { CommandContext } from './types';

/** One input: its size, its members with scores, and a member's score (undefined when absent). Members as latin1 strings. */
export interface ZsetSource {
  readonly size: number;
  entries(): Iterable<[member: string, score: number]>;
  score(member: string): number | undefined;
}

function zsetSource(index: ZsetSkiplist): ZsetSource {
  return {
    size: index.size,
    *entries() {
      for (let n = index.first(); n !== null; n = n.forward) yield [n.member, n.score];
    },
    score: (member) => index.score(member),
  };
}

function setSource(ctx: CommandContext, key: Buffer): ZsetSource {
  const db = ctx.client.db;
  return {
    size: ctx.store.sets.length(db, key),
    *entries() {
      for (const member of ctx.store.sets.members(db, key)) yield [member.toString('latin1'), 1];
    },
    score: (member) => (ctx.store.sets.isMember(db, key, Buffer.from(member, 'latin1')) ? 1 : undefined),
  };
}

/**
 * The key as an input: null when absent; WRONGTYPE unless a sorted set or a
 * set. `write` (the STORE forms: lookupKeyWrite) counts no keyspace hit or
 * miss and no access; otherwise lookupKeyRead's counting.
 */
export function zsetSourceOf(ctx: CommandContext, key: Buffer, write: boolean): ZsetSource | null {
  const db = ctx.client.db;
  const index = ctx.store.zsets.view(db, key);
  const meta = index === null ? ctx.store.meta(db, key) : null;
  const found = index !== null || meta !== null;
  if (!write) countLookup(ctx, found);
  if (!found) return null;
  if (index === null && meta?.type !== DataType.set) throw new CommandError(ERR.wrongType);
  if (!write) ctx.store.touch(db, key);
  return index !== null ? zsetSource(index) : setSource(ctx, key);
}
