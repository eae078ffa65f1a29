// cluster-replica-store.test.ts — one node's replicas (cluster/replica/store.ts)
// through a real engine in a temporary directory: versions round-trip, a plain
// SET/DEL supersedes the siblings this replica has seen, DYN.SET keeps what
// its context does not cover, apply merges and writes only on change, two
// actors' concurrent writes become siblings on both replicas, tombstones and
// expired versions are kept (and hidden from scan), reopen keeps everything,
// the incarnation file, and a corrupt record's named error.
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Engine } from '../engine/index';
import { InvalidIncarnationError, incarnation } from '../cluster/replica/incarnation';
import { ReplicaStore } from '../cluster/replica/store';
import { CorruptVersionsError, encodeVersions } from '../cluster/versions/codec';
import { DEFAULT_MAX_SIBLINGS, actorId, equalVersions, liveWinner, type KeyVersions, type VersionWrite } from '../cluster/versions/versions';
import { tmpDir } from './helpers/tmpdir';

const A = actorId('node-a', 7);
const B = actorId('node-b', 9);
const MAX = DEFAULT_MAX_SIBLINGS;
const key = Buffer.from('user:1');

const put = (value: string, timestamp: number, expireAt = 0): VersionWrite => ({ value: Buffer.from(value), timestamp, expireAt });
const tombstone = (timestamp: number): VersionWrite => ({ value: null, timestamp, expireAt: 0 });
const values = (v: KeyVersions | null): (string | null)[] => (v === null ? [] : v.siblings.map((s) => (s.value === null ? null : s.value.toString())));

function openStore(t: ExecutionContext, dir: string): ReplicaStore {
  const store = new ReplicaStore(dir, { fsync: 'no', mergeIntervalMs: 0 });
  t.teardown(() => store.close());
  return store;
}

function scanAll(store: ReplicaStore, db: number): string[] {
  const keys: string[] = [];
  let cursor = 0n;
  do {
    const page = store.scan(db, cursor, 3);
    keys.push(...page.keys.map((k) => k.toString()));
    cursor = page.cursor;
  } while (cursor !== 0n);
  return keys.sort();
}

test('versions round-trip through the engine; a missing key or database reads as null', (t) => {
  const store = openStore(t, tmpDir(t));
  t.is(store.read(0, key), null);
  const { versions, pruned } = store.coordinate(0, key, 'local', A, put('v1', 100), MAX);
  t.is(pruned, 0);
  t.deepEqual(values(versions), ['v1']);
  t.deepEqual([...versions.clock], [[A, 1]]);
  const read = store.read(0, key);
  t.truthy(read);
  t.true(encodeVersions(read as KeyVersions).equals(encodeVersions(versions)));
  t.is(store.read(1, key), null, 'databases are separate');
  t.is(store.read(0, Buffer.from('other')), null);
});

test("coordinate 'local' supersedes every sibling this replica has seen", (t) => {
  const store = openStore(t, tmpDir(t));
  store.coordinate(0, key, 'local', A, put('from a', 100), MAX);
  const fromB = openStore(t, tmpDir(t)).coordinate(0, key, 'local', B, put('from b', 101), MAX).versions;
  t.true(store.apply(0, key, fromB, MAX).changed);
  t.deepEqual(values(store.read(0, key)), ['from b', 'from a']);

  const { versions } = store.coordinate(0, key, 'local', A, put('plain set', 102), MAX);
  t.deepEqual(values(versions), ['plain set']);
  t.deepEqual([...versions.clock], [
    [A, 2],
    [B, 1],
  ]);
  t.deepEqual(values(store.read(0, key)), ['plain set']);
});

test('coordinate with a client context resolves only what the context covers', (t) => {
  const store = openStore(t, tmpDir(t));
  const other = openStore(t, tmpDir(t));
  const read = store.coordinate(0, key, 'local', A, put('x', 100), MAX).versions;
  const context = read.clock; // what DYN.VERSIONS handed out
  store.apply(0, key, other.coordinate(0, key, 'local', B, put('y', 101), MAX).versions, MAX);
  const { versions } = store.coordinate(0, key, context, A, put('resolved', 102), MAX);
  t.deepEqual(values(versions), ['resolved', 'y'], 'x was covered; y arrived after the read and stays');
});

