// cluster/version-codec.ts — bytes for versions: a key's whole KeyVersions
// as the engine's opaque value, and the opaque causal context a client gets
// from DYN.VERSIONS and hands back to DYN.SET. Decoding checks every length
// and index against the input, so bad bytes throw a named error saying what
// is wrong and where; nothing reads out of bounds.
//
// Record (format 1), varints are unsigned LEB128 up to 2^53 - 1, minimal:
//   format      u8 = 1
//   actorCount  varint
//   actors      actorCount x (byteLength varint, UTF-8 bytes, clock counter varint >= 1),
//               strictly ascending; the clock and the actor table in one
//   siblingCount varint
//   siblings    siblingCount x (actor index varint, dot counter varint,
//               timestamp ms varint, expireAt ms varint (up to 2^63, 10 bytes),
//               value length + 1 varint (0 = tombstone), value bytes),
//               in winner order, so the first is the winner
// Context: base64url of (format u8 = 1, actorCount, actors) as above.
//
// Every GET and SET goes through a record, so two paths skip the decoding:
// locateWinner finds the winner's value without allocating, and
// encodeLocalWrite makes a plain write's record from the current one by
// copying its actor table as bytes.
import { isUtf8 } from 'node:buffer';
import {
  EMPTY_VERSIONS,
  actorNode,
  compareSiblings,
  isActor,
  update,
  type Actor,
  type KeyVersions,
  type Sibling,
  type VersionVector,
  type VersionWrite,
} from './versions';

export const VERSIONS_FORMAT = 1;
export const CONTEXT_FORMAT = 1;

/** A stored versions record that does not decode: corruption, or a format this build does not know. */
export class CorruptVersionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptVersionsError';
  }
}

/** A causal context from a client that does not decode. */
export class InvalidContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidContextError';
  }
}

/** The winner's part of a record, read by decodeWinner without decoding the rest. */
export interface WinnerValue {
  /** null for a tombstone. A view into the record, not a copy. */
  readonly value: Buffer | null;
  readonly expireAt: number;
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
}

const MAX_VARINT_BYTES = 8;
/** expireAt's bound: 2^63, in a varint of up to 10 bytes (the other fields stay within 2^53 - 1). */
export const MAX_EXPIRE_AT = 2 ** 63;
const EXPIRE_AT_BYTES = 10;
const NO_BYTES: Buffer = Buffer.alloc(0);

function varintSize(n: number): number {
  let size = 1;
  for (; n >= 0x80; n = Math.floor(n / 0x80)) size++;
  return size;
}

function writeVarint(target: Buffer, offset: number, n: number): number {
  for (; n >= 0x80; n = Math.floor(n / 0x80)) target[offset++] = (n % 0x80) | 0x80;
  target[offset++] = n;
  return offset;
}

/**
 * A bounds-checked cursor over bytes[start, limit); every failure throws
 * `fail`'s error, with offsets relative to start. A field name may hold `{i}`,
 * standing for `index`: names are made only on failure, so reading allocates
 * nothing and one reader can serve every call.
 */
class Reader {
  bytes: Buffer = NO_BYTES;
  start = 0;
  limit = 0;
  offset = 0;
  /** The last varint read. */
  value = 0;
  constructor(private readonly fail: (message: string) => Error) {}

  reset(bytes: Buffer, start = 0, limit = bytes.length): this {
    this.bytes = bytes;
    this.start = start;
    this.limit = limit;
    this.offset = start;
    return this;
  }

  error(what: string, problem: string, at = this.offset): Error {
    return this.fail(`${what} at offset ${at - this.start}: ${problem}`);
  }

  private failure(what: string, index: number, problem: string, at = this.offset): Error {
    return this.error(index < 0 ? what : what.replace('{i}', String(index)), problem, at);
  }

  byte(what: string): number {
    if (this.offset >= this.limit) throw this.failure(what, -1, 'truncated');
    return this.bytes[this.offset++];
  }

