// cluster/versions/counter-read.ts — the counter tag (datatypes/counter.ts)
// at the version layer: what a string read sees of a key whose winner is a
// counter (the decimal of the join of its live counter siblings, as
// joinedWinner makes it) or a HyperLogLog (the join's bytes), and the counter INCR starts from: the key's
// counter, or a new one over its string value or over nothing, its base
// named by the version it came from (so increments on both sides of a
// partition over the same value share a base, and add up).
import { counterValue, decodeCounter, NO_ORIGIN, startCounter, type Counter, type CounterOrigin } from '../../datatypes/counter';
import { DataType } from '../../datatypes/types';
import { joinedWinner, winner, type KeyVersions, type Sibling } from './versions';
import { WrongTypeError } from './wrong-type';

/** A counter's value as GET shows it: its decimal (ASCII). */
export function counterText(value: Buffer): Buffer {
  return Buffer.from(String(counterValue(decodeCounter(value))), 'latin1');
}

/**
 * The bytes a string read sees of the key: the live winner's value, a
 * counter's decimal; null when no value is live. WrongTypeError when the
 * winner is of another type.
 */
export function stringRead(versions: KeyVersions, now: number): Buffer | null {
  const top = joinedWinner(versions, now);
  if (top === null) return null;
  const type = top.type ?? 0;
  if (type === DataType.counter) return counterText(top.value as Buffer);
  // A HyperLogLog (PFADD in a cluster): the join's bytes are the string.
  if (type !== DataType.string && type !== DataType.hll) throw new WrongTypeError();
  return top.value;
}

/** What INCR reads: the counter, or null when the key's string is not an integer; the expiry it keeps. */
export interface CounterRead {
  readonly counter: Counter | null;
  readonly expireAt: number;
}

/** The write a version was: the counter base's origin when INCR starts from it. */
function originOf(s: Sibling): CounterOrigin {
  return { timestamp: s.timestamp, actor: s.dot.actor, counter: s.dot.counter };
}

/**
 * The counter INCR adds to: the join of the key's counter siblings; over a
 * string, a new counter whose base is its integer (`parse`: null when it is
 * none) and origin its version; over no live value, base 0 from the
 * tombstone or expired version that ended the last one (NO_ORIGIN when the
 * key never had one here). WrongTypeError for a key of another type.
 */
export function counterRead(versions: KeyVersions, now: number, parse: (value: Buffer) => bigint | null): CounterRead {
  const top = joinedWinner(versions, now);
  if (top === null) {
    const last = winner(versions);
    return { counter: startCounter(0n, last === null ? NO_ORIGIN : originOf(last)), expireAt: 0 };
  }
  const type = top.type ?? 0;
  if (type === DataType.counter) return { counter: decodeCounter(top.value as Buffer), expireAt: top.expireAt };
  if (type !== DataType.string) throw new WrongTypeError();
  const base = parse(top.value as Buffer);
  return { counter: base === null ? null : startCounter(base, originOf(top)), expireAt: top.expireAt };
}
