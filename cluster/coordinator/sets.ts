// cluster/coordinator/sets.ts — the set type's operations as the commands
// call them (Redis's t_set.c setType* API, apart from the commands in
// server/commands/sets.ts): a collection (collection.ts) whose elements are
// the members, each element record's value only the member's insertion
// number (datatypes/set.ts). SADD into a set of a million members appends
// about one member to the log; SCARD reads the summary.
//
// Add-wins observed-remove (datatypes/README.md, "Sets"): SREM and SPOP
// write a tombstone over the versions this replica has seen of the member;
// in a cluster SADD writes a new version even of a member already there, so
// a concurrent SREM elsewhere (which has not seen it) leaves it standing.
import { compareIntsetMembers, isIntsetMember } from '../../datatypes/set';
import { DataType } from '../../datatypes/types';
import { visibleField } from '../replica/hash-replica';
import { keySlot } from '../ring/slot';
import { Collection, NotAReplicaError, type CollectionHost, type Opened } from './collection';
import type { HashSync } from './hash-sync';
import type { SetAccess } from './set-access';

/** A member's value bytes: none (the element record keeps its insertion number). */
const NO_VALUE = Buffer.alloc(0);
/** Sets up to this size pick random members from their whole list (uniform); bigger ones sample the storage. */
const SMALL_SET = 128;
/** A sample of a big set: one of this many live members following a random point of the key's slot. */
const SAMPLE_WINDOW = 8;
/** The engine orders records by slot << 50 | 50 bits of a hash. */
const HASH_BITS = 50n;
const HASH_SPAN = 2 ** 50;

function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

export class Sets extends Collection implements SetAccess {
  constructor(host: CollectionHost, sync: HashSync | null) {
    super(host, sync, DataType.set);
  }

  isMember(db: number, key: Buffer, member: Buffer): boolean {
    return this.exists(db, key) && this.host.replicas.hashes.has(db, key, member);
  }

  add(db: number, key: Buffer, argv: readonly Buffer[], from: number, maxIntset: number): number {
    const replica = this.host.replicas.hashes;
    const now = this.host.clock.now();
    // A cluster of one skips members already there (Redis writes nothing for them); a cluster
    // writes them too: a new version a concurrent SREM elsewhere has not seen (add-wins).
    const skipPresent = this.sync === null && this.writable(db, key);
    let opened: Opened | null = null;
    let added = 0;
    for (let j = from; j < argv.length; j++) {
      const member = argv[j];
      if (skipPresent && replica.has(db, key, member)) continue;
      opened ??= this.open(db, key, now);
      const { summary } = opened;
      if (!summary.hashtable && !isIntsetMember(member)) summary.hashtable = true;
      // skipPresent: the lookup above found no record of the member (reap mode keeps no tombstone), so none is read again.
      const write = this.writeElement(db, key, summary, member, NO_VALUE, summary.nextSeq, now, maxIntset, DataType.string, skipPresent);
      if (!write.wasLive) {
        summary.nextSeq++;
        added++;
      }
    }
    if (opened !== null) this.close(db, key, opened, now);
    return added;
  }

  remove(db: number, key: Buffer, argv: readonly Buffer[], from: number): number {
    return this.removeElements(db, key, argv, from);
  }

  members(db: number, key: Buffer): Buffer[] {
    const summary = this.summary(db, key);
    if (summary === null) return [];
    const members = this.host.replicas.hashes.entries(db, key).map((e) => e.field);
    if (!summary.hashtable) members.sort(compareIntsetMembers);
    return members;
  }

  encoding(db: number, key: Buffer): 'intset' | 'hashtable' {
    const summary = this.summary(db, key);
    if (summary === null || summary.hashtable) return 'hashtable';
    // A member a peer added (a catch-up's merge) may not have turned this replica's summary.
    return this.members(db, key).every(isIntsetMember) ? 'intset' : 'hashtable';
  }

  scan(db: number, key: Buffer, cursor: bigint, count: number): { cursor: bigint; members: Buffer[] } {
    const summary = this.summary(db, key);
    if (summary === null) return { cursor: 0n, members: [] };
    if (!summary.hashtable) return { cursor: 0n, members: this.members(db, key) };
    const page = this.host.replicas.hashes.page(db, key, cursor, count);
    const members: Buffer[] = [];
    for (const { field, versions } of page.fields) if (visibleField(versions) !== null) members.push(field);
    return { cursor: page.cursor, members };
  }

