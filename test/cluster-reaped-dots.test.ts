// cluster-reaped-dots.test.ts — reaping and KV679: two replicas of a key
// (cluster/replica/store.ts, real engines), one that reaped the key's
// tombstone and one still holding it. A write of the key through the first
// must not reuse a dot the lingering tombstone covers, or the second takes
// it for a write it has seen and drops it, and read repair then drops it
// everywhere. The reaped-counter floor (anti-entropy/reaped-counter.ts)
// starts the new write above the reaped dots; it is saved in the data dir.
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ReapedCounter } from '../cluster/anti-entropy/reaped-counter';
import { ReplicaStore } from '../cluster/replica/store';
import { decodeVersions } from '../cluster/versions/codec';
import { DEFAULT_MAX_SIBLINGS, actorId, merge, type VersionWrite } from '../cluster/versions/versions';
import { tmpDir } from './helpers/tmpdir';

const A = actorId('node-a', 7);
const key = Buffer.from('user:1');
const put = (value: string, timestamp: number): VersionWrite => ({ value: Buffer.from(value), timestamp, expireAt: 0 });

function openStore(t: ExecutionContext, dir: string): ReplicaStore {
  const store = new ReplicaStore(dir, { fsync: 'no', mergeIntervalMs: 0 });
  t.teardown(() => store.close());
  return store;
}

/** Replica a coordinates SET, SET, DEL; replica b gets every record; a then reaps the key, b not yet. Returns a's new write's record as b merges it. */
function rewriteAfterPartialReap(t: ExecutionContext, floor: boolean): { atB: (string | null)[]; counter: number } {
  const root = tmpDir(t);
  const a = openStore(t, path.join(root, 'a'));
  const b = openStore(t, path.join(root, 'b'));
  for (const write of [put('v1', 1000), put('v2', 2000), { value: null, timestamp: 3000, expireAt: 0 }]) {
    b.applyRecord(0, key, a.localWrite(0, key, A, write), DEFAULT_MAX_SIBLINGS);
  }
  const reaped = a.read(0, key);
  t.is(reaped?.clock.get(A), 3, 'the tombstone covers dots 1..3 of a');
  if (floor) new ReapedCounter(path.join(root, 'a'), A, a).raise(reaped?.clock.get(A) ?? 0);
  a.drop(0, key);
  t.is(a.read(0, key), null, 'a reaped the key');
  const record = a.localWrite(0, key, A, put('new', 9000));
  const counter = decodeVersions(record).siblings[0].dot.counter;
  b.applyRecord(0, key, record, DEFAULT_MAX_SIBLINGS);
  const atB = b.read(0, key);
  // Read repair: both merge what the other holds.
  const merged = merge(atB ?? { clock: new Map(), siblings: [] }, decodeVersions(record)).versions;
  return { atB: merged.siblings.map((s) => (s.value === null ? null : s.value.toString())), counter };
}

test('a key written again through a replica that reaped it reaches a replica still holding its tombstone', (t) => {
  const { atB, counter } = rewriteAfterPartialReap(t, true);
  t.is(counter, 4, 'the new dot is above the reaped ones');
  t.deepEqual(atB, ['new'], 'the replica with the old tombstone keeps the new write');
});

test('without the floor the new write reuses dot 1 and the lingering tombstone drops it (the KV679 loss the floor prevents)', (t) => {
  const { atB, counter } = rewriteAfterPartialReap(t, false);
  t.is(counter, 1);
  t.deepEqual(atB, [null], 'the write is lost: only the tombstone remains');
});

test('the floor is kept in the data dir for this actor only', (t) => {
  const root = tmpDir(t);
  const dir = path.join(root, 'a');
  const first = openStore(t, dir);
  new ReapedCounter(dir, A, first).raise(41);
  t.is(first.counterFloor, 41);
  const again = openStore(t, path.join(root, 'other'));
  new ReapedCounter(dir, A, again);
  t.is(again.counterFloor, 41, 'read back at start');
  const newIncarnation = openStore(t, path.join(root, 'third'));
  new ReapedCounter(dir, actorId('node-a', 8), newIncarnation);
  t.is(newIncarnation.counterFloor, 0, 'a new incarnation is a new actor: its dots are new anyway');
});
