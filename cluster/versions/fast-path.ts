// cluster/versions/fast-path.ts — the two paths every GET and SET takes through
// a versions record (format in codec.ts) without decoding it:
// locateWinner finds the winner's value without allocating, and
// encodeLocalWrite makes a plain write's record from the current one by
// copying its actor table as bytes. Both check bounds as the codec does and
// throw CorruptVersionsError saying what is wrong and where. Both read
// tagged records (format 2) too: locateWinner reports the winner's type tag
// (0 for every format-1 record: a string), and encodeLocalWrite writes a
// string's format-1 record over either; a typed write takes the decoding path.
import { MAX_EXPIRE_AT, NO_BYTES, Reader, varintSize, writeVarint } from './codec-reader';
import { TAGGED_FORMAT, VERSIONS_FORMAT, corruptRecord, decodeVersions, encodeVersions } from './codec';
import { EMPTY_VERSIONS, isActor, update, type Actor, type VersionWrite } from './versions';

/** The winner's part of a record, read by decodeWinner without decoding the rest. */
export interface WinnerValue {
  /** null for a tombstone. A view into the record, not a copy. */
  readonly value: Buffer | null;
  readonly expireAt: number;
  /** The winner's type tag (0: a string). */
  readonly type: number;
}

/** Where a record's winner lies, filled in by locateWinner without allocating. */
export interface WinnerLocation {
  /** Offset of the winner's value bytes in the buffer given (absolute); -1 when valueLength is -1. */
  valueOffset: number;
  /** The value's length; -1 when the winner is a tombstone or the record has no sibling. */
  valueLength: number;
  /** The winner's expireAt (0 = none; 0 when there is no sibling). */
  expireAt: number;
  /** How many siblings the record holds. */
  siblings: number;
  /** The winner's type tag (datatypes/types.ts): 0, a string, for every format-1 record and a tombstone. */
  type: number;
}

/** The reader of the fast paths: they never nest, so one serves every call. */
const recordReader = new Reader(corruptRecord);

/**
 * The GET fast path: where the winner's value lies, reading the record in
 * bytes[start, end) only up to the first sibling. Checks bounds, not the whole
 * record (decodeVersions does that); offsets in errors are relative to start.
 * Allocates nothing on success; `out` is left unchanged when it throws.
 */
export function locateWinner(bytes: Buffer, start: number, end: number, out: WinnerLocation): void {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= bytes.length)) {
    throw new RangeError(`record [${start}, ${end}) is not within the ${bytes.length}-byte buffer`);
  }
  const reader = recordReader.reset(bytes, start, end);
  const format = reader.formatIn(VERSIONS_FORMAT, TAGGED_FORMAT);
  const actorCount = reader.varint('actor count');
  for (let i = 0; i < actorCount; i++) {
    reader.skip('actor {i}', reader.varint('actor {i} length', i), i);
    reader.readVarint('clock counter of actor {i}', i);
  }
  const siblings = reader.varint('sibling count');
  let valueOffset = -1;
  let valueLength = -1;
  let expireAt = 0;
  let type = 0;
  if (siblings > 0) {
    const at = reader.offset;
    const index = reader.varint('sibling 0 actor index');
    if (index >= actorCount) throw reader.error('sibling 0 actor index', `${index} is not below the actor count ${actorCount}`, at);
    reader.readVarint('sibling 0 dot counter');
    reader.readVarint('sibling 0 timestamp');
    reader.readExpireAt('sibling 0 expireAt');
    expireAt = reader.value; // not varint()'s return, which may be a boxed number
    if (format === TAGGED_FORMAT) type = reader.byte('sibling 0 type');
    const lengthPlusOne = reader.varint('sibling 0 value length');
    if (lengthPlusOne > 0) {
      valueOffset = reader.offset;
      valueLength = lengthPlusOne - 1;
      reader.skip('sibling 0 value', valueLength);
    }
  }
  out.valueOffset = valueOffset;
  out.valueLength = valueLength;
  out.expireAt = expireAt;
  out.siblings = siblings;
  out.type = type;
  reader.reset(NO_BYTES); // keeps no record alive (a 500 MB one stayed after its DEL: issue 9)
}

const located: WinnerLocation = { valueOffset: -1, valueLength: -1, expireAt: 0, siblings: 0, type: 0 };