  random(db: number, key: Buffer, count: number, distinct: boolean): Buffer[] {
    return this.pick(db, key, this.length(db, key), count, distinct);
  }

  pop(db: number, key: Buffer, count: number): Buffer[] {
    const summary = this.summary(db, key);
    if (summary === null) return [];
    const picks = this.pick(db, key, summary.count, count, true);
    const now = this.host.clock.now();
    const synced = this.touch(db, key, summary);
    for (const member of picks) this.writeElement(db, key, summary, member, null, 0, now, Infinity);
    this.close(db, key, { summary, synced, stored: null }, now);
    return picks;
  }

  /** count random members of a set of size members (distinct: each at most once). */
  private pick(db: number, key: Buffer, size: number, count: number, distinct: boolean): Buffer[] {
    if (size === 0) return [];
    const picks: Buffer[] = [];
    if (size <= SMALL_SET || (distinct && count * 3 > size)) {
      const all = this.members(db, key);
      if (!distinct) {
        for (let i = 0; i < count; i++) picks.push(all[randomIndex(all.length)]);
        return picks;
      }
      // The first count places of a Fisher-Yates shuffle.
      const n = Math.min(count, all.length);
      for (let i = 0; i < n; i++) {
        const j = i + randomIndex(all.length - i);
        const chosen = all[j];
        all[j] = all[i];
        picks.push(chosen);
      }
      return picks;
    }
    const seen = distinct ? new Set<string>() : null;
    while (picks.length < count) {
      const member = this.sample(db, key);
      if (member === null) break;
      if (seen !== null) {
        const name = member.toString('latin1');
        if (seen.has(name)) continue;
        seen.add(name);
      }
      picks.push(member);
    }
    return picks;
  }

  /**
   * One random member of a big set without listing it: one of the members
   * following a random point of the key's slot in the engine's hash order
   * (the window evens out the gaps between members' hashes); only the one
   * picked is read, and only with other replicas (a tombstone is dropped and another picked).
   */
  private sample(db: number, key: Buffer): Buffer | null {
    const replica = this.host.replicas.hashes;
    const base = BigInt(keySlot(key)) << HASH_BITS;
    const start = base | BigInt(Math.floor(Math.random() * HASH_SPAN));
    let cursor = start;
    let wrapped = false;
    for (;;) {
      const page = replica.names(db, key, cursor, SAMPLE_WINDOW);
      const window = page.names;
      while (window.length > 0) {
        const i = randomIndex(window.length);
        // A cluster of one keeps no tombstone: every record listed is a live member.
        if (this.host.replicas.reap || replica.has(db, key, window[i])) return window[i];
        window[i] = window[window.length - 1];
        window.pop();
      }
      if (page.cursor === 0n) {
        if (wrapped) return null;
        wrapped = true;
        cursor = 0n;
      } else {
        if (wrapped && page.cursor > start) return null;
        cursor = page.cursor;
      }
    }
  }

  move(db: number, src: Buffer, dst: Buffer, member: Buffer, maxIntset: number): number {
    if (!this.host.holdsReplica(dst)) throw new NotAReplicaError();
    if (!this.isMember(db, src, member)) return 0;
    if (src.equals(dst)) return 1;
    this.remove(db, src, [member], 0);
    this.add(db, dst, [member], 0, maxIntset);
    return 1;
  }

  store(db: number, dst: Buffer, members: readonly Buffer[], hashtable: boolean, maxIntset: number): number {
    if (!this.host.holdsReplica(dst)) throw new NotAReplicaError();
    // The old value goes whatever its type; a collection's elements are cleared when the key is made again (open).
    this.host.delete(db, dst);
    if (members.length === 0) return 0;
    const now = this.host.clock.now();
    const opened = this.open(db, dst, now);
    const { summary } = opened;
    if (hashtable) summary.hashtable = true;
    for (const member of members) {
      this.writeElement(db, dst, summary, member, NO_VALUE, summary.nextSeq, now, maxIntset);
      summary.nextSeq++;
    }
    this.close(db, dst, opened, now);
    return summary.count;
  }
}
