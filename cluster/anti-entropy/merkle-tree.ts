// cluster/anti-entropy/merkle-tree.ts — the hash tree of one partition of one
// replica (pure: no engine, bus or clock). Leaves are buckets of keys: the
// partition's slots, each cut into equal sub-buckets by the key's hash, so a
// leaf is a few keys of one slot, found again by scanning that slot. Every
// key adds hash(db, key, record) to its leaf and to each node above it,
// combined by XOR: an update toggles the old contribution out and the new
// one in, so the tree follows every write without being rebuilt, and two
// replicas holding the same records have the same tree whatever the order of
// their writes. A node is 64 bits, two 32-bit lanes of murmur3 seeded apart
// (computed in one pass).
//
// Levels: 0 is the root; level k + 1 holds the FANOUT children of each node
// of level k (the last one fewer); the deepest level is the leaves.

/** Children per node. */
export const FANOUT = 16;
/** Bytes of one node's hash on the wire. */
export const NODE_BYTES = 8;

/**
 * murmur3 x86_32 of data from two seeds at once, into out[0] and out[1]
 * (the mixing of each 4-byte block does not depend on the seed, so it is
 * done once); allocates nothing.
 */
export function murmur3x2(data: Uint8Array, seedA: number, seedB: number, out: Uint32Array): void {
  let a = seedA | 0;
  let b = seedB | 0;
  const end = data.length;
  const blocks = end - (end & 3);
  let i = 0;
  for (; i < blocks; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    a ^= k;
    a = (Math.imul((a << 13) | (a >>> 19), 5) + 0xe6546b64) | 0;
    b ^= k;
    b = (Math.imul((b << 13) | (b >>> 19), 5) + 0xe6546b64) | 0;
  }
  const tail = end - i;
  if (tail > 0) {
    let k = data[i];
    if (tail >= 2) k ^= data[i + 1] << 8;
    if (tail === 3) k ^= data[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    a ^= k;
    b ^= k;
  }
  out[0] = fmix(a ^ end);
  out[1] = fmix(b ^ end);
}

/** murmur3's finalizer: every input bit flips each output bit with probability about one half. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const KEY_SEED_A = 0x2545f491;
const KEY_SEED_B = 0x9e3779b9;

/**
 * A key's hashes in a database: seeds[0] and seeds[1], where its records'
 * contributions start (hash(db, key)); returns a hash of the key alone
 * (any database), which picks its sub-bucket within its slot.
 */
export function keySeeds(db: number, key: Uint8Array, seeds: Uint32Array): number {
  murmur3x2(key, KEY_SEED_A, KEY_SEED_B, seeds);
  const bucket = seeds[0];
  seeds[0] = fmix(seeds[0] ^ Math.imul(db + 1, 0x85ebca6b));
  seeds[1] = fmix(seeds[1] ^ Math.imul(db + 1, 0xc2b2ae35));
  return bucket;
}

/** What a key contributes to its leaf: hash(db, key, record) as two 32-bit lanes, from the key's seeds, written to out[0], out[1]. */
export function contribution(seeds: Uint32Array, record: Uint8Array, out: Uint32Array): void {
  murmur3x2(record, seeds[0], seeds[1], out);
}

export class MerkleTree {
  /** levels[k]: the hashes of level k's nodes, two lanes each. */
  private readonly levels: Uint32Array[];

  constructor(readonly leafCount: number) {
    if (!Number.isSafeInteger(leafCount) || leafCount < 1) throw new RangeError(`leaf count ${leafCount} is not a positive integer`);
    const sizes = [leafCount];
    while (sizes[0] > 1) sizes.unshift(Math.ceil(sizes[0] / FANOUT));
    this.levels = sizes.map((size) => new Uint32Array(size * 2));
  }

  /** Levels, root included: the leaves are level depth - 1. */
  get depth(): number {
    return this.levels.length;
  }

  /** Nodes of a level. */
  size(level: number): number {
    return this.levels[level].length / 2;
  }

  /** XORs a contribution into a leaf and every node above it: adds it, or removes it when it was added before. */
  toggle(leaf: number, a: number, b: number): void {
    if (!(leaf >= 0 && leaf < this.leafCount)) throw new RangeError(`leaf ${leaf} is not within 0..${this.leafCount - 1}`);
    let index = leaf;
    for (let level = this.levels.length - 1; level >= 0; level--) {
      const lanes = this.levels[level];
      lanes[index * 2] ^= a;
      lanes[index * 2 + 1] ^= b;
      index = Math.floor(index / FANOUT);
    }
  }

  /** Every node back to zero (an empty partition). */
  clear(): void {
    for (const lanes of this.levels) lanes.fill(0);
  }

  /** The root's hash, NODE_BYTES bytes written at offset of target. */
  writeRoot(target: Buffer, offset: number): void {
    this.writeNode(0, 0, target, offset);
  }

  /** The children of these nodes of `level` (the nodes of level + 1), NODE_BYTES each, in order. */
  children(level: number, indexes: readonly number[]): Buffer {
    if (!(level >= 0 && level < this.levels.length - 1)) throw new RangeError(`level ${level} has no children (the tree has ${this.levels.length} levels)`);
    const below = level + 1;
    const ranges = indexes.map((i) => this.childRange(level, i));
    const out = Buffer.allocUnsafe(ranges.reduce((sum, [from, to]) => sum + (to - from), 0) * NODE_BYTES);
    let offset = 0;
    for (const [from, to] of ranges) {
      for (let c = from; c < to; c++, offset += NODE_BYTES) this.writeNode(below, c, out, offset);
    }
    return out;
  }

  /** The indexes, at level + 1, of a node's children: [from, to). */
  childRange(level: number, index: number): [number, number] {
    if (!(Number.isInteger(index) && index >= 0 && index < this.size(level))) throw new RangeError(`node ${index} is not within level ${level}'s 0..${this.size(level) - 1}`);
    const from = index * FANOUT;
    return [from, Math.min(from + FANOUT, this.size(level + 1))];
  }

  private writeNode(level: number, index: number, target: Buffer, offset: number): void {
    const lanes = this.levels[level];
    target.writeUInt32BE(lanes[index * 2], offset);
    target.writeUInt32BE(lanes[index * 2 + 1], offset + 4);
  }
}

/** Whether the NODE_BYTES at offset are all zero: a subtree holding no key (or, with odds of 2^-64, keys whose hashes cancel). */
export function emptyNode(hashes: Buffer, offset: number): boolean {
  return hashes.readUInt32BE(offset) === 0 && hashes.readUInt32BE(offset + 4) === 0;
}

/**
 * The children of `nodes` (indexes at `level`) whose hashes differ between
 * two trees of the same shape: `mine` and `theirs` are children() of each,
 * for the same nodes; but not those empty in `theirs` (nothing to pull from
 * there). Returns their indexes at level + 1.
 */
export function differingChildren(tree: MerkleTree, level: number, nodes: readonly number[], mine: Buffer, theirs: Buffer): number[] {
  if (mine.length !== theirs.length) throw new RangeError(`the peer sent ${theirs.length} bytes of hashes for ${mine.length}`);
  const differing: number[] = [];
  let offset = 0;
  for (const node of nodes) {
    const [from, to] = tree.childRange(level, node);
    for (let c = from; c < to; c++, offset += NODE_BYTES) {
      if (!emptyNode(theirs, offset) && mine.compare(theirs, offset, offset + NODE_BYTES, offset, offset + NODE_BYTES) !== 0) differing.push(c);
    }
  }
  return differing;
}
