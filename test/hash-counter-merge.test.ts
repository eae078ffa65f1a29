// hash-counter-merge.test.ts — HINCRBY's field counter (datatypes/hash-counter.ts)
// as a CRDT, pure, without sockets: its join is commutative, associative and
// idempotent with canonical bytes (fast-check); through the version layer
// (a field's element record at three replicas, HINCRBYs as the coordinator
// writes them, synced in any order, read as visibleField reads them) no
// increment is ever lost and every replica shows the same decimal once
// synced; counter siblings are never cut by the sibling bound; an HSET
// supersedes the counter it observed, and one concurrent with HINCRBYs is a
// type clash the winner order settles (as SET against INCR on string keys).
import test from 'ava';
import fc from 'fast-check';
import { NO_ORIGIN, encodeCounter, incrementCounter, startCounter, type Counter, type CounterOrigin } from '../datatypes/counter';
import { decodeFieldCounter, encodeFieldCounter, joinFieldCounterValues, type FieldCounter } from '../datatypes/hash-counter';
import { encodeFieldValue } from '../datatypes/hash';
import { DataType } from '../datatypes/types';
import { fieldCounterRead } from '../cluster/replica/field-counter-read';
import { visibleField } from '../cluster/replica/hash-replica';
import { decodeVersions, encodeVersions } from '../cluster/versions/codec';
import { EMPTY_VERSIONS, actorId, merge, update, type Actor, type KeyVersions } from '../cluster/versions/versions';

