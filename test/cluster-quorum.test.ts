// cluster-quorum.test.ts — the quorum state machines (cluster/quorum/rounds.ts),
// without sockets or timers: every R and W from 1 to N against every mix of
// replies and failures in every order, the deadline, the exact
// -DYNUNAVAILABLE texts, the merge of concurrent siblings from different
// replicas, late replies after the client was answered, and which replicas
// read repair targets (stale, missing, equal, failed, silent).
import test from 'ava';
import { ReadRound, WriteRound, type QuorumRound, type RoundState } from '../cluster/quorum/rounds';
import { EMPTY_VERSIONS, actorId, merge, update, type Actor, type KeyVersions } from '../cluster/versions/versions';

const A = actorId('node-a', 1);
const B = actorId('node-b', 1);

/** A plain SET at a replica: its own clock as the context. */
function set(at: KeyVersions, actor: Actor, value: string, timestamp: number): KeyVersions {
  return update(at, at.clock, actor, { value: Buffer.from(value), timestamp, expireAt: 0 }).versions;
}

const values = (v: KeyVersions): (string | null)[] => v.siblings.map((s) => (s.value === null ? null : s.value.toString()));
const repairedNodes = (round: ReadRound): string[] => round.repairTargets().map((r) => r.node);

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

type Outcome = 'success' | 'failure';

/** The expected state after each answer, worked out directly from the counts. */
function expectedStates(outcomes: readonly Outcome[], needed: number): { state: RoundState; got: number }[] {
  const n = outcomes.length;
  let state: RoundState = 'pending';
  let got = 0;
  let failed = 0;
  let gotWhenUnavailable = 0;
  return outcomes.map((outcome) => {
    if (outcome === 'success') got++;
    else failed++;
    if (state === 'pending' && got >= needed) state = 'ok';
    if (state === 'pending' && n - failed < needed) {
      state = 'unavailable';
      gotWhenUnavailable = got;
    }
    return { state, got: state === 'unavailable' ? gotWhenUnavailable : got };
  });
}

function exhaustive(kind: 'R' | 'W', make: (nodes: string[], needed: number) => QuorumRound, succeed: (round: QuorumRound, node: string) => void): number {
  let runs = 0;
  for (let n = 1; n <= 4; n++) {
    const nodes = Array.from({ length: n }, (_, i) => `n${i}:7000`);
    for (let needed = 1; needed <= n; needed++) {
      for (let mask = 0; mask < 1 << n; mask++) {
        const outcomeOf = (i: number): Outcome => ((mask >> i) & 1 ? 'failure' : 'success');
        for (const order of permutations(nodes.map((_, i) => i))) {
          const round = make(nodes, needed);
          const expected = expectedStates(order.map(outcomeOf), needed);
          order.forEach((i, step) => {
            if (outcomeOf(i) === 'success') succeed(round, nodes[i]);
            else round.fail(nodes[i], 'connection refused');
            const { state, got } = expected[step];
            const where = `${kind}=${needed} N=${n} mask=${mask} order=${order.join('')} step=${step}`;
            if (round.state !== state) throw new Error(`${where}: state ${round.state}, expected ${state}`);
            const error = state === 'unavailable' ? `DYNUNAVAILABLE needed ${kind}=${needed}, got ${got}` : null;
            if (round.error !== error) throw new Error(`${where}: error ${round.error}, expected ${error}`);
            if (round.finished !== (step === n - 1)) throw new Error(`${where}: finished ${round.finished}`);
          });
          runs++;
        }
      }
    }
  }
  return runs;
}

test('reads: every R of 1..N against every mix of replies and failures in every order', (t) => {
  const runs = exhaustive(
    'R',
    (nodes, r) => new ReadRound(nodes, r, 1000),
    (round, node) => (round as ReadRound).reply(node, null),
  );
  t.is(runs, 1 * 2 * 1 + 2 * 4 * 2 + 3 * 8 * 6 + 4 * 16 * 24);
});

test('writes: every W of 1..N against every mix of acks and failures in every order', (t) => {
  const runs = exhaustive(
    'W',
    (nodes, w) => new WriteRound(nodes, w, 1000),
    (round, node) => (round as WriteRound).ack(node),
  );
  t.is(runs, 1 * 2 * 1 + 2 * 4 * 2 + 3 * 8 * 6 + 4 * 16 * 24);
});

