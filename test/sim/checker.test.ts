// checker.test.ts — the simulation's checker (test/sim/checker.ts) on
// histories written by hand: each property passes when it holds and names
// the command when it does not, so a green simulation means something.
import test from 'ava';
import type { KeyVersions } from '../../cluster/versions/versions';
import { ReplyError } from '../../protocol/reply-parser';
import { encodeVersions } from '../../cluster/versions/codec';
import { check, type CheckOptions, type Command, type FinalKey } from './checker';

const ALL: CheckOptions = { convergence: true, quorumReads: true };
const A = 'n1#1';
const B = 'n2#7';

let ids = 0;
function cmd(op: Command['op'], key: string, sentAt: number, endAt: number, outcome: Command['outcome'], value?: string, dot: [string, number] | null = null): Command {
  return { id: ++ids, node: 0, op, key, value, sentAt, endAt, outcome, dot: dot === null ? null : { actor: dot[0], counter: dot[1] } };
}

/** Versions: clock entries, and siblings as [value or null for a tombstone, actor, counter]. */
function versions(clock: [string, number][], siblings: [string | null, string, number][]): KeyVersions {
  return {
    clock: new Map(clock),
    siblings: siblings.map(([value, actor, counter]) => ({ dot: { actor, counter }, node: actor.split('#')[0], value: value === null ? null : Buffer.from(value), timestamp: 1, expireAt: 0 })),
  };
}

/** A record every replica holds alike: v1, A's first write. */
const same = encodeVersions(versions([[A, 1]], [['v1', A, 1]]));
const other = encodeVersions(versions([[B, 1]], [['v2', B, 1]]));
function finals(key: string, v: KeyVersions | null, replicas: (Buffer | null)[] = [same, same, same]): Map<string, FinalKey> {
  return new Map([[key, { versions: v, replicas }]]);
}