const ACTORS = ['node-a#1', 'node-b#1', 'node-c#2'];
const origin = fc.constantFrom<CounterOrigin>(NO_ORIGIN, { timestamp: 1000, actor: 'node-a#1', counter: 3 }, { timestamp: 2000, actor: 'node-b#1', counter: 1 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const counter: fc.Arbitrary<Counter> = fc
  .record({ origin, base: fc.constantFrom(0n, 10n), ops: fc.array(fc.tuple(fc.constantFrom(...ACTORS), int64), { maxLength: 6 }) })
  .map(({ origin, base, ops }) => ops.reduce((c, [actor, by]) => incrementCounter(c, actor, by), startCounter(base, origin)));
const fieldCounter: fc.Arbitrary<FieldCounter> = fc.record({ seq: fc.integer({ min: 1, max: 4 }), counter });

test('the field counter join is a CRDT: commutative, associative, idempotent, canonical bytes (fast-check)', (t) => {
  fc.assert(
    fc.property(fieldCounter, fieldCounter, fieldCounter, (a, b, c) => {
      const [x, y, z] = [encodeFieldCounter(a), encodeFieldCounter(b), encodeFieldCounter(c)];
      const xy = joinFieldCounterValues(x, y);
      if (!xy.equals(joinFieldCounterValues(y, x))) return false;
      if (!joinFieldCounterValues(xy, z).equals(joinFieldCounterValues(x, joinFieldCounterValues(y, z)))) return false;
      if (!joinFieldCounterValues(x, x).equals(x)) return false;
      if (!encodeFieldCounter(decodeFieldCounter(xy)).equals(xy)) return false;
      // The smaller insertion number lists the field.
      if (decodeFieldCounter(xy).seq !== Math.min(a.seq, b.seq)) return false;
      return joinFieldCounterValues(xy, x).equals(xy) && joinFieldCounterValues(xy, y).equals(xy);
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

// ---- through the version layer: a field's element record at three replicas ----

const NAMES: Actor[] = [actorId('node-a', 1), actorId('node-b', 1), actorId('node-c', 1)];

/** HINCRBY as Hashes.increment writes it at a replica: the counter read, plus `by`, superseding every sibling seen. */
function hincrby(versions: KeyVersions, actor: Actor, by: bigint, timestamp: number, maxSiblings = 32): KeyVersions {
  const seq = visibleField(versions)?.seq ?? 1;
  const next = incrementCounter(fieldCounterRead(versions), actor, by);
  return update(versions, versions.clock, actor, { value: encodeFieldValue(seq, encodeCounter(next)), timestamp, expireAt: 0, type: DataType.fieldCounter }, maxSiblings).versions;
}

/** HSET of a plain value at a replica. */
function hset(versions: KeyVersions, actor: Actor, value: string, timestamp: number): KeyVersions {
  const seq = visibleField(versions)?.seq ?? 1;
  return update(versions, versions.clock, actor, { value: encodeFieldValue(seq, Buffer.from(value)), timestamp, expireAt: 0 }).versions;
}

/** HDEL at a replica: a tombstone over the versions seen. */
function hdel(versions: KeyVersions, actor: Actor, timestamp: number): KeyVersions {
  return update(versions, versions.clock, actor, { value: null, timestamp, expireAt: 0 }).versions;
}

const shown = (versions: KeyVersions): string | null => visibleField(versions)?.value.toString('latin1') ?? null;
/** Through the record codec, as a replica stores and sends it. */
const stored = (versions: KeyVersions): KeyVersions => decodeVersions(encodeVersions(versions));

test('HINCRBYs at three replicas, synced in any order: every increment counts, every replica shows the same sum (fast-check)', (t) => {
  const step = fc.oneof(
    fc.record({ op: fc.constant('incr' as const), at: fc.integer({ min: 0, max: 2 }), by: fc.bigInt({ min: -1000n, max: 1000n }) }),
    fc.record({ op: fc.constant('sync' as const), at: fc.integer({ min: 0, max: 2 }), from: fc.integer({ min: 0, max: 2 }) }),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(step, { maxLength: 40 }), (startsAsValue, steps) => {
      // The field starts as HSET's "10" at every replica, or absent.
      const start = startsAsValue ? hset(EMPTY_VERSIONS, NAMES[0], '10', 500) : EMPTY_VERSIONS;
      const replicas = [start, start, start];
      let sum = startsAsValue ? 10n : 0n;
      let time = 1000;
      for (const s of steps) {
        if (s.op === 'sync') replicas[s.at] = stored(merge(replicas[s.at], replicas[s.from]).versions);
        else {
          replicas[s.at] = stored(hincrby(replicas[s.at], NAMES[s.at], s.by, time++));
          sum += s.by;
        }
      }
      const all = replicas.reduce((x, y) => merge(x, y).versions);
      const expected = steps.some((s) => s.op === 'incr') || startsAsValue ? String(sum) : null;
      return shown(all) === expected && replicas.every((r) => shown(merge(r, all).versions) === expected && shown(merge(all, r).versions) === expected);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('counter siblings of a field are never cut by the sibling bound', (t) => {
  let synced = EMPTY_VERSIONS;
  const sides: KeyVersions[] = [];
  // Five concurrent writers of one field, a bound of 2 siblings.
  for (let i = 0; i < 5; i++) sides.push(hincrby(EMPTY_VERSIONS, actorId(`node-${i}`, 1), BigInt(i + 1), 1000 + i, 2));
  for (const side of sides) synced = merge(synced, side, 2).versions;
  t.is(synced.siblings.length, 5);
  t.is(shown(synced), '15');
});

test('HSET supersedes the counter it observed; one concurrent with HINCRBYs is settled by the winner order; HINCRBY after HDEL starts from 0', (t) => {
  const base = hset(EMPTY_VERSIONS, NAMES[0], '10', 500);
  const a = hincrby(base, NAMES[0], 5n, 1000);
  t.is(shown(a), '15');
  // HSET on the same replica afterwards: the counter goes.
  const replaced = hset(a, NAMES[0], 'text', 1001);
  t.is(replaced.siblings.length, 1);
  t.is(shown(replaced), 'text');
  // An HSET concurrent with the other side's HINCRBY: a type clash, the later write shows on every replica (here the HINCRBY).
  const b = hincrby(base, NAMES[1], 7n, 1002);
  t.is(shown(merge(replaced, b).versions), '17');
  t.is(shown(merge(b, replaced).versions), '17');
  const hsetLater = hset(a, NAMES[0], 'text', 1003);
  t.is(shown(merge(hsetLater, b).versions), 'text');
  t.is(shown(merge(b, hsetLater).versions), 'text');
  // HINCRBY over a plain integer starts a counter from it.
  t.is(shown(hincrby(hset(a, NAMES[0], '40', 1004), NAMES[2], 2n, 1005)), '42');
  // HDEL then HINCRBY: from 0.
  t.is(shown(hincrby(hdel(base, NAMES[0], 1100), NAMES[0], 3n, 1101)), '3');
  t.throws(() => fieldCounterRead(hset(EMPTY_VERSIONS, NAMES[0], 'abc', 1)), { instanceOf: RangeError });
});
