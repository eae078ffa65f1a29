// cluster/replica/element-records.ts — collections' element records as the
// failure half sees them (hinted handoff, anti-entropy, reaping, flush
// purges, scrubbing, the reclaim of orphans), whatever the collection's type:
// an element key (the layout below) and its versions record in the elements
// engines (dir/dbN.elements). What a record means (a hash's field, later a
// set's member...) and the per-replica summary each type keeps are the
// type's own (hash-replica.ts); here an element is only a key in its
// parent's slot and a versions record, as a key is in the keyspace.
//
// Element key: '{' tag '}' kind varint(parent key length) parent key member,
// where the tag's CRC16 is the parent key's slot (so an element key routes,
// partitions and hashes into Merkle leaves exactly as its parent does).
// SUMMARY_KIND records are per replica and never replicated; every other
// kind is an element record.
import { EngineError, type ScrubCursor, type ScrubStep } from '../../engine/index';
import { ByteCursor } from '../../datatypes/varint';
import type { Databases } from './databases';
import { keySlot } from '../ring/slot';
import { decodeVersions } from '../versions/codec';
import type { Actor, KeyVersions } from '../versions/versions';

const SLOT_SHIFT = 50n;
const SCAN_PAGE = 1000;

/** A hash's field. */
export const FIELD_KIND = 1;
/** A collection's summary on this replica (count, next insertion number...): never replicated. */
export const SUMMARY_KIND = 2;

/** An element key taken apart. */
export interface ParsedElementKey {
  readonly kind: number;
  /** The parent key (a view into the element key). */
  readonly key: Buffer;
  /** The element's own name (a field...; empty for a summary). */
  readonly member: Buffer;
}

