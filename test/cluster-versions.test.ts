// cluster-versions.test.ts — the Dynamo layer's versions (cluster/versions/versions.ts)
// and their bytes (cluster/versions/codec.ts), without sockets or disk:
// concurrent writes become siblings, a plain SET supersedes what its replica
// has seen, DYN.SET resolves exactly what its context covers, merge is a join
// (randomized 3-replica histories replayed in any order converge, and keep
// exactly the writes no context covered), a new incarnation never reuses a
// dot (KV679), tombstones and expiry are versions, the sibling bound, and the
// codec: round trips, record size, and every kind of bad input.
import { isDeepStrictEqual } from 'node:util';
import test from 'ava';
import {
  DEFAULT_MAX_SIBLINGS,
  EMPTY_VERSIONS,
  actorId,
  covers,
  descends,
  equalClocks,
  equalVersions,
  liveWinner,
  merge,
  update,
  winner,
  type Actor,
  type Dot,
  type KeyVersions,
  type VersionVector,
  type VersionWrite,
} from '../cluster/versions/versions';
import { CorruptVersionsError, InvalidContextError, decodeContext, decodeVersions, encodeContext, encodeVersions } from '../cluster/versions/codec';
import { decodeWinner } from '../cluster/versions/fast-path';
import { mutate, prng } from './helpers/random';


const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)];