  varint(what: string, index = -1): number {
    this.readVarint(what, index);
    return this.value;
  }

  /**
   * Reads a varint into this.value. A field, not a return value: a number
   * above 2^31 (a timestamp) returned from a call that is not inlined is
   * boxed, which the fast paths must not allocate.
   */
  readVarint(what: string, index = -1, maxBytes = MAX_VARINT_BYTES, max = Number.MAX_SAFE_INTEGER): void {
    const start = this.offset;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (this.offset >= this.limit) throw this.failure(what, index, 'truncated varint', start);
      const byte = this.bytes[this.offset++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw this.failure(what, index, 'non-minimal varint', start);
        if (value > max) throw this.failure(what, index, max === MAX_EXPIRE_AT ? 'varint above 2^63' : 'varint above 2^53 - 1', start);
        this.value = value;
        return;
      }
      scale *= 0x80;
    }
    throw this.failure(what, index, `varint longer than ${maxBytes} bytes`, start);
  }

  /** An expireAt: as readVarint, up to 2^63 (Redis takes expiry times up to int64's largest, which a double rounds to 2^63). */
  readExpireAt(what: string, index = -1): void {
    this.readVarint(what, index, EXPIRE_AT_BYTES, MAX_EXPIRE_AT);
  }

  skip(what: string, length: number, index = -1): void {
    if (length > this.limit - this.offset) throw this.failure(what, index, `${length} bytes announced, ${this.limit - this.offset} left`);
    this.offset += length;
  }

  bytesOf(what: string, length: number, index = -1): Buffer {
    this.skip(what, length, index);
    return this.bytes.subarray(this.offset - length, this.offset);
  }

  format(expected: number): void {
    const at = this.offset;
    const format = this.byte('format version');
    if (format !== expected) throw this.error('format version', `${format} is not the known format ${expected}`, at);
  }

  end(): void {
    if (this.offset !== this.limit) throw this.error('end of input', `${this.limit - this.offset} trailing bytes`);
  }
}

interface ClockTable {
  actors: Actor[];
  counters: number[];
}

/** The clock's entries in ascending actor order, with their UTF-8 sizes. */
function clockEntries(clock: VersionVector): { actors: Actor[]; byteLengths: number[]; size: number } {
  const actors = [...clock.keys()].sort();
  const byteLengths = actors.map((a) => Buffer.byteLength(a, 'utf8'));
  let size = varintSize(actors.length);
  for (let i = 0; i < actors.length; i++) size += varintSize(byteLengths[i]) + byteLengths[i] + varintSize(clock.get(actors[i]) as number);
  return { actors, byteLengths, size };
}

function writeClock(target: Buffer, offset: number, clock: VersionVector, actors: Actor[], byteLengths: number[]): number {
  offset = writeVarint(target, offset, actors.length);
  for (let i = 0; i < actors.length; i++) {
    offset = writeVarint(target, offset, byteLengths[i]);
    offset += target.write(actors[i], offset, byteLengths[i], 'utf8');
    offset = writeVarint(target, offset, clock.get(actors[i]) as number);
  }
  return offset;
}

function readClock(reader: Reader): ClockTable {
  const count = reader.varint('actor count');
  const actors: Actor[] = [];
  const counters: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = reader.offset;
    const bytes = reader.bytesOf('actor {i}', reader.varint('actor {i} length', i), i);
    if (!isUtf8(bytes)) throw reader.error(`actor ${i}`, 'not UTF-8', at);
    const actor = bytes.toString('utf8');
    if (!isActor(actor)) throw reader.error(`actor ${i}`, `${JSON.stringify(actor)} is not node#incarnation`, at);
    if (i > 0 && actor <= actors[i - 1]) throw reader.error(`actor ${i}`, 'actors not in strictly ascending order', at);
    const counter = reader.varint('clock counter of actor {i}', i);
    if (counter === 0) throw reader.error(`clock counter of actor ${i}`, 'zero counter', reader.offset - 1);
    actors.push(actor);
    counters.push(counter);
  }
  return { actors, counters };
}

