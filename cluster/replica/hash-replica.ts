// cluster/replica/hash-replica.ts — this replica's element records of hashes
// (datatypes/README.md, "Storage of collections"): one record per field in
// the elements engines (dir/dbN.elements, so SCAN, DBSIZE, KEYS and the
// expiry sweep of the keyspace never see them), plus one summary record per
// hash (live count, next insertion number, encoding; never replicated: each
// replica derives it from its own elements). The header, the user's key in
// the keyspace, is the store's (store.ts); this file knows nothing of it.
//
// Element key: '{' tag '}' kind varint(key length) key [field], where the
// two tag bytes hash (CRC16, as Redis Cluster's hash tags) to the parent
// key's slot: the engine orders records by slot << 50 | xxh64, so a hash's
// elements share its slot and partition, and listing them is a scan of one
// slot filtered by prefix. kind 1: a field, kind 2: the summary.
// Field record: the field's own versions record (versions.ts; the value is
// datatypes/hash.ts's insertion number + bytes, HDEL a tombstone). Of
// concurrent siblings a value wins over a tombstone (add-wins), then the
// winner order. Reap mode (N = 1): a field's tombstone deletes the record.
import { decodeFieldValue, decodeHashSummary, encodeFieldValue, encodeHashSummary, newHashSummary, type FieldValue, type HashSummary } from '../../datatypes/hash';
import { DataType } from '../../datatypes/types';
import type { Databases } from './databases';
import { visibleFieldCounter } from './field-counter-read';
import { FIELD_KIND, SUMMARY_KIND, type ElementHooks } from './element-records';
import { crc16, keySlot, SLOT_COUNT } from '../ring/slot';
import { varintSize, writeVarint } from '../versions/codec-reader';
import { decodeVersions, encodeVersions } from '../versions/codec';
import { madeTypeClash } from '../versions/type-clash';
import { afterFlush } from '../versions/lifetimes';
import { EMPTY_VERSIONS, merge, update, type Actor, type KeyVersions } from '../versions/versions';

const SLOT_SHIFT = 50n;
const SCAN_PAGE = 256;

/** Per slot, two bytes (no '}') whose CRC16 falls in that slot. CRC16 of two bytes is a bijection, so every slot has four. */
const SLOT_TAGS: Uint8Array = (() => {
  const tags = new Uint8Array(SLOT_COUNT * 2);
  const found = new Uint8Array(SLOT_COUNT);
  const pair = new Uint8Array(2);
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      if (a === 0x7d || b === 0x7d) continue;
      pair[0] = a;
      pair[1] = b;
      const slot = crc16(pair) & (SLOT_COUNT - 1);
      if (found[slot] === 1) continue;
      found[slot] = 1;
      tags[slot * 2] = a;
      tags[slot * 2 + 1] = b;
    }
  }
  if (found.includes(0)) throw new Error('hash-replica: a slot without a two-byte tag');
  return tags;
})();

/** One field of a hash as this replica holds it. */
export interface HashEntry extends FieldValue {
  readonly field: Buffer;
}

export interface FieldWrite {
  /** The field's record after the write (what the other replicas get). */
  readonly record: Buffer;
  /** Whether the field was live before, and is now. */
  readonly wasLive: boolean;
  readonly isLive: boolean;
}

/** A hash's prefix in the elements engine: '{' tag '}' kind varint(key length) key. */
function prefixOf(key: Buffer, kind: number, extra: number): Buffer {
  const slot = keySlot(key);
  const bytes = Buffer.allocUnsafe(5 + varintSize(key.length) + key.length + extra);
  bytes[0] = 0x7b;
  bytes[1] = SLOT_TAGS[slot * 2];
  bytes[2] = SLOT_TAGS[slot * 2 + 1];
  bytes[3] = 0x7d;
  bytes[4] = kind;
  const offset = writeVarint(bytes, 5, key.length);
  key.copy(bytes, offset);
  return bytes;
}

export function fieldKey(key: Buffer, field: Buffer): Buffer {
  const bytes = prefixOf(key, FIELD_KIND, field.length);
  field.copy(bytes, bytes.length - field.length);
  return bytes;
}

/** The value a field's versions show: the first live value in winner order (a value wins over a concurrent HDEL); null when none. */
export function visibleField(versions: KeyVersions): FieldValue | null {
  const { siblings } = versions;
  for (let i = 0; i < siblings.length; i++) {
    const s = siblings[i];
    if (s.value !== null) return s.type === DataType.fieldCounter ? visibleFieldCounter(versions, i) : decodeFieldValue(s.value);
  }
  return null;
}

export class HashReplica {
  constructor(
    private readonly elements: Databases,
    private readonly reap: boolean,
    /** The store's floors and observer (element-records.ts). */
    private readonly hooks: ElementHooks,
  ) {}

