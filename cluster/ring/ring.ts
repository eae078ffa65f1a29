// cluster/ring/ring.ts — the ring: which node owns each partition, and every key's
// preference list. Dynamo's strategy 3: the 16384 slots form Q equal
// partitions (a partition is slots [p * 16384/Q, (p + 1) * 16384/Q)), and
// nodes own whole partitions in proportion to their weight. A Ring is an
// immutable value with no clocks, network or disk: every node given the same
// member list builds the same ring, and a changed ring is computed from the
// previous one, so the membership layer can gossip rings and transfer only
// the partitions whose owner changed.
//
// Placement rules:
// - Counts: every node owns floor or ceil of its quota Q * weight / total
//   weight (a quota method, largest remainder for a new ring). On a change,
//   the ceilings go first to nodes that would otherwise give a partition
//   away, then to nodes that receive anyway, so the fewest partitions move:
//   a join moves only partitions to the new node (weights equal), a leave
//   moves only the leaving node's partitions.
// - Positions: a new ring interleaves the owners (smooth weighted round
//   robin), so a node's partitions are evenly spaced and N consecutive
//   partitions tend to have N different owners. On a change, only the
//   partitions that must move do (a leaving node's, and the surplus of nodes
//   above their count: the most loaded give, the least loaded take); they go
//   one at a time to the node below its count for which they land farthest
//   from its own other partitions, so its partitions stay spread out.
// - Preference list of a partition: the first N distinct nodes met walking
//   clockwise from it.
import { SLOT_COUNT } from './slot';

/** A node of the ring: its id (host:port) and its weight, a positive integer. */
export interface RingMember {
  readonly id: string;
  readonly weight: number;
}

/** One entry of an annotated preference list: a node and whether it is one of the N primaries or a fallback. */
export interface PreflistEntry {
  readonly node: string;
  readonly role: 'primary' | 'fallback';
}

/** A ring as plain JSON, for gossip: members sorted by id, owners as base64 member indices. */
export interface RingJSON {
  readonly partitions: number;
  readonly members: readonly RingMember[];
  /** One member index per partition, 1 byte each (2 big-endian when more than 256 members), base64. */
  readonly owners: string;
}

/** A gossiped ring that is not a valid RingJSON. */
export class InvalidRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRingError';
  }
}

export const DEFAULT_PARTITIONS = 256;
export const MAX_WEIGHT = 1 << 20;
/** More nodes than slots would leave some owning nothing at any Q. */
export const MAX_MEMBERS = SLOT_COUNT;

/** A partition whose owner left and that no node has taken yet. */
const UNOWNED = -1;

export class Ring {
  private constructor(
    /** Q, a power of two from 1 to 16384. */
    readonly partitionCount: number,
    /** Sorted by id; a member's index is its number in `owners`. */
    private readonly sortedMembers: readonly RingMember[],
    private readonly owners: Uint16Array,
  ) {}

  /** The ring of these members, whatever their order. */
  static create(members: readonly RingMember[], partitionCount = DEFAULT_PARTITIONS): Ring {
    checkPartitionCount(partitionCount);
    const sorted = sortedMembers(members);
    const counts = apportion(sorted, partitionCount, null);
    return new Ring(partitionCount, sorted, interleave(counts, partitionCount));
  }

  /** Decodes toJSON's output, checking everything; throws InvalidRingError. */
  static fromJSON(json: unknown): Ring {
    const fail = (problem: string): never => {
      throw new InvalidRingError(`invalid ring: ${problem}`);
    };
    if (typeof json !== 'object' || json === null) return fail('not an object');
    const { partitions, members, owners } = json as Record<string, unknown>;
    if (!isPartitionCount(partitions)) return fail(`partitions ${String(partitions)} is not a power of two from 1 to ${SLOT_COUNT}`);
    if (!Array.isArray(members) || members.length === 0 || members.length > MAX_MEMBERS) return fail(`members is not a list of 1 to ${MAX_MEMBERS}`);
    const parsed: RingMember[] = [];
    for (const m of members as unknown[]) {
      const { id, weight } = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
      if (!isMemberId(id) || !isWeight(weight)) return fail(`member ${JSON.stringify(m)} is not { id, weight }`);
      if (parsed.length > 0 && parsed[parsed.length - 1].id >= id) return fail(`members are not in strictly ascending id order at ${JSON.stringify(id)}`);
      parsed.push(Object.freeze({ id, weight }));
    }
    if (typeof owners !== 'string') return fail('owners is not a string');
    const bytes = Buffer.from(owners, 'base64');
    if (bytes.toString('base64') !== owners) return fail('owners is not canonical base64');
    const width = ownerWidth(parsed.length);
    if (bytes.length !== partitions * width) return fail(`owners holds ${bytes.length} bytes, expected ${partitions * width}`);
    const decoded = new Uint16Array(partitions);
    for (let p = 0; p < partitions; p++) {
      decoded[p] = width === 1 ? bytes[p] : bytes.readUInt16BE(p * 2);
      if (decoded[p] >= parsed.length) return fail(`partition ${p} names member ${decoded[p]} of ${parsed.length}`);
    }
    return new Ring(partitions, parsed, decoded);
  }