/** One allocation: the size is computed first. */
export function encodeVersions(versions: KeyVersions): Buffer {
  const { clock, siblings } = versions;
  const { actors, byteLengths, size: clockSize } = clockEntries(clock);
  const actorIndex = new Map(actors.map((actor, i) => [actor, i]));
  let size = 1 + clockSize + varintSize(siblings.length);
  for (const s of siblings) {
    const index = actorIndex.get(s.dot.actor);
    if (index === undefined || !(s.dot.counter <= (clock.get(s.dot.actor) as number))) {
      throw new RangeError(`sibling ${s.dot.actor}:${s.dot.counter} is not covered by the clock`);
    }
    const valueSize = s.value === null ? 0 : s.value.length;
    size += varintSize(index) + varintSize(s.dot.counter) + varintSize(s.timestamp) + varintSize(s.expireAt) + varintSize(valueSize + 1) + valueSize;
  }
  const record = Buffer.allocUnsafe(size);
  record[0] = VERSIONS_FORMAT;
  let offset = writeClock(record, 1, clock, actors, byteLengths);
  offset = writeVarint(record, offset, siblings.length);
  for (const s of siblings) {
    offset = writeVarint(record, offset, actorIndex.get(s.dot.actor) as number);
    offset = writeVarint(record, offset, s.dot.counter);
    offset = writeVarint(record, offset, s.timestamp);
    offset = writeVarint(record, offset, s.expireAt);
    if (s.value === null) {
      offset = writeVarint(record, offset, 0);
    } else {
      offset = writeVarint(record, offset, s.value.length + 1);
      offset += s.value.copy(record, offset);
    }
  }
  return record;
}

const corrupt = (message: string): Error => new CorruptVersionsError(`bad versions record: ${message}`);

/** Values are views into `record` (no copies): keep the record unchanged while they live. */
export function decodeVersions(record: Buffer): KeyVersions {
  const reader = new Reader(corrupt).reset(record);
  reader.format(VERSIONS_FORMAT);
  const { actors, counters } = readClock(reader);
  const nodes = actors.map(actorNode);
  const count = reader.varint('sibling count');
  const siblings: Sibling[] = [];
  for (let i = 0; i < count; i++) {
    const at = reader.offset;
    const index = reader.varint('sibling {i} actor index', i);
    if (index >= actors.length) throw reader.error(`sibling ${i} actor index`, `${index} is not below the actor count ${actors.length}`, at);
    const counterAt = reader.offset;
    const counter = reader.varint('sibling {i} dot counter', i);
    if (counter === 0 || counter > counters[index]) {
      throw reader.error(`sibling ${i} dot counter`, `${counter} is not within the clock's 1..${counters[index]} for ${actors[index]}`, counterAt);
    }
    const timestamp = reader.varint('sibling {i} timestamp', i);
    reader.readExpireAt('sibling {i} expireAt', i);
    const expireAt = reader.value;
    const lengthPlusOne = reader.varint('sibling {i} value length', i);
    const value = lengthPlusOne === 0 ? null : reader.bytesOf('sibling {i} value', lengthPlusOne - 1, i);
    const sibling: Sibling = { dot: { actor: actors[index], counter }, node: nodes[index], value, timestamp, expireAt };
    if (i > 0 && compareSiblings(siblings[i - 1], sibling) >= 0) throw reader.error(`sibling ${i}`, 'not after the previous one in winner order', at);
    siblings.push(sibling);
  }
  reader.end();
  return { clock: new Map(actors.map((actor, i) => [actor, counters[i]])), siblings };
}

