// cluster/replica/field-counter-read.ts — a hash field's PN-counter
// (datatypes/hash-counter.ts, tag fieldCounter) at the version layer: what
// a read shows of a field whose shown sibling is a counter (the decimal of
// the join of its live counter siblings: concurrent HINCRBYs all count), and
// the counter HINCRBY adds to (the field's counter, or a new one over its
// integer or over nothing, its base named by the version it came from, so
// increments on both sides of a partition over the same value add up), as
// versions/counter-read.ts does for string keys. Hash fields carry no expiry.
import { NO_ORIGIN, startCounter, type CounterOrigin } from '../../datatypes/counter';
import { decodeFieldCounter, fieldCounterText, joinFieldCounters, type FieldCounter } from '../../datatypes/hash-counter';
import type { FieldValue } from '../../datatypes/hash';
import { decodeFieldValue } from '../../datatypes/hash';
import { DataType } from '../../datatypes/types';
import type { KeyVersions, Sibling } from '../versions/versions';

/** The join of the field's live counter siblings from index `first` (a counter sibling) on. */
function joinedFieldCounter(versions: KeyVersions, first: number): FieldCounter {
  let joined = decodeFieldCounter(versions.siblings[first].value as Buffer);
  for (let i = first + 1; i < versions.siblings.length; i++) {
    const s = versions.siblings[i];
    if (s.type === DataType.fieldCounter && s.value !== null) joined = joinFieldCounters(joined, decodeFieldCounter(s.value));
  }
  return joined;
}

/** What reads show of a field whose first live sibling (index `first`) is a counter: its insertion number and decimal. */
export function visibleFieldCounter(versions: KeyVersions, first: number): FieldValue {
  const joined = joinedFieldCounter(versions, first);
  return { seq: joined.seq, value: fieldCounterText(joined) };
}

function originOf(s: Sibling): CounterOrigin {
  return { timestamp: s.timestamp, actor: s.dot.actor, counter: s.dot.counter };
}

/**
 * The counter HINCRBY adds to: the join of the field's live counter
 * siblings when the shown value is a counter; over a plain value (checked an
 * integer by the command), a new counter whose base is that integer and
 * origin its version; over no live value, base 0 from the version that
 * removed the last one (NO_ORIGIN when the field never had one here).
 */
export function fieldCounterRead(versions: KeyVersions | null): FieldCounter['counter'] {
  if (versions === null) return startCounter(0n, NO_ORIGIN);
  const first = versions.siblings.findIndex((s) => s.value !== null);
  if (first < 0) return startCounter(0n, versions.siblings.length === 0 ? NO_ORIGIN : originOf(versions.siblings[0]));
  const shown = versions.siblings[first];
  if (shown.type === DataType.fieldCounter) return joinedFieldCounter(versions, first).counter;
  const text = decodeFieldValue(shown.value as Buffer).value.toString('latin1');
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new RangeError(`hash field value ${JSON.stringify(text)} is not an integer`);
  return startCounter(BigInt(text), originOf(shown));
}
