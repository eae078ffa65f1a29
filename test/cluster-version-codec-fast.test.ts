// cluster-version-codec-fast.test.ts — the codec's two fast paths
// (cluster/versions/fast-path.ts) against their definitions: encodeLocalWrite is
// byte for byte decodeVersions + update + encodeVersions of a plain write
// (every actor position, counters crossing varint sizes, non-ASCII actors),
// and locateWinner finds what decodeVersions and decodeWinner find, for a
// record anywhere inside a larger buffer, never reading past its end. Bad
// records throw CorruptVersionsError saying what and where, nothing else.
import test from 'ava';
import { EMPTY_VERSIONS, merge, update, type Actor, type KeyVersions, type VersionWrite } from '../cluster/versions/versions';
import { CorruptVersionsError, decodeVersions, encodeVersions } from '../cluster/versions/codec';
import { decodeWinner, encodeLocalWrite, locateWinner, type WinnerLocation } from '../cluster/versions/fast-path';
import { mutate, prng } from './helpers/random';

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)];

/** encodeLocalWrite by its definition. */
function slowLocalWrite(current: Buffer | null, actor: Actor, write: VersionWrite): Buffer {
  const versions = current === null ? EMPTY_VERSIONS : decodeVersions(current);
  return encodeVersions(update(versions, versions.clock, actor, write).versions);
}

/** Actors that build the states: ASCII, with one a prefix of another, and one non-ASCII. */
const TABLE_ACTORS = ['10.0.0.1:7000#0', '10.0.0.1:7000#12', '10.0.0.2:7000#1', 'n#1', 'n#10', 'n1#1', 'z#3', 'nœud-é#3'];
/** Writers: the table's actors and new ones falling before, between and after them. */
const WRITERS = [...TABLE_ACTORS, '0#1', '10.0.0.1:7000#1', '10.0.0.1:7000#2', 'n#0', 'n#2', 'y#1', 'zz#1', '节点#1'];

function randomWrite(rand: () => number): VersionWrite {
  const size = pick(rand, [0, 1, 32, 126, 127, 128, 300, 20_000]);
  const value = rand() < 0.15 ? null : Buffer.from(Array.from({ length: size }, () => Math.floor(rand() * 256)));
  const timestamp = pick(rand, [0, 127, 128, 1_760_000_000_000, Number.MAX_SAFE_INTEGER]);
  const expireAt = rand() < 0.5 ? 0 : pick(rand, [1, 1_760_000_000_000, Number.MAX_SAFE_INTEGER]);
  return { value, timestamp, expireAt };
}

/**
 * Random states: plain writes, blind (concurrent) writes that become siblings,
 * contexts that push clock counters to varint size boundaries, and merges.
 * Mostly ASCII actors, as this project's; sometimes a non-ASCII one.
 */
function randomStates(rand: () => number, count: number): KeyVersions[] {
  const out: KeyVersions[] = [];
  for (let n = 0; n < count; n++) {
    const ascii = rand() < 0.8;
    const actors = TABLE_ACTORS.filter((a) => (ascii ? /^[\x00-\x7f]*$/.test(a) : true) && rand() < 0.6);
    if (actors.length === 0) actors.push(pick(rand, TABLE_ACTORS));
    let v = EMPTY_VERSIONS;
    const writes = Math.floor(rand() * 7);
    for (let w = 0; w < writes; w++) {
      const actor = pick(rand, actors);
      const roll = rand();
      if (roll < 0.15 && out.length > 0) {
        v = merge(v, pick(rand, out)).versions;
        continue;
      }
      const context =
        roll < 0.5 ? v.clock : roll < 0.8 ? new Map<Actor, number>() : new Map([[actor, pick(rand, [126, 127, 16_382, 16_383, 2 ** 40])]]);
      v = update(v, context, actor, randomWrite(rand)).versions;
    }
    out.push(v);
  }
  return out;
}

test('encodeLocalWrite is byte for byte decode, update, encode: random states, writers and streams of writes', (t) => {
  const rand = prng(0xfa57);
  let writes = 0;
  for (const [n, state] of randomStates(rand, 600).entries()) {
    let current: Buffer | null = rand() < 0.1 ? null : encodeVersions(state);
    // A stream of writes, usually by one actor (the module caches its bytes), sometimes by another.
    let actor = pick(rand, WRITERS);
    for (let w = 0; w < 4; w++) {
      if (rand() < 0.3) actor = pick(rand, WRITERS);
      const write = randomWrite(rand);
      const fast = encodeLocalWrite(current, actor, write);
      const slow = slowLocalWrite(current, actor, write);
      if (!fast.equals(slow)) return t.fail(`state ${n}, write ${w} by ${actor}: ${fast.toString('hex')} != ${slow.toString('hex')}`);
      current = fast;
      writes++;
    }
  }
  t.true(encodeLocalWrite(null, 'a#1', { value: null, timestamp: 5, expireAt: 0 }).equals(slowLocalWrite(null, 'a#1', { value: null, timestamp: 5, expireAt: 0 })));
  t.log(`${writes} writes compared`);
});

