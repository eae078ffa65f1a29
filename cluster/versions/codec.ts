// cluster/versions/codec.ts — bytes for versions: a key's whole KeyVersions
// as the engine's opaque value, and the opaque causal context a client gets
// from DYN.VERSIONS and hands back to DYN.SET. Decoding checks every length
// and index against the input (codec-reader.ts), so bad bytes throw a named
// error saying what is wrong and where; nothing reads out of bounds.
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
// Record (format 2, tagged): as format 1, with each sibling's type tag
// (datatypes/types.ts, u8) between its expireAt and its value length. A record
// whose siblings are all strings (or tombstones) is written as format 1, so
// a string's record, and every record written before tags, stays format 1
// and reads as strings: the tag costs strings nothing.
// Context: base64url of (format u8 = 1, actorCount, actors) as above.
//
// Every GET and SET goes through a record, so two paths skip the decoding
// (fast-path.ts): locateWinner and encodeLocalWrite; and whether a
// peer's record supersedes the stored one (supersedes.ts).
import { isUtf8 } from 'node:buffer';
import { Reader, varintSize, writeVarint } from './codec-reader';
import { isDataType } from '../../datatypes/types';
import { actorNode, compareSiblings, isActor, type Actor, type KeyVersions, type Sibling, type VersionVector } from './versions';

export const VERSIONS_FORMAT = 1;
/** The tagged record: some sibling is not a string. */
export const TAGGED_FORMAT = 2;
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
  const tagged = siblings.some((s) => s.value !== null && (s.type ?? 0) !== 0);
  let size = 1 + clockSize + varintSize(siblings.length);
  if (tagged) size += siblings.length;
  for (const s of siblings) {
    const index = actorIndex.get(s.dot.actor);
    if (index === undefined || !(s.dot.counter <= (clock.get(s.dot.actor) as number))) {
      throw new RangeError(`sibling ${s.dot.actor}:${s.dot.counter} is not covered by the clock`);
    }
    const valueSize = s.value === null ? 0 : s.value.length;
    size += varintSize(index) + varintSize(s.dot.counter) + varintSize(s.timestamp) + varintSize(s.expireAt) + varintSize(valueSize + 1) + valueSize;
  }
  const record = Buffer.allocUnsafe(size);
  record[0] = tagged ? TAGGED_FORMAT : VERSIONS_FORMAT;
  let offset = writeClock(record, 1, clock, actors, byteLengths);
  offset = writeVarint(record, offset, siblings.length);
  for (const s of siblings) {
    offset = writeVarint(record, offset, actorIndex.get(s.dot.actor) as number);
    offset = writeVarint(record, offset, s.dot.counter);
    offset = writeVarint(record, offset, s.timestamp);
    offset = writeVarint(record, offset, s.expireAt);
    if (tagged) record[offset++] = s.value === null ? 0 : (s.type ?? 0);
    if (s.value === null) {
      offset = writeVarint(record, offset, 0);
    } else {
      offset = writeVarint(record, offset, s.value.length + 1);
      offset += s.value.copy(record, offset);
    }
  }
  return record;
}

/** The error a bad versions record throws, as Reader makes it. */
export const corruptRecord = (message: string): Error => new CorruptVersionsError(`bad versions record: ${message}`);

/** Values are views into `record` (no copies): keep the record unchanged while they live. */
export function decodeVersions(record: Buffer): KeyVersions {
  const reader = new Reader(corruptRecord).reset(record);
  const tagged = reader.formatIn(VERSIONS_FORMAT, TAGGED_FORMAT) === TAGGED_FORMAT;
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
    const typeAt = reader.offset;
    const type = tagged ? reader.byte(`sibling ${i} type`) : 0;
    if (!isDataType(type)) throw reader.error(`sibling ${i} type`, `${type} is not a known type tag`, typeAt);
    const lengthPlusOne = reader.varint('sibling {i} value length', i);
    if (type !== 0 && lengthPlusOne === 0) throw reader.error(`sibling ${i} type`, 'a tombstone with a type tag', typeAt);
    const value = lengthPlusOne === 0 ? null : reader.bytesOf('sibling {i} value', lengthPlusOne - 1, i);
    const sibling: Sibling = { dot: { actor: actors[index], counter }, node: nodes[index], value, timestamp, expireAt, type };
    if (i > 0 && compareSiblings(siblings[i - 1], sibling) >= 0) throw reader.error(`sibling ${i}`, 'not after the previous one in winner order', at);
    siblings.push(sibling);
  }
  if (tagged && !siblings.some((s) => s.type !== 0)) throw reader.error('format version', 'a tagged record without a typed sibling', 0);
  reader.end();
  return { clock: new Map(actors.map((actor, i) => [actor, counters[i]])), siblings };
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
