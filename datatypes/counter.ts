// datatypes/counter.ts — the value INCR, DECR, INCRBY and DECRBY write: a
// PN-counter over a base (Shapiro et al.'s PN-counter; Riak's
// riak_dt_pncounter; Redis Enterprise Active-Active's string counters). The
// base is the integer the first increment found (a SET's value, or 0 over an
// absent key), named by the write that made it (its origin: timestamp, actor,
// dot counter); each actor (node#incarnation) keeps its own totals of
// increments and decrements made on top of that base, which only grow. The
// value is base + Σ increments − Σ decrements. Pure.
//
// Join: of two counters over the same origin, each actor's totals are the
// larger of the two (per-actor max: every increment counts once, whichever
// way the states travelled); of counters over different origins (a SET on
// one side of a partition, INCRs over an older value on the other), the one
// over the newer origin (winner order: timestamp, actor, counter), as the
// later of two concurrent SETs wins. A lexicographic product of a total
// order and a lattice, so the join is commutative, associative and
// idempotent; the encoding is canonical (actors ascending, no all-zero
// entry, decimals minimal), so equal states are equal bytes.
//
// Encoding: format u8 = 1; base (byteLength varint, decimal ASCII); origin
// (timestamp varint, actor byteLength varint + UTF-8, counter varint; the
// empty origin is 0, "", 0); entryCount varint, then per actor, strictly
// ascending: actor (byteLength varint + UTF-8), increments and decrements
// (each byteLength varint + non-negative decimal ASCII, not both 0).
import { ByteCursor, varintSize, writeVarint } from './varint';

export const COUNTER_FORMAT = 1;

/** The write that made a counter's base: the winner order's keys of a version (cluster/versions/versions.ts). */
export interface CounterOrigin {
  readonly timestamp: number;
  readonly actor: string;
  readonly counter: number;
}

/** A key that never held a value: no write made its base 0. */
export const NO_ORIGIN: CounterOrigin = Object.freeze({ timestamp: 0, actor: '', counter: 0 });

export interface ActorTotals {
  /** Sum of the actor's increments (INCRBY n > 0), never negative. */
  readonly up: bigint;
  /** Sum of the magnitudes of its decrements (INCRBY n < 0, DECRBY n > 0), never negative. */
  readonly down: bigint;
}

export interface Counter {
  readonly base: bigint;
  readonly origin: CounterOrigin;
  /** Actor -> totals; an absent actor has made none. */
  readonly totals: ReadonlyMap<string, ActorTotals>;
}

/** A counter over base, made by the write `origin`, with no increment yet. */
export function startCounter(base: bigint, origin: CounterOrigin): Counter {
  return { base, origin, totals: new Map() };
}

export function counterValue(counter: Counter): bigint {
  let value = counter.base;
  for (const { up, down } of counter.totals.values()) value += up - down;
  return value;
}

/** The counter with `by` added by `actor` (a negative `by` is a decrement). */
export function incrementCounter(counter: Counter, actor: string, by: bigint): Counter {
  if (actor.length === 0) throw new RangeError('counter actor is empty');
  if (by === 0n) return counter;
  const totals = new Map(counter.totals);
  const mine = totals.get(actor) ?? { up: 0n, down: 0n };
  totals.set(actor, by > 0n ? { up: mine.up + by, down: mine.down } : { up: mine.up, down: mine.down - by });
  return { base: counter.base, origin: counter.origin, totals };
}

/** The winner order of origins: negative when a is the newer. */
export function compareOrigins(a: CounterOrigin, b: CounterOrigin): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  if (a.actor !== b.actor) return a.actor < b.actor ? 1 : -1;
  return b.counter - a.counter;
}

/** The least upper bound of two counters (the header's rules). */
export function joinCounters(a: Counter, b: Counter): Counter {
  const order = compareOrigins(a.origin, b.origin);
  if (order !== 0) return order < 0 ? a : b;
  // One origin names one write, so one base; a different base is not a state any write makes, ordered all the same.
  if (a.base !== b.base) return a.base > b.base ? a : b;
  const totals = new Map(a.totals);
  for (const [actor, theirs] of b.totals) {
    const mine = totals.get(actor);
    totals.set(actor, mine === undefined ? theirs : { up: max(mine.up, theirs.up), down: max(mine.down, theirs.down) });
  }
  return { base: a.base, origin: a.origin, totals };
}

