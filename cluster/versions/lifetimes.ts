// cluster/versions/lifetimes.ts — when a key's versions stop mattering: a
// sibling is dead once it is a tombstone or its expiry passed; a record
// whose siblings are all dead shows nothing and is what tombstone reaping
// (anti-entropy/reaper.ts) reclaims; a sibling written before a flush of
// its database (timestamp below the flush's time) is dropped
// (anti-entropy/flush-epochs.ts). Pure: time is passed in.
import { Reader } from './codec-reader';
import { corruptRecord, TAGGED_FORMAT, VERSIONS_FORMAT } from './codec';
import type { KeyVersions } from './versions';

/**
 * When the record's last live sibling died: the latest tombstone timestamp
 * or expiry among its siblings; -1 when some sibling still reads as a value
 * at `now` (or there is none: nothing to reclaim).
 */
export function deadSince(versions: KeyVersions, now: number): number {
  if (versions.siblings.length === 0) return -1;
  let since = 0;
  for (const s of versions.siblings) {
    if (s.value !== null && (s.expireAt === 0 || s.expireAt > now)) return -1;
    since = Math.max(since, s.value === null ? s.timestamp : s.expireAt);
  }
  return since;
}

/** True when nothing of the record reads as a value at `now`: absent, or every sibling a tombstone or expired. */
export function holdsNothingLive(versions: KeyVersions | null, now: number): boolean {
  return versions === null || versions.siblings.length === 0 || deadSince(versions, now) >= 0;
}

/**
 * The versions without the siblings written before `floor` (a flush's
 * time); the clock stays, so a stale copy of a dropped sibling is dropped
 * again by merge. The same object when nothing is dropped.
 */
export function afterFlush(versions: KeyVersions, floor: number): KeyVersions {
  if (versions.siblings.every((s) => s.timestamp >= floor)) return versions;
  return { clock: versions.clock, siblings: versions.siblings.filter((s) => s.timestamp >= floor) };
}

const reader = new Reader(corruptRecord);

/**
 * The oldest sibling timestamp of an encoded record, read without decoding
 * or allocating (Infinity when it has no sibling): whether a peer's record
 * holds anything a flush dropped, on the replication path.
 */
export function oldestWrite(record: Buffer): number {
  const r = reader.reset(record);
  const tagged = r.formatIn(VERSIONS_FORMAT, TAGGED_FORMAT) === TAGGED_FORMAT;
  const actors = r.varint('actor count');
  for (let i = 0; i < actors; i++) {
    r.skip('actor {i}', r.varint('actor {i} length', i), i);
    r.readVarint('actor {i} counter', i);
  }
  const count = r.varint('sibling count');
  let oldest = Infinity;
  for (let i = 0; i < count; i++) {
    r.readVarint('sibling {i} actor index', i);
    r.readVarint('sibling {i} dot counter', i);
    r.readVarint('sibling {i} timestamp', i);
    if (r.value < oldest) oldest = r.value;
    r.readExpireAt('sibling {i} expireAt', i);
    if (tagged) r.byte('sibling type');
    const lengthPlusOne = r.varint('sibling {i} value length', i);
    if (lengthPlusOne > 0) r.skip('sibling {i} value', lengthPlusOne - 1, i);
  }
  return oldest;
}