test('(a) an acknowledged write the final read holds passes; one it lacks is reported', (t) => {
  const history = [cmd('SET', 'k', 0, 5, 'OK', 'v1', [A, 1])];
  t.deepEqual(check(history, finals('k', versions([[A, 1]], [['v1', A, 1]])), ALL).violations, []);
  const lost = check(history, finals('k', versions([], []), [same, null, other]), ALL).violations;
  t.is(lost.length, 2);
  t.regex(lost[0], /^acknowledged write lost: #\d+ n1 SET k v1 sent t=0 answered t=5 \+OK; the final read has \{\}; held by replica 1$/);
  t.regex(lost[1], /^replicas of k differ/);
  const gone = check(history, finals('k', versions([], []), [other, other, other]), ALL).violations;
  t.deepEqual(gone.length, 1);
  t.regex(gone[0], /; no replica holds it$/);
});

test('(a) a write superseded by a later one passes only when the clock covers it and the later write could follow it', (t) => {
  const v1 = cmd('SET', 'k', 0, 5, 'OK', 'v1', [A, 1]);
  const after = cmd('SET', 'k', 3, 9, 'OK', 'v2', [B, 1]);
  const covered = versions([[A, 1], [B, 1]], [['v2', B, 1]]);
  t.deepEqual(check([v1, after], finals('k', covered), ALL).violations, [], 'covered, and v2 ran after v1 was sent');
  const notCovered = versions([[B, 1]], [['v2', B, 1]]);
  t.is(check([v1, after], finals('k', notCovered), ALL).violations.length, 1, 'its dot is not in the clock: lost, not superseded');
  const before = cmd('SET', 'k', -10, -2, 'OK', 'v0', [B, 1]);
  t.is(check([v1, before], finals('k', covered), ALL).violations.filter((v) => v.startsWith('acknowledged write lost')).length, 1, 'the only other write was over before it was sent');
  const failed = cmd('SET', 'k', 0, 5, new ReplyError('DYNUNAVAILABLE needed W=2, got 1'), 'v1', null);
  t.deepEqual(check([failed], finals('k', versions([], [])), ALL).violations, [], 'a refused write may be lost');
});

test('(a) a value stored under several dots (a retried forward) is superseded when the clock covers any of them', (t) => {
  // v1 acknowledged through B's copy; A made it too, without its acks. A later write saw B's copy.
  const v1 = { ...cmd('SET', 'k', 0, 5, 'OK', 'v1', [A, 1]), dots: [{ actor: A, counter: 1 }, { actor: B, counter: 1 }] };
  const later = cmd('SET', 'k', 3, 9, 'OK', 'v2', [B, 2]);
  t.deepEqual(check([v1, later], finals('k', versions([[B, 2]], [['v2', B, 2]])), ALL).violations, []);
  const neither = versions([['n3#1', 1]], [['v2', 'n3#1', 1]]);
  t.is(check([v1, later], finals('k', neither), ALL).violations.filter((v) => v.startsWith('acknowledged write lost')).length, 1);
});

test('(b) an acknowledged delete that is undone by a version written before it is reported; a concurrent one is not', (t) => {
  const v1 = cmd('SET', 'k', 0, 5, 'OK', 'v1', [A, 1]);
  const del = cmd('DEL', 'k', 10, 15, 1);
  const back = versions([[A, 1], [B, 1]], [[null, B, 1], ['v1', A, 1]]);
  const violations = check([v1, del], finals('k', back), ALL).violations;
  t.is(violations.length, 1);
  t.regex(violations[0], /^deleted value came back: .* SET k v1 .* was deleted by .* DEL k sent t=10 answered t=15 :1/);
  const otherCopy = versions([[A, 2], [B, 1]], [[null, B, 1], ['v1', A, 2]]);
  t.deepEqual(check([v1, del], finals('k', otherCopy), ALL).violations, [], 'the same value under another dot: a copy never acknowledged');
  const concurrent = cmd('SET', 'k', 12, 20, 'OK', 'v2', [A, 2]);
  const withV2 = versions([[A, 2], [B, 1]], [[null, B, 1], ['v2', A, 2]]);
  t.deepEqual(check([v1, del, concurrent], finals('k', withV2), ALL).violations, []);
  t.deepEqual(check([v1, cmd('DEL', 'k', 10, 15, 0)], finals('k', back), { convergence: false, quorumReads: false }).violations, [], 'DEL :0 wrote nothing');
});

test('(c) replicas that differ count as under-replicated, and fail only when convergence is checked', (t) => {
  const history = [cmd('SET', 'k', 0, 5, 'OK', 'v1', [A, 1])];
  const v = versions([[A, 1]], [['v1', A, 1]]);
  const differ = finals('k', v, [same, null, other]);
  const strict = check(history, differ, ALL);
  t.is(strict.underReplicated, 1);
  t.deepEqual(strict.violations, [`replicas of k differ after convergence: ${same.length} bytes, none, ${other.length} bytes`]);
  const lenient = check(history, differ, { convergence: false, quorumReads: true });
  t.is(lenient.underReplicated, 1);
  t.deepEqual(lenient.violations, []);
  t.is(check(history, finals('k', v), ALL).underReplicated, 0);
  t.is(check(history, finals('k', v, [null, null, null]), ALL).underReplicated, 0, 'no replica holding anything is equal');
});

test('quorum reads: a read sent after a write was acknowledged must see it or what may supersede it', (t) => {
  const v1 = cmd('SET', 'k', 0, 5, 'OK', 'v1', [A, 1]);
  const read = (seen: KeyVersions, sentAt = 10) => cmd('DYN.VERSIONS', 'k', sentAt, sentAt + 1, seen);
  const final = finals('k', versions([[A, 1]], [['v1', A, 1]]));
  t.deepEqual(check([v1, read(versions([[A, 1]], [['v1', A, 1]]))], final, ALL).violations, []);
  const stale = check([v1, read(versions([], []))], final, ALL).violations;
  t.is(stale.length, 1);
  t.regex(stale[0], /^stale read: .* DYN\.VERSIONS k sent t=10 .* does not see .* SET k v1/);
  t.deepEqual(check([v1, read(versions([], []), 4)], final, ALL).violations, [], 'sent before the ack: it may miss it');
  t.deepEqual(check([v1, read(versions([], []))], final, { convergence: true, quorumReads: false }).violations, [], 'opt-in');
  const v2 = cmd('SET', 'k', 3, 8, 'OK', 'v2', [B, 1]);
  t.deepEqual(check([v1, v2, read(versions([[B, 1]], [['v2', B, 1]]))], finals('k', versions([[A, 1], [B, 1]], [['v2', B, 1]])), ALL).violations, []);
});

test('a GET answering a value never written to its key is reported', (t) => {
  const history = [cmd('SET', 'k', 0, 5, 'OK', 'v1', [A, 1]), cmd('GET', 'k', 6, 7, Buffer.from('v9'))];
  const violations = check(history, finals('k', versions([[A, 1]], [['v1', A, 1]])), ALL).violations;
  t.is(violations.length, 1);
  t.regex(violations[0], /^read a value never written to k: .* GET k .* v9/);
});