const max = (x: bigint, y: bigint): bigint => (x > y ? x : y);

/** joinCounters on encoded counters: the merge hook's join (merge.ts). */
export function joinCounterValues(a: Buffer, b: Buffer): Buffer {
  if (a.equals(b)) return a;
  return encodeCounter(joinCounters(decodeCounter(a), decodeCounter(b)));
}

export function encodeCounter(counter: Counter): Buffer {
  const { origin } = counter;
  checkOrigin(origin);
  const actors = [...counter.totals.keys()].sort();
  const parts: (string | number)[] = [String(counter.base), origin.timestamp, origin.actor, origin.counter];
  let entries = 0;
  for (const actor of actors) {
    const { up, down } = counter.totals.get(actor) as ActorTotals;
    if (up < 0n || down < 0n) throw new RangeError(`counter totals of ${actor} are negative`);
    if (up === 0n && down === 0n) continue;
    parts.push(actor, String(up), String(down));
    entries++;
  }
  let size = 1 + varintSize(entries);
  for (const part of parts) size += typeof part === 'number' ? varintSize(part) : textSize(part);
  const bytes = Buffer.allocUnsafe(size);
  bytes[0] = COUNTER_FORMAT;
  let offset = 1;
  for (let i = 0; i < 4; i++) offset = writePart(bytes, offset, parts[i]);
  offset = writeVarint(bytes, offset, entries);
  for (let i = 4; i < parts.length; i++) offset = writePart(bytes, offset, parts[i]);
  return bytes;
}

function textSize(text: string): number {
  const length = Buffer.byteLength(text, 'utf8');
  return varintSize(length) + length;
}

function writePart(bytes: Buffer, offset: number, part: string | number): number {
  if (typeof part === 'number') return writeVarint(bytes, offset, part);
  const length = Buffer.byteLength(part, 'utf8');
  offset = writeVarint(bytes, offset, length);
  return offset + bytes.write(part, offset, length, 'utf8');
}

function checkOrigin(origin: CounterOrigin): void {
  if (!Number.isSafeInteger(origin.timestamp) || origin.timestamp < 0) throw new RangeError(`counter origin timestamp ${origin.timestamp} is not a non-negative integer`);
  if (!Number.isSafeInteger(origin.counter) || origin.counter < 0) throw new RangeError(`counter origin counter ${origin.counter} is not a non-negative integer`);
}

const DECIMAL = /^(0|-?[1-9][0-9]*)$/;

/** Throws RangeError on bytes encodeCounter did not make. */
export function decodeCounter(bytes: Buffer): Counter {
  const cursor = new ByteCursor(bytes);
  const format = cursor.bytesOf('counter format', 1)[0];
  if (format !== COUNTER_FORMAT) throw new RangeError(`counter format ${format} is not the known format ${COUNTER_FORMAT}`);
  const base = decimal(cursor, 'counter base', true);
  const timestamp = cursor.varint('counter origin timestamp');
  const originActor = text(cursor, 'counter origin actor');
  const origin: CounterOrigin = { timestamp, actor: originActor, counter: cursor.varint('counter origin counter') };
  const count = cursor.varint('counter entry count');
  const totals = new Map<string, ActorTotals>();
  let previous: string | null = null;
  for (let i = 0; i < count; i++) {
    const actor = text(cursor, 'counter actor');
    if (actor.length === 0) throw new RangeError('counter: an empty actor');
    if (previous !== null && actor <= previous) throw new RangeError('counter: actors not in strictly ascending order');
    const up = decimal(cursor, 'counter increments', false);
    const down = decimal(cursor, 'counter decrements', false);
    if (up === 0n && down === 0n) throw new RangeError(`counter: an entry of ${actor} without increments`);
    totals.set(actor, { up, down });
    previous = actor;
  }
  cursor.end('counter');
  return { base, origin, totals };
}

function text(cursor: ByteCursor, what: string): string {
  return cursor.bytesOf(what, cursor.varint(`${what} length`)).toString('utf8');
}

function decimal(cursor: ByteCursor, what: string, signed: boolean): bigint {
  const digits = cursor.bytesOf(what, cursor.varint(`${what} length`)).toString('latin1');
  if (!DECIMAL.test(digits) || (!signed && digits.startsWith('-'))) throw new RangeError(`${what}: ${JSON.stringify(digits)} is not a canonical ${signed ? '' : 'non-negative '}decimal`);
  return BigInt(digits);
}
