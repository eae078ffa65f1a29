// cluster-version-supersedes.test.ts — supersedes (cluster/versions/supersedes.ts)
// against its definition: for random (current, incoming) pairs — a replica's
// plain writes, DYN.SET-style writes that keep siblings, merges, chains of
// them, equal, stale, concurrent and unrelated states, empty records, small
// sibling bounds — it is true exactly when decode + merge yields incoming (same
// clock, same siblings and data) with nothing pruned, and always for the
// descendants replication sends. Corrupt or truncated incoming records
// never give true unless decodeVersions accepts them; corrupt current records
// are read within bounds. (Its time per call against the full merge:
// bench/supersedes.ts.)
import test from 'ava';
import { EMPTY_VERSIONS, equalVersions, merge, update, type Actor, type KeyVersions, type Sibling, type VersionWrite, type VersionsResult } from '../cluster/versions/versions';
import { CorruptVersionsError, decodeVersions, encodeVersions } from '../cluster/versions/codec';
import { supersedes } from '../cluster/versions/supersedes';
import { mutate, prng } from './helpers/random';

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)];

/**
 * supersedes by its definition: the full merge prunes nothing and yields
 * incoming's versions: the same clock and the same siblings, in order, with
 * the same data. Compared field by field: equalVersions' clock test is only
 * "same size and a >= b", and encodeVersions(merged).equals(incoming) fails on
 * an expireAt above 2^53, which has more than one encoding of the same double.
 */
function mergeIsIncoming(incoming: Buffer, current: Buffer, maxSiblings: number): boolean {
  return isExactly(merge(decodeVersions(current), decodeVersions(incoming), maxSiblings), decodeVersions(incoming));
}

function isExactly(merged: VersionsResult, incoming: KeyVersions): boolean {
  const { clock, siblings } = merged.versions;
  return (
    merged.pruned === 0 &&
    clock.size === incoming.clock.size &&
    [...clock].every(([actor, counter]) => incoming.clock.get(actor) === counter) &&
    siblings.length === incoming.siblings.length &&
    siblings.every((s, i) => sameSibling(s, incoming.siblings[i]))
  );
}

function sameSibling(a: Sibling, b: Sibling): boolean {
  return (
    a.dot.actor === b.dot.actor && a.dot.counter === b.dot.counter && a.node === b.node && a.timestamp === b.timestamp && a.expireAt === b.expireAt &&
    (a.value === null ? b.value === null : b.value !== null && a.value.equals(b.value))
  );
}

/** Whether decodeVersions accepts the record. */
function decodes(record: Buffer): boolean {
  try {
    decodeVersions(record);
    return true;
  } catch (err) {
    if (err instanceof CorruptVersionsError) return false;
    throw err;
  }
}

/** Whether a record that decodes has only ASCII actors (supersedes answers false otherwise). */
const asciiActors = (record: Buffer): boolean => [...decodeVersions(record).clock.keys()].every((actor) => /^[\x00-\x7f]*$/.test(actor));

/** Actors: a prefix of another ('n#1', 'n#10'), nodes that are prefixes of others ('n', 'n1'), one node with two incarnations. */
const ACTORS = ['10.0.0.1:7000#0', '10.0.0.1:7000#12', '10.0.0.2:7000#1', 'n#1', 'n#10', 'n1#1', 'z#3'];
const NON_ASCII = ['nœud-é#3', '节点#1'];

function randomWrite(rand: () => number): VersionWrite {
  const size = pick(rand, [0, 1, 5, 32, 64, 65, 127, 128, 300]);
  const value = rand() < 0.15 ? null : Buffer.from(Array.from({ length: size }, () => Math.floor(rand() * 256)));
  // Few distinct timestamps, so the winner order often falls to node, actor and counter.
  const timestamp = pick(rand, [0, 5, 127, 128, 1_760_000_000_000, Number.MAX_SAFE_INTEGER]);
  const expireAt = rand() < 0.6 ? 0 : pick(rand, [1, 1_760_000_000_000, 2 ** 63]);
  return { value, timestamp, expireAt };
}

