// cluster/versions/supersedes.ts — the replication fast path's question: does a
// peer's record already hold everything the stored one has, so that merging
// it in (versions.ts merge) would store it as it is? Answered from the bytes of
// both records (format in codec.ts) without decoding them to Maps and
// siblings; false when unsure, and the caller then merges. Allocates nothing
// once its scratch tables have grown to the records it sees.
//
// merge(current, incoming) is incoming exactly when
// - incoming's clock has every actor of current's, with a counter as high:
//   the joined clock is then incoming's;
// - incoming's clock covers every sibling of current (true of a well-formed
//   current given the above), so one survives only if incoming holds its dot;
// - every sibling of incoming survives: current has not seen its dot, or holds
//   it once, with the same data (the merge keeps current's sibling);
// - incoming has at most maxSiblings siblings: nothing is pruned.
// Only format-1 records (every sibling a string) are decided here: a tagged
// record (format 2, codec.ts) answers false, and the full merge handles it.
import { Reader } from './codec-reader';
import { VERSIONS_FORMAT } from './codec';
import { compareBytes, isAscii, isAsciiActor } from './fast-path';

/** What the readers throw on a bad or truncated field: supersedes answers false. */
const UNSURE = new Error('supersedes: not a record it decides on');
const incomingReader = new Reader(() => UNSURE);
const currentReader = new Reader(() => UNSURE);

/** The scratch tables hold offsets as int32: larger records take the full merge. */
const MAX_OFFSET = 2 ** 31 - 1;

/**
 * incoming's actor table, by index: where each actor's bytes lie, the length
 * of its node part (before the last '#'), its clock counter, and current's
 * clock counter for it (0 when current's clock does not have it).
 */
let actorAt = new Int32Array(16);
let actorLength = new Int32Array(16);
let nodeLength = new Int32Array(16);
let clock = new Float64Array(16);
let currentClock = new Float64Array(16);
/** current's actor index -> incoming's. */
let actorIndexIn = new Int32Array(16);
/** current's siblings: the dot (incoming's actor index, counter), the times, where the value lies (length -1: tombstone). */
let siblingActor = new Int32Array(16);
let siblingCounter = new Float64Array(16);
let siblingTimestamp = new Float64Array(16);
let siblingExpireAt = new Float64Array(16);
let valueAt = new Int32Array(16);
let valueLength = new Int32Array(16);

/** A column twice as long, the same values first. */
function grown<Column extends Int32Array | Float64Array>(column: Column): Column {
  const bigger = new (column.constructor as new (length: number) => Column)(column.length * 2);
  bigger.set(column);
  return bigger;
}

/**
 * True when merge(decode(current), decode(incoming)) equals decode(incoming)
 * exactly (same clock, same siblings with the same data, nothing pruned), so
 * storing `incoming` as it is is what the merge would store; decided from the
 * bytes. True only if incoming is well formed (every check decodeVersions
 * makes); current is trusted to be well formed, but read within bounds. False
 * when unsure (a non-ASCII actor, a bad record, a dot held twice): the caller
 * then does the full merge. Throws RangeError on a bad maxSiblings, as merge.
 */
export function supersedes(incoming: Buffer, current: Buffer, maxSiblings: number): boolean {
  if (!Number.isSafeInteger(maxSiblings) || maxSiblings < 1) throw new RangeError(`maxSiblings ${maxSiblings} is not a positive integer`);
  if (incoming.length > MAX_OFFSET || current.length > MAX_OFFSET) return false;
  try {
    const actors = readIncomingClock(incoming);
    if (actors < 0) return false;
    const currentSiblings = readCurrent(current, incoming, actors);
    if (currentSiblings < 0) return false;
    return readIncomingSiblings(incoming, current, actors, currentSiblings, maxSiblings);
  } catch (error) {
    if (error === UNSURE) return false;
    throw error;
  }
}

/** Reads and checks incoming's actor table as decodeVersions does, into the scratch table: its size, or -1 (bad, or not ASCII). */
function readIncomingClock(incoming: Buffer): number {
  const reader = incomingReader.reset(incoming);
  reader.format(VERSIONS_FORMAT);
  const count = reader.varint('actor count');
  for (let i = 0; i < count; i++) {
    const length = reader.varint('actor length');
    const at = reader.offset;
    reader.skip('actor', length);
    const end = reader.offset;
    if (!isAscii(incoming, at, end) || !isAsciiActor(incoming, at, end)) return -1;
    if (i > 0 && compareBytes(incoming, actorAt[i - 1], actorLength[i - 1], incoming, at, length) >= 0) return -1;
    reader.readVarint('clock counter');
    if (reader.value === 0) return -1;
    if (i === actorAt.length) {
      actorAt = grown(actorAt);
      actorLength = grown(actorLength);
      nodeLength = grown(nodeLength);
      clock = grown(clock);
      currentClock = grown(currentClock);
    }
    let hash = end - 1;
    while (incoming[hash] !== 0x23) hash--;
    actorAt[i] = at;
    actorLength[i] = length;
    nodeLength[i] = hash - at;
    clock[i] = reader.value;
    currentClock[i] = 0;
  }
  return count;
}

/**
 * Reads current against incoming's table: -1 when the merge would not be
 * incoming (an actor or a counter incoming's clock lacks, a sibling it does
 * not cover), else current's sibling count, their dots, times and values in the
 * scratch table. Checks bounds, not what decodeVersions checks.
 */