test('encodeLocalWrite: a counter crossing a varint size and a table of 127/128 actors', (t) => {
  const write: VersionWrite = { value: Buffer.from('v'), timestamp: 1, expireAt: 0 };
  for (const counter of [126, 127, 16_383, 2 ** 21 - 1, 2 ** 52]) {
    const state = update(EMPTY_VERSIONS, new Map([['b#1', counter], ['c#1', 3]]), 'a#1', write).versions;
    const current = encodeVersions(state);
    const fast = encodeLocalWrite(current, 'b#1', write);
    t.true(fast.equals(slowLocalWrite(current, 'b#1', write)), `counter ${counter}`);
    t.is(decodeVersions(fast).clock.get('b#1'), counter + 1);
  }
  for (const actors of [127, 128]) {
    const clock = new Map(Array.from({ length: actors }, (_, i) => [`n${String(i).padStart(3, '0')}#1`, 1] as [Actor, number]));
    const current = encodeVersions(update(EMPTY_VERSIONS, clock, 'n000#1', write).versions);
    for (const actor of ['a#1', 'n050#0', 'z#1', 'n064#1']) {
      t.true(encodeLocalWrite(current, actor, write).equals(slowLocalWrite(current, actor, write)), `${actors} actors, writer ${actor}`);
    }
  }
});

test('encodeLocalWrite: an actor new to the table lands in sorted position, before, between or after the others', (t) => {
  const write: VersionWrite = { value: Buffer.from('x'), timestamp: 10, expireAt: 0 };
  let base = update(EMPTY_VERSIONS, new Map(), 'b#1', write).versions;
  base = merge(base, update(EMPTY_VERSIONS, new Map(), 'd#1', { ...write, timestamp: 11 }).versions).versions;
  const current = encodeVersions(base);
  t.is(base.siblings.length, 2);
  const cases: [Actor, Actor[], number][] = [
    ['a#1', ['a#1', 'b#1', 'd#1'], 0],
    ['b#0', ['b#0', 'b#1', 'd#1'], 0],
    ['b#10', ['b#1', 'b#10', 'd#1'], 1], // 'b#1' is a prefix of 'b#10'
    ['c#1', ['b#1', 'c#1', 'd#1'], 1],
    ['d#1', ['b#1', 'd#1'], 1],
    ['e#1', ['b#1', 'd#1', 'e#1'], 2],
    ['b#1', ['b#1', 'd#1'], 0],
  ];
  for (const [actor, order, index] of cases) {
    const record = encodeLocalWrite(current, actor, write);
    t.true(record.equals(slowLocalWrite(current, actor, write)), actor);
    const decoded = decodeVersions(record);
    t.deepEqual([...decoded.clock.keys()], order, actor);
    t.is(decoded.siblings.length, 1, `${actor}: the write supersedes both siblings`);
    t.deepEqual(decoded.siblings[0].dot, { actor, counter: (base.clock.get(actor) ?? 0) + 1 });
    t.is(record[1 + 1 + order.reduce((size, a) => size + 1 + a.length + 1, 0) + 1], index, `${actor}: the sibling's actor index`);
  }
});

test('encodeLocalWrite: non-ASCII actors, whose UTF-8 order is not their string order, take the decoding path', (t) => {
  // U+FFFF < U+1F600 as UTF-8 bytes, but '\uffff' > '\ud83d' as JS strings: the table follows the strings.
  const write: VersionWrite = { value: Buffer.from('v'), timestamp: 3, expireAt: 0 };
  const emoji = '\u{1f600}#1';
  const high = '\uffff#1';
  for (const [first, second] of [[emoji, high], [high, emoji], ['a#1', high], [emoji, 'a#1'], ['nœud#1', 'n#1'], ['n#1', 'nœud#2']]) {
    const current = encodeLocalWrite(null, first, write);
    const record = encodeLocalWrite(current, second, write);
    t.true(record.equals(slowLocalWrite(current, second, write)), `${first} then ${second}`);
    t.deepEqual([...decodeVersions(record).clock.keys()], [first, second].sort());
    // Then an ASCII writer, on a table whose actors are in string order, not byte order.
    for (const third of ['a#1', 'zz#1']) t.true(encodeLocalWrite(record, third, write).equals(slowLocalWrite(record, third, write)), `then ${third}`);
  }
  // A non-ASCII table that is bad elsewhere is rejected as decodeVersions rejects it.
  const bad = Buffer.concat([encodeLocalWrite(null, 'nœud#1', write), Buffer.from([0])]);
  t.throws(() => encodeLocalWrite(bad, 'n#1', write), { instanceOf: CorruptVersionsError, message: /trailing bytes/ });
});