  toJSON(): RingJSON {
    const width = ownerWidth(this.sortedMembers.length);
    const bytes = Buffer.alloc(this.partitionCount * width);
    for (let p = 0; p < this.partitionCount; p++) {
      if (width === 1) bytes[p] = this.owners[p];
      else bytes.writeUInt16BE(this.owners[p], p * 2);
    }
    return { partitions: this.partitionCount, members: this.members(), owners: bytes.toString('base64') };
  }

  /** This ring plus a node, which takes partitions from the most loaded nodes. */
  withMember(member: RingMember): Ring {
    checkMember(member);
    if (this.indexOf(member.id) >= 0) throw new RangeError(`member ${member.id} is already in the ring`);
    if (this.sortedMembers.length >= MAX_MEMBERS) throw new RangeError(`a ring holds at most ${MAX_MEMBERS} members`);
    const members = sortedMembers([...this.sortedMembers, member]);
    return this.rebalanced(members, (old) => (this.sortedMembers[old].id < member.id ? old : old + 1));
  }

  /** This ring without a node, whose partitions go to the least loaded nodes. */
  withoutMember(id: string): Ring {
    const leaving = this.existingIndex(id);
    if (this.sortedMembers.length === 1) throw new RangeError(`member ${id} is the last one; a ring needs a member`);
    const members = this.sortedMembers.filter((_, i) => i !== leaving);
    return this.rebalanced(members, (old) => (old === leaving ? UNOWNED : old > leaving ? old - 1 : old));
  }

  /** This ring with a node's weight changed. */
  withWeight(id: string, weight: number): Ring {
    const changed = this.existingIndex(id);
    checkMember({ id, weight });
    const members = this.sortedMembers.map((m, i) => (i === changed ? Object.freeze({ id, weight }) : m));
    return this.rebalanced(members, (old) => old);
  }

  /** Slots per partition, 16384 / Q. */
  get slotsPerPartition(): number {
    return SLOT_COUNT / this.partitionCount;
  }