function readCurrent(current: Buffer, incoming: Buffer, actors: number): number {
  const reader = currentReader.reset(current);
  reader.format(VERSIONS_FORMAT);
  const count = reader.varint('actor count');
  let j = 0;
  for (let i = 0; i < count; i++) {
    const length = reader.varint('actor length');
    const at = reader.offset;
    reader.skip('actor', length);
    // Both tables ascend: current's actor is incoming's j-th, or incoming's clock lacks it.
    let order = -1;
    for (; j < actors; j++) {
      order = compareBytes(incoming, actorAt[j], actorLength[j], current, at, length);
      if (order >= 0) break;
    }
    if (order !== 0) return -1;
    reader.readVarint('clock counter');
    if (reader.value > clock[j]) return -1;
    if (i === actorIndexIn.length) actorIndexIn = grown(actorIndexIn);
    currentClock[j] = reader.value;
    actorIndexIn[i] = j++;
  }
  const siblings = reader.varint('sibling count');
  for (let i = 0; i < siblings; i++) {
    const index = reader.varint('actor index');
    if (index >= count) return -1;
    reader.readVarint('dot counter');
    const counter = reader.value;
    const actor = actorIndexIn[index];
    if (counter > clock[actor]) return -1; // incoming has not seen it: it survives
    if (i === siblingActor.length) {
      siblingActor = grown(siblingActor);
      siblingCounter = grown(siblingCounter);
      siblingTimestamp = grown(siblingTimestamp);
      siblingExpireAt = grown(siblingExpireAt);
      valueAt = grown(valueAt);
      valueLength = grown(valueLength);
    }
    siblingActor[i] = actor;
    siblingCounter[i] = counter;
    reader.readVarint('timestamp');
    siblingTimestamp[i] = reader.value;
    reader.readExpireAt('expireAt');
    siblingExpireAt[i] = reader.value;
    const lengthPlusOne = reader.varint('value length');
    if (lengthPlusOne > 0) reader.skip('value', lengthPlusOne - 1);
    valueAt[i] = reader.offset - lengthPlusOne + 1;
    valueLength[i] = lengthPlusOne - 1;
  }
  reader.end();
  return siblings;
}

/** Reads and checks incoming's siblings as decodeVersions does (the reader is past its table): true when each survives the merge as it is. */
function readIncomingSiblings(incoming: Buffer, current: Buffer, actors: number, currentSiblings: number, maxSiblings: number): boolean {
  const reader = incomingReader;
  const count = reader.varint('sibling count');
  if (count > maxSiblings) return false; // the merge would prune
  let previousTimestamp = 0;
  let previousActor = -1;
  let previousCounter = 0;
  for (let i = 0; i < count; i++) {
    const actor = reader.varint('actor index');
    if (actor >= actors) return false;
    reader.readVarint('dot counter');
    const counter = reader.value;
    if (counter === 0 || counter > clock[actor]) return false;
    reader.readVarint('timestamp');
    const timestamp = reader.value;
    reader.readExpireAt('expireAt');
    const expireAt = reader.value;
    const lengthPlusOne = reader.varint('value length');
    if (lengthPlusOne > 0) reader.skip('value', lengthPlusOne - 1);
    if (i > 0 && !follows(incoming, previousTimestamp, previousActor, previousCounter, timestamp, actor, counter)) return false;
    const held = heldAs(actor, counter, currentSiblings);
    if (counter > currentClock[actor]) {
      if (held !== -1) return false; // current has the dot, unseen by its own clock: both would stay
    } else if (held < 0 || siblingTimestamp[held] !== timestamp || siblingExpireAt[held] !== expireAt ||
      !sameValue(incoming, reader.offset - lengthPlusOne + 1, lengthPlusOne - 1, current, valueAt[held], valueLength[held])) {
      return false; // current has seen the dot: the merge keeps current's sibling, which must be this one
    }
    previousTimestamp = timestamp;
    previousActor = actor;
    previousCounter = counter;
  }
  reader.end();
  return true;
}

/** compareSiblings(previous, next) < 0 (winner order: later timestamp, greater node, greater actor, greater counter first); actors by incoming's index. */
function follows(incoming: Buffer, timestamp: number, actor: number, counter: number, nextTimestamp: number, nextActor: number, nextCounter: number): boolean {
  if (nextTimestamp !== timestamp) return nextTimestamp < timestamp;
  if (nextActor !== actor) {
    const order = compareBytes(incoming, actorAt[actor], nodeLength[actor], incoming, actorAt[nextActor], nodeLength[nextActor]);
    return order !== 0 ? order > 0 : nextActor < actor; // the table ascends, so index order is actor order
  }
  return nextCounter < counter;
}

/** Which of current's siblings has the dot actor:counter: its index, -1 for none, -2 for more than one. */
function heldAs(actor: number, counter: number, currentSiblings: number): number {
  let held = -1;
  for (let k = 0; k < currentSiblings; k++) {
    if (siblingActor[k] !== actor || siblingCounter[k] !== counter) continue;
    if (held >= 0) return -2;
    held = k;
  }
  return held;
}

/** Two values (length -1: tombstone) with the same bytes. */
function sameValue(a: Buffer, aAt: number, aLength: number, b: Buffer, bAt: number, bLength: number): boolean {
  if (aLength !== bLength) return false;
  return aLength <= 64 ? compareBytes(a, aAt, aLength, b, bAt, bLength) === 0 : a.compare(b, bAt, bAt + bLength, aAt, aAt + aLength) === 0;
}
