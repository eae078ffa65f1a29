// cluster-ring.test.ts — the hash slot (cluster/ring/slot.ts) and the ring
// (cluster/ring/ring.ts), as pure values: no sockets, no disk (slots against a
// real redis-server's CLUSTER KEYSLOT: cluster-slot-redis.test.ts); a ring
// is the same whatever the order of its members; counts follow weights;
// joins, leaves and weight changes move the fewest partitions; preference
// lists are spread; rings survive JSON.
//
// Load balance, as the issue asks ("with 3..32 nodes, the largest node's
// share of partitions is within 10% of its weighted fair share"), at the
// default Q = 256. A node's fair share is f = Q * weight / total weight; its
// overload is count / f - 1. Asserted, for 3..32 nodes with equal weights and
// with weights 1..3, both for a ring made at once and for one grown a node at
// a time from 3:
// - the largest node (the most partitions) is overloaded by at most 10%;
// - every node owns floor(f) or ceil(f) partitions, the best whole numbers
//   allow, so with equal weights the worst case is ceil(256/k) / (256/k)
//   (9.4% at 28 nodes).
// The worst overload of any node is reported too, but not held to 10%: a
// weight-1 node among weight-3 nodes has f near 4 at 32 nodes, where one
// partition is 25% of its share. Q stays 256: a larger Q shrinks the
// rounding (every count is within one partition of f at any Q), and
// --cluster-partitions is there for that.
import test from 'ava';
import { crc16, keySlot, SLOT_COUNT } from '../cluster/ring/slot';
import { DEFAULT_PARTITIONS, InvalidRingError, Ring, type RingMember } from '../cluster/ring/ring';
import { keySlot as engineKeySlot } from '../engine/index';
import { prng } from './helpers/random';

const Q = DEFAULT_PARTITIONS;

type WeightOf = (index: number) => number;
const equalWeights: WeightOf = () => 1;
const mixedWeights: WeightOf = (i) => 1 + (i % 3);

/** k members named like real nodes. */
function nodes(k: number, weightOf: WeightOf = equalWeights, from = 0): RingMember[] {
  return Array.from({ length: k }, (_, i) => ({ id: `10.0.${Math.floor((from + i) / 250)}.${((from + i) % 250) + 1}:7000`, weight: weightOf(from + i) }));
}

/** The ring of `final` nodes grown one join at a time from 3, as a live cluster gets there. */
function grownRing(final: number, weightOf: WeightOf, q = Q): Ring {
  let ring = Ring.create(nodes(3, weightOf), q);
  for (let i = 3; i < final; i++) ring = ring.withMember(nodes(1, weightOf, i)[0]);
  return ring;
}

function partitionCounts(ring: Ring): Map<string, number> {
  const counts = new Map(ring.members().map((m) => [m.id, 0]));
  for (const owner of ring.partitions()) counts.set(owner, counts.get(owner)! + 1);
  return counts;
}

function fairShares(ring: Ring): Map<string, number> {
  const total = ring.members().reduce((sum, m) => sum + m.weight, 0);
  return new Map(ring.members().map((m) => [m.id, (ring.partitionCount * m.weight) / total]));
}

interface PartitionMove {
  partition: number;
  from: string;
  to: string;
}

function movesBetween(before: Ring, after: Ring): PartitionMove[] {
  const a = before.partitions();
  const b = after.partitions();
  return a.flatMap((from, partition) => (from === b[partition] ? [] : [{ partition, from, to: b[partition] }]));
}