test('apply merges, writes only on change, and reports pruning', async (t) => {
  const store = openStore(t, tmpDir(t));
  const first = store.coordinate(0, key, 'local', A, put('first', 100), MAX).versions;
  await store.durable();
  t.is(store.durable(), null);

  const again = store.apply(0, key, first, MAX);
  t.false(again.changed, 'its own versions bring nothing');
  t.is(store.durable(), null, 'nothing was written');

  const newer = openStore(t, tmpDir(t));
  newer.apply(0, key, first, MAX);
  const second = newer.coordinate(0, key, 'local', B, put('second', 101), MAX).versions;
  const applied = store.apply(0, key, second, MAX);
  t.true(applied.changed);
  t.is(applied.pruned, 0);
  t.deepEqual(values(applied.versions), ['second'], 'B had seen "first" and superseded it');
  const written = store.durable();
  t.truthy(written, 'the change was written');
  await written;
  t.false(store.apply(0, key, first, MAX).changed, 'an older copy changes nothing');

  const concurrent = openStore(t, tmpDir(t)).coordinate(0, key, 'local', actorId('node-c', 1), put('third', 102), MAX).versions;
  const bounded = store.apply(0, key, concurrent, 1);
  t.true(bounded.changed);
  t.is(bounded.pruned, 1);
  t.deepEqual(values(store.read(0, key)), ['third']);
});

test('concurrent writes from two actors become siblings on both replicas', (t) => {
  const atA = openStore(t, tmpDir(t));
  const atB = openStore(t, tmpDir(t));
  const fromA = atA.coordinate(3, key, 'local', A, put('from a', 100), MAX).versions;
  const fromB = atB.coordinate(3, key, 'local', B, put('from b', 100), MAX).versions;
  atA.apply(3, key, fromB, MAX);
  atB.apply(3, key, fromA, MAX);
  const a = atA.read(3, key) as KeyVersions;
  const b = atB.read(3, key) as KeyVersions;
  t.deepEqual(values(a), ['from b', 'from a'], 'same timestamp: node-b wins the tie');
  t.true(equalVersions(a, b), 'both replicas hold the same versions');
});

test('tombstones and expired versions are kept as versions, hidden from scan', (t) => {
  const dir = tmpDir(t);
  const store = openStore(t, dir);
  store.coordinate(0, Buffer.from('live'), 'local', A, put('v', 100), MAX);
  store.coordinate(0, Buffer.from('expiring'), 'local', A, put('v', 100, 5000), MAX);
  store.coordinate(0, Buffer.from('later'), 'local', A, put('v', 100, Date.now() + 60_000), MAX);
  store.coordinate(0, Buffer.from('deleted'), 'local', A, put('v', 100), MAX);
  store.coordinate(0, Buffer.from('deleted'), 'local', A, tombstone(101), MAX);
  for (let i = 0; i < 7; i++) store.coordinate(0, Buffer.from(`k${i}`), 'local', A, put('v', 100), MAX);

  t.deepEqual(values(store.read(0, Buffer.from('deleted'))), [null], 'DEL is a version without a value');
  t.deepEqual(scanAll(store, 0), ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'later', 'live']);
  t.deepEqual(scanAll(store, 5), [], 'a database never written');
  t.is(store.size(0), 10, 'DBSIZE counts expired versions (as Redis counts keys not yet reclaimed), not tombstones');
  t.is(store.expiring(0), 2);

  const expired = store.read(0, Buffer.from('expiring')) as KeyVersions;
  t.deepEqual(values(expired), ['v'], 'an expired version is still a version');
  t.is(liveWinner(expired, 5000), null);
  store.close();

  const engine = Engine.open(path.join(dir, 'db0'), { fsync: 'no', mergeIntervalMs: 0 });
  t.is(engine.info('expiring')?.expireAt, 0, 'the engine never expires a version record on its own');
  t.is(engine.reclaimExpired(0n, 100).reclaimed, 0);
  t.truthy(engine.get('deleted'), 'a tombstone version is a record, not an engine tombstone');
  engine.close();
});