/** locateWinner for a whole record, the value as a view into it (null when the record has no sibling). */
export function decodeWinner(record: Buffer): WinnerValue | null {
  locateWinner(record, 0, record.length, located);
  if (located.siblings === 0) return null;
  const { valueOffset, valueLength, expireAt, type } = located;
  return { value: valueLength < 0 ? null : record.subarray(valueOffset, valueOffset + valueLength), expireAt, type };
}

/** The actor encodeLocalWrite saw last, checked, and its UTF-8 bytes: a node writes under one actor. */
let lastActor: Actor | null = null;
let lastActorBytes = NO_BYTES;

function checkedActorBytes(actor: Actor): Buffer {
  if (actor !== lastActor) {
    if (!isActor(actor)) throw new RangeError(`actor ${JSON.stringify(actor)} is not node#incarnation`);
    lastActorBytes = Buffer.from(actor, 'utf8');
    lastActor = actor;
  }
  return lastActorBytes;
}

/** update()'s check of a write's times, with its message. */
function checkExpireAt(ms: number): void {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_EXPIRE_AT) throw new RangeError(`expireAt ${ms} is not an integer of ms from 0 to 2^63`);
}

function checkMs(name: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`${name} ${ms} is not a non-negative integer of ms`);
}

export function isAscii(bytes: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (bytes[k] >= 0x80) return false;
  return true;
}

/** isActor for ASCII bytes: /^.+#(0|[1-9][0-9]*)$/. */
export function isAsciiActor(bytes: Buffer, from: number, to: number): boolean {
  let hash = to - 1;
  while (hash >= from && bytes[hash] >= 0x30 && bytes[hash] <= 0x39) hash--;
  const digits = to - hash - 1;
  return hash > from && bytes[hash] === 0x23 && digits > 0 && (digits === 1 || bytes[hash + 1] !== 0x30);
}

