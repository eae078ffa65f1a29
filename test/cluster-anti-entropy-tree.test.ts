// cluster-anti-entropy-tree.test.ts — anti-entropy's Merkle trees without a
// network: a tree kept up to date write by write equals one rebuilt from the
// store (whatever the order of the writes, overwrites and deletes included);
// two replicas that differ in a few keys differ in exactly the leaves holding
// them, found by descending only into differing subtrees; a flush rebuilds;
// the sync state survives a restart, not a wipe or a long absence.
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { differingChildren, MerkleTree, NODE_BYTES } from '../cluster/anti-entropy/merkle-tree';
import { PartitionTrees } from '../cluster/anti-entropy/partition-trees';
import { SyncState } from '../cluster/anti-entropy/sync-state';
import { ManualClock } from '../cluster/clock';
import { ReplicaStore } from '../cluster/replica/store';
import { keySlot } from '../cluster/ring/slot';
import { encodeVersions } from '../cluster/versions/codec';
import { DEFAULT_MAX_SIBLINGS, actorId, type VersionWrite } from '../cluster/versions/versions';
import { tmpDir } from './helpers/tmpdir';

const A = actorId('node-a', 7);
const B = actorId('node-b', 9);
const PARTITIONS = 16;
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

const put = (value: string, timestamp: number): VersionWrite => ({ value: Buffer.from(value), timestamp, expireAt: 0 });

function openStore(t: ExecutionContext): ReplicaStore {
  const store = new ReplicaStore(tmpDir(t), { fsync: 'no', mergeIntervalMs: 0 }, 4);
  t.teardown(() => store.close());
  return store;
}

/** Trees following the store's writes from now on. */
function follow(store: ReplicaStore): PartitionTrees {
  const trees = new PartitionTrees(store, PARTITIONS, ALL);
  trees.build();
  store.observer = trees;
  return trees;
}

/** Every node of every partition's tree, as bytes. */
function snapshot(trees: PartitionTrees): Buffer {
  const parts: Buffer[] = [trees.roots()];
  for (const p of ALL) {
    const tree = trees.tree(p);
    for (let level = 0; level < tree.depth - 1; level++) parts.push(tree.children(level, Array.from({ length: tree.size(level) }, (_, i) => i)));
  }
  return Buffer.concat(parts);
}

