// cluster-version-types.test.ts — the type seam of the version layer
// (cluster/versions/, datatypes/), pure, without sockets: records written
// before type tags read as strings and strings keep their format-1 record;
// tagged records round-trip and are checked; the fast paths report the
// winner's tag and write a string over a tagged record as the slow path
// does; the merge hook (mergeable siblings never pruned, reads see their
// join); the hash header's join is a CRDT (fast-check properties); and the
// replica store answers WRONGTYPE and the type from the tag.
import test from 'ava';
import fc from 'fast-check';
import { DataType, typeName } from '../datatypes/types';
import { EMPTY_CLEAR_CLOCK, decodeHashHeader, encodeHashHeader, joinClearClocks, joinHashHeaders, type ClearClock } from '../datatypes/hash-header';
import { CorruptVersionsError, TAGGED_FORMAT, VERSIONS_FORMAT, decodeVersions, encodeVersions } from '../cluster/versions/codec';
import { decodeWinner, encodeLocalWrite } from '../cluster/versions/fast-path';
import { EMPTY_VERSIONS, actorId, joinedWinner, merge, update, type Actor, type KeyVersions, type VersionWrite } from '../cluster/versions/versions';
import { WrongTypeError } from '../cluster/versions/wrong-type';
import { WRONG_TYPE } from '../cluster/coordinator/coordinator';
import { ReplicaStore } from '../cluster/replica/store';
import { tmpDir } from './helpers/tmpdir';

const A = actorId('node-a', 1);
const B = actorId('node-b', 1);
const C = actorId('node-c', 1);

const str = (value: string, timestamp: number): VersionWrite => ({ value: Buffer.from(value), timestamp, expireAt: 0 });
const header = (clear: ClearClock, timestamp: number, expireAt = 0): VersionWrite => ({ value: encodeHashHeader(clear), timestamp, expireAt, type: DataType.hash });
const write = (at: KeyVersions, actor: Actor, data: VersionWrite, maxSiblings?: number): KeyVersions => update(at, at.clock, actor, data, maxSiblings).versions;
const blind = (at: KeyVersions, actor: Actor, data: VersionWrite, maxSiblings?: number): KeyVersions => update(at, new Map(), actor, data, maxSiblings).versions;
const same = (a: KeyVersions, b: KeyVersions): boolean => encodeVersions(a).equals(encodeVersions(b));
const clock = (entries: Record<string, number>): ClearClock => new Map(Object.entries(entries));

test('a record written before type tags (format 1) reads as a string, and a string record is still written as format 1, byte for byte', (t) => {
  // SET k v at node-a#1, as the build before tags stored it.
  const old = Buffer.from('0101086e6f64652d61233101010001bfddf6c2a434000276', 'hex');
  const versions = decodeVersions(old);
  t.is(versions.siblings[0].type, 0);
  t.is(versions.siblings[0].value?.toString(), 'v');
  t.true(encodeVersions(versions).equals(old));
  t.is(decodeWinner(old)?.type, 0);
  const rewritten = encodeLocalWrite(old, A, str('w', 1_800_000_000_000));
  t.is(rewritten[0], VERSIONS_FORMAT);
  t.true(rewritten.equals(encodeVersions(write(versions, A, str('w', 1_800_000_000_000)))));
});

test('tagged records: a typed sibling makes format 2, round-trips with every tag, and the fast paths read it', (t) => {
  const hash = write(EMPTY_VERSIONS, A, header(clock({ [A]: 3 }), 1000));
  const both = blind(hash, B, str('s', 999)); // a type clash: the hash wins (later)
  const record = encodeVersions(both);
  t.is(record[0], TAGGED_FORMAT);
  const back = decodeVersions(record);
  t.deepEqual(back.siblings.map((s) => s.type), [DataType.hash, DataType.string]);
  t.true(encodeVersions(back).equals(record));
  t.deepEqual(decodeHashHeader(back.siblings[0].value as Buffer), clock({ [A]: 3 }));
  const winner = decodeWinner(record);
  t.is(winner?.type, DataType.hash);
  // A string SET over the tagged record: format 1 again, as the decoding path makes it.
  const set = encodeLocalWrite(record, B, str('x', 2000));
  t.is(set[0], VERSIONS_FORMAT);
  t.true(set.equals(encodeVersions(write(back, B, str('x', 2000)))));
  t.is(decodeWinner(set)?.type, 0);
  // A typed write through encodeLocalWrite takes the decoding path and keeps its tag.
  const typed = encodeLocalWrite(set, A, header(EMPTY_CLEAR_CLOCK, 3000));
  t.is(typed[0], TAGGED_FORMAT);
  t.is(decodeWinner(typed)?.type, DataType.hash);
  t.true(typed.equals(encodeVersions(write(decodeVersions(set), A, header(EMPTY_CLEAR_CLOCK, 3000)))));
  // A tombstone carries no tag: a DEL of the hash is a string-format record.
  const deleted = encodeLocalWrite(typed, A, { value: null, timestamp: 4000, expireAt: 0 });
  t.is(deleted[0], VERSIONS_FORMAT);
  t.is(typeName(DataType.hash), 'hash');
  t.throws(() => typeName(9), { instanceOf: RangeError });
});