/** One step from v: a plain write, a write with a partial, empty or far-ahead context, or a merge with another state. */
function step(rand: () => number, v: KeyVersions, actors: readonly Actor[], others: readonly KeyVersions[]): KeyVersions {
  const actor = pick(rand, actors);
  const roll = rand();
  if (roll < 0.15 && others.length > 0) return merge(v, pick(rand, others), pick(rand, [2, 32])).versions;
  const partial = new Map([...v.clock].filter(() => rand() < 0.5));
  const context = roll < 0.45 ? v.clock : roll < 0.65 ? partial : roll < 0.85 ? new Map<Actor, number>() : new Map([[actor, pick(rand, [126, 127, 16_383, 2 ** 40])]]);
  return update(v, context, actor, randomWrite(rand), pick(rand, [3, 32])).versions;
}

function randomState(rand: () => number, actors: readonly Actor[], others: readonly KeyVersions[]): KeyVersions {
  let v = EMPTY_VERSIONS;
  for (let w = Math.floor(rand() * 7); w > 0; w--) v = step(rand, v, actors, others);
  return v;
}

function randomActors(rand: () => number): Actor[] {
  const actors = ACTORS.filter(() => rand() < 0.5);
  if (actors.length === 0) actors.push(pick(rand, ACTORS));
  if (rand() < 0.1) actors.push(pick(rand, NON_ASCII));
  return actors;
}

type Kind = 'plain write' | 'write with context' | 'merge' | 'chain' | 'equal' | 'stale' | 'concurrent' | 'unrelated' | 'empty current' | 'empty incoming';
const KINDS: readonly Kind[] = ['plain write', 'write with context', 'merge', 'chain', 'equal', 'stale', 'concurrent', 'unrelated', 'empty current', 'empty incoming'];

/** A (current, incoming) pair of the given kind: the descendants are what replication sends. */
function randomPair(rand: () => number, kind: Kind, pool: KeyVersions[]): [KeyVersions, KeyVersions] {
  const actors = randomActors(rand);
  const current = randomState(rand, actors, pool);
  pool.push(current);
  if (pool.length > 50) pool.shift();
  const writer = rand() < 0.8 ? pick(rand, actors) : pick(rand, [...ACTORS, 'a#1', 'zz#1']);
  switch (kind) {
    case 'plain write':
      return [current, update(current, current.clock, writer, randomWrite(rand)).versions];
    case 'write with context':
      return [current, step(rand, current, [writer], [])];
    case 'merge':
      return [current, merge(current, pick(rand, pool), pick(rand, [2, 3, 32])).versions];
    case 'chain': {
      let v = current;
      for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) v = step(rand, v, actors, pool);
      return [current, v];
    }
    case 'equal':
      return [current, current];
    case 'stale':
      return [step(rand, current, actors, pool), current];
    case 'concurrent':
      return [step(rand, current, actors, []), update(current, new Map(), writer, randomWrite(rand)).versions];
    case 'unrelated':
      return [current, pick(rand, pool)];
    case 'empty current':
      return [EMPTY_VERSIONS, current];
    case 'empty incoming':
      return [current, EMPTY_VERSIONS];
  }
}

const DESCENDANTS: ReadonlySet<Kind> = new Set(['plain write', 'write with context', 'chain', 'equal', 'empty current']);

