// datatypes/hash-counter.ts — a hash field that HINCRBY wrote in a cluster:
// a PN-counter (counter.ts, the value INCR writes to string keys) in the
// field's element value, behind the field's insertion number as every hash
// field value is (hash.ts's FieldValue: insertion number varint, then the
// bytes; here the bytes are the encoded counter). Its element record's
// sibling carries the internal tag fieldCounter (types.ts), so concurrent
// HINCRBYs of one field on both sides of a partition stay siblings that are
// never pruned and whose join counts every increment (merge.ts). Pure.
//
// Join: the counters' join (counter.ts: per-actor max over one origin, the
// newer origin otherwise) and the smaller insertion number (a field made
// concurrently on two replicas may have got two numbers; the smaller lists
// first). A product of two lattices: commutative, associative, idempotent;
// canonical bytes (counter.ts's encoding is canonical).
import { counterValue, decodeCounter, encodeCounter, joinCounters, type Counter } from './counter';
import { decodeFieldValue, encodeFieldValue } from './hash';

export interface FieldCounter {
  /** The field's insertion number. */
  readonly seq: number;
  readonly counter: Counter;
}

export function encodeFieldCounter(field: FieldCounter): Buffer {
  return encodeFieldValue(field.seq, encodeCounter(field.counter));
}

/** Throws RangeError on bytes encodeFieldCounter did not make. */
export function decodeFieldCounter(bytes: Buffer): FieldCounter {
  const { seq, value } = decodeFieldValue(bytes);
  return { seq, counter: decodeCounter(value) };
}

export function joinFieldCounters(a: FieldCounter, b: FieldCounter): FieldCounter {
  return { seq: Math.min(a.seq, b.seq), counter: joinCounters(a.counter, b.counter) };
}

/** joinFieldCounters on encoded values: the merge hook's join (merge.ts). */
export function joinFieldCounterValues(a: Buffer, b: Buffer): Buffer {
  if (a.equals(b)) return a;
  return encodeFieldCounter(joinFieldCounters(decodeFieldCounter(a), decodeFieldCounter(b)));
}

/** What HGET shows of the field: the counter's decimal (ASCII), as Redis shows the integer. */
export function fieldCounterText(field: FieldCounter): Buffer {
  return Buffer.from(String(counterValue(field.counter)), 'latin1');
}