test('tagged records: an unknown tag, a tagged tombstone and a tagged record without a typed sibling are corrupt', (t) => {
  const record = encodeVersions(write(EMPTY_VERSIONS, A, header(EMPTY_CLEAR_CLOCK, 1000)));
  // The tag is the byte before the value length (1 + the 1-byte header value).
  const tagAt = record.length - 3;
  t.is(record[tagAt], DataType.hash);
  const unknown = Buffer.from(record);
  unknown[tagAt] = 77;
  t.throws(() => decodeVersions(unknown), { instanceOf: CorruptVersionsError, message: /sibling 0 type at offset \d+: 77 is not a known type tag/ });
  const asString = Buffer.from(record);
  asString[tagAt] = 0;
  t.throws(() => decodeVersions(asString), { instanceOf: CorruptVersionsError, message: /a tagged record without a typed sibling/ });
  const tombstone = Buffer.concat([record.subarray(0, tagAt + 1), Buffer.from([0])]);
  t.throws(() => decodeVersions(tombstone), { instanceOf: CorruptVersionsError, message: /a tombstone with a type tag/ });
  const future = Buffer.from(record);
  future[0] = 3;
  t.throws(() => decodeVersions(future), { instanceOf: CorruptVersionsError, message: /3 is not a known format \(1 to 2\)/ });
  t.throws(() => decodeWinner(future), { instanceOf: CorruptVersionsError });
});

test('the merge hook: concurrent hash writes stay siblings, reads see their join, and a write supersedes them with it', (t) => {
  const base = write(EMPTY_VERSIONS, A, header(clock({ [A]: 1 }), 1000));
  const atB = write(base, B, header(clock({ [A]: 1, [B]: 5 }), 2000));
  const atC = write(base, C, header(clock({ [A]: 2, [C]: 7 }), 2001));
  const merged = merge(atB, atC).versions;
  t.is(merged.siblings.length, 2);
  const top = joinedWinner(merged, 3000);
  t.deepEqual(top?.dot, { actor: C, counter: 1 });
  t.deepEqual(decodeHashHeader(top?.value as Buffer), clock({ [A]: 2, [B]: 5, [C]: 7 }));
  // The next write at a replica reads the join and supersedes both.
  const next = write(merged, A, header(decodeHashHeader(top?.value as Buffer), 4000));
  t.is(next.siblings.length, 1);
  // Strings do not merge: the winner alone.
  const s = merge(blind(EMPTY_VERSIONS, A, str('a', 10)), blind(EMPTY_VERSIONS, B, str('b', 11))).versions;
  t.is(joinedWinner(s, 20)?.value?.toString(), 'b');
  t.is(s.siblings.length, 2);
  // An expired sibling takes no part in the join.
  const expiring = blind(EMPTY_VERSIONS, B, header(clock({ [B]: 9 }), 500, 1500));
  const withExpired = merge(base, expiring).versions;
  t.deepEqual(decodeHashHeader(joinedWinner(withExpired, 2000)?.value as Buffer), clock({ [A]: 1 }));
  t.deepEqual(decodeHashHeader(joinedWinner(withExpired, 1000)?.value as Buffer), clock({ [A]: 1, [B]: 9 }));
});

test('the sibling bound never cuts a mergeable sibling: strings beyond it are pruned and counted, hash siblings all stay', (t) => {
  let versions: KeyVersions = EMPTY_VERSIONS;
  // Two old concurrent hash writes, then five newer concurrent string writes; bound 3.
  versions = blind(versions, A, header(clock({ [A]: 1 }), 100), 3);
  versions = blind(versions, B, header(clock({ [B]: 1 }), 101), 3);
  let pruned = 0;
  for (let i = 0; i < 5; i++) {
    const result = update(versions, new Map(), C, str(`s${i}`, 200 + i), 3);
    versions = result.versions;
    pruned += result.pruned;
  }
  t.deepEqual(versions.siblings.map((s) => s.type), [0, 0, 0, DataType.hash, DataType.hash]);
  t.deepEqual(versions.siblings.slice(0, 3).map((s) => s.value?.toString()), ['s4', 's3', 's2']);
  t.is(pruned, 2);
  // merge() bounds the same way.
  const other = blind(EMPTY_VERSIONS, actorId('node-d', 1), str('d', 300));
  const merged = merge(versions, other, 3);
  t.is(merged.pruned, 1);
  t.is(merged.versions.siblings.filter((s) => s.type === DataType.hash).length, 2);
});