test('supersedes is true exactly when the full merge stores incoming as it is: random pairs of every kind', (t) => {
  const rand = prng(0x5eed);
  const pool: KeyVersions[] = [];
  const tally = new Map<Kind, { pairs: number; yes: number }>(KINDS.map((k) => [k, { pairs: 0, yes: 0 }]));
  let nonAscii = 0;
  let sameDotsOtherData = 0;
  for (let n = 0; n < 12_000; n++) {
    const kind = KINDS[n % KINDS.length];
    const [currentVersions, incomingVersions] = randomPair(rand, kind, pool);
    const current = encodeVersions(currentVersions);
    const incoming = encodeVersions(incomingVersions);
    const maxSiblings = pick(rand, [1, 2, 3, 32, 32]);
    const fast = supersedes(incoming, current, maxSiblings);
    const slow = mergeIsIncoming(incoming, current, maxSiblings);
    const merged = merge(currentVersions, incomingVersions, maxSiblings);
    const where = `pair ${n} (${kind}, max ${maxSiblings}): ${current.toString('hex')} <- ${incoming.toString('hex')}`;
    if (slow !== isExactly(merged, incomingVersions)) return t.fail(`the records do not round-trip, ${where}`);
    // Two writes with one dot (never made by update on one replica, but these states are built apart): same dots, other data.
    if (!slow && merged.pruned === 0 && equalVersions(merged.versions, incomingVersions) && equalVersions(incomingVersions, merged.versions)) sameDotsOtherData++;
    if (fast && !slow) return t.fail(`unsound, ${where}`);
    if (!asciiActors(incoming)) {
      nonAscii++;
      if (fast) return t.fail(`true for a non-ASCII actor table, ${where}`);
      continue;
    }
    if (fast !== slow) return t.fail(`incomplete, ${where}`);
    // What replication sends: a descendant within the sibling bound always supersedes.
    if (DESCENDANTS.has(kind) && incomingVersions.siblings.length <= maxSiblings && !fast) return t.fail(`a descendant not recognised, ${where}`);
    const counts = tally.get(kind) as { pairs: number; yes: number };
    counts.pairs++;
    if (fast) counts.yes++;
  }
  for (const kind of ['plain write', 'equal', 'empty current'] as Kind[]) {
    const { pairs, yes } = tally.get(kind) as { pairs: number; yes: number };
    if (kind === 'plain write') t.is(yes, pairs, 'every plain write by any actor on top of current supersedes it');
    else t.true(yes > pairs * 0.6, `${kind}: ${yes} of ${pairs}`);
  }
  t.log([...tally].map(([kind, { pairs, yes }]) => `${kind} ${yes}/${pairs}`).join(', ') + `; ${nonAscii} non-ASCII pairs (false); ${sameDotsOtherData} with a dot naming two writes (false)`);
});

test('a replica fed a stream of peer writes: each record supersedes the one before it', (t) => {
  const rand = prng(31);
  for (let stream = 0; stream < 200; stream++) {
    const actors = randomActors(rand).filter((a) => /^[\x00-\x7f]*$/.test(a));
    if (actors.length === 0) continue;
    let stored = EMPTY_VERSIONS;
    for (let w = 0; w < 20; w++) {
      const next = update(stored, stored.clock, pick(rand, actors), randomWrite(rand)).versions;
      const current = encodeVersions(stored);
      const incoming = encodeVersions(next);
      if (!supersedes(incoming, current, 1)) return t.fail(`stream ${stream}, write ${w}: ${current.toString('hex')} <- ${incoming.toString('hex')}`);
      if (supersedes(current, incoming, 32) !== current.equals(incoming)) return t.fail(`stream ${stream}, write ${w}: the older record superseded the newer`);
      stored = next;
    }
  }
  t.pass();
});

/** Valid (current, incoming) pairs, mostly descendants, with ASCII actors: records to corrupt. */
function corruptible(rand: () => number, count: number): [Buffer, Buffer][] {
  const pool: KeyVersions[] = [];
  const pairs: [Buffer, Buffer][] = [];
  while (pairs.length < count) {
    const kind = pick(rand, ['plain write', 'write with context', 'merge', 'chain', 'equal', 'concurrent'] as Kind[]);
    const [current, incoming] = randomPair(rand, kind, pool).map(encodeVersions);
    if (asciiActors(current) && asciiActors(incoming) && incoming.length < 800) pairs.push([current, incoming]);
  }
  return pairs;
}