/** A seeded pseudo-random sequence (xorshift32), so a failure reproduces. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('a tree kept up to date write by write equals the tree rebuilt from the store', (t) => {
  const store = openStore(t);
  const trees = follow(store);
  const next = random(42);
  for (let i = 0; i < 3000; i++) {
    const key = Buffer.from(`key:${Math.floor(next() * 800)}`);
    const db = Math.floor(next() * 3);
    const what = next();
    if (what < 0.5) store.localWrite(db, key, A, put(`v${i}`, i));
    else if (what < 0.7) store.localWrite(db, key, A, { value: null, timestamp: i, expireAt: 0 });
    else if (what < 0.85) store.coordinate(db, key, 'local', B, put(`c${i}`, i), DEFAULT_MAX_SIBLINGS);
    else {
      // A peer's record, merged in (replication, read repair, anti-entropy).
      const other = { clock: new Map([[B, i + 1]]), siblings: [{ dot: { actor: B, counter: i + 1 }, node: 'node-b', value: Buffer.from(`p${i}`), timestamp: i, expireAt: 0 }] };
      store.applyRecord(db, key, encodeVersions(other), DEFAULT_MAX_SIBLINGS);
    }
  }
  const rebuilt = new PartitionTrees(store, PARTITIONS, ALL);
  rebuilt.build();
  t.true(snapshot(trees).equals(snapshot(rebuilt)), 'incremental and rebuilt trees are equal, node for node');
  t.false(trees.roots().equals(Buffer.alloc(PARTITIONS * NODE_BYTES)), 'the roots are not all zero');
});

test('the same records written in another order give the same trees; one changed key changes its own leaf only', (t) => {
  const one = openStore(t);
  const two = openStore(t);
  const treesOne = follow(one);
  const treesTwo = follow(two);
  const keys = Array.from({ length: 2000 }, (_, i) => Buffer.from(`user:${i}`));
  const records = keys.map((_, i) => encodeVersions({ clock: new Map([[A, 1]]), siblings: [{ dot: { actor: A, counter: 1 }, node: 'node-a', value: Buffer.from(`value ${i}`), timestamp: 1000, expireAt: 0 }] }));
  keys.forEach((key, i) => one.applyRecord(0, key, records[i], DEFAULT_MAX_SIBLINGS));
  for (let i = keys.length - 1; i >= 0; i--) two.applyRecord(0, keys[i], records[i], DEFAULT_MAX_SIBLINGS);
  t.true(snapshot(treesOne).equals(snapshot(treesTwo)));

  // Replica two misses a write of three keys and holds one key in db 1 the other lacks.
  const changed = [keys[7], keys[1200], keys[1999]];
  for (const key of changed) one.localWrite(0, key, A, put('newer', 2000));
  two.localWrite(1, Buffer.from('only-on-two'), B, put('x', 3000));
  const expected = new Set([...changed, Buffer.from('only-on-two')].map((k) => k.toString()));

  const found = new Set<string>();
  const roots = [treesOne.roots(), treesTwo.roots()];
  for (const p of ALL) {
    const range = [p * NODE_BYTES, (p + 1) * NODE_BYTES] as const;
    if (roots[0].compare(roots[1], ...range, ...range) === 0) continue;
    const tree = treesOne.tree(p);
    let nodes = [0];
    for (let level = 0; level < tree.depth - 1; level++) nodes = differingChildren(tree, level, nodes, tree.children(level, nodes), treesTwo.tree(p).children(level, nodes));
    t.true(nodes.length <= 2, `partition ${p}: ${nodes.length} differing leaves for at most 2 differing keys`);
    const mine = new Map(treesOne.leafEntries(p, nodes).map((e) => [`${e.db} ${e.key.toString()}`, e.hash]));
    for (const e of treesTwo.leafEntries(p, nodes)) {
      const name = `${e.db} ${e.key.toString()}`;
      if (!mine.get(name)?.equals(e.hash)) found.add(e.key.toString());
      mine.delete(name);
    }
    for (const name of mine.keys()) found.add(name.slice(name.indexOf(' ') + 1));
  }
  t.deepEqual([...found].sort(), [...expected].sort(), 'exactly the differing keys are found');
  const partitionsOf = new Set([...expected].map((k) => Math.floor(keySlot(Buffer.from(k)) / (16384 / PARTITIONS))));
  const differing = ALL.filter((p) => !roots[0].subarray(p * NODE_BYTES, (p + 1) * NODE_BYTES).equals(roots[1].subarray(p * NODE_BYTES, (p + 1) * NODE_BYTES)));
  t.deepEqual(differing, [...partitionsOf].sort((a, b) => a - b), 'only the partitions holding them differ at the root');
});

test('a tree toggles contributions in and out: adding then removing leaves zero', (t) => {
  const tree = new MerkleTree(1000);
  t.is(tree.depth, 4, '1000 leaves, fanout 16: 1000 -> 63 -> 4 -> 1');
  tree.toggle(999, 0xdeadbeef, 0x12345678);
  tree.toggle(3, 1, 2);
  t.false(tree.children(0, [0]).equals(Buffer.alloc(4 * NODE_BYTES)));
  tree.toggle(999, 0xdeadbeef, 0x12345678);
  tree.toggle(3, 1, 2);
  const zero = (level: number): boolean => tree.children(level, Array.from({ length: tree.size(level) }, (_, i) => i)).equals(Buffer.alloc(tree.size(level + 1) * NODE_BYTES));
  t.true(zero(0) && zero(1) && zero(2));
  t.throws(() => tree.toggle(1000, 1, 1), { message: /leaf 1000 is not within 0..999/ });
});

test('a flush rebuilds the trees without the database', (t) => {
  const store = openStore(t);
  const trees = follow(store);
  const empty = snapshot(trees);
  store.localWrite(2, Buffer.from('k'), A, put('v', 1));
  t.false(snapshot(trees).equals(empty));
  store.flush(2);
  t.true(snapshot(trees).equals(empty));
});

test('synced partitions persist across a restart; a new dir or a long absence syncs again', (t) => {
  const dir = tmpDir(t);
  const clock = new ManualClock(1_000_000);
  const peersOf = new Map([
    [0, ['b', 'c']],
    [3, ['b']],
  ]);
  const fresh = new SyncState(dir, 4, peersOf, clock, 60_000);
  t.regex(fresh.reason ?? '', /data directory is new/);
  t.deepEqual([fresh.syncing(0), fresh.syncing(3), fresh.syncing(1)], [true, true, false], 'a partition not held is never syncing');
  t.false(fresh.exchangedWith(0, 'b'), 'partition 0 waits for c too');
  t.true(fresh.exchangedWith(3, 'b'));
  t.is(fresh.left, 1);
  fresh.save();
  clock.advance(30_000);
  const restarted = new SyncState(dir, 4, peersOf, clock, 60_000);
  t.deepEqual([restarted.syncing(0), restarted.syncing(3)], [true, false]);
  t.true(restarted.exchangedWith(0, 'c') === false && restarted.exchangedWith(0, 'b'), 'exchanges before the restart do not count');
  restarted.save();
  t.is(new SyncState(dir, 4, peersOf, clock, 60_000).reason, null, 'all synced: nothing to do after a restart');
  clock.advance(61_000);
  const away = new SyncState(dir, 4, peersOf, clock, 60_000);
  t.regex(away.reason ?? '', /away for 61 s/);
  t.is(away.left, 2);
  fs.rmSync(path.join(dir, 'anti-entropy-synced'));
  t.is(new SyncState(dir, 4, peersOf, clock, 60_000).left, 2, 'a wiped dir syncs again');
});