/** The reader of the fast paths: they never nest, so one serves every call. */
const recordReader = new Reader(corrupt);

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
  reader.format(VERSIONS_FORMAT);
  const actorCount = reader.varint('actor count');
  for (let i = 0; i < actorCount; i++) {
    reader.skip('actor {i}', reader.varint('actor {i} length', i), i);
    reader.readVarint('clock counter of actor {i}', i);
  }
  const siblings = reader.varint('sibling count');
  let valueOffset = -1;
  let valueLength = -1;
  let expireAt = 0;
  if (siblings > 0) {
    const at = reader.offset;
    const index = reader.varint('sibling 0 actor index');
    if (index >= actorCount) throw reader.error('sibling 0 actor index', `${index} is not below the actor count ${actorCount}`, at);
    reader.readVarint('sibling 0 dot counter');
    reader.readVarint('sibling 0 timestamp');
    reader.readExpireAt('sibling 0 expireAt');
    expireAt = reader.value; // not varint()'s return, which may be a boxed number
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
}

const located: WinnerLocation = { valueOffset: -1, valueLength: -1, expireAt: 0, siblings: 0 };

/** locateWinner for a whole record, the value as a view into it (null when the record has no sibling). */
export function decodeWinner(record: Buffer): WinnerValue | null {
  locateWinner(record, 0, record.length, located);
  if (located.siblings === 0) return null;
  const { valueOffset, valueLength, expireAt } = located;
  return { value: valueLength < 0 ? null : record.subarray(valueOffset, valueOffset + valueLength), expireAt };
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

function isAscii(bytes: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (bytes[k] >= 0x80) return false;
  return true;
}

/** isActor for ASCII bytes: /^.+#(0|[1-9][0-9]*)$/. */
function isAsciiActor(bytes: Buffer, from: number, to: number): boolean {
  let hash = to - 1;
  while (hash >= from && bytes[hash] >= 0x30 && bytes[hash] <= 0x39) hash--;
  const digits = to - hash - 1;
  return hash > from && bytes[hash] === 0x23 && digits > 0 && (digits === 1 || bytes[hash + 1] !== 0x30);
}

/** Byte order, which is JS string order for ASCII. */
function compareBytes(a: Buffer, aFrom: number, aLength: number, b: Buffer, bFrom: number, bLength: number): number {
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
 * (where byte order may differ from string order) takes the decoding path.
 * Throws CorruptVersionsError on a bad current record, RangeError on a bad
 * actor, timestamp or expireAt. Allocates only the record.
 */
export function encodeLocalWrite(current: Buffer | null, actor: Actor, write: VersionWrite): Buffer {
  const actorBytes = checkedActorBytes(actor);
  checkMs('timestamp', write.timestamp);
  checkExpireAt(write.expireAt);
  if (actorBytes.length !== actor.length) return decodedLocalWrite(current, actor, write);
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
    reader.format(VERSIONS_FORMAT);
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
      const lengthPlusOne = reader.varint('sibling {i} value length', i);
      if (lengthPlusOne > 0) reader.skip('sibling {i} value', lengthPlusOne - 1, i);
    }
    reader.end();
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

/** The opaque context DYN.VERSIONS hands out: base64url, safe to paste into redis-cli. */
export function encodeContext(clock: VersionVector): string {
  const { actors, byteLengths, size } = clockEntries(clock);
  const bytes = Buffer.allocUnsafe(1 + size);
  bytes[0] = CONTEXT_FORMAT;
  writeClock(bytes, 1, clock, actors, byteLengths);
  return bytes.toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A client's context (a DYN.SET argument): throws InvalidContextError on anything encodeContext did not make. */
export function decodeContext(context: string | Buffer): VersionVector {
  const text = typeof context === 'string' ? context : context.toString('latin1');
  if (!BASE64URL.test(text)) throw new InvalidContextError('invalid context: not base64url');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new InvalidContextError('invalid context: not canonical base64url');
  const reader = new Reader((message) => new InvalidContextError(`invalid context: ${message}`)).reset(bytes);
  reader.format(CONTEXT_FORMAT);
  const { actors, counters } = readClock(reader);
  reader.end();
  return new Map(actors.map((actor, i) => [actor, counters[i]]));
}