  /** The hash's summary on this replica; null when it holds no element of the key. */
  summary(db: number, key: Buffer): HashSummary | null {
    const bytes = this.elements.existing(db)?.get(prefixOf(key, SUMMARY_KIND, 0)) ?? null;
    return bytes === null ? null : decodeHashSummary(bytes);
  }

  writeSummary(db: number, key: Buffer, summary: HashSummary): void {
    const e = this.elements.open(db);
    this.elements.wrote(db, e.put(prefixOf(key, SUMMARY_KIND, 0), encodeHashSummary(summary)));
  }

  /** n live fields of the hash went from this replica without an HDEL (element-records.ts's reclaim): its count follows. */
  uncount(db: number, key: Buffer, n: number): void {
    const summary = this.summary(db, key);
    if (summary === null || n === 0) return;
    summary.count = Math.max(0, summary.count - n);
    this.writeSummary(db, key, summary);
  }

  /** The summary counted again from the fields (after a field record was rebuilt: whether the lost one was live is unknown). */
  recount(db: number, key: Buffer): void {
    const summary = this.summary(db, key) ?? newHashSummary();
    const live = this.entries(db, key);
    summary.count = live.length;
    for (const { seq } of live) if (seq >= summary.nextSeq) summary.nextSeq = seq + 1;
    this.writeSummary(db, key, summary);
  }

  /** The field's versions on this replica; null when it has none. */
  versions(db: number, key: Buffer, field: Buffer): KeyVersions | null {
    const record = this.elements.existing(db)?.get(fieldKey(key, field)) ?? null;
    return record === null ? null : decodeVersions(record);
  }

  /** The field's value as reads see it; null when absent or deleted. */
  field(db: number, key: Buffer, field: Buffer): FieldValue | null {
    const versions = this.versions(db, key, field);
    return versions === null ? null : visibleField(versions);
  }

  /**
   * A write of the field coordinated here (value null: HDEL). It supersedes
   * every version this replica has of the field. A field that was live keeps
   * its insertion number; a new one takes nextSeq. The summary's count is
   * the caller's.
   */
  writeField(db: number, key: Buffer, field: Buffer, value: Buffer | null, nextSeq: number, actor: Actor, timestamp: number, maxSiblings: number, type: number = DataType.string): FieldWrite {
    const elementKey = fieldKey(key, field);
    const stored = this.elements.existing(db)?.get(elementKey) ?? null;
    // Above every reaped dot (KV679), and no older than a flush this replica knows.
    const current = stored === null ? this.hooks.floorVersions(actor) : decodeVersions(stored);
    const before = visibleField(current);
    const bytes = value === null ? null : encodeFieldValue(before === null ? nextSeq : before.seq, value);
    const { versions } = update(current, current.clock, actor, { value: bytes, timestamp: Math.max(timestamp, this.hooks.flushFloor[db]), expireAt: 0, type }, maxSiblings);
    const record = encodeVersions(versions);
    this.storeField(db, elementKey, stored, record, value !== null);
    return { record, wasLive: before !== null, isLive: value !== null };
  }

  /** A peer's record of the field (replication): merged in; whether the field was live before and is now. */
  applyField(db: number, key: Buffer, field: Buffer, record: Buffer, maxSiblings: number): { wasLive: boolean; isLive: boolean; changed: boolean; clashed: boolean } {
    const elementKey = fieldKey(key, field);
    const stored = this.elements.existing(db)?.get(elementKey) ?? null;
    const current = stored === null ? EMPTY_VERSIONS : decodeVersions(stored);
    const floor = this.hooks.flushFloor[db];
    // Siblings written before a flush this replica knows are dropped on arrival (a stale peer's copy).
    const incoming = floor === 0 ? decodeVersions(record) : afterFlush(decodeVersions(record), floor);
    const { versions } = merge(current, incoming, maxSiblings);
    const wasLive = visibleField(current) !== null;
    const isLive = visibleField(versions) !== null;
    const merged = encodeVersions(versions);
    const changed = stored === null || !merged.equals(stored);
    if (changed) this.storeField(db, elementKey, stored, merged, isLive);
    return { wasLive, isLive, changed, clashed: changed && madeTypeClash(current, versions) };
  }

  private storeField(db: number, elementKey: Buffer, old: Buffer | null, record: Buffer, live: boolean): void {
    if (this.reap && !live) {
      const e = this.elements.existing(db);
      if (e !== null && e.delete(elementKey)) this.elements.wrote(db, e.lastSeq);
      return;
    }
    this.elements.wrote(db, this.elements.open(db).put(elementKey, record));
    if (!this.reap) this.hooks.storedElement(db, elementKey, old, record);
  }