function shuffled<T>(rand: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const A = actorId('node-a', 1);
const B = actorId('node-b', 1);
const C = actorId('node-c', 1);

const put = (value: string, timestamp: number, expireAt = 0): VersionWrite => ({ value: Buffer.from(value), timestamp, expireAt });
const tombstone = (timestamp: number): VersionWrite => ({ value: null, timestamp, expireAt: 0 });

/** A plain SET/DEL at a replica: its own clock as the context. */
const write = (at: KeyVersions, actor: Actor, data: VersionWrite): KeyVersions => update(at, at.clock, actor, data).versions;
/** A write with no context: concurrent with everything. */
const blind = (at: KeyVersions, actor: Actor, data: VersionWrite): KeyVersions => update(at, new Map(), actor, data).versions;
const join = (a: KeyVersions, b: KeyVersions): KeyVersions => merge(a, b).versions;

const values = (v: KeyVersions): (string | null)[] => v.siblings.map((s) => (s.value === null ? null : s.value.toString()));
const dots = (v: KeyVersions): string[] => v.siblings.map((s) => `${s.dot.actor}:${s.dot.counter}`).sort();
/** Full structural equality: the canonical encoding (clock, every sibling's data, order). */
const same = (a: KeyVersions, b: KeyVersions): boolean => encodeVersions(a).equals(encodeVersions(b));

test('concurrent writes at two replicas become siblings; GET shows the latest timestamp, then the greater node id', (t) => {
  const atA = write(EMPTY_VERSIONS, A, put('from a', 100));
  const atB = write(EMPTY_VERSIONS, B, put('from b', 100));
  const merged = join(atA, atB);
  t.deepEqual(values(merged), ['from b', 'from a'], 'same timestamp: node-b > node-a wins');
  t.true(same(merged, join(atB, atA)));
  t.deepEqual([...merged.clock], [[A, 1], [B, 1]]);
  t.false(descends(atA.clock, atB.clock));
  t.true(descends(merged.clock, atA.clock) && descends(merged.clock, atB.clock));

  const later = join(write(EMPTY_VERSIONS, A, put('later', 101)), atB);
  t.is(winner(later)?.value?.toString(), 'later', 'a later timestamp wins whatever the node');
  t.is(winner(later)?.node, 'node-a');
  t.is(winner(EMPTY_VERSIONS), null);

  // The node id decides, not the actor string: 'node!' > 'node', though 'node!#1' < 'node#1'.
  const tie = join(write(EMPTY_VERSIONS, actorId('node', 1), put('node', 7)), write(EMPTY_VERSIONS, actorId('node!', 1), put('node!', 7)));
  t.deepEqual(values(tie), ['node!', 'node']);
});

test('a plain SET with its own context supersedes what its replica has seen and keeps what it has not', (t) => {
  const atB = write(EMPTY_VERSIONS, B, put('b1', 10));
  const atC = write(EMPTY_VERSIONS, C, put('c1', 11));
  let atA = join(write(EMPTY_VERSIONS, A, put('a1', 12)), atB);
  t.deepEqual(values(atA), ['a1', 'b1']);

  atA = write(atA, A, put('a2', 13));
  t.deepEqual(values(atA), ['a2'], 'both siblings seen by A are gone');
  t.deepEqual([...atA.clock], [[A, 2], [B, 1]]);

  const everywhere = [atA, atB, atC].reduce(join);
  t.deepEqual(values(everywhere), ['a2', 'c1'], "C's write was not seen: it stays a sibling; B's was: it stays gone");
  t.true(same(everywhere, [atC, atB, atA].reduce(join)));
});

test('DYN.SET with a context from a read resolves exactly the siblings that context covers', (t) => {
  const x = write(EMPTY_VERSIONS, A, put('x', 1));
  const y = write(EMPTY_VERSIONS, B, put('y', 2));
  const read = join(x, y);
  const context = decodeContext(encodeContext(read.clock)); // the round trip a client makes
  t.deepEqual(context, read.clock);

  // Meanwhile a third, concurrent write reaches replica A.
  const z = write(EMPTY_VERSIONS, C, put('z', 3));
  const atA = join(read, z);
  t.deepEqual(values(atA), ['z', 'y', 'x']);

  const resolved = update(atA, context, A, put('resolved', 4)).versions;
  t.deepEqual(values(resolved), ['resolved', 'z'], 'x and y were covered, z was not');
  t.deepEqual(resolved.siblings[0].dot, { actor: A, counter: 2 });

  // A coordinator that never saw y still resolves it: the context carries y's dot.
  const atC = update(join(x, z), context, C, put('from c', 5)).versions;
  t.deepEqual(values(atC), ['from c', 'z'], 'x was covered, z was not');
  t.true(covers(atC.clock, y.siblings[0].dot));
  t.deepEqual(values(join(atC, y)), ['from c', 'z'], "y's replica drops y on sync");
});

test('DYN.SET with a context older than the replica keeps the writes the context has not seen', (t) => {
  const first = write(EMPTY_VERSIONS, A, put('first', 1));
  const context = first.clock;
  const second = write(first, A, put('second', 2)); // a plain SET after the read
  const racing = update(second, context, A, put('racing', 3)).versions;
  t.deepEqual(values(racing), ['racing', 'second'], 'the DYN.SET saw only "first"');
  t.deepEqual([...racing.clock], [[A, 3]]);
});

interface History {
  /** Every state any replica held, in order. */
  states: KeyVersions[];
  replicas: KeyVersions[];
  /** Each write's dot and the context it was made with. */
  writes: { dot: Dot; context: VersionVector }[];
}

/**
 * A random history on three replicas: plain SETs and DELs, DYN.SETs with an
 * older read's context or none, reads that remember a context, and syncs
 * between replicas. Timestamps collide often, so every tie-break is used.
 */
function randomHistory(rand: () => number, steps: number, maxSiblings = DEFAULT_MAX_SIBLINGS): History {
  const actors = [actorId('n0', 1), actorId('n1', 4), actorId('n2', 2)];
  const replicas: KeyVersions[] = [EMPTY_VERSIONS, EMPTY_VERSIONS, EMPTY_VERSIONS];
  const states: KeyVersions[] = [];
  const writes: History['writes'] = [];
  const readContexts: VersionVector[] = [new Map()];
  for (let step = 0; step < steps; step++) {
    const i = Math.floor(rand() * 3);
    const j = (i + 1 + Math.floor(rand() * 2)) % 3;
    const roll = rand();
    const timestamp = 1000 + Math.floor(step / 3) + Math.floor(rand() * 2);
    if (roll < 0.55) {
      const context = roll < 0.3 ? replicas[i].clock : pick(rand, readContexts);
      const expireAt = rand() < 0.2 ? timestamp + Math.floor(rand() * 3) : 0;
      const data: VersionWrite = roll < 0.08 ? tombstone(timestamp) : { value: Buffer.from(`v${step}`), timestamp, expireAt };
      replicas[i] = update(replicas[i], context, actors[i], data, maxSiblings).versions;
      // The new dot is the actor's counter in the new clock (the write may be pruned at once).
      writes.push({ dot: { actor: actors[i], counter: replicas[i].clock.get(actors[i]) as number }, context });
    } else if (roll < 0.7) {
      readContexts.push(merge(replicas[i], replicas[j], maxSiblings).versions.clock);
    } else {
      replicas[i] = merge(replicas[i], replicas[j], maxSiblings).versions;
    }
    states.push(replicas[i]);
  }
  return { states, replicas, writes };
}

test('merge is commutative, associative and idempotent over random 3-replica histories', (t) => {
  const rand = prng(0x5eed);
  let checks = 0;
  for (let h = 0; h < 150; h++) {
    const { states } = randomHistory(rand, 30);
    for (let k = 0; k < 20; k++) {
      const [a, b, c] = [pick(rand, states), pick(rand, states), pick(rand, states)];
      const ab = merge(a, b);
      t.is(ab.pruned, 0);
      if (!same(ab.versions, join(b, a))) return t.fail(`not commutative (history ${h})`);
      if (!same(join(ab.versions, c), join(a, join(b, c)))) return t.fail(`not associative (history ${h})`);
      if (!same(join(a, a), a)) return t.fail(`not idempotent (history ${h})`);
      if (!same(join(ab.versions, a), ab.versions)) return t.fail(`not absorbing (history ${h})`);
      checks++;
    }
  }
  t.is(checks, 3000);
});

test('replaying a history in any order converges, to exactly the writes no context covered', (t) => {
  const rand = prng(42);
  for (let h = 0; h < 150; h++) {
    const { states, replicas, writes } = randomHistory(rand, 30);
    const reference = states.reduce(join, EMPTY_VERSIONS);
    for (let order = 0; order < 4; order++) {
      t.true(same(shuffled(rand, states).reduce(join, EMPTY_VERSIONS), reference), `history ${h}, order ${order}`);
    }
    // Anti-entropy: each replica merges the others, in its own random order.
    const synced = replicas.map((own, i) => shuffled(rand, replicas.filter((_, j) => j !== i)).reduce(join, own));
    t.true(synced.every((s) => same(s, reference) && equalVersions(s, reference)), `history ${h}: replicas converge`);

    const survivors = writes.filter((w) => !writes.some((other) => covers(other.context, w.dot)));
    t.deepEqual(dots(reference), survivors.map((w) => `${w.dot.actor}:${w.dot.counter}`).sort(), `history ${h}`);
  }
});

test('KV679: a node that lost its data writes under a new incarnation, and replicas that saw its old dots keep the write', (t) => {
  const oldA = actorId('node-a', 1);
  const newA = actorId('node-a', 2);
  let atA = write(EMPTY_VERSIONS, oldA, put('old 1', 1));
  atA = write(atA, oldA, put('old 2', 2));
  const atB = join(EMPTY_VERSIONS, atA); // B saw A#1:1 and A#1:2
  t.deepEqual([...atB.clock], [[oldA, 2]]);

  // A loses its data dir and comes back as incarnation 2, with nothing.
  const reborn = write(EMPTY_VERSIONS, newA, put('after data loss', 3));
  t.deepEqual(reborn.siblings[0].dot, { actor: newA, counter: 1 });
  t.false(covers(atB.clock, reborn.siblings[0].dot));
  const atBAfter = join(atB, reborn);
  t.deepEqual(values(atBAfter), ['after data loss', 'old 2'], 'kept, as a sibling of the write it never saw');
  t.is(winner(atBAfter)?.node, 'node-a');

  // What the incarnation prevents: reusing A#1 would make dot A#1:1 again, which B drops as seen.
  const reused = write(EMPTY_VERSIONS, oldA, put('lost write', 3));
  t.deepEqual(values(join(atB, reused)), ['old 2'], 'without a new incarnation the acknowledged write is silently lost');
});

test('tombstones and expired writes are versions: they win, replicate, hide older siblings and are superseded like values', (t) => {
  const now = 10_000;
  const live = write(EMPTY_VERSIONS, A, put('live', 5));
  const deleted = write(live, A, tombstone(6));
  t.deepEqual(values(deleted), [null]);
  t.is(liveWinner(deleted, now), null, 'a tombstone winner reads as missing');
  t.deepEqual(values(join(live, deleted)), [null], 'the delete replicates over the value it covers');

  // A concurrent older value does not show through a newer tombstone, nor a newer expired write.
  const concurrentOld = write(EMPTY_VERSIONS, B, put('older, concurrent', 4));
  t.is(liveWinner(join(deleted, concurrentOld), now), null);
  const expired = write(live, A, put('expired', 7, now - 1));
  const withOld = join(expired, concurrentOld);
  t.deepEqual(values(withOld), ['expired', 'older, concurrent']);
  t.is(winner(withOld)?.value?.toString(), 'expired');
  t.is(liveWinner(withOld, now), null, 'no resurrection of the older sibling');
  t.is(liveWinner(withOld, now - 2)?.value?.toString(), 'expired', 'readable until its expiry');
  t.is(liveWinner(write(EMPTY_VERSIONS, A, put('at expiry', 1, now)), now), null, 'expireAt <= now is expired, as the engine');

  const rewritten = write(withOld, A, put('new', 8));
  t.deepEqual(values(rewritten), ['new'], 'a write with the context supersedes the expired version');
  t.is(liveWinner(rewritten, now)?.value?.toString(), 'new');
});

test('siblings are bounded: the oldest are pruned and counted, the clock keeps their dots, and they never come back', (t) => {
  let atA = EMPTY_VERSIONS;
  let pruned = 0;
  for (let i = 0; i < 40; i++) {
    const result = update(atA, new Map(), A, put(`v${i}`, 1000 + i));
    atA = result.versions;
    pruned += result.pruned;
  }
  t.is(atA.siblings.length, DEFAULT_MAX_SIBLINGS);
  t.is(pruned, 40 - DEFAULT_MAX_SIBLINGS);
  t.is(values(atA).at(-1), 'v8', 'v0..v7 (the oldest) were pruned');
  t.is(atA.clock.get(A), 40);

  // A replica still holding v0 drops it when it syncs.
  const stale = blind(EMPTY_VERSIONS, A, put('v0', 1000));
  const synced = merge(stale, atA);
  t.is(synced.pruned, 0);
  t.false(values(synced.versions).includes('v0'));

  // Merging more than the bound prunes there too; the winner always stays.
  const atB = [0, 1, 2, 3].reduce((v, i) => blind(v, B, put(`b${i}`, 5000 - i)), EMPTY_VERSIONS);
  const bounded = merge(atA, atB, 10);
  t.is(bounded.versions.siblings.length, 10);
  t.is(bounded.pruned, 32 + 4 - 10);
  t.is(winner(bounded.versions)?.value?.toString(), 'b0');
  t.throws(() => merge(atA, atB, 0), { instanceOf: RangeError });
});

test('with a small sibling bound, replicas that keep syncing still converge, to writes no context covered', (t) => {
  const rand = prng(7);
  let maxRounds = 0;
  let emptied = 0;
  for (let h = 0; h < 100; h++) {
    const maxSiblings = 1 + Math.floor(rand() * 3);
    const { replicas, writes } = randomHistory(rand, 40, maxSiblings);
    let rounds = 0;
    for (let changed = true; changed && rounds < 10; rounds++) {
      changed = false;
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const next = merge(replicas[i], replicas[j], maxSiblings).versions;
          if (!same(next, replicas[i])) changed = true;
          replicas[i] = next;
        }
      }
    }
    t.true(rounds < 10, `history ${h}: no fixed point after ${rounds} rounds`);
    maxRounds = Math.max(maxRounds, rounds);
    t.true(same(replicas[0], replicas[1]) && same(replicas[1], replicas[2]), `history ${h}`);
    t.true(replicas[0].siblings.length <= maxSiblings);
    const uncovered = new Set(writes.filter((w) => !writes.some((o) => covers(o.context, w.dot))).map((w) => `${w.dot.actor}:${w.dot.counter}`));
    t.true(dots(replicas[0]).every((d) => uncovered.has(d)), `history ${h}: pruning only removes`);
    if (replicas[0].siblings.length === 0) emptied++;
  }
  t.log(`fixed point within ${maxRounds} rounds of all-pairs sync; ${emptied} of 100 histories ended with no sibling`);
});