const actors = ['node-a#1', 'node-b#1', 'node-c#2', 'n\u00e9#3'];
const clearClock = fc.dictionary(fc.constantFrom(...actors), fc.integer({ min: 1, max: 1000 })).map((o) => new Map(Object.entries(o)) as ClearClock);

test('hash header join is a CRDT: commutative, associative, idempotent, canonical (fast-check)', (t) => {
  fc.assert(
    fc.property(clearClock, clearClock, clearClock, (a, b, c) => {
      const [x, y, z] = [encodeHashHeader(a), encodeHashHeader(b), encodeHashHeader(c)];
      const xy = joinHashHeaders(x, y);
      if (!xy.equals(joinHashHeaders(y, x))) return false;
      if (!joinHashHeaders(xy, z).equals(joinHashHeaders(x, joinHashHeaders(y, z)))) return false;
      if (!joinHashHeaders(x, x).equals(x)) return false;
      return xy.equals(encodeHashHeader(joinClearClocks(decodeHashHeader(x), decodeHashHeader(y))));
    }),
    { numRuns: 500 },
  );
  t.pass();
});

/** A random history of hash and string writes at three replicas with syncs between them: the states seen. */
const history = fc.array(
  fc.record({ at: fc.integer({ min: 0, max: 2 }), from: fc.integer({ min: 0, max: 2 }), op: fc.constantFrom('hash', 'hash', 'string', 'del', 'sync'), clear: clearClock }),
  { minLength: 1, maxLength: 25 },
);

function replay(ops: { at: number; from: number; op: string; clear: ClearClock }[]): KeyVersions[] {
  const replicas: KeyVersions[] = [EMPTY_VERSIONS, EMPTY_VERSIONS, EMPTY_VERSIONS];
  const names = [A, B, C];
  const states: KeyVersions[] = [];
  let time = 1000;
  for (const { at, from, op, clear } of ops) {
    time += 1;
    const here = replicas[at];
    if (op === 'sync') replicas[at] = merge(here, replicas[from]).versions;
    else if (op === 'string') replicas[at] = write(here, names[at], str(`v${time}`, time));
    else if (op === 'del') replicas[at] = write(here, names[at], { value: null, timestamp: time, expireAt: 0 });
    else {
      // An HSET-like write: the joined header seen here, joined with the change.
      const top = joinedWinner(here, time);
      const seen = top !== null && top.type === DataType.hash ? decodeHashHeader(top.value as Buffer) : EMPTY_CLEAR_CLOCK;
      replicas[at] = write(here, names[at], header(joinClearClocks(seen, clear), time));
    }
    states.push(replicas[at]);
  }
  return states;
}

test('merge with typed siblings is commutative, associative and idempotent, and every replica reads the same join (fast-check)', (t) => {
  fc.assert(
    fc.property(history, fc.nat(), fc.nat(), fc.nat(), (ops, i, j, k) => {
      const states = replay(ops);
      const [a, b, c] = [states[i % states.length], states[j % states.length], states[k % states.length]];
      const ab = merge(a, b).versions;
      if (!same(ab, merge(b, a).versions)) return false;
      if (!same(merge(ab, c).versions, merge(a, merge(b, c).versions).versions)) return false;
      if (!same(merge(a, a).versions, a)) return false;
      // Whatever order the replicas meet in, they read the same value.
      const read = (v: KeyVersions): string => {
        const top = joinedWinner(v, 1_000_000);
        return top === null ? 'none' : `${top.type}:${top.value?.toString('hex')}`;
      };
      return read(merge(ab, c).versions) === read(merge(c, merge(b, a).versions).versions);
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('the replica store: a string read of a hash is WRONGTYPE (getInto answers WRONG_TYPE), meta tells the type, SET overwrites it', (t) => {
  const store = new ReplicaStore(tmpDir(t), {}, 1, true);
  t.teardown(() => store.close());
  const key = Buffer.from('h');
  store.coordinate(0, key, 'local', A, header(clock({ [A]: 1 }), Date.now()), 32);
  t.throws(() => store.get(0, key), { instanceOf: WrongTypeError, message: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
  t.is(store.getInto(0, key, Buffer.alloc(64), 0), WRONG_TYPE);
  t.is(store.meta(0, key)?.type, DataType.hash);
  store.localWrite(0, key, A, str('now a string', Date.now()));
  t.is(store.meta(0, key)?.type, 0);
  t.is(store.get(0, key)?.toString(), 'now a string');
});
