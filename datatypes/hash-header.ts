// datatypes/hash-header.ts — the value of a hash's header record: its clear
// clock, actor -> counter, the element writes (by their dots) a DEL or the
// removal of the last field has observed; an element whose dot it covers is
// gone, one it does not cover survives (add-wins, observed-remove: Riak's
// riak_dt_map, Bieniusa et al.'s OR-set). Headers merge by joining their
// clocks pointwise, so the header is a state-based CRDT: join is commutative,
// associative and idempotent, and its encoding is canonical (actors
// ascending, no zero counters), so equal clocks are equal bytes. Pure.
//
// Encoding: actorCount varint, then per actor (byteLength varint, UTF-8
// bytes, counter varint >= 1), strictly ascending.
import { ByteCursor, varintSize, writeVarint } from './varint';

export type ClearClock = ReadonlyMap<string, number>;

export const EMPTY_CLEAR_CLOCK: ClearClock = new Map();

export function encodeHashHeader(clear: ClearClock): Buffer {
  const actors = [...clear.keys()].sort();
  const lengths = actors.map((a) => Buffer.byteLength(a, 'utf8'));
  let size = varintSize(actors.length);
  for (let i = 0; i < actors.length; i++) {
    const counter = clear.get(actors[i]) as number;
    if (!Number.isSafeInteger(counter) || counter < 1) throw new RangeError(`clear clock counter ${counter} of ${actors[i]} is not a positive integer`);
    size += varintSize(lengths[i]) + lengths[i] + varintSize(counter);
  }
  const bytes = Buffer.allocUnsafe(size);
  let offset = writeVarint(bytes, 0, actors.length);
  for (let i = 0; i < actors.length; i++) {
    offset = writeVarint(bytes, offset, lengths[i]);
    offset += bytes.write(actors[i], offset, lengths[i], 'utf8');
    offset = writeVarint(bytes, offset, clear.get(actors[i]) as number);
  }
  return bytes;
}

/** Throws RangeError on bytes encodeHashHeader did not make. */
export function decodeHashHeader(bytes: Buffer): ClearClock {
  const cursor = new ByteCursor(bytes);
  const count = cursor.varint('hash header actor count');
  const clear = new Map<string, number>();
  let previous: string | null = null;
  for (let i = 0; i < count; i++) {
    const actor = cursor.bytesOf('hash header actor', cursor.varint('hash header actor length')).toString('utf8');
    if (previous !== null && actor <= previous) throw new RangeError('hash header: actors not in strictly ascending order');
    const counter = cursor.varint('hash header counter');
    if (counter === 0) throw new RangeError('hash header: zero counter');
    clear.set(actor, counter);
    previous = actor;
  }
  cursor.end('hash header');
  return clear;
}

/** Pointwise max. */
export function joinClearClocks(a: ClearClock, b: ClearClock): ClearClock {
  const joined = new Map(a);
  for (const [actor, counter] of b) if ((joined.get(actor) ?? 0) < counter) joined.set(actor, counter);
  return joined;
}

export function joinHashHeaders(a: Buffer, b: Buffer): Buffer {
  if (a.equals(b)) return a;
  return encodeHashHeader(joinClearClocks(decodeHashHeader(a), decodeHashHeader(b)));
}