test('update checks its inputs and never mutates them', (t) => {
  const before = write(EMPTY_VERSIONS, A, put('a', 1));
  const bytes = encodeVersions(before);
  const context = new Map(before.clock);
  update(before, context, B, put('b', 2));
  merge(before, write(EMPTY_VERSIONS, C, put('c', 3)));
  t.true(encodeVersions(before).equals(bytes));
  t.deepEqual(context, before.clock);
  t.throws(() => update(before, context, 'no-incarnation', put('x', 1)), { instanceOf: RangeError });
  t.throws(() => update(before, context, A, put('x', -1)), { instanceOf: RangeError });
  t.throws(() => update(before, context, A, put('x', 1, 1.5)), { instanceOf: RangeError });
  t.throws(() => actorId('', 1), { instanceOf: RangeError });
  t.throws(() => actorId('n', -1), { instanceOf: RangeError });
  t.is(actorId('10.0.0.1:7000', 3), '10.0.0.1:7000#3');
});

/** Random states: histories with unicode actors, empty/large values, tombstones, far timestamps. */
function randomStates(rand: () => number, count: number): KeyVersions[] {
  const actors = [actorId('10.0.0.1:7000', 0), actorId('nœud-é', 3), actorId('节点#x', 9_007_199_254_740_991), actorId('n', 1)];
  const out: KeyVersions[] = [];
  for (let n = 0; n < count; n++) {
    let v = EMPTY_VERSIONS;
    const writes = Math.floor(rand() * 6);
    for (let w = 0; w < writes; w++) {
      const size = pick(rand, [0, 1, 32, 127, 128, 300, 20_000]);
      const value = rand() < 0.15 ? null : Buffer.from(Array.from({ length: size }, () => Math.floor(rand() * 256)));
      const timestamp = pick(rand, [0, 1, 127, 128, 1_760_000_000_000 + w, Number.MAX_SAFE_INTEGER - w]);
      const expireAt = rand() < 0.5 ? 0 : pick(rand, [1, 1_760_000_000_000, Number.MAX_SAFE_INTEGER]);
      const context = rand() < 0.5 ? v.clock : new Map<Actor, number>();
      v = update(v, context, pick(rand, actors), { value, timestamp, expireAt }).versions;
    }
    out.push(v);
  }
  return out;
}