/** A buffer holding record at offset pad, with garbage around it. */
function embed(rand: () => number, record: Buffer, pad: number, after = 7): Buffer {
  const garbage = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  return Buffer.concat([garbage(pad), record, garbage(after)]);
}

const fresh = (): WinnerLocation => ({ valueOffset: 0, valueLength: 0, expireAt: 0, siblings: 0, type: 0 });

test('locateWinner agrees with decodeVersions and decodeWinner, for a record at any offset in a larger buffer', (t) => {
  const rand = prng(7);
  const out = fresh(); // one location, reused by every call
  for (const [n, state] of randomStates(rand, 600).entries()) {
    const record = encodeVersions(state);
    const pad = pick(rand, [0, 1, 5, 300]);
    const bytes = embed(rand, record, pad);
    locateWinner(bytes, pad, pad + record.length, out);
    const top = state.siblings[0];
    const slow = decodeWinner(record);
    const value = out.valueLength < 0 ? null : bytes.subarray(out.valueOffset, out.valueOffset + out.valueLength);
    const problems = [
      out.siblings !== state.siblings.length && `siblings ${out.siblings} != ${state.siblings.length}`,
      out.expireAt !== (top?.expireAt ?? 0) && 'expireAt differs',
      (value === null) !== ((top?.value ?? null) === null) && 'tombstone differs',
      value !== null && !value.equals(top.value as Buffer) && 'value bytes differ',
      value !== null && out.valueOffset !== pad + (slow?.value as Buffer).byteOffset - record.byteOffset && 'valueOffset is not absolute',
      value === null && out.valueOffset !== -1 && 'valueOffset of no value is not -1',
      (slow === null) !== (top === undefined) && 'decodeWinner disagrees',
    ].filter(Boolean);
    if (problems.length > 0) return t.fail(`state ${n} at ${pad}: ${problems.join(', ')}`);
  }
  const empty = encodeVersions(EMPTY_VERSIONS);
  locateWinner(empty, 0, empty.length, out);
  t.deepEqual(out, { valueOffset: -1, valueLength: -1, expireAt: 0, siblings: 0, type: 0 });
});

/** 'rejected' for a CorruptVersionsError, a description of any other error, else the result. */
function outcome<T>(run: () => T): T | string {
  try {
    return run();
  } catch (error) {
    return error instanceof CorruptVersionsError ? 'rejected' : `unexpected ${String(error)}`;
  }
}

function located(bytes: Buffer, start: number, end: number): WinnerLocation | string {
  return outcome(() => {
    const out = fresh();
    locateWinner(bytes, start, end, out);
    return out;
  });
}

test('every truncated record is rejected; locateWinner never reads past the end it is given', (t) => {
  const rand = prng(99);
  const records = randomStates(rand, 60)
    .filter((s) => s.siblings.length > 0)
    .map(encodeVersions)
    .filter((r) => r.length < 3000);
  t.true(records.length > 20);
  const write: VersionWrite = { value: Buffer.from('w'), timestamp: 1, expireAt: 0 };
  for (const record of records) {
    const pad = 3;
    const bytes = embed(rand, record, pad); // what follows a cut is the rest of the record: valid bytes to misread
    const whole = located(bytes, pad, pad + record.length);
    for (let cut = 0; cut < record.length; cut++) {
      const prefix = Buffer.from(record.subarray(0, cut));
      const fast = outcome(() => encodeLocalWrite(prefix, 'n#1', write));
      if (fast !== 'rejected') return t.fail(`prefix ${cut} of ${record.toString('hex')}: encodeLocalWrite gave ${String(fast)}`);
      const location = located(bytes, pad, pad + cut);
      if (location !== 'rejected' && (typeof location === 'string' || location.valueOffset + location.valueLength > pad + cut || JSON.stringify(location) !== JSON.stringify(whole))) {
        return t.fail(`prefix ${cut} of ${record.toString('hex')}: locateWinner gave ${JSON.stringify(location)}`);
      }
    }
  }
});

