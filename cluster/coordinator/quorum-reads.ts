// cluster/coordinator/quorum-reads.ts — prepare()'s driver: a quorum read
// (quorum/read.ts) of each of the command's keys, what a flush this node
// knows of removed taken out of versions held elsewhere, then a
// collection's catch-up of the element records this replica missed
// (hash-sync.ts).
import type { Membership } from '../membership/membership';
import { quorumRead, type ReadContext } from '../quorum/read';
import { afterFlush } from '../versions/lifetimes';
import type { KeyVersions } from '../versions/versions';
import { keyName } from './command-scope';
import type { PreparedView } from './coordinator';
import type { HashSync } from './hash-sync';

/** What prepare() needs of the coordinator. */
export interface PrepareHost extends ReadContext {
  readonly r: number;
  readonly membership: Membership;
  readonly hashSync: HashSync | null;
}

/**
 * Quorum reads of the keys (r overrides R), then (a collection's) catch-up;
 * rejects with DynUnavailableError. The catch-up check runs in the reads'
 * own continuation: a read that needs none costs no promise more.
 */
export function prepare(host: PrepareHost, db: number, keys: readonly Buffer[], r: number | null): Promise<PreparedView> {
  const membership = host.membership;
  if (keys.length === 1) {
    const key = keys[0];
    return quorumRead(host, db, key, membership.preferenceList(key), r ?? host.r).then((versions) => caughtUp(host, db, keys, versions === null ? null : new Map([[keyName(key), withoutFlushed(host, db, versions)]])));
  }
  const seen = new Set<string>();
  const reads: Promise<void>[] = [];
  const view = new Map<string, KeyVersions>();
  for (const key of keys) {
    const name = keyName(key);
    if (seen.has(name)) continue;
    seen.add(name);
    reads.push(
      quorumRead(host, db, key, membership.preferenceList(key), r ?? host.r).then((versions) => {
        if (versions !== null) view.set(name, withoutFlushed(host, db, versions));
      }),
    );
  }
  return Promise.all(reads).then(() => caughtUp(host, db, keys, view.size === 0 ? null : view));
}

/** The view, once the catch-up of the element records this replica missed (hash-sync.ts) is done, if one is needed. */
function caughtUp(host: PrepareHost, db: number, keys: readonly Buffer[], view: PreparedView): PreparedView | Promise<PreparedView> {
  const wait = host.hashSync?.catchUp(db, keys) ?? null;
  return wait === null ? view : wait.then(() => view);
}

/** A view of a key held elsewhere without what a flush this node knows removed (a stale replica may still send it). */
function withoutFlushed(host: PrepareHost, db: number, versions: KeyVersions): KeyVersions {
  const floor = host.replicas.flushFloor[db];
  return floor === 0 ? versions : afterFlush(versions, floor);
}