test('codec: random states round-trip, decodeWinner agrees with winner, values are views into the record', (t) => {
  const rand = prng(2024);
  for (const [n, state] of randomStates(rand, 500).entries()) {
    const record = encodeVersions(state);
    const decoded = decodeVersions(record);
    const top = winner(state);
    const fast = decodeWinner(record);
    const problems = [
      !isDeepStrictEqual(decoded, state) && 'decoded state differs',
      !encodeVersions(decoded).equals(record) && 're-encoding differs',
      !isDeepStrictEqual(fast, top && { value: top.value, expireAt: top.expireAt, type: top.type ?? 0 }) && 'decodeWinner differs from winner',
      fast?.value && fast.value.buffer !== record.buffer && 'the winner value was copied',
    ].filter(Boolean);
    if (problems.length > 0) return t.fail(`state ${n}: ${problems.join(', ')}`);
  }
  t.deepEqual(decodeVersions(encodeVersions(EMPTY_VERSIONS)), { clock: new Map(), siblings: [] });
  t.is(decodeWinner(encodeVersions(EMPTY_VERSIONS)), null);
});

test('codec: record size for one sibling holding a 32-byte value', (t) => {
  const actor = actorId('127.0.0.1:7000', 1); // 16 characters
  const timestamp = 1_760_000_000_000; // a 2025 wall clock: 6 varint bytes
  const one = write(EMPTY_VERSIONS, actor, { value: Buffer.alloc(32, 7), timestamp, expireAt: 0 });
  const size = encodeVersions(one).length;
  // format 1 + actor count 1 + (length 1 + actor 16 + counter 1) + sibling count 1
  // + (index 1 + counter 1 + timestamp 6 + expireAt 1 + length 1 + value 32)
  t.is(size, 63);
  const expiring = encodeVersions(write(EMPTY_VERSIONS, actor, { value: Buffer.alloc(32, 7), timestamp, expireAt: timestamp + 60_000 })).length;
  t.is(expiring, 68, 'an expiry costs 5 more bytes');
  const twoSiblings = encodeVersions(join(one, write(EMPTY_VERSIONS, actorId('127.0.0.1:7001', 1), { value: Buffer.alloc(32, 8), timestamp, expireAt: 0 }))).length;
  t.is(twoSiblings, 63 + 18 + 42);
  t.log(`one sibling, 32-byte value: ${size} bytes (${size - 32} overhead, 16 of them the actor); with expiry: ${expiring}; two siblings: ${twoSiblings}`);
});

