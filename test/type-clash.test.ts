// type-clash.test.ts — type clashes in the version layer, pure: for every
// pair of value types a key can hold (string, INCR's counter, PFADD's hll,
// hash, set, sorted set and list headers), concurrent writes of the two
// types on two replicas, synced through a third in every order, leave the
// same siblings and the same read everywhere (the winner order's type,
// joined only with siblings of its own type); the merge that brings the two
// types together says so (madeTypeClash: INFO's dynamo_type_clashes), once;
// and a counter or hll joined with a same-type sibling ignores a concurrent
// sibling of the other type.
import test from 'ava';
import { encodeCounter, incrementCounter, startCounter, NO_ORIGIN } from '../datatypes/counter';
import { EMPTY_CLEAR_CLOCK, encodeHashHeader } from '../datatypes/hash-header';
import { HllValue, hllAdd } from '../datatypes/hyperloglog-sparse';
import { joinHllValues } from '../datatypes/hyperloglog-join';
import { DataType, redisType } from '../datatypes/types';
import { stringRead } from '../cluster/versions/counter-read';
import { hasTypeClash, madeTypeClash } from '../cluster/versions/type-clash';
import { encodeVersions } from '../cluster/versions/codec';
import { EMPTY_VERSIONS, actorId, joinedWinner, merge, update, type KeyVersions, type VersionWrite } from '../cluster/versions/versions';
import { WrongTypeError } from '../cluster/versions/wrong-type';

const A = actorId('node-a', 1);
const B = actorId('node-b', 1);
const C = actorId('node-c', 1);

function hll(elements: string[]): Buffer {
  const v = HllValue.empty();
  for (const e of elements) hllAdd(v, Buffer.from(e), 3000);
  return Buffer.from(v.bytes());
}

/** A write of each type as its command makes it (collections: their header). */
const VALUES: Record<string, (actor: string) => { value: Buffer; type: number }> = {
  string: () => ({ value: Buffer.from('plain'), type: DataType.string }),
  counter: (actor) => ({ value: encodeCounter(incrementCounter(startCounter(0n, NO_ORIGIN), actor, 5n)), type: DataType.counter }),
  hll: (actor) => ({ value: hll([`${actor}-x`, `${actor}-y`]), type: DataType.hll }),
  hash: () => ({ value: encodeHashHeader(EMPTY_CLEAR_CLOCK), type: DataType.hash }),
  set: () => ({ value: encodeHashHeader(EMPTY_CLEAR_CLOCK), type: DataType.set }),
  zset: () => ({ value: encodeHashHeader(EMPTY_CLEAR_CLOCK), type: DataType.zset }),
  list: () => ({ value: encodeHashHeader(EMPTY_CLEAR_CLOCK), type: DataType.list }),
};
const TYPES = Object.keys(VALUES);

const blind = (actor: string, timestamp: number, kind: string): KeyVersions => {
  const write: VersionWrite = { ...VALUES[kind](actor), timestamp, expireAt: 0 };
  return update(EMPTY_VERSIONS, new Map(), actor, write).versions;
};

/** What a read of the key shows: its Redis type and, for the string types, the bytes a GET answers (WRONGTYPE: none). */
function read(versions: KeyVersions): string {
  const top = joinedWinner(versions, 5000);
  if (top === null) return 'none';
  const type = redisType(top.type ?? 0);
  if (type !== DataType.string) return `type ${type}`;
  return `string ${(stringRead(versions, 5000) as Buffer).toString('hex')}`;
}

test('every pair of types written concurrently: every replica, whatever order it synced in, holds the same siblings and shows the later write; the clash is reported by the merge that made it', (t) => {
  for (const first of TYPES) {
    for (const second of TYPES) {
      if (first === second) continue;
      const name = `${first} (earlier) vs ${second} (later)`;
      // Two sides of a partition: A writes first, B later; C learns both in either order.
      const a = blind(A, 1000, first);
      const b = blind(B, 2000, second);
      const ab = merge(a, b).versions;
      const ba = merge(b, a).versions;
      const viaC1 = merge(merge(EMPTY_VERSIONS, a).versions, b).versions;
      const viaC2 = merge(merge(EMPTY_VERSIONS, b).versions, ab).versions;
      for (const other of [ba, viaC1, viaC2]) t.true(encodeVersions(other).equals(encodeVersions(ab)), `${name}: the same record everywhere`);
      t.is(ab.siblings.length, 2, `${name}: both writes kept (DYN.VERSIONS shows them)`);
      t.is(read(ab), read(b), `${name}: the later write shows`);
      t.true(madeTypeClash(a, ab), `${name}: the merge made a clash`);
      t.false(madeTypeClash(ab, merge(ab, b).versions), `${name}: counted once`);
      // The other order of timestamps: the first type shows.
      const late = merge(blind(A, 3000, first), b).versions;
      t.is(read(late), read(blind(A, 3000, first)), `${name}, A later: A's type shows`);
    }
  }
});

test('a counter joins only with counters, an hll only with hlls, when a sibling of another type is concurrent', (t) => {
  // Two concurrent INCRs and a concurrent PFADD: the later write is a counter, so the read is the counters' join.
  const counters = merge(merge(blind(A, 1000, 'counter'), blind(B, 3000, 'counter')).versions, blind(C, 2000, 'hll')).versions;
  t.true(hasTypeClash(counters));
  t.is(stringRead(counters, 5000)?.toString(), '10');
  // Two concurrent PFADDs and a concurrent SET: the later write is an hll, so the read is the hlls' union.
  const hlls = merge(merge(blind(A, 1000, 'hll'), blind(B, 3000, 'hll')).versions, blind(C, 2000, 'string')).versions;
  t.deepEqual(stringRead(hlls, 5000), joinHllValues(VALUES.hll(B).value, VALUES.hll(A).value));
  // A collection winner: a string read is WRONGTYPE, whatever string siblings there are.
  const hash = merge(blind(A, 1000, 'string'), blind(B, 2000, 'hash')).versions;
  t.throws(() => stringRead(hash, 5000), { instanceOf: WrongTypeError });
  // No clash: siblings of one type, or a value and a tombstone.
  t.false(hasTypeClash(merge(blind(A, 1000, 'string'), blind(B, 2000, 'string')).versions));
  const tombstone = update(EMPTY_VERSIONS, new Map(), B, { value: null, timestamp: 2000, expireAt: 0 }).versions;
  t.false(hasTypeClash(merge(blind(A, 1000, 'hash'), tombstone).versions));
});
