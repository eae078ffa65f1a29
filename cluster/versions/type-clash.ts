// cluster/versions/type-clash.ts — a type clash: a key (or a collection's
// element) whose live values are of more than one type tag, as when a SET
// on one side of a partition meets an HSET, an INCR (counter), a PFADD (hll)
// or an SADD of the same key on the other. The winner order settles what
// every replica shows (versions.ts: the winner's type, joined with its own
// type's siblings only); this tells a replica's merge that it made one, so
// INFO can count them (dynamo_type_clashes). Pure.
import type { KeyVersions } from './versions';

/** Whether the versions hold value siblings of two or more type tags. */
export function hasTypeClash(versions: KeyVersions): boolean {
  const { siblings } = versions;
  if (siblings.length < 2) return false;
  let first = -1;
  for (const s of siblings) {
    if (s.value === null) continue;
    const type = s.type ?? 0;
    if (first < 0) first = type;
    else if (type !== first) return true;
  }
  return false;
}

/** Whether a merge from `before` to `after` made a type clash (counted once, where it appears). */
export function madeTypeClash(before: KeyVersions, after: KeyVersions): boolean {
  return hasTypeClash(after) && !hasTypeClash(before);
}