  partitionOf(slot: number): number {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot} is not an integer from 0 to ${SLOT_COUNT - 1}`);
    return Math.floor(slot / this.slotsPerPartition);
  }

  owner(partition: number): string {
    this.checkPartition(partition);
    return this.sortedMembers[this.owners[partition]].id;
  }

  /** The first n distinct nodes clockwise from the partition (fewer when fewer nodes own partitions). */
  preferenceList(partition: number, n: number): string[] {
    this.checkPartition(partition);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`preference list length ${n} is not a positive integer`);
    const list: string[] = [];
    for (let step = 0; step < this.partitionCount && list.length < n; step++) {
      const id = this.sortedMembers[this.owners[(partition + step) % this.partitionCount]].id;
      if (!list.includes(id)) list.push(id);
    }
    return list;
  }

  /**
   * The partition's preference list annotated as riak_core_apl does: its n
   * primaries, then every other member in ring order as a fallback (the
   * nodes a sloppy quorum hands a down primary's writes to, nearest first).
   */
  annotatedPreferenceList(partition: number, n: number): PreflistEntry[] {
    const all = this.preferenceList(partition, this.sortedMembers.length);
    return all.map((node, i) => ({ node, role: i < n ? 'primary' : 'fallback' }));
  }

  /** The preference list of the partition holding the slot. */
  preferenceListOfSlot(slot: number, n: number): string[] {
    return this.preferenceList(this.partitionOf(slot), n);
  }

  /** The owner of every partition, indexed by partition. */
  partitions(): string[] {
    return Array.from(this.owners, (index) => this.sortedMembers[index].id);
  }

  /** The partitions a member owns, ascending. */
  partitionsOf(id: string): number[] {
    const index = this.existingIndex(id);
    const owned: number[] = [];
    this.owners.forEach((owner, p) => owner === index && owned.push(p));
    return owned;
  }

  /** The members, sorted by id. */
  members(): RingMember[] {
    return [...this.sortedMembers];
  }

  private indexOf(id: string): number {
    return this.sortedMembers.findIndex((m) => m.id === id);
  }

  private existingIndex(id: string): number {
    const index = this.indexOf(id);
    if (index < 0) throw new RangeError(`member ${id} is not in the ring`);
    return index;
  }

  private checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitionCount) {
      throw new RangeError(`partition ${partition} is not an integer from 0 to ${this.partitionCount - 1}`);
    }
  }

  /** A ring of the new members, from this ring's owners renumbered by newIndex (UNOWNED for a leaver). */
  private rebalanced(members: readonly RingMember[], newIndex: (old: number) => number): Ring {
    const owners = Int32Array.from(this.owners, newIndex);
    const counts = new Int32Array(members.length);
    for (const owner of owners) if (owner !== UNOWNED) counts[owner]++;
    moveToTargets(owners, counts, apportion(members, this.partitionCount, counts));
    return new Ring(this.partitionCount, members, Uint16Array.from(owners));
  }
}

/**
 * How many partitions each member owns: floor or ceil of its quota (a whole
 * quota has no ceiling above it). The ceilings go by largest remainder, then
 * id; with current counts, first to members holding more than their floor
 * (they keep a partition), then to members below their floor (they receive
 * anyway), so the fewest move.
 */
function apportion(members: readonly RingMember[], partitionCount: number, current: Int32Array | null): Int32Array {
  const totalWeight = members.reduce((sum, m) => sum + m.weight, 0);
  const counts = new Int32Array(members.length);
  const remainders = members.map((m, i) => {
    const share = partitionCount * m.weight;
    counts[i] = (share - (share % totalWeight)) / totalWeight;
    return share % totalWeight;
  });
  const floors = Int32Array.from(counts);
  const fractional = (i: number): number => (remainders[i] > 0 ? 1 : 0);
  const keeps = (i: number): number => (current !== null && current[i] > floors[i] ? 1 : 0);
  const receives = (i: number): number => (current !== null && current[i] < floors[i] ? 1 : 0);
  const order = members.map((_, i) => i);
  order.sort(
    (a, b) => fractional(b) - fractional(a) || keeps(b) - keeps(a) || receives(b) - receives(a) || remainders[b] - remainders[a] || a - b,
  );
  const ceilings = partitionCount - counts.reduce((sum, c) => sum + c, 0);
  for (let k = 0; k < ceilings; k++) counts[order[k]]++;
  return counts;
}

/**
 * A new ring's owners by smooth weighted round robin: each partition goes
 * to the member with the most credit, credit grows by the member's count
 * and drops by Q when it takes one, so a member's partitions are spread
 * evenly around the ring (and the sequence wraps around seamlessly).
 */
function interleave(counts: Int32Array, partitionCount: number): Uint16Array {
  const owners = new Uint16Array(partitionCount);
  const credit = new Int32Array(counts.length);
  for (let p = 0; p < partitionCount; p++) {
    let richest = 0;
    for (let i = 0; i < counts.length; i++) {
      credit[i] += counts[i];
      if (credit[i] > credit[richest]) richest = i;
    }
    credit[richest] -= partitionCount;
    owners[p] = richest;
  }
  return owners;
}

/** A candidate move of a partition to a receiver. */
interface Move {
  /** From the partition to the receiver's nearest own partition. */
  readonly distance: number;
  readonly partition: number;
  readonly receiver: number;
}

/** Negative when a goes first: the farthest, then the lowest partition and id. */
function moveOrder(a: Move, b: Move): number {
  return b.distance - a.distance || a.partition - b.partition || a.receiver - b.receiver;
}

/**
 * Moves partitions until every member owns its target count, moving only
 * unowned partitions and the surplus of members above target: exactly the
 * fewest moves, and who gives and who takes how many is fixed by the targets
 * (the most loaded give, the least loaded take). What is left to choose is
 * where: each move is the first in moveOrder over every member below target
 * and every movable partition, so a receiver's partitions land far apart.
 * The queue is lazy: a move's distance only ever falls, so a popped move
 * whose distance is still current is the first; a stale one goes back with
 * its current distance.
 */
function moveToTargets(owners: Int32Array, counts: Int32Array, targets: Int32Array): void {
  const surplus = counts.map((c, i) => Math.max(0, c - targets[i]));
  const deficit = counts.map((c, i) => Math.max(0, targets[i] - c));
  const receivers = Array.from(deficit.keys()).filter((i) => deficit[i] > 0);
  const distances = new Map(receivers.map((r) => [r, distancesToOwned(owners, r)]));
  const isMovable = (p: number): boolean => owners[p] === UNOWNED || surplus[owners[p]] > 0;
  const rank = (partition: number, receiver: number): Move => ({ distance: distances.get(receiver)![partition], partition, receiver });
  const queue = new MoveQueue();
  const movable = Array.from(owners.keys()).filter(isMovable);
  for (const r of receivers) for (const p of movable) queue.push(rank(p, r));
  for (let move = queue.pop(); move !== undefined; move = queue.pop()) {
    if (deficit[move.receiver] === 0 || !isMovable(move.partition)) continue;
    const distance = distances.get(move.receiver)![move.partition];
    if (distance !== move.distance) {
      queue.push({ ...move, distance });
      continue;
    }
    if (owners[move.partition] !== UNOWNED) surplus[owners[move.partition]]--;
    owners[move.partition] = move.receiver;
    deficit[move.receiver]--;
    claim(distances.get(move.receiver)!, move.partition);
  }
}

/** A binary heap of moves, first in moveOrder on top. */
class MoveQueue {
  private readonly heap: Move[] = [];

  push(move: Move): void {
    const heap = this.heap;
    let i = heap.push(move) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (moveOrder(heap[parent], move) <= 0) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = move;
  }

  pop(): Move | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && moveOrder(heap[child + 1], heap[child]) < 0) child++;
      if (moveOrder(last, heap[child]) <= 0) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/** For every partition, the clockwise-or-counter distance to the member's nearest partition (Q when it owns none). */
function distancesToOwned(owners: Int32Array, member: number): Uint16Array {
  const distance = new Uint16Array(owners.length).fill(owners.length);
  owners.forEach((owner, p) => owner === member && claim(distance, p));
  return distance;
}

/** Updates distances for a newly owned partition, walking out while they shrink. */
function claim(distance: Uint16Array, partition: number): void {
  const partitionCount = distance.length;
  distance[partition] = 0;
  for (let d = 1; d <= partitionCount / 2; d++) {
    const right = (partition + d) % partitionCount;
    const left = (partition - d + partitionCount) % partitionCount;
    if (distance[right] <= d && distance[left] <= d) break;
    distance[right] = Math.min(distance[right], d);
    distance[left] = Math.min(distance[left], d);
  }
}

function ownerWidth(memberCount: number): number {
  return memberCount <= 256 ? 1 : 2;
}

function isPartitionCount(q: unknown): q is number {
  return Number.isInteger(q) && (q as number) >= 1 && (q as number) <= SLOT_COUNT && ((q as number) & ((q as number) - 1)) === 0;
}

function checkPartitionCount(q: number): void {
  if (!isPartitionCount(q)) throw new RangeError(`partition count ${q} is not a power of two from 1 to ${SLOT_COUNT}`);
}

function isMemberId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0;
}

function isWeight(weight: unknown): weight is number {
  return Number.isInteger(weight) && (weight as number) >= 1 && (weight as number) <= MAX_WEIGHT;
}

function checkMember(member: RingMember): void {
  if (!isMemberId(member.id)) throw new RangeError(`member id ${JSON.stringify(member.id)} is not a non-empty string`);
  if (!isWeight(member.weight)) throw new RangeError(`member ${member.id} weight ${member.weight} is not an integer from 1 to ${MAX_WEIGHT}`);
}

/** Checked, frozen copies sorted by id; throws on duplicates. */
function sortedMembers(members: readonly RingMember[]): RingMember[] {
  if (members.length === 0 || members.length > MAX_MEMBERS) throw new RangeError(`a ring needs 1 to ${MAX_MEMBERS} members, got ${members.length}`);
  members.forEach(checkMember);
  const sorted = members.map((m) => Object.freeze({ id: m.id, weight: m.weight }));
  sorted.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].id === sorted[i - 1].id) throw new RangeError(`member ${sorted[i].id} appears twice`);
  }
  return sorted;
}