test('corrupt records: the fast paths throw only CorruptVersionsError and agree with decodeVersions whenever it accepts', (t) => {
  const rand = prng(4242);
  const records = randomStates(rand, 80)
    .map(encodeVersions)
    .filter((r) => r.length < 600);
  let rejected = 0;
  let acceptedOnlyByFastPath = 0;
  for (let n = 0; n < 20_000; n++) {
    const mutated = mutate(rand, pick(rand, records));
    const actor = pick(rand, WRITERS);
    const write = randomWrite(rand);
    const fast = outcome(() => encodeLocalWrite(mutated, actor, write));
    const slow = outcome(() => slowLocalWrite(mutated, actor, write));
    const full = outcome(() => decodeVersions(mutated));
    const location = located(mutated, 0, mutated.length);
    if (typeof fast === 'string' && fast !== 'rejected') return t.fail(`encodeLocalWrite: ${fast} for ${mutated.toString('hex')}`);
    if (typeof location === 'string' && location !== 'rejected') return t.fail(`locateWinner: ${location} for ${mutated.toString('hex')}`);
    if (fast === 'rejected') rejected++;
    if (typeof slow !== 'string' && (typeof fast === 'string' || !fast.equals(slow))) return t.fail(`encodeLocalWrite differs for ${mutated.toString('hex')}`);
    if (typeof slow === 'string' && typeof fast !== 'string') {
      // It checks the siblings it drops only for bounds, but whatever it makes decodes.
      acceptedOnlyByFastPath++;
      if (typeof outcome(() => decodeVersions(fast)) === 'string') return t.fail(`encodeLocalWrite made a bad record from ${mutated.toString('hex')}`);
    }
    if (typeof full !== 'string') {
      const top = full.siblings[0];
      const value = typeof location === 'string' || location.valueLength < 0 ? null : mutated.subarray(location.valueOffset, location.valueOffset + location.valueLength);
      const agrees = typeof location !== 'string' && location.siblings === full.siblings.length && location.expireAt === (top?.expireAt ?? 0) &&
        (value === null ? (top?.value ?? null) === null : top?.value?.equals(value));
      if (!agrees) return t.fail(`locateWinner disagrees with decodeVersions for ${mutated.toString('hex')}`);
    }
  }
  t.true(rejected > 5000, `${rejected} rejections`);
  t.log(`${rejected} of 20000 mutated records rejected; ${acceptedOnlyByFastPath} accepted by encodeLocalWrite only (bad siblings it drops)`);
});

/** A record written byte by byte, for inputs encodeVersions never makes. */
const raw = (...parts: (number | string)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from([p]))));
/** One actor "a#1" at clock 1, then the given sibling count and bytes. */
const oneActor = (...siblings: (number | string)[]): Buffer => raw(1, 1, 3, 'a#1', 1, ...siblings);