  /**
   * Up to about `count` of the hash's element records from cursor (0n to
   * start; 0n back when done), in engine order: field names and their
   * versions, tombstones included.
   */
  page(db: number, key: Buffer, cursor: bigint, count: number): { cursor: bigint; fields: { field: Buffer; versions: KeyVersions }[] } {
    const e = this.elements.existing(db);
    if (e === null) return { cursor: 0n, fields: [] };
    const prefix = prefixOf(key, FIELD_KIND, 0);
    const slot = BigInt(keySlot(key));
    if (cursor !== 0n && (cursor < slot << SLOT_SHIFT || cursor >= (slot + 1n) << SLOT_SHIFT)) return { cursor: 0n, fields: [] };
    const from = cursor === 0n ? slot << SLOT_SHIFT : cursor;
    const fields: { field: Buffer; versions: KeyVersions }[] = [];
    let next = from;
    do {
      const scanned = e.scanRange(next, (slot + 1n) << SLOT_SHIFT, Math.max(count - fields.length, 1));
      for (const elementKey of scanned.keys) {
        if (elementKey.length < prefix.length || elementKey.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) continue;
        const record = e.get(elementKey);
        if (record !== null) fields.push({ field: elementKey.subarray(prefix.length), versions: decodeVersions(record) });
      }
      next = scanned.cursor;
    } while (next !== 0n && fields.length < count);
    return { cursor: next, fields };
  }

  /**
   * Up to about `count` element names of the key from cursor (as page), in
   * engine order, without reading their records (tombstones included): a
   * set's random pick reads only the one it picks.
   */
  names(db: number, key: Buffer, cursor: bigint, count: number): { cursor: bigint; names: Buffer[] } {
    const e = this.elements.existing(db);
    if (e === null) return { cursor: 0n, names: [] };
    const prefix = prefixOf(key, FIELD_KIND, 0);
    const slot = BigInt(keySlot(key));
    if (cursor !== 0n && (cursor < slot << SLOT_SHIFT || cursor >= (slot + 1n) << SLOT_SHIFT)) return { cursor: 0n, names: [] };
    const names: Buffer[] = [];
    let next = cursor === 0n ? slot << SLOT_SHIFT : cursor;
    do {
      const scanned = e.scanRange(next, (slot + 1n) << SLOT_SHIFT, Math.max(count - names.length, 1));
      for (const elementKey of scanned.keys) {
        if (elementKey.length >= prefix.length && elementKey.compare(prefix, 0, prefix.length, 0, prefix.length) === 0) names.push(elementKey.subarray(prefix.length));
      }
      next = scanned.cursor;
    } while (next !== 0n && names.length < count);
    return { cursor: next, names };
  }

  /** Every field record of the hash on this replica (tombstones included), as [field, record, ...]. */
  records(db: number, key: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let cursor = 0n;
    do {
      const page = this.page(db, key, cursor, SCAN_PAGE);
      for (const { field, versions } of page.fields) out.push(field, encodeVersions(versions));
      cursor = page.cursor;
    } while (cursor !== 0n);
    return out;
  }

  /** Every live field of the hash on this replica, in engine order. */
  entries(db: number, key: Buffer): HashEntry[] {
    const out: HashEntry[] = [];
    let cursor = 0n;
    do {
      const page = this.page(db, key, cursor, SCAN_PAGE);
      for (const { field, versions } of page.fields) {
        const visible = visibleField(versions);
        if (visible !== null) out.push({ field, seq: visible.seq, value: visible.value });
      }
      cursor = page.cursor;
    } while (cursor !== 0n);
    return out;
  }

  /**
   * Removes what this replica holds of a hash that no longer exists (its
   * header deleted or expired) before the key is made again: reap mode
   * deletes the records, kept mode writes a tombstone over each version it
   * has seen (a concurrent write elsewhere survives, add-wins). Returns the
   * tombstones' records (kept mode) for the other replicas.
   */
  clear(db: number, key: Buffer, actor: Actor, timestamp: number, maxSiblings: number): { field: Buffer; record: Buffer }[] {
    const written: { field: Buffer; record: Buffer }[] = [];
    let cursor = 0n;
    do {
      const page = this.page(db, key, cursor, SCAN_PAGE);
      for (const { field, versions } of page.fields) {
        if (this.reap) {
          this.storeField(db, fieldKey(key, field), null, Buffer.alloc(0), false);
        } else if (visibleField(versions) !== null) {
          written.push({ field, record: this.writeField(db, key, field, null, 0, actor, timestamp, maxSiblings).record });
        }
      }
      cursor = page.cursor;
    } while (cursor !== 0n);
    const e = this.elements.existing(db);
    if (e !== null && e.delete(prefixOf(key, SUMMARY_KIND, 0))) this.elements.wrote(db, e.lastSeq);
    return written;
  }
}