/** Byte order, which is JS string order for ASCII. */
export function compareBytes(a: Buffer, aFrom: number, aLength: number, b: Buffer, bFrom: number, bLength: number): number {
  const common = Math.min(aLength, bLength);
  for (let k = 0; k < common; k++) {
    const difference = a[aFrom + k] - b[bFrom + k];
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

/** source[from, to) into target at `at`: a loop for the few bytes of an actor table, where Buffer.copy costs more. */
function copyBytes(source: Buffer, from: number, to: number, target: Buffer, at: number): number {
  if (to - from > 64) return source.copy(target, at, from, to);
  for (let k = from; k < to; k++) target[at++] = source[k];
  return to - from;
}

/**
 * A plain write's record (SET/DEL at the coordinating replica): byte for byte
 * encodeVersions(update(cur, cur.clock, actor, write).versions), cur being
 * current decoded (EMPTY_VERSIONS for null). The write supersedes every
 * sibling, so only the clock is read: its actor table is copied as bytes with
 * actor's entry inserted in order or its counter bumped. The table is checked
 * as decodeVersions checks it, the siblings only for bounds; a non-ASCII actor
 * (where byte order may differ from string order) and a typed write (not a
 * string: its record is tagged) take the decoding path.
 * Throws CorruptVersionsError on a bad current record, RangeError on a bad
 * actor, timestamp or expireAt. Allocates only the record.
 */
export function encodeLocalWrite(current: Buffer | null, actor: Actor, write: VersionWrite): Buffer {
  const actorBytes = checkedActorBytes(actor);
  checkMs('timestamp', write.timestamp);
  checkExpireAt(write.expireAt);
  if (actorBytes.length !== actor.length || (write.type !== undefined && write.type !== 0 && write.value !== null)) return decodedLocalWrite(current, actor, write);
  const source = current ?? NO_BYTES;
  // The current actor table is source[tableStart, tableEnd) with `count` entries;
  // actor's entry is number `index`, written in place of source[cutStart, cutEnd).
  let count = 0;
  let tableStart = 0;
  let tableEnd = 0;
  let index = -1;
  let cutStart = 0;
  let cutEnd = 0;
  let counter = 1;
  if (current !== null) {
    const reader = recordReader.reset(current);
    const tagged = reader.formatIn(VERSIONS_FORMAT, TAGGED_FORMAT) === TAGGED_FORMAT;
    count = reader.varint('actor count');
    tableStart = reader.offset;
    let previousAt = 0;
    let previousLength = 0;
    for (let i = 0; i < count; i++) {
      const entryAt = reader.offset;
      const length = reader.varint('actor {i} length', i);
      const at = reader.offset;
      reader.skip('actor {i}', length, i);
      if (!isAscii(current, at, reader.offset)) return decodedLocalWrite(current, actor, write);
      if (!isAsciiActor(current, at, reader.offset)) {
        throw reader.error(`actor ${i}`, `${JSON.stringify(current.toString('latin1', at, reader.offset))} is not node#incarnation`, entryAt);
      }
      if (i > 0 && compareBytes(current, previousAt, previousLength, current, at, length) >= 0) {
        throw reader.error(`actor ${i}`, 'actors not in strictly ascending order', entryAt);
      }
      previousAt = at;
      previousLength = length;
      const order = index < 0 ? compareBytes(current, at, length, actorBytes, 0, actorBytes.length) : -1;
      if (order > 0) {
        index = i;
        cutStart = cutEnd = entryAt;
      }
      const counterAt = reader.offset;
      const clockCounter = reader.varint('clock counter of actor {i}', i);
      if (clockCounter === 0) throw reader.error(`clock counter of actor ${i}`, 'zero counter', reader.offset - 1);
      if (order === 0) {
        index = i;
        cutStart = counterAt;
        cutEnd = reader.offset;
        counter = clockCounter + 1;
      }
    }
    tableEnd = reader.offset;
    const siblings = reader.varint('sibling count');
    for (let i = 0; i < siblings; i++) {
      const at = reader.offset;
      const actorIndex = reader.varint('sibling {i} actor index', i);
      if (actorIndex >= count) throw reader.error(`sibling ${i} actor index`, `${actorIndex} is not below the actor count ${count}`, at);
      reader.readVarint('sibling {i} dot counter', i);
      reader.readVarint('sibling {i} timestamp', i);
      reader.readExpireAt('sibling {i} expireAt', i);
      if (tagged) reader.byte('sibling type');
      const lengthPlusOne = reader.varint('sibling {i} value length', i);
      if (lengthPlusOne > 0) reader.skip('sibling {i} value', lengthPlusOne - 1, i);
    }
    reader.end();
    reader.reset(NO_BYTES); // keeps no record alive, as in locateWinner
  }
  if (index < 0) {
    index = count;
    cutStart = cutEnd = tableEnd;
  }
  const bumped = counter > 1;
  const entrySize = bumped ? varintSize(counter) : varintSize(actorBytes.length) + actorBytes.length + 1;
  const valueSize = write.value === null ? 0 : write.value.length;
  const lengthPlusOne = write.value === null ? 0 : valueSize + 1;
  const tableSize = tableEnd - tableStart - (cutEnd - cutStart) + entrySize;
  const siblingSize = varintSize(index) + varintSize(counter) + varintSize(write.timestamp) + varintSize(write.expireAt) + varintSize(lengthPlusOne) + valueSize;
  const size = 1 + varintSize(bumped ? count : count + 1) + tableSize + 1 + siblingSize;
  const record = Buffer.allocUnsafe(size);
  record[0] = VERSIONS_FORMAT;
  let offset = writeVarint(record, 1, bumped ? count : count + 1);
  offset += copyBytes(source, tableStart, cutStart, record, offset);
  if (bumped) {
    offset = writeVarint(record, offset, counter);
  } else {
    offset = writeVarint(record, offset, actorBytes.length);
    offset += copyBytes(actorBytes, 0, actorBytes.length, record, offset);
    record[offset++] = 1;
  }
  offset += copyBytes(source, cutEnd, tableEnd, record, offset);
  record[offset++] = 1; // one sibling: the write
  offset = writeVarint(record, offset, index);
  offset = writeVarint(record, offset, counter);
  offset = writeVarint(record, offset, write.timestamp);
  offset = writeVarint(record, offset, write.expireAt);
  offset = writeVarint(record, offset, lengthPlusOne);
  if (write.value !== null) write.value.copy(record, offset);
  return record;
}

/** encodeLocalWrite by its definition, for actors whose byte order may not be their string order. */
function decodedLocalWrite(current: Buffer | null, actor: Actor, write: VersionWrite): Buffer {
  const versions = current === null ? EMPTY_VERSIONS : decodeVersions(current);
  return encodeVersions(update(versions, versions.clock, actor, write).versions);
}
