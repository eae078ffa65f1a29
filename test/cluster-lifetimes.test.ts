// cluster-lifetimes.test.ts — versions/lifetimes.ts and flush-epochs.ts's
// pure parts: when a record is dead and since when, what a flush keeps,
// the oldest write read from the record's bytes as decoding finds it, and
// the order of flush epochs.
import test from 'ava';
import { compareEpochs } from '../cluster/anti-entropy/flush-epochs';
import { encodeVersions } from '../cluster/versions/codec';
import { afterFlush, deadSince, holdsNothingLive, oldestWrite } from '../cluster/versions/lifetimes';
import { EMPTY_VERSIONS, merge, update, type KeyVersions } from '../cluster/versions/versions';

const write = (versions: KeyVersions, actor: string, value: string | null, timestamp: number, expireAt = 0, context = versions.clock): KeyVersions =>
  update(versions, context, actor, { value: value === null ? null : Buffer.from(value), timestamp, expireAt }).versions;

test('deadSince: the latest death of an all-dead record; -1 while a sibling lives', (t) => {
  const live = write(EMPTY_VERSIONS, 'a#1', 'v', 100);
  t.is(deadSince(live, 1000), -1);
  t.is(deadSince(EMPTY_VERSIONS, 1000), -1, 'no sibling: nothing to reclaim');
  const deleted = write(live, 'a#1', null, 200);
  t.is(deadSince(deleted, 1000), 200);
  const expiring = write(EMPTY_VERSIONS, 'b#1', 'x', 150, 500);
  t.is(deadSince(expiring, 400), -1, 'not expired yet');
  t.is(deadSince(expiring, 500), 500);
  // Concurrent siblings: a tombstone and an expired value, dead since the later death.
  const both = merge(deleted, expiring).versions;
  t.is(both.siblings.length, 2);
  t.is(deadSince(both, 600), 500);
  t.is(deadSince(merge(deleted, write(EMPTY_VERSIONS, 'c#1', 'alive', 50)).versions, 600), -1, 'a concurrent live sibling keeps it');
  t.true(holdsNothingLive(null, 0));
  t.true(holdsNothingLive(deleted, 0));
  t.false(holdsNothingLive(live, 0));
});

test('afterFlush drops the siblings written before the flush and keeps the clock; oldestWrite reads the same times from the bytes', (t) => {
  const old = write(EMPTY_VERSIONS, 'a#1', 'old', 100);
  const concurrent = write(EMPTY_VERSIONS, 'b#7', 'new', 300);
  const both = merge(old, concurrent).versions;
  t.is(oldestWrite(encodeVersions(both)), 100);
  t.is(oldestWrite(encodeVersions(concurrent)), 300);
  t.is(oldestWrite(encodeVersions(EMPTY_VERSIONS)), Infinity);
  // A tagged (format 2) record: a hash sibling beside a string one.
  const hash = update(EMPTY_VERSIONS, EMPTY_VERSIONS.clock, 'c#2', { value: Buffer.from('fields'), timestamp: 50, expireAt: 0, type: 4 }).versions;
  const tagged = encodeVersions(merge(concurrent, hash).versions);
  t.is(tagged[0], 2, 'format 2');
  t.is(oldestWrite(tagged), 50);
  const kept = afterFlush(both, 200);
  t.deepEqual(kept.siblings.map((s) => s.value?.toString()), ['new']);
  t.deepEqual([...kept.clock], [...both.clock], 'the clock still covers the dropped dot');
  t.is(afterFlush(concurrent, 300), concurrent, 'a write at the flush time survives it');
  t.deepEqual(afterFlush(old, 101).siblings, []);
  // A stale copy of the dropped sibling merged back is dropped by the kept clock.
  t.deepEqual(merge(kept, old).versions.siblings.map((s) => s.value?.toString()), ['new']);
});

test('flush epochs: the counter first, then the time, then the actor', (t) => {
  const e = (counter: number, at: number, actor: string) => ({ counter, at, actor });
  t.true(compareEpochs(e(1, 500, 'z'), e(2, 100, 'a')) < 0);
  t.true(compareEpochs(e(2, 100, 'a'), e(2, 200, 'a')) < 0);
  t.true(compareEpochs(e(2, 100, 'a#1'), e(2, 100, 'b#1')) < 0);
  t.is(compareEpochs(e(2, 100, 'a'), e(2, 100, 'a')), 0);
  t.true(compareEpochs(null, e(1, 1, 'a')) < 0);
  t.is(compareEpochs(null, null), 0);
});