test('reopen keeps every version; flush drops one database', (t) => {
  const dir = tmpDir(t);
  let store = new ReplicaStore(dir, { fsync: 'no', mergeIntervalMs: 0 });
  store.coordinate(0, key, 'local', A, put('from a', 100), MAX);
  store.apply(0, key, openStore(t, tmpDir(t)).coordinate(0, key, 'local', B, put('from b', 101), MAX).versions, MAX);
  store.coordinate(2, key, 'local', A, tombstone(102), MAX);
  const before = store.read(0, key) as KeyVersions;
  store.close();

  store = openStore(t, dir);
  t.true(equalVersions(store.read(0, key) as KeyVersions, before));
  t.deepEqual(values(store.read(0, key)), ['from b', 'from a']);
  t.deepEqual(values(store.read(2, key)), [null]);

  store.flush(0);
  t.is(store.read(0, key), null);
  t.false(fs.existsSync(path.join(dir, 'db0')));
  t.deepEqual(values(store.read(2, key)), [null], 'other databases stay');
  store.coordinate(0, key, 'local', A, put('after flush', 103), MAX);
  t.deepEqual(values(store.read(0, key)), ['after flush']);
});

test('the incarnation persists across reopen; a wiped dir gets a new one', (t) => {
  const dir = path.join(tmpDir(t), 'data');
  const first = incarnation(dir);
  t.true(Number.isSafeInteger(first) && first >= 1 && first < 2 ** 48);
  t.is(fs.readFileSync(path.join(dir, 'incarnation'), 'utf8'), `${first}\n`);
  t.is(incarnation(dir), first);
  t.false(fs.existsSync(path.join(dir, 'incarnation.tmp')));

  fs.rmSync(dir, { recursive: true });
  const second = incarnation(dir);
  t.not(second, first);
  t.not(actorId('node-a', second), actorId('node-a', first), 'a new actor: no old dot is reused');
  t.is(incarnation(dir), second);
});

test('a bad incarnation file stops the start with a named error', (t) => {
  const dir = tmpDir(t);
  for (const text of ['', 'abc\n', '12', '0\n', '007\n', `${2 ** 48}\n`]) {
    fs.writeFileSync(path.join(dir, 'incarnation'), text);
    t.throws(() => incarnation(dir), { instanceOf: InvalidIncarnationError, message: /incarnation holds .* not an incarnation number/ }, JSON.stringify(text));
  }
});

test('a corrupt record throws CorruptVersionsError naming the db and key', (t) => {
  const dir = tmpDir(t);
  const engine = Engine.open(path.join(dir, 'db4'), { fsync: 'no', mergeIntervalMs: 0 });
  engine.put('plain', 'a raw value, not versions');
  engine.put(Buffer.from([0x62, 0x00, 0xff, 0x22]), Buffer.from([1, 5]));
  engine.close();

  const store = openStore(t, dir);
  t.throws(() => store.read(4, Buffer.from('plain')), {
    instanceOf: CorruptVersionsError,
    message: 'db 4 key "plain": bad versions record: format version at offset 0: 97 is not a known format (1 to 2)',
  });
  t.throws(() => store.read(4, Buffer.from([0x62, 0x00, 0xff, 0x22])), {
    instanceOf: CorruptVersionsError,
    message: /^db 4 key "b\\x00\\xff\\"": bad versions record: /,
  });
  t.throws(() => store.scan(4, 0n, 10), { instanceOf: CorruptVersionsError, message: /^db 4 key / });
  t.throws(() => store.coordinate(4, Buffer.from('plain'), 'local', A, put('v', 1), MAX), { instanceOf: CorruptVersionsError });
});