test('errors say what is wrong and where: offsets relative to the record, RangeError for a bad write', (t) => {
  const write: VersionWrite = { value: Buffer.from('v'), timestamp: 1, expireAt: 0 };
  const bad = (record: Buffer, message: RegExp): void => {
    t.throws(() => encodeLocalWrite(record, 'b#1', write), { instanceOf: CorruptVersionsError, message }, record.toString('hex'));
  };
  bad(raw(), /format version at offset 0: truncated/);
  bad(raw(3, 0, 0), /format version at offset 0: 3 is not a known format \(1 to 2\)/);
  bad(raw(1, 0x81, 0x00), /actor count at offset 1: non-minimal varint/);
  bad(raw(1, 1, 100, 'a#1'), /actor 0 at offset 3: 100 bytes announced, 3 left/);
  bad(raw(1, 1, 3, 'a#1'), /clock counter of actor 0 at offset 6: truncated varint/);
  bad(raw(1, 1, 3, 'a#1', 0, 0), /clock counter of actor 0 at offset 6: zero counter/);
  bad(raw(1, 2, 3, 'c#1', 1, 3, 'a#1', 1, 0), /actor 1 at offset 7: actors not in strictly ascending order/);
  bad(raw(1, 2, 3, 'a#1', 1, 3, 'a#1', 1, 0), /actor 1 at offset 7: actors not in strictly ascending order/);
  bad(raw(1, 1, 1, 'a', 1, 0), /actor 0 at offset 2: "a" is not node#incarnation/);
  bad(raw(1, 1, 2, 0xc3, 0x28, 1, 0), /actor 0 at offset 2: not UTF-8/);
  bad(oneActor(1), /sibling 0 actor index at offset 8: truncated varint/);
  bad(oneActor(1, 5, 1, 5, 0, 1), /sibling 0 actor index at offset 8: 5 is not below the actor count 1/);
  bad(oneActor(2, 0, 1, 5, 0, 1, 0, 1, 6, 0, 4, 'x'), /sibling 1 value at offset 18: 3 bytes announced, 1 left/);
  bad(oneActor(1, 0, 1, 5, 0, 1, 0), /end of input at offset 13: 1 trailing bytes/);

  // The table's actors are checked as decodeVersions checks them.
  for (const name of ['a#1', 'a##1', 'a#0', 'a\n#2', '#1', 'a#', 'a#01', 'a#1x', 'a', '']) {
    const record = raw(1, 1, name.length, name, 1, 0);
    const expected = outcome(() => decodeVersions(record)) === 'rejected' ? 'rejected' : 'accepted';
    t.is(outcome(() => encodeLocalWrite(record, 'b#1', write)) === 'rejected' ? 'rejected' : 'accepted', expected, JSON.stringify(name));
  }

  // A bad write is refused as update() refuses it, and a refused actor is never cached.
  for (const [actor, data] of [
    ['no-incarnation', write],
    ['b#01', write],
    ['b#1', { ...write, timestamp: -1 }],
    ['b#1', { ...write, timestamp: 1.5 }],
    ['b#1', { ...write, expireAt: 2 ** 63 * 2 }],
    ['b#1', { ...write, expireAt: 1.5 }],
    ['b#1', { ...write, expireAt: Number.NaN }],
  ] as [Actor, VersionWrite][]) {
    const slow = t.throws(() => slowLocalWrite(null, actor, data), { instanceOf: RangeError });
    t.throws(() => encodeLocalWrite(null, actor, data), { instanceOf: RangeError, message: slow?.message }, actor);
    t.throws(() => encodeLocalWrite(oneActor(0), actor, data), { instanceOf: RangeError, message: slow?.message }, actor);
  }
  t.throws(() => encodeLocalWrite(null, 'no-incarnation', write), { instanceOf: RangeError });

  // locateWinner: offsets in errors count from the record's start, not the buffer's.
  const rand = prng(1);
  const at10 = (record: Buffer): Buffer => embed(rand, record, 10);
  const out = fresh();
  const rejects = (record: Buffer, message: RegExp): void => {
    t.throws(() => locateWinner(at10(record), 10, 10 + record.length, out), { instanceOf: CorruptVersionsError, message }, record.toString('hex'));
  };
  rejects(oneActor(1, 5, 1, 5, 0, 1), /sibling 0 actor index at offset 8: 5 is not below the actor count 1/);
  rejects(oneActor(1, 0, 1, 5, 0, 4, 'x'), /sibling 0 value at offset 13: 3 bytes announced, 1 left/);
  rejects(raw(1, 1, 100, 'a#1'), /actor 0 at offset 3: 100 bytes announced, 3 left/);
  rejects(raw(), /format version at offset 0: truncated/);
  rejects(raw(3), /format version at offset 0: 3 is not a known format \(1 to 2\)/);
  t.deepEqual(out, fresh(), 'out is left unchanged when locateWinner throws');
  const buffer = Buffer.alloc(8);
  for (const [start, end] of [[-1, 4], [4, 3], [0, 9], [0.5, 4]]) {
    t.throws(() => locateWinner(buffer, start, end, out), { instanceOf: RangeError }, `[${start}, ${end})`);
  }
});

test("an expireAt up to 2^63 (Redis's largest int64 expiry, as a double) round-trips through both paths", (t) => {
  for (const expireAt of [2 ** 53 - 1, 2 ** 53, 2 ** 62 + 2 ** 12, 9223372036854775807, 2 ** 63]) {
    const data: VersionWrite = { value: Buffer.from('far'), timestamp: 1_700_000_000_000, expireAt };
    const fast = encodeLocalWrite(null, 'n#1', data);
    t.true(fast.equals(slowLocalWrite(null, 'n#1', data)), `${expireAt}`);
    t.is(decodeVersions(fast).siblings[0].expireAt, expireAt);
    const where: WinnerLocation = { valueOffset: 0, valueLength: 0, expireAt: 0, siblings: 0, type: 0 };
    locateWinner(fast, 0, fast.length, where);
    t.is(where.expireAt, expireAt);
  }
});