test('corrupt incoming records: true only if decodeVersions accepts them and the merge stores them', (t) => {
  const rand = prng(4242);
  const pairs = corruptible(rand, 400);
  let accepted = 0;
  let superseding = 0;
  for (let n = 0; n < 30_000; n++) {
    const [current, incoming] = pick(rand, pairs);
    const bad = mutate(rand, incoming);
    const fast = supersedes(bad, current, 32);
    if (!decodes(bad)) {
      if (fast) return t.fail(`true for an undecodable record: ${current.toString('hex')} <- ${bad.toString('hex')}`);
      continue;
    }
    accepted++;
    if (fast) superseding++;
    if (asciiActors(bad) && fast !== mergeIsIncoming(bad, current, 32)) return t.fail(`disagrees with the merge: ${current.toString('hex')} <- ${bad.toString('hex')}`);
  }
  t.true(superseding > 0);
  t.log(`${accepted} of 30000 mutated records decode; ${superseding} of those supersede`);
});

test('truncated or extended incoming records are never true', (t) => {
  const rand = prng(99);
  for (const [current, incoming] of corruptible(rand, 150)) {
    for (let cut = 0; cut < incoming.length; cut++) {
      if (supersedes(incoming.subarray(0, cut), current, 32)) return t.fail(`prefix ${cut} of ${incoming.toString('hex')}`);
    }
    // A view whose buffer goes on with valid bytes: nothing past the view is read.
    const longer = Buffer.concat([incoming, incoming]);
    if (supersedes(longer, current, 32) || supersedes(longer.subarray(0, incoming.length - 1), current, 32)) return t.fail(`extended ${incoming.toString('hex')}`);
  }
  t.pass();
});

test('corrupt or truncated current records are read within bounds, never throw, and are sound when they decode', (t) => {
  const rand = prng(777);
  const pairs = corruptible(rand, 300);
  let decodable = 0;
  let checked = 0;
  for (let n = 0; n < 20_000; n++) {
    const [current, incoming] = pick(rand, pairs);
    const bad = rand() < 0.2 ? current.subarray(0, Math.floor(rand() * current.length)) : mutate(rand, current);
    let fast: boolean;
    try {
      fast = supersedes(incoming, bad, 32);
    } catch (error) {
      return t.fail(`threw ${String(error)} for ${bad.toString('hex')}`);
    }
    if (!decodes(bad)) continue;
    decodable++;
    if (!fast) continue;
    checked++;
    if (!mergeIsIncoming(incoming, bad, 32)) return t.fail(`unsound: ${bad.toString('hex')} <- ${incoming.toString('hex')}`);
  }
  // The soundness check ran: some corrupted records decode, and of those some gave true.
  t.true(decodable > 100, `${decodable} of 20000 corrupted current records decode`);
  t.true(checked > 10, `${checked} of them gave true and were checked against the merge`);
});

const write = (timestamp: number, value: string | null = 'v'): VersionWrite => ({ value: value === null ? null : Buffer.from(value), timestamp, expireAt: 0 });