/** Partitions that had to change hands: what nodes gained, summed. */
function fewestMoves(before: Ring, after: Ring): number {
  const old = partitionCounts(before);
  let gained = 0;
  for (const [id, count] of partitionCounts(after)) gained += Math.max(0, count - (old.get(id) ?? 0));
  return gained;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

// --- slots ---

test('crc16 is CRC16/XMODEM: check value 0x31C3, and the hash of a hash tag is the tag', (t) => {
  t.is(crc16(Buffer.from('123456789')), 0x31c3);
  t.is(keySlot(Buffer.from('{user1000}.following')), keySlot(Buffer.from('{user1000}.followers')));
  t.is(keySlot(Buffer.from('{user1000}.following')), crc16(Buffer.from('user1000')) % SLOT_COUNT);
  t.is(keySlot(Buffer.from('foo{}{bar}')), crc16(Buffer.from('foo{}{bar}')) % SLOT_COUNT, 'an empty tag hashes the whole key');
  t.is(keySlot(Buffer.from('foo{{bar}}zap')), crc16(Buffer.from('{bar')) % SLOT_COUNT, 'the tag runs from the first { to the first } after it');
});

test('keySlot reads a view in place and agrees with the engine native keySlot', (t) => {
  const random = prng(16384);
  for (let i = 0; i < 10000; i++) {
    const key = Buffer.from(Array.from({ length: Math.floor(random() * 24) }, () => (random() < 0.2 ? 0x7b + 2 * Math.floor(random() * 2) : Math.floor(random() * 256))));
    const framed = Buffer.concat([Buffer.from('{x}'), key, Buffer.from('}{y')]);
    t.is(keySlot(framed.subarray(3, 3 + key.length)), engineKeySlot(key), `key ${key.toString('hex')}`);
  }
});

// --- ring construction ---

test('create checks its arguments', (t) => {
  for (const q of [0, 3, 100, 1.5, 32768, -256]) t.throws(() => Ring.create(nodes(3), q), { instanceOf: RangeError }, `Q ${q}`);
  t.throws(() => Ring.create([]), { instanceOf: RangeError });
  t.throws(() => Ring.create([...nodes(2), nodes(1)[0]]), { instanceOf: RangeError, message: /appears twice/ });
  for (const weight of [0, -1, 1.5, NaN, 2 ** 21]) t.throws(() => Ring.create([{ id: 'a:1', weight }]), { instanceOf: RangeError }, `weight ${weight}`);
  t.throws(() => Ring.create([{ id: '', weight: 1 }]), { instanceOf: RangeError });
  for (const q of [1, 2, 256, 1024, 16384]) t.is(Ring.create(nodes(3), q).partitionCount, q);
});

test('partitionOf groups the slots into Q equal contiguous partitions', (t) => {
  for (const q of [1, 16, 256, 16384]) {
    const ring = Ring.create(nodes(3), q);
    const size = SLOT_COUNT / q;
    t.is(ring.slotsPerPartition, size);
    for (let slot = 0; slot < SLOT_COUNT; slot += 97) t.is(ring.partitionOf(slot), Math.floor(slot / size));
    t.is(ring.partitionOf(0), 0);
    t.is(ring.partitionOf(SLOT_COUNT - 1), q - 1);
    t.deepEqual(ring.preferenceListOfSlot(SLOT_COUNT - 1, 2), ring.preferenceList(q - 1, 2));
  }
  const ring = Ring.create(nodes(3));
  for (const slot of [-1, 16384, 0.5, NaN]) t.throws(() => ring.partitionOf(slot), { instanceOf: RangeError });
  for (const partition of [-1, Q, 1.5]) t.throws(() => ring.owner(partition), { instanceOf: RangeError });
  t.throws(() => ring.preferenceList(0, 0), { instanceOf: RangeError });
});

test('the same members in any order give the same ring, and so do the same changes', (t) => {
  const random = prng(7);
  for (const weightOf of [equalWeights, mixedWeights]) {
    for (const k of [1, 3, 5, 16, 32]) {
      const members = nodes(k, weightOf);
      const ring = Ring.create(members);
      t.deepEqual(ring.members(), [...members].sort((a, b) => (a.id < b.id ? -1 : 1)));
      const joiner = nodes(1, weightOf, k)[0];
      for (let round = 0; round < 5; round++) {
        const other = Ring.create(shuffled(members, random));
        t.deepEqual(other.toJSON(), ring.toJSON());
        t.deepEqual(other.withMember(joiner).toJSON(), ring.withMember(joiner).toJSON());
        if (k > 1) t.deepEqual(other.withoutMember(members[round % k].id).toJSON(), ring.withoutMember(members[round % k].id).toJSON());
      }
    }
  }
});

test('weights: a node owns floor or ceil of its share Q * weight / total, so weight 2 owns twice weight 1', (t) => {
  const exact = partitionCounts(Ring.create([{ id: 'a:1', weight: 1 }, { id: 'b:1', weight: 2 }, { id: 'c:1', weight: 1 }]));
  t.deepEqual([...exact.values()], [64, 128, 64]);
  const random = prng(12);
  for (let round = 0; round < 200; round++) {
    const q = 2 ** Math.floor(random() * 11);
    const ring = Ring.create(nodes(1 + Math.floor(random() * 40), () => 1 + Math.floor(random() * 5)), q);
    const counts = partitionCounts(ring);
    for (const [id, share] of fairShares(ring)) {
      t.true(Math.abs(counts.get(id)! - share) < 1, `Q ${q}: ${id} owns ${counts.get(id)}, share ${share}`);
    }
  }
});

// --- load balance ---

test('load balance with 3..32 nodes: the largest node is within 10% of its fair share (report)', (t) => {
  for (const [label, weightOf] of [
    ['equal weights', equalWeights],
    ['weights 1..3', mixedWeights],
  ] as const) {
    const lines: string[] = [];
    let worstLargest = 0;
    let worstAny = 0;
    for (let k = 3; k <= 32; k++) {
      const figures: string[] = [];
      for (const [how, ring] of [
        ['made', Ring.create(nodes(k, weightOf))],
        ['grown', grownRing(k, weightOf)],
      ] as const) {
        const counts = partitionCounts(ring);
        const most = Math.max(...counts.values());
        let largest = 0;
        let any = 0;
        for (const [id, share] of fairShares(ring)) {
          const count = counts.get(id)!;
          t.true(count >= Math.floor(share) && count <= Math.ceil(share), `${label}, ${k} nodes ${how}: ${id} owns ${count}, share ${share.toFixed(2)}`);
          const overload = count / share - 1;
          if (count === most) largest = Math.max(largest, overload);
          any = Math.max(any, overload);
        }
        t.true(largest <= 0.1, `${label}, ${k} nodes ${how}: the largest node is ${pct(largest)} over its fair share`);
        worstLargest = Math.max(worstLargest, largest);
        worstAny = Math.max(worstAny, any);
        figures.push(`${how}: largest +${pct(largest)} (owns ${most}), any node +${pct(any)}`);
      }
      lines.push(`${String(k).padStart(2)} nodes  ${figures.join('; ')}`);
    }
    t.log(`Q=${Q}, ${label}: overload = partitions / (Q * weight / total weight) - 1\n${lines.join('\n')}\nworst: largest node +${pct(worstLargest)}, any node +${pct(worstAny)}`);
  }
});

// --- moves ---

test('a join moves about 1/(nodes+1) of the partitions, all to the new node', (t) => {
  const lines: string[] = [];
  for (const [label, weightOf] of [
    ['equal', equalWeights],
    ['1..3', mixedWeights],
  ] as const) {
    for (let k = 3; k <= 32; k++) {
      for (const ring of [Ring.create(nodes(k, weightOf)), grownRing(k, weightOf)]) {
        const joiner = nodes(1, weightOf, k)[0];
        const after = ring.withMember(joiner);
        const moves = movesBetween(ring, after);
        const share = fairShares(after).get(joiner.id)!;
        t.is(moves.length, fewestMoves(ring, after), `${label}, ${k} nodes: no partition moves needlessly`);
        t.true(moves.length <= Math.ceil(share), `${label}, ${k} nodes: ${moves.length} moved, the new node's share is ${share.toFixed(2)}`);
        if (weightOf === equalWeights) t.true(moves.length <= Math.ceil(Q / (k + 1)));
        t.true(moves.every((m) => m.to === joiner.id), `${label}, ${k} nodes: only the new node receives`);
      }
    }
    const ring = Ring.create(nodes(8, weightOf));
    const joiner = nodes(1, weightOf, 8)[0];
    const moved = movesBetween(ring, ring.withMember(joiner)).length;
    lines.push(`weights ${label}: 8 -> 9 nodes moves ${moved} of ${Q} (${pct(moved / Q)}; new node's share ${pct(joiner.weight / (nodes(9, weightOf).reduce((s, m) => s + m.weight, 0)))})`);
  }
  t.log(lines.join('\n'));
});

test('a leave moves only the leaving node partitions', (t) => {
  for (const weightOf of [equalWeights, mixedWeights]) {
    for (let k = 3; k <= 32; k++) {
      const ring = grownRing(k, weightOf);
      for (const leaver of ring.members()) {
        const after = ring.withoutMember(leaver.id);
        const moves = movesBetween(ring, after);
        t.deepEqual(
          moves.map((m) => m.partition),
          ring.partitionsOf(leaver.id),
          `${k} nodes without ${leaver.id}`,
        );
        const counts = partitionCounts(after);
        for (const [id, share] of fairShares(after)) t.true(Math.abs(counts.get(id)! - share) < 1);
      }
    }
  }
});

test('a weight change moves the fewest partitions, to or from that node', (t) => {
  for (let k = 3; k <= 32; k++) {
    const ring = grownRing(k, mixedWeights);
    for (const member of ring.members()) {
      for (const weight of [1, 2, 3, 5]) {
        const after = ring.withWeight(member.id, weight);
        const moves = movesBetween(ring, after);
        t.is(moves.length, fewestMoves(ring, after), `${k} nodes, ${member.id} weight ${member.weight} -> ${weight}`);
        t.true(moves.every((m) => m.from === member.id || m.to === member.id));
        const counts = partitionCounts(after);
        for (const [id, share] of fairShares(after)) t.true(Math.abs(counts.get(id)! - share) < 1);
        if (weight === member.weight) t.deepEqual(after.toJSON(), ring.toJSON());
      }
    }
  }
});

test('churn: 600 random joins, leaves and weight changes keep counts in quota and move the fewest', (t) => {
  const random = prng(2024);
  let ring = Ring.create(nodes(5, mixedWeights));
  let nextNode = 5;
  let moved = 0;
  for (let step = 0; step < 600; step++) {
    const members = ring.members();
    const pick = members[Math.floor(random() * members.length)];
    const choice = random();
    const after =
      members.length < 3 || (choice < 0.45 && members.length < 40)
        ? ring.withMember(nodes(1, () => 1 + Math.floor(random() * 3), nextNode++)[0])
        : choice < 0.8
          ? ring.withoutMember(pick.id)
          : ring.withWeight(pick.id, 1 + Math.floor(random() * 3));
    const moves = movesBetween(ring, after);
    t.is(moves.length, fewestMoves(ring, after), `step ${step}`);
    const counts = partitionCounts(after);
    for (const [id, share] of fairShares(after)) t.true(Math.abs(counts.get(id)! - share) < 1, `step ${step}: ${id}`);
    moved += moves.length;
    ring = after;
  }
  const spread = replicaSpread(ring, 3);
  t.log(`${moved} partitions moved in 600 changes; at the end ${ring.members().length} nodes, N=3 lists spanning 3 partitions: ${pct(spread.tight)}, replica load ${spread.low.toFixed(2)}..${spread.high.toFixed(2)} of even`);
});

// --- preference lists ---

interface ReplicaSpread {
  /** Share of partitions whose list is its own and the next N-1 partitions' owners. */
  tight: number;
  /** Lowest and highest over nodes of (lists it is in) / (its partitions * list length): 1 is even. */
  low: number;
  high: number;
}

function replicaSpread(ring: Ring, n: number): ReplicaSpread {
  const owners = ring.partitions();
  const counts = partitionCounts(ring);
  const appearances = new Map<string, number>();
  let tight = 0;
  let length = 0;
  for (let p = 0; p < ring.partitionCount; p++) {
    const list = ring.preferenceList(p, n);
    length = list.length;
    if (list.every((id, step) => owners[(p + step) % ring.partitionCount] === id)) tight++;
    for (const id of list) appearances.set(id, (appearances.get(id) ?? 0) + 1);
  }
  const ratios = [...counts].filter(([, count]) => count > 0).map(([id, count]) => appearances.get(id)! / (count * length));
  return { tight: tight / ring.partitionCount, low: Math.min(...ratios), high: Math.max(...ratios) };
}

test('a preference list is the first n distinct nodes clockwise, fewer when fewer nodes', (t) => {
  const one = Ring.create(nodes(1));
  t.deepEqual(one.preferenceList(5, 3), [nodes(1)[0].id]);
  const two = Ring.create(nodes(2));
  t.is(two.preferenceList(0, 3).length, 2);
  for (const ring of [Ring.create(nodes(5, mixedWeights)), grownRing(12, mixedWeights).withoutMember(nodes(1, mixedWeights, 4)[0].id)]) {
    const owners = ring.partitions();
    for (let p = 0; p < Q; p++) {
      for (const n of [1, 2, 3, 5]) {
        const list = ring.preferenceList(p, n);
        t.is(list.length, Math.min(n, ring.members().length));
        t.is(new Set(list).size, list.length);
        t.is(list[0], ring.owner(p));
        let step = 0;
        for (const id of list) {
          while (owners[(p + step) % Q] !== id) step++;
        }
        const walked = new Set(Array.from({ length: step + 1 }, (_, s) => owners[(p + s) % Q]));
        t.deepEqual([...walked], list, `partition ${p}, n ${n}: nodes met walking clockwise, in order`);
      }
    }
  }
});

test('replicas spread: N=3 lists are 3 adjacent partitions, each node in lists as often as it owns (report)', (t) => {
  const lines: string[] = [];
  for (let k = 3; k <= 32; k++) {
    const made = replicaSpread(Ring.create(nodes(k)), 3);
    const grown = grownRing(k, equalWeights);
    const spread = replicaSpread(grown, 3);
    const left = replicaSpread(grown.withMember(nodes(1, equalWeights, k)[0]).withoutMember(nodes(1)[0].id), 3);
    for (const [how, s] of [
      ['made', made],
      ['grown', spread],
    ] as const) {
      t.true(s.tight >= 0.98, `${k} nodes ${how}: ${pct(s.tight)} tight`);
      t.true(s.low >= 0.95 && s.high <= 1.05, `${k} nodes ${how}: replica load ${s.low}..${s.high}`);
    }
    t.true(left.low >= 0.8 && left.high <= 1.2, `${k} nodes after a join and a leave: replica load ${left.low}..${left.high}`);
    lines.push(
      `${String(k).padStart(2)} nodes  made ${pct(made.tight)} tight, load ${made.low.toFixed(2)}..${made.high.toFixed(2)}; ` +
        `grown ${pct(spread.tight)}, ${spread.low.toFixed(2)}..${spread.high.toFixed(2)}; ` +
        `+1 -1 ${pct(left.tight)}, ${left.low.toFixed(2)}..${left.high.toFixed(2)}`,
    );
  }
  t.log(`Q=${Q}, equal weights, N=3: tight = lists that are 3 adjacent partitions; load = lists a node is in / (3 * its partitions)\n${lines.join('\n')}`);
});

// --- serialisation and errors ---

test('toJSON / fromJSON round-trip through JSON text, with 1- and 2-byte owners', (t) => {
  for (const ring of [Ring.create(nodes(1), 1), grownRing(12, mixedWeights), Ring.create(nodes(300, mixedWeights), 1024), Ring.create(nodes(5), 16384)]) {
    const json = JSON.stringify(ring);
    const back = Ring.fromJSON(JSON.parse(json));
    t.deepEqual(back.toJSON(), ring.toJSON());
    t.deepEqual(back.partitions(), ring.partitions());
    t.deepEqual(back.members(), ring.members());
  }
  const json = JSON.stringify(Ring.create(nodes(32)));
  t.log(`a 32-node ring of ${Q} partitions is ${json.length} bytes of JSON`);
});

test('fromJSON rejects a bad ring with InvalidRingError', (t) => {
  const good = Ring.create(nodes(3), 4).toJSON();
  const owners = (bytes: number[]): string => Buffer.from(bytes).toString('base64');
  const bad: unknown[] = [
    null,
    'ring',
    { ...good, partitions: 3 },
    { ...good, partitions: 32768 },
    { ...good, members: [] },
    { ...good, members: 'a' },
    { ...good, members: [good.members[1], good.members[0], good.members[2]] },
    { ...good, members: [good.members[0], good.members[0], good.members[2]] },
    { ...good, members: [{ id: good.members[0].id, weight: 0 }, ...good.members.slice(1)] },
    { ...good, members: [{ id: '', weight: 1 }, ...good.members.slice(1)] },
    { ...good, owners: 7 },
    { ...good, owners: owners([0, 1, 2]) },
    { ...good, owners: owners([0, 1, 2, 3]) },
    { ...good, owners: owners([0, 1, 2, 0]).replace(/=*$/, '') },
    { ...good, owners: '!!!!!!!!' },
  ];
  for (const json of bad) t.throws(() => Ring.fromJSON(json), { instanceOf: InvalidRingError }, JSON.stringify(json));
  t.notThrows(() => Ring.fromJSON({ ...good, owners: owners([0, 1, 2, 0]) }));
});

test('membership changes check their arguments', (t) => {
  const ring = Ring.create(nodes(3));
  const [first] = ring.members();
  t.throws(() => ring.withMember(first), { instanceOf: RangeError, message: /already/ });
  t.throws(() => ring.withMember({ id: 'x:1', weight: 0 }), { instanceOf: RangeError });
  t.throws(() => ring.withoutMember('x:1'), { instanceOf: RangeError, message: /not in the ring/ });
  t.throws(() => ring.withWeight('x:1', 2), { instanceOf: RangeError });
  t.throws(() => ring.withWeight(first.id, 0), { instanceOf: RangeError });
  t.throws(() => Ring.create(nodes(1)).withoutMember(nodes(1)[0].id), { instanceOf: RangeError, message: /last/ });
  t.throws(() => ring.partitionsOf('x:1'), { instanceOf: RangeError });
  t.deepEqual(
    ring.members().flatMap((m) => ring.partitionsOf(m.id)).sort((a, b) => a - b),
    Array.from({ length: Q }, (_, p) => p),
  );
});
