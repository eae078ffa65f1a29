// counter-merge.test.ts — INCR's counter (datatypes/counter.ts) as a CRDT,
// pure, without sockets: its join is commutative, associative and
// idempotent with canonical bytes (fast-check); through the version layer
// (counter siblings of concurrent INCRs at three replicas, synced in any
// order, read as counter-read.ts reads them) no increment is ever lost and
// every replica reads the same value once synced; counters are never cut by
// the sibling bound; and a SET concurrent with INCRs decides by the winner
// order, as the README's table says.
import test from 'ava';
import fc from 'fast-check';
import { NO_ORIGIN, counterValue, decodeCounter, encodeCounter, incrementCounter, joinCounterValues, joinCounters, startCounter, type Counter, type CounterOrigin } from '../datatypes/counter';
import { DataType } from '../datatypes/types';
import { counterRead, stringRead } from '../cluster/versions/counter-read';
import { decodeVersions, encodeVersions } from '../cluster/versions/codec';
import { EMPTY_VERSIONS, actorId, merge, update, type Actor, type KeyVersions } from '../cluster/versions/versions';

const ACTORS = ['node-a#1', 'node-b#1', 'node-c#2', 'n\u00e9#3'];
const origin = fc.constantFrom<CounterOrigin>(NO_ORIGIN, { timestamp: 1000, actor: 'node-a#1', counter: 3 }, { timestamp: 1000, actor: 'node-b#1', counter: 1 }, { timestamp: 2000, actor: 'node-a#1', counter: 4 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
/** Few origins and bases, so that joins of one origin (per-actor max) are common. */
const counter: fc.Arbitrary<Counter> = fc
  .record({ origin, base: fc.constantFrom(0n, 10n, -(2n ** 63n)), ops: fc.array(fc.tuple(fc.constantFrom(...ACTORS), int64), { maxLength: 8 }) })
  .map(({ origin, base, ops }) => ops.reduce((c, [actor, by]) => incrementCounter(c, actor, by), startCounter(base, origin)));

test('the counter join is a CRDT: commutative, associative, idempotent, canonical bytes (fast-check)', (t) => {
  fc.assert(
    fc.property(counter, counter, counter, (a, b, c) => {
      const [x, y, z] = [encodeCounter(a), encodeCounter(b), encodeCounter(c)];
      const xy = joinCounterValues(x, y);
      if (!xy.equals(joinCounterValues(y, x))) return false;
      if (!joinCounterValues(xy, z).equals(joinCounterValues(x, joinCounterValues(y, z)))) return false;
      if (!joinCounterValues(x, x).equals(x)) return false;
      // Canonical: decoding and encoding again gives the same bytes, whatever order the actors were added in.
      if (!encodeCounter(decodeCounter(xy)).equals(xy)) return false;
      const reversed: Counter = { ...a, totals: new Map([...a.totals].reverse()) };
      if (!encodeCounter(reversed).equals(x)) return false;
      // The join is an upper bound: joining either side in again changes nothing.
      return joinCounterValues(xy, x).equals(xy) && joinCounterValues(xy, y).equals(xy);
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

test('joins of one origin keep every actor\'s increments: the value is the base plus all of them (fast-check)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom('incr', 'sync'), fc.integer({ min: 0, max: 2 }), int64), { maxLength: 40 }), (ops) => {
      const start = startCounter(7n, { timestamp: 5, actor: 'node-a#1', counter: 1 });
      const replicas: Counter[] = [start, start, start];
      let sum = 7n;
      for (const [at, op, from, by] of ops) {
        if (op === 'sync') replicas[at] = joinCounters(replicas[at], replicas[from]);
        else {
          replicas[at] = incrementCounter(replicas[at], ACTORS[at], by);
          sum += by;
        }
      }
      const all = replicas.reduce(joinCounters);
      return counterValue(all) === sum && replicas.every((r) => counterValue(joinCounters(r, all)) === sum);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('a counter over a newer origin wins the join: increments over an older value do not add to a newer SET\'s', (t) => {
  const old = incrementCounter(startCounter(10n, { timestamp: 1000, actor: 'node-a#1', counter: 1 }), 'node-a#1', 5n);
  const newer = incrementCounter(startCounter(3n, { timestamp: 2000, actor: 'node-b#1', counter: 2 }), 'node-b#1', 1n);
  t.is(counterValue(joinCounters(old, newer)), 4n);
  t.is(counterValue(joinCounters(newer, old)), 4n);
  t.throws(() => decodeCounter(Buffer.from([2])), { instanceOf: RangeError });
  const bytes = encodeCounter(newer);
  t.throws(() => decodeCounter(Buffer.concat([bytes, Buffer.from([0])])), { instanceOf: RangeError, message: /trailing/ });
});

// ---- through the version layer: DVV siblings merged by the hook ----

const NAMES: Actor[] = [actorId('node-a', 1), actorId('node-b', 1), actorId('node-c', 1)];
const integer = (value: Buffer): bigint | null => (/^(0|-?[1-9][0-9]{0,18})$/.test(value.toString('latin1')) ? BigInt(value.toString('latin1')) : null);

/** INCRBY at a replica as the coordinator makes it: read the counter, add, write it over every sibling this replica has. */
function incrby(at: KeyVersions, actor: Actor, by: bigint, time: number): KeyVersions {
  const { counter, expireAt } = counterRead(at, time, integer);
  if (counter === null) throw new Error('not an integer');
  return update(at, at.clock, actor, { value: encodeCounter(incrementCounter(counter, actor, by)), timestamp: time, expireAt, type: DataType.counter }).versions;
}

function set(at: KeyVersions, actor: Actor, value: string, time: number): KeyVersions {
  return update(at, at.clock, actor, { value: Buffer.from(value), timestamp: time, expireAt: 0 }).versions;
}

/** What GET shows of a replica's versions. */
const shown = (v: KeyVersions, now: number): string | undefined => stringRead(v, now)?.toString();

const history = fc.array(fc.record({ at: fc.integer({ min: 0, max: 2 }), from: fc.integer({ min: 0, max: 2 }), sync: fc.boolean(), by: fc.bigInt({ min: -1000n, max: 1000n }) }), { maxLength: 40 });

test('concurrent INCRBYs at three replicas, synced in any order: no increment lost, every replica reads the sum (fast-check)', (t) => {
  fc.assert(
    fc.property(history, fc.nat({ max: 5 }), (ops, maxSiblings) => {
      let time = 1000;
      const first = set(EMPTY_VERSIONS, NAMES[0], '10', time);
      const replicas: KeyVersions[] = [first, first, first];
      let sum = 10n;
      for (const { at, from, sync, by } of ops) {
        time++;
        // A small sibling bound: counters are never cut by it.
        if (sync) replicas[at] = merge(replicas[at], replicas[from], maxSiblings + 1).versions;
        else {
          replicas[at] = incrby(replicas[at], NAMES[at], by, time);
          sum += by;
        }
        // The record round-trips with counter siblings (format 2).
        if (!encodeVersions(decodeVersions(encodeVersions(replicas[at]))).equals(encodeVersions(replicas[at]))) return false;
      }
      const all = replicas.reduce((x, y) => merge(x, y, 2).versions);
      if (shown(all, time) !== String(sum)) return false;
      // Every replica that syncs with the others reads the same, whatever the order.
      return replicas.every((r, i) => shown(merge(merge(r, replicas[(i + 1) % 3]).versions, replicas[(i + 2) % 3]).versions, time) === String(sum));
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('a partition: INCRBY on both sides stays two counter siblings, reads their sum, and the next INCR collapses them', (t) => {
  const [a, b] = NAMES;
  const before = set(EMPTY_VERSIONS, a, '10', 1000);
  const left = incrby(before, a, 1n, 1001);
  const right = incrby(before, b, 1n, 1002);
  t.is(shown(left, 1003), '11');
  t.is(shown(right, 1003), '11');
  const healed = merge(left, right).versions;
  t.deepEqual(healed.siblings.map((s) => s.type), [DataType.counter, DataType.counter]);
  t.is(shown(healed, 1003), '12');
  const next = incrby(healed, a, 1n, 1004);
  t.is(next.siblings.length, 1);
  t.is(shown(next, 1005), '13');
  t.is(counterValue(decodeCounter(next.siblings[0].value as Buffer)), 13n);
});

test('a SET concurrent with INCRs: the winner order decides between them, as between two SETs; INCRs over the SET add to it', (t) => {
  const [a, b] = NAMES;
  const before = incrby(EMPTY_VERSIONS, a, 5n, 1000);
  // The SET is the later write: it shows, the concurrent increment does not.
  const laterSet = merge(set(before, a, '100', 1002), incrby(before, b, 1n, 1001)).versions;
  t.is(shown(laterSet, 1003), '100');
  t.is(shown(incrby(laterSet, b, 1n, 1004), 1005), '101');
  // The INCR is the later write: the counter shows, with every increment of its base.
  const laterIncr = merge(set(before, a, '100', 1001), incrby(before, b, 1n, 1002)).versions;
  t.is(shown(laterIncr, 1003), '6');
  // Over an absent key, the first INCRs of both sides share a base (nothing) and add up.
  const fresh = merge(incrby(EMPTY_VERSIONS, a, 2n, 1000), incrby(EMPTY_VERSIONS, b, 3n, 1000)).versions;
  t.is(shown(fresh, 1001), '5');
  // After a DEL the next INCR starts over from 0, over the DEL.
  const deleted = update(fresh, fresh.clock, a, { value: null, timestamp: 1002, expireAt: 0 }).versions;
  t.is(shown(incrby(deleted, a, 1n, 1003), 1004), '1');
});