test('the unavailable texts are exactly the issue wording', (t) => {
  const write = new WriteRound(['a', 'b', 'c'], 2, 100);
  write.ack('a');
  write.fail('b', 'timeout');
  t.is(write.state, 'pending', 'c may still ack');
  write.fail('c', 'connection reset');
  t.is(write.state, 'unavailable');
  t.is(write.error, 'DYNUNAVAILABLE needed W=2, got 1');
  t.deepEqual([...write.failures], [
    ['b', 'timeout'],
    ['c', 'connection reset'],
  ]);

  const read = new ReadRound(['a', 'b', 'c'], 2, 100);
  read.reply('a', null);
  read.expire(100);
  t.is(read.error, 'DYNUNAVAILABLE needed R=2, got 1');
  t.is(new WriteRound(['a'], 1, 0).error, null);
});

test('the deadline: nothing before it; at it a pending round is unavailable and takes no more answers', (t) => {
  const write = new WriteRound(['a', 'b', 'c'], 3, 500);
  write.ack('a');
  write.expire(499);
  t.is(write.state, 'pending');
  t.false(write.finished);
  write.ack('b');
  write.expire(500);
  t.is(write.state, 'unavailable');
  t.is(write.error, 'DYNUNAVAILABLE needed W=3, got 2');
  t.true(write.finished);
  write.ack('c');
  t.is(write.state, 'unavailable', 'a late ack does not turn an answered error into a success');
  t.is(write.received, 2);

  const none = new ReadRound(['a', 'b'], 1, 10);
  none.expire(1_000_000);
  t.is(none.error, 'DYNUNAVAILABLE needed R=1, got 0');

  const done = new WriteRound(['a', 'b'], 1, 10);
  done.ack('a');
  done.expire(10);
  t.is(done.state, 'ok', 'an ok round stays ok at the deadline');
  t.true(done.finished);
  t.deepEqual([...done.failures], [], 'a replica that never answered is not a failure');
});

test('a node answers once; a node outside the preference list is a coordinator bug', (t) => {
  const write = new WriteRound(['a', 'b', 'c'], 2, 100);
  write.ack('a');
  write.ack('a');
  t.is(write.state, 'pending', 'a repeated ack counts once');
  t.is(write.received, 1);
  write.fail('b', 'timeout');
  write.ack('b');
  t.is(write.received, 1, 'an ack after the failure of the same request is ignored');
  t.throws(() => write.ack('d'), { instanceOf: RangeError, message: /d is not in the preference list a,b,c/ });
  t.throws(() => write.fail('d', 'x'), { instanceOf: RangeError });

  const read = new ReadRound(['a', 'b'], 1, 100);
  read.reply('a', set(EMPTY_VERSIONS, A, 'first', 1));
  read.fail('a', 'connection reset');
  t.deepEqual([...read.failures], []);
  t.is(read.state, 'ok');
});

test('rounds check their arguments', (t) => {
  t.throws(() => new ReadRound([], 1, 0), { instanceOf: RangeError, message: 'the preference list is empty' });
  t.throws(() => new WriteRound(['a', 'a'], 1, 0), { instanceOf: RangeError, message: /repeats a node/ });
  t.throws(() => new WriteRound(['a', 'b'], 3, 0), { instanceOf: RangeError, message: 'W=3 is not within 1..2 (N, the preference list\'s length)' });
  t.throws(() => new ReadRound(['a'], 0, 0), { instanceOf: RangeError, message: /^R=0 / });
  t.throws(() => new ReadRound(['a'], 1.5, 0), { instanceOf: RangeError });
  t.throws(() => new ReadRound(['a'], 1, Number.NaN), { instanceOf: RangeError, message: /deadline/ });
});

