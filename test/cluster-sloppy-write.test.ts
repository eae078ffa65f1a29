// test/cluster-sloppy-write.test.ts — the sloppy quorum's pure parts: the
// ring's annotated preference list (N primaries, then fallbacks in ring
// order) and the SloppyWrite state machine that stands fallbacks in for
// primaries down or failing, and keeps hints on the coordinator once the
// round is decided.
import test from 'ava';
import { SloppyWrite } from '../cluster/quorum/sloppy-write';
import { Ring } from '../cluster/ring/ring';

test('an annotated preference list is the N primaries, then every other member in ring order as a fallback', (t) => {
  const ring = Ring.create(['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, weight: 1 })), 64);
  for (let p = 0; p < 64; p++) {
    const list = ring.annotatedPreferenceList(p, 3);
    t.deepEqual(list.slice(0, 3).map((e) => e.node), ring.preferenceList(p, 3));
    t.deepEqual(list.map((e) => e.role), ['primary', 'primary', 'primary', 'fallback', 'fallback']);
    t.deepEqual(list.map((e) => e.node), ring.preferenceList(p, 5));
  }
});

test('a primary believed down is stood in for by the first fallback up; its ack counts toward W', (t) => {
  const down = new Set(['b', 'd']);
  const write = new SloppyWrite(['a', 'b', 'c'], ['d', 'e'], 2, 1000, 'a', (id) => !down.has(id));
  write.start();
  t.deepEqual(write.first('b'), { kind: 'hint', node: 'e', owner: 'b' });
  t.is(write.first('c'), null, 'c, up, is sent the record');
  write.hinted('b');
  t.is(write.round.state, 'ok');
});

test('5 nodes, N=3, W=2: with two primaries down, fallbacks bring the write to W', (t) => {
  const write = new SloppyWrite(['a', 'b', 'c'], ['d', 'e'], 2, 1000, 'a', (id) => id !== 'b' && id !== 'c');
  write.start();
  t.deepEqual([write.first('b'), write.first('c')], [
    { kind: 'hint', node: 'd', owner: 'b' },
    { kind: 'hint', node: 'e', owner: 'c' },
  ]);
  write.hinted('c');
  t.is(write.round.state, 'ok');
});

test('a primary that fails while the round is pending goes to a fallback, then the next when that fails; none left: kept here', (t) => {
  const write = new SloppyWrite(['a', 'b', 'c'], ['d', 'e'], 3, 1000, 'a', () => true);
  write.start();
  t.deepEqual([write.first('b'), write.first('c')], [null, null]);
  t.deepEqual(write.applyFailed('b', 'ECONNLOST'), { kind: 'hint', node: 'd', owner: 'b' });
  t.deepEqual(write.hintFailed('b', 'ETIMEDOUT'), { kind: 'hint', node: 'e', owner: 'b' });
  t.deepEqual(write.hintFailed('b', 'ETIMEDOUT'), { kind: 'keep', owner: 'b' });
  t.is(write.round.state, 'unavailable');
});

test('a primary that fails after W was met gets its hint kept on the coordinator, not sent to a fallback', (t) => {
  const write = new SloppyWrite(['a', 'b', 'c'], ['d'], 2, 1000, 'a', () => true);
  write.start();
  t.deepEqual([write.first('b'), write.first('c')], [null, null]);
  write.applied('b');
  t.is(write.round.state, 'ok');
  t.deepEqual(write.applyFailed('c', 'ETIMEDOUT'), { kind: 'keep', owner: 'c' });
  t.is(write.round.state, 'ok');
});

test('3 nodes, N=3: no fallbacks: a down primary gets a hint kept here, and W counts the live ones', (t) => {
  const write = new SloppyWrite(['a', 'b', 'c'], [], 2, 1000, 'a', (id) => id !== 'c');
  write.start();
  t.deepEqual([write.first('b'), write.first('c')], [null, { kind: 'keep', owner: 'c' }]);
  t.is(write.round.state, 'pending');
  write.applied('b');
  t.is(write.round.state, 'ok');
});