/** The parts of an element key; null for bytes that are not one. */
export function parseElementKey(elementKey: Buffer): ParsedElementKey | null {
  if (elementKey.length < 6 || elementKey[0] !== 0x7b || elementKey[3] !== 0x7d) return null;
  const cursor = new ByteCursor(elementKey);
  cursor.offset = 5;
  let length: number;
  try {
    length = cursor.varint('element key length');
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
  if (cursor.offset + length > elementKey.length) return null;
  return { kind: elementKey[4], key: elementKey.subarray(cursor.offset, cursor.offset + length), member: elementKey.subarray(cursor.offset + length) };
}

/** Whether the element key is a replicated element (not a per-replica summary). */
export function isElement(elementKey: Buffer): boolean {
  return elementKey.length > 4 && elementKey[4] !== SUMMARY_KIND;
}

/** What the element records need of the replica store: its floors (flush, reaped dots) and its observer. */
export interface ElementHooks {
  /** Per database, the time of its latest flush (0 = never): siblings older are dropped on arrival; writes are stamped at least this. */
  readonly flushFloor: readonly number[];
  /** The versions a record this replica holds nothing of starts from (its actor's counter above every reaped dot). */
  floorVersions(actor: Actor): KeyVersions;
  /** An element record was replaced (old null: none; record null: deleted): anti-entropy's trees. */
  storedElement(db: number, elementKey: Buffer, old: Buffer | null, record: Buffer | null): void;
}

export class ElementRecords {
  constructor(
    private readonly elements: Databases,
    private readonly hooks: ElementHooks,
    /** The collections' summaries as a cluster of one keeps them in memory (hash-replica.ts): told of a summary dropped here. */
    private readonly summaries: { forget(db: number, key: Buffer): void },
  ) {}

  /**
   * Element keys of db (summaries left out) with cursor <= ring hash < to
   * (the whole ring when absent), from cursor; cursor 0n back when done. A
   * page may hold fewer than count keys.
   */
  scan(db: number, cursor: bigint, count: number, to?: bigint): { cursor: bigint; keys: Buffer[] } {
    const e = this.elements.existing(db);
    if (e === null) return { cursor: 0n, keys: [] };
    const page = to === undefined ? e.scan(cursor, count) : e.scanRange(cursor, to, count);
    return { cursor: page.cursor, keys: page.keys.filter(isElement) };
  }

  /** Every element key of db, summaries included (the reclaim of orphans looks for summaries). */
  scanAll(db: number, cursor: bigint, count: number, to?: bigint): { cursor: bigint; keys: Buffer[] } {
    const e = this.elements.existing(db);
    if (e === null) return { cursor: 0n, keys: [] };
    return to === undefined ? e.scan(cursor, count) : e.scanRange(cursor, to, count);
  }

  /**
   * Told of an element record that fails its checksum when record() meets
   * it (the corrupt records' repair, kept mode); record() then answers null.
   */
  onCorrupt: ((db: number, elementKey: Buffer) => void) | null = null;

  /** The element's record; null when absent, or when it fails its checksum (onCorrupt is told). `cache` false: a background pass. */
  record(db: number, elementKey: Buffer, cache = true): Buffer | null {
    try {
      return this.checkedRecord(db, elementKey, cache);
    } catch (err) {
      if (!(err instanceof EngineError) || err.code !== 'ECORRUPT') throw err;
      this.onCorrupt?.(db, elementKey);
      return null;
    }
  }

  /** record() that throws EngineError ECORRUPT on a record failing its checksum, for what must not take it as missing. */
  checkedRecord(db: number, elementKey: Buffer, cache = true): Buffer | null {
    return this.elements.existing(db)?.get(elementKey, false, cache) ?? null;
  }

  /** Removes the record (a reaped tombstone, a reclaimed orphan, a corrupt one); true when there was one. */
  drop(db: number, elementKey: Buffer, old: Buffer | null): boolean {
    const e = this.elements.existing(db);
    if (e === null || !e.delete(elementKey)) return false;
    this.elements.wrote(db, e.lastSeq);
    if (isElement(elementKey)) {
      this.hooks.storedElement(db, elementKey, old, null);
    } else {
      const parsed = parseElementKey(elementKey);
      if (parsed !== null) this.summaries.forget(db, parsed.key);
    }
    return true;
  }

  /**
   * Drops the element records of the collection `key` whose every sibling
   * was written at or before `horizon` (the reclaim of a collection whose
   * header is gone: anti-entropy/element-reclaim.ts), and its summaries
   * once no element of it is left. Returns how many records went and how
   * many of them held a value (the type's summary counts those), and how
   * many are left (written after the horizon).
   */
  reclaim(db: number, key: Buffer, horizon: number): { dropped: number; live: number; left: number } {
    const result = { dropped: 0, live: 0, left: 0 };
    const summaries: Buffer[] = [];
    for (const { elementKey, kind } of this.collection(db, key)) {
      if (kind === SUMMARY_KIND) {
        summaries.push(elementKey);
        continue;
      }
      const record = this.record(db, elementKey, false);
      if (record === null) continue;
      const versions = decodeVersions(record);
      if (versions.siblings.some((s) => s.timestamp > horizon)) {
        result.left++;
        continue;
      }
      this.drop(db, elementKey, record);
      result.dropped++;
      if (versions.siblings.some((s) => s.value !== null)) result.live++;
    }
    if (result.left === 0) for (const summary of summaries) this.drop(db, summary, null);
    return result;
  }

  /** Every element key of the collection `key` on this replica, summaries included, with its kind and member: a scan of its slot. */
  collection(db: number, key: Buffer): { elementKey: Buffer; kind: number; member: Buffer }[] {
    const out: { elementKey: Buffer; kind: number; member: Buffer }[] = [];
    const slot = BigInt(keySlot(key));
    let cursor = slot << SLOT_SHIFT;
    do {
      const page = this.scanAll(db, cursor, SCAN_PAGE, (slot + 1n) << SLOT_SHIFT);
      for (const elementKey of page.keys) {
        const parsed = parseElementKey(elementKey);
        if (parsed !== null && parsed.key.equals(key)) out.push({ elementKey, kind: parsed.kind, member: parsed.member });
      }
      cursor = page.cursor;
    } while (cursor !== 0n);
    return out;
  }

  /**
   * Writes the element's record over whatever it held (one rebuilt from the
   * other replicas after a checksum failure), as ReplicaStore.replace does
   * for a key: anti-entropy's trees are not told (the lost record's
   * contribution cannot be read; a rebuilt record equal to it leaves the
   * tree right). The collection's summary is the caller's to recount.
   */
  replace(db: number, elementKey: Buffer, record: Buffer): void {
    this.elements.wrote(db, this.elements.open(db).put(elementKey, record));
  }

  /** One scrubber step over db's elements engine; null when it holds nothing. */
  scrub(db: number, cursor: ScrubCursor, budget: number): ScrubStep | null {
    return this.elements.existing(db)?.scrub(cursor, budget) ?? null;
  }
}