test('a read merges concurrent siblings from different replicas', (t) => {
  const atA = set(EMPTY_VERSIONS, A, 'from a', 100);
  const atB = set(EMPTY_VERSIONS, B, 'from b', 101);
  const read = new ReadRound(['node-a', 'node-b', 'node-c'], 2, 100);
  read.reply('node-a', atA);
  t.is(read.state, 'pending');
  read.reply('node-b', atB);
  t.is(read.state, 'ok');
  t.deepEqual(values(read.versions), ['from b', 'from a'], 'both writes, latest timestamp first');
  t.deepEqual([...read.versions.clock], [
    [A, 1],
    [B, 1],
  ]);
  t.is(read.pruned, 0);
  t.throws(() => read.repairTargets(), { message: /waits until every replica answered/ });

  read.reply('node-c', null);
  t.true(read.finished);
  t.deepEqual(repairedNodes(read), ['node-a', 'node-b', 'node-c'], 'each lacks a sibling; c has nothing');
  for (const repair of read.repairTargets()) t.is(repair.versions, read.versions);
});

test('a read of a key no replica has: ok with no versions, nothing to repair', (t) => {
  const read = new ReadRound(['a', 'b', 'c'], 3, 100);
  for (const node of ['c', 'a', 'b']) read.reply(node, null);
  t.is(read.state, 'ok');
  t.is(read.versions.siblings.length, 0);
  t.deepEqual(read.repairTargets(), []);
});

test('read repair targets stale and missing replicas, never equal, failed or silent ones', (t) => {
  const old = set(EMPTY_VERSIONS, A, 'old', 1);
  const current = set(old, A, 'new', 2);
  const nodes = ['a', 'b', 'c', 'd', 'e'];
  const read = new ReadRound(nodes, 2, 1000);
  read.reply('c', old);
  read.reply('a', current);
  t.is(read.state, 'ok');
  t.deepEqual(values(read.versions), ['new'], 'the newer write supersedes the older one');
  read.reply('b', current);
  read.fail('d', 'connection refused');
  t.false(read.finished, 'e has not answered yet');
  read.expire(1000);
  t.true(read.finished);
  t.deepEqual(repairedNodes(read), ['c'], 'c is stale; a and b are equal; d failed; e never answered');

  const missing = new ReadRound(['a', 'b', 'c'], 1, 1000);
  missing.reply('b', null);
  missing.reply('a', current);
  missing.reply('c', current);
  t.deepEqual(repairedNodes(missing), ['b']);
  t.deepEqual(values(missing.repairTargets()[0].versions), ['new']);
});

test('late replies after the client was answered merge in and are repaired', (t) => {
  const first = set(EMPTY_VERSIONS, A, 'first', 1);
  const second = set(first, A, 'second', 2);
  const concurrent = set(EMPTY_VERSIONS, B, 'concurrent', 3);
  const read = new ReadRound(['a', 'b', 'c'], 1, 1000);
  read.reply('a', first);
  t.is(read.state, 'ok');
  const answered = read.versions;
  t.deepEqual(values(answered), ['first'], 'what the client got');

  read.reply('b', second);
  read.reply('c', concurrent);
  t.is(read.state, 'ok');
  t.is(read.received, 3);
  t.deepEqual(values(answered), ['first'], 'the versions handed out are never changed');
  t.deepEqual(values(read.versions), ['concurrent', 'second']);
  t.deepEqual(repairedNodes(read), ['a', 'b', 'c']);
});

test('an unavailable read still repairs the replicas that answered', (t) => {
  const old = set(EMPTY_VERSIONS, A, 'old', 1);
  const current = set(old, A, 'new', 2);
  const read = new ReadRound(['a', 'b', 'c'], 3, 1000);
  read.reply('a', current);
  read.fail('b', 'timeout');
  t.is(read.error, 'DYNUNAVAILABLE needed R=3, got 1');
  read.reply('c', old);
  t.true(read.finished);
  t.deepEqual(repairedNodes(read), ['c']);
});

test('the sibling bound applies to the merged read and is counted', (t) => {
  const read = new ReadRound(['a', 'b'], 2, 1000, 1);
  const atA = set(EMPTY_VERSIONS, A, 'from a', 1);
  const atB = set(EMPTY_VERSIONS, B, 'from b', 2);
  read.reply('a', atA);
  read.reply('b', atB);
  t.deepEqual(values(read.versions), ['from b']);
  t.is(read.pruned, 1);
  t.is(read.versions.clock.size, 2, 'the clock keeps the pruned dot');
  t.deepEqual(repairedNodes(read), ['a', 'b'], "a lacks b's write; b lacks the dot of a's pruned one");
  t.deepEqual(values(merge(atA, read.versions, 1).versions), ['from b'], 'a drops the pruned sibling when repaired');
});