/** A record written byte by byte, for inputs encodeVersions never makes. */
const raw = (...parts: (number | string)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from([p]))));
/** One actor "a#1" at clock 1, then the given sibling count and bytes. */
const oneActor = (...siblings: (number | string)[]): Buffer => raw(1, 1, 3, 'a#1', 1, ...siblings);

test('codec: bad records throw CorruptVersionsError saying what is wrong', (t) => {
  const bad = (record: Buffer, message: RegExp): void => {
    t.throws(() => decodeVersions(record), { instanceOf: CorruptVersionsError, message }, record.toString('hex'));
  };
  t.notThrows(() => decodeVersions(oneActor(1, 0, 1, 5, 0, 2, 'x')));
  bad(raw(), /format version at offset 0: truncated/);
  bad(raw(3, 0, 0), /format version at offset 0: 3 is not a known format \(1 to 2\)/);
  bad(raw(0), /format version/);
  bad(raw(1, 0x80), /actor count at offset 1: truncated varint/);
  bad(raw(1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), /actor count at offset 1: varint longer than 8 bytes/);
  bad(raw(1, 0x81, 0x00), /non-minimal varint/);
  bad(raw(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), /varint above 2\^53 - 1/);
  bad(raw(1, 1, 100, 'a#1'), /actor 0 at offset 3: 100 bytes announced, 3 left/);
  bad(raw(1, 1, 2, 0xc3, 0x28, 1, 0), /actor 0 at offset 2: not UTF-8/);
  bad(raw(1, 1, 1, 'a', 1, 0), /"a" is not node#incarnation/);
  bad(raw(1, 2, 3, 'b#1', 1, 3, 'a#1', 1, 0), /actor 1 at offset 7: actors not in strictly ascending order/);
  bad(raw(1, 1, 3, 'a#1', 0, 0), /zero counter/);
  bad(oneActor(1, 5, 1, 5, 0, 1), /sibling 0 actor index at offset 8: 5 is not below the actor count 1/);
  bad(oneActor(1, 0, 2, 5, 0, 1), /sibling 0 dot counter at offset 9: 2 is not within the clock's 1..1 for a#1/);
  bad(oneActor(1, 0, 1, 5, 0, 4, 'x'), /sibling 0 value at offset 13: 3 bytes announced, 1 left/);
  bad(oneActor(2, 0, 1, 5, 0, 1, 0, 1, 5, 0, 1), /sibling 1 at offset 13: not after the previous one in winner order/);
  bad(oneActor(1, 0, 1, 5, 0, 1, 0), /end of input at offset 13: 1 trailing bytes/);
  t.throws(() => decodeWinner(oneActor(1, 5, 1, 5, 0, 1)), { instanceOf: CorruptVersionsError, message: /actor index/ });
  t.throws(() => decodeWinner(raw(3)), { instanceOf: CorruptVersionsError, message: /format version/ });
});

/** The decoded value, 'rejected' for a CorruptVersionsError, or a description of any other error. */
function outcome<T>(decode: () => T): T | string {
  try {
    return decode();
  } catch (error) {
    return error instanceof CorruptVersionsError ? 'rejected' : `unexpected ${String(error)}`;
  }
}

test('codec: every truncation and random corruption of valid records throws CorruptVersionsError, never anything else', (t) => {
  const rand = prng(99);
  const records = randomStates(rand, 40)
    .filter((s) => s.siblings.length > 1)
    .map(encodeVersions)
    .filter((r) => r.length < 4000);
  t.true(records.length > 5);
  for (const record of records) {
    const top = decodeWinner(record);
    for (let cut = 0; cut < record.length; cut++) {
      const prefix = Buffer.from(record.subarray(0, cut)); // a copy: reading past it would not go unnoticed
      const decoded = outcome(() => decodeVersions(prefix));
      if (decoded !== 'rejected') return t.fail(`prefix ${cut} of ${record.toString('hex')}: ${decoded}`);
      const fast = outcome(() => decodeWinner(prefix));
      if (fast !== 'rejected' && !isDeepStrictEqual(fast, top)) return t.fail(`prefix ${cut}: decodeWinner read another winner`);
    }
  }
  let rejected = 0;
  for (let n = 0; n < 20_000; n++) {
    const mutated = mutate(rand, pick(rand, records));
    for (const decode of [decodeVersions, decodeWinner]) {
      const result = outcome(() => decode(mutated));
      if (typeof result === 'string' && result !== 'rejected') return t.fail(`${result} for ${mutated.toString('hex')}`);
      if (result === 'rejected') rejected++;
    }
  }
  t.true(rejected > 5000, `${rejected} rejections`);
});

test('context: round-trips, is compact base64url, and garbage throws InvalidContextError', (t) => {
  const clock = new Map<Actor, number>([[A, 3], [actorId('nœud', 2), 300]]);
  const context = encodeContext(clock);
  t.regex(context, /^[A-Za-z0-9_-]+$/);
  t.deepEqual(decodeContext(context), clock);
  t.deepEqual(decodeContext(Buffer.from(context)), clock, 'as a DYN.SET argument');
  t.deepEqual(decodeContext(encodeContext(new Map())), new Map());
  t.log(`context of a 1-actor clock: ${encodeContext(new Map([[actorId('127.0.0.1:7000', 1), 5]])).length} characters`);

  const invalid = (text: string | Buffer, message: RegExp): void => {
    t.throws(() => decodeContext(text), { instanceOf: InvalidContextError, message }, String(text));
  };
  const b64 = (...parts: (number | string)[]): string => raw(...parts).toString('base64url');
  invalid('', /format version at offset 0: truncated/);
  invalid('not a context!', /not base64url/);
  invalid(`${context}=`, /not base64url/);
  invalid(Buffer.from([0xff, 0x00]), /not base64url/);
  invalid('A', /not canonical base64url/);
  invalid(b64(2, 0), /2 is not the known format 1/);
  invalid(b64(1, 0x80), /truncated varint/);
  invalid(b64(1, 1, 3, 'a#1'), /clock counter of actor 0 at offset 6: truncated/);
  invalid(b64(1, 1, 3, 'a#1', 0), /zero counter/);
  invalid(b64(1, 1, 3, 'a#1', 1, 9), /1 trailing bytes/);
  invalid(encodeVersions(write(EMPTY_VERSIONS, A, put('v', 1))).toString('base64url'), /trailing bytes/);
  for (let cut = 1; cut < context.length; cut++) {
    try {
      decodeContext(context.slice(0, cut));
      t.fail(`prefix ${cut} decoded`);
    } catch (error) {
      t.true(error instanceof InvalidContextError);
    }
  }
});

test('equalClocks compares both ways: the same actors with a higher counter is not equal', (t) => {
  const a = new Map([['x#1', 5]]);
  const b = new Map([['x#1', 1]]);
  t.false(equalClocks(a, b));
  t.false(equalClocks(b, a));
  t.true(equalClocks(a, new Map([['x#1', 5]])));
  const s = (counter: number): KeyVersions => ({ clock: new Map([['x#1', counter]]), siblings: [] });
  t.false(equalVersions(s(5), s(1)), 'a replica whose clock only moved on is stale (read repair, apply)');
});