test('the cases one by one', (t) => {
  const a = update(EMPTY_VERSIONS, new Map(), 'a#1', write(10)).versions;
  const b = update(EMPTY_VERSIONS, new Map(), 'b#1', write(11)).versions;
  const ab = merge(a, b).versions; // two siblings
  const enc = encodeVersions;
  const empty = enc(EMPTY_VERSIONS);
  t.true(supersedes(enc(ab), enc(a), 32), 'a merge with a concurrent write keeps both');
  t.true(supersedes(enc(ab), enc(ab), 32), 'the same record');
  t.true(supersedes(enc(ab), empty, 32) && supersedes(empty, empty, 1), 'anything over nothing');
  t.false(supersedes(empty, enc(a), 32), 'nothing over something');
  t.false(supersedes(enc(a), enc(ab), 32), 'incoming lacks an actor of current');
  t.false(supersedes(enc(b), enc(a), 32), 'concurrent');
  t.false(supersedes(enc(ab), enc(a), 1), 'the merge would prune');
  const resolved = update(ab, ab.clock, 'c#1', write(12)).versions;
  t.true(supersedes(enc(resolved), enc(ab), 1), 'a write with the context drops both siblings');
  t.false(supersedes(enc(ab), enc(resolved), 32), 'stale');
  // Current has seen b#1:1 and dropped it: incoming still holds it, so the merge drops it too.
  const dropped = update(a, new Map([['b#1', 1]]), 'a#1', write(13)).versions;
  const keepsB = update(ab, new Map([['a#1', 2]]), 'c#1', write(14)).versions;
  t.false(mergeIsIncoming(enc(keepsB), enc(dropped), 32));
  t.false(supersedes(enc(keepsB), enc(dropped), 32), 'incoming holds a dot current has seen and dropped');
  // A dot naming two writes (never made by update): the merge keeps current's data, so incoming is not stored as is.
  const other = update(EMPTY_VERSIONS, new Map(), 'a#1', write(10, 'other')).versions;
  t.false(mergeIsIncoming(enc(other), enc(a), 32));
  t.false(supersedes(enc(other), enc(a), 32), 'same dot, other value');
  // Non-ASCII actors: false, though the merge would store incoming.
  const noeud = update(EMPTY_VERSIONS, new Map(), 'nœud#1', write(1)).versions;
  t.true(mergeIsIncoming(enc(noeud), empty, 32));
  t.false(supersedes(enc(noeud), empty, 32));
  t.false(supersedes(enc(update(noeud, noeud.clock, 'a#1', write(2)).versions), enc(noeud), 32));
  for (const max of [0, -1, 1.5, Number.NaN]) t.throws(() => supersedes(empty, empty, max), { instanceOf: RangeError });
});

test('a dot held twice (records decodeVersions accepts but update never makes) gives false when the merge differs', (t) => {
  // Sibling bytes: actor index, dot counter, timestamp, expireAt, value length + 1, value.
  const record = (...siblings: number[][]): Buffer => Buffer.from([1, 1, 3, ...Buffer.from('a#1'), 1, siblings.length, ...siblings.flat()]);
  const first = [0, 1, 9, 0, 2, 0x78];
  const second = [0, 1, 8, 0, 2, 0x79];
  const twice = record(first, second);
  t.true(decodes(twice));
  for (const [incoming, current] of [[twice, record(first)], [record(first), twice], [twice, twice], [twice, record()]]) {
    t.is(supersedes(incoming, current, 32) && !mergeIsIncoming(incoming, current, 32), false, `${current.toString('hex')} <- ${incoming.toString('hex')}`);
  }
});

test('tables and sibling lists longer than the scratch tables start with, then small ones again', (t) => {
  const rand = prng(5);
  let wide = EMPTY_VERSIONS;
  for (let i = 0; i < 40; i++) wide = update(wide, new Map(), `node-${String(i).padStart(2, '0')}:7000#1`, randomWrite(rand), 64).versions;
  t.is(wide.siblings.length, 40);
  const partial = new Map([...wide.clock].filter((_, i) => i % 3 === 0));
  const next = update(wide, partial, 'node-07:7000#1', randomWrite(rand), 64).versions;
  for (const [current, incoming] of [[wide, wide], [wide, next], [EMPTY_VERSIONS, next], [next, wide]]) {
    for (const max of [64, 32]) {
      const [c, i] = [encodeVersions(current), encodeVersions(incoming)];
      t.is(supersedes(i, c, max), mergeIsIncoming(i, c, max), `${current.siblings.length} <- ${incoming.siblings.length} siblings, max ${max}`);
    }
  }
  t.true(supersedes(encodeVersions(next), encodeVersions(wide), 64));
  const small = update(EMPTY_VERSIONS, new Map(), 'a#1', write(1)).versions;
  t.true(supersedes(encodeVersions(update(small, small.clock, 'b#1', write(2)).versions), encodeVersions(small), 32));
  t.false(supersedes(encodeVersions(small), encodeVersions(update(small, small.clock, 'b#1', write(2)).versions), 32));
});
