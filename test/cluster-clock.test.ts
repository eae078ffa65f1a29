// cluster-clock.test.ts — the cluster's clock (cluster/clock.ts): ManualClock
// runs due timers in order, each at its own time, and nothing else; realClock
// runs and cancels Node timers; and the cluster bus reads its request
// timeouts and reconnect backoff from the clock it is given, so a test moves
// them with a ManualClock instead of waiting.
import net from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { BusTimeoutError, ClusterBus, type BusPeer } from '../cluster/bus/bus';
import { ManualClock, realClock } from '../cluster/clock';
import { reservePorts } from '../redis-compat/ports';

test('ManualClock: stands still until advanced, starting where it is told', (t) => {
  const clock = new ManualClock(1_000);
  t.is(clock.now(), 1_000);
  t.is(clock.now(), 1_000);
  clock.advance(250);
  t.is(clock.now(), 1_250);
  clock.advance(0);
  t.is(clock.now(), 1_250);
  t.is(new ManualClock().now(), 0);
});

test('ManualClock: due timers run earliest first, ties in the order set, each seeing its own due time', (t) => {
  const clock = new ManualClock(100);
  const ran: string[] = [];
  const note = (name: string) => () => ran.push(`${name}@${clock.now()}`);
  clock.setTimer(30, note('c'));
  clock.setTimer(10, note('a1'));
  clock.setTimer(50, note('late'));
  clock.setTimer(10, note('a2'));
  clock.setTimer(20, note('b'));
  clock.advance(30);
  t.deepEqual(ran, ['a1@110', 'a2@110', 'b@120', 'c@130']);
  t.is(clock.now(), 130);
  t.is(clock.pending, 1);
  clock.advance(19);
  t.is(ran.length, 4, 'the last timer is not due yet');
  clock.advance(1);
  t.deepEqual(ran, ['a1@110', 'a2@110', 'b@120', 'c@130', 'late@150']);
  t.is(clock.pending, 0);
});

test('ManualClock: a timer set by a running timer runs in the same advance when due by its end, else later', (t) => {
  const clock = new ManualClock();
  const ran: string[] = [];
  clock.setTimer(10, () => {
    ran.push(`first@${clock.now()}`);
    clock.setTimer(5, () => ran.push(`chained@${clock.now()}`));
    clock.setTimer(100, () => ran.push(`far@${clock.now()}`));
  });
  clock.advance(20);
  t.deepEqual(ran, ['first@10', 'chained@15']);
  t.is(clock.now(), 20);
  clock.advance(90);
  t.deepEqual(ran, ['first@10', 'chained@15', 'far@110']);
});

test('ManualClock: clearTimer cancels; clearing a timer that ran or was cleared changes nothing', (t) => {
  const clock = new ManualClock();
  const ran: string[] = [];
  const kept = clock.setTimer(10, () => ran.push('kept'));
  const cancelled = clock.setTimer(5, () => ran.push('cancelled'));
  clock.clearTimer(cancelled);
  clock.clearTimer(cancelled);
  t.is(clock.pending, 1);
  clock.advance(10);
  t.deepEqual(ran, ['kept']);
  clock.clearTimer(kept);
  clock.advance(100);
  t.deepEqual(ran, ['kept']);
});

test('ManualClock: nextAt names when the earliest pending timer falls due, null when none is', (t) => {
  const clock = new ManualClock(100);
  t.is(clock.nextAt(), null);
  const early = clock.setTimer(30, () => undefined);
  clock.setTimer(50, () => undefined);
  clock.setTimer(0, () => undefined);
  t.is(clock.nextAt(), 101, 'below 1 ms counts as 1 ms');
  clock.advance(1);
  t.is(clock.nextAt(), 130);
  clock.clearTimer(early);
  t.is(clock.nextAt(), 150);
  clock.advance(50);
  t.is(clock.nextAt(), null);
});

test('ManualClock: a timer may clear another due in the same advance', (t) => {
  const clock = new ManualClock();
  const ran: string[] = [];
  let second = clock.setTimer(20, () => ran.push('second'));
  clock.setTimer(10, () => {
    ran.push('first');
    clock.clearTimer(second);
  });
  clock.advance(30);
  t.deepEqual(ran, ['first']);
  second = clock.setTimer(1, () => ran.push('again'));
  clock.advance(1);
  t.deepEqual(ran, ['first', 'again']);
});

test('ManualClock: delays below 1 ms (and NaN) wait 1 ms, as setTimeout; bad advances and starts are refused', (t) => {
  const clock = new ManualClock();
  const ran: string[] = [];
  clock.setTimer(0, () => ran.push('zero'));
  clock.setTimer(-5, () => ran.push('negative'));
  clock.setTimer(Number.NaN, () => ran.push('nan'));
  clock.advance(0);
  t.deepEqual(ran, []);
  clock.advance(1);
  t.deepEqual(ran, ['zero', 'negative', 'nan']);
  t.throws(() => clock.advance(-1), { instanceOf: RangeError, message: 'cannot advance a clock by -1 ms' });
  t.throws(() => clock.advance(Number.POSITIVE_INFINITY), { instanceOf: RangeError });
  t.throws(() => new ManualClock(Number.NaN), { instanceOf: RangeError });
  t.is(clock.now(), 1);
});

test('realClock: reads the wall clock, runs a timer, and a cleared one never runs', async (t) => {
  const before = Date.now();
  const now = realClock.now();
  t.true(now >= before && now <= Date.now());
  let cancelledRan = false;
  const cancelled = realClock.setTimer(5, () => {
    cancelledRan = true;
  });
  realClock.clearTimer(cancelled);
  // Node runs timers in due order: once this later one ran, the cleared one would have too.
  await new Promise<void>((resolve) => realClock.setTimer(50, resolve));
  t.false(cancelledRan);
});

/** True once p settled, after the turns of the event loop that settle promises. */
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

/** The error a request rejected with; null when it succeeded. */
const failure = (p: Promise<unknown>): Promise<Error | null> => p.then(
  () => null,
  (err: Error) => err,
);

function manualBus(t: ExecutionContext, clock: ManualClock): ClusterBus {
  const bus = new ClusterBus({ nodeId: 'node-a', host: '127.0.0.1', port: 0, secret: 'clock-test-secret', clock, onRequest: () => 'OK', log: () => undefined });
  t.teardown(() => bus.close());
  return bus;
}

test('bus on a ManualClock: a request to a dropped peer times out when the clock reaches its timeout, not before', async (t) => {
  const clock = new ManualClock(5_000);
  const bus = manualBus(t, clock);
  const peer: BusPeer = { id: 'node-b', host: '127.0.0.1', busPort: 1 };
  bus.drop(peer.id);
  const request = bus.request(peer, ['REPLICA.PING'], 1_000);
  const outcome = failure(request);
  clock.advance(999);
  t.false(await isSettled(request), 'pending 1 ms before its timeout');
  clock.advance(1);
  t.true(await isSettled(request), 'timed out on the manual clock');
  const err = await outcome;
  t.true(err instanceof BusTimeoutError);
  t.is(err?.message, 'cluster bus: no reply from node-b within 1000 ms');
  t.is(clock.pending, 0);
});

test('bus on a ManualClock: the reconnect backoff is measured on the clock', async (t) => {
  // A "peer" that closes every connection at once: each attempt fails.
  let attempts = 0;
  const server = net.createServer((socket) => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const clock = new ManualClock(1_000_000);
  const bus = manualBus(t, clock);
  const peer: BusPeer = { id: 'node-b', host: '127.0.0.1', busPort: (server.address() as net.AddressInfo).port };
  const first = await failure(bus.request(peer, ['REPLICA.PING'], 1_000));
  t.regex(String(first?.message), /cannot connect to node-b/);
  const during = await failure(bus.request(peer, ['REPLICA.PING'], 1_000));
  t.regex(String(during?.message), /is unreachable: .* \(next attempt in 100 ms\)$/);
  clock.advance(99);
  const later = await failure(bus.request(peer, ['REPLICA.PING'], 1_000));
  t.regex(String(later?.message), /\(next attempt in 1 ms\)$/);
  t.is(attempts, 1, 'no attempt during the backoff');
  clock.advance(1);
  const after = await failure(bus.request(peer, ['REPLICA.PING'], 1_000));
  t.regex(String(after?.message), /cannot connect to node-b/);
  t.is(attempts, 2, 'the backoff over, the next request connects again');
});

test('bus: a peer that connects here and authenticates ends the backoff of the link to it (it is back: the next request connects at once)', async (t) => {
  const clock = new ManualClock(1_000_000);
  const a = manualBus(t, clock);
  const aPort = await a.listen();
  const [bPort] = await reservePorts(1);
  const peer: BusPeer = { id: 'node-b', host: '127.0.0.1', busPort: bPort };
  t.regex(String((await failure(a.request(peer, ['REPLICA.PING'], 1_000)))?.message), /cannot connect to node-b/, 'nothing listens there yet');
  t.regex(String((await failure(a.request(peer, ['REPLICA.PING'], 1_000)))?.message), /is unreachable: .* \(next attempt in 100 ms\)$/);

  // node-b starts and talks to node-a first; the manual clock has not moved: the backoff has 100 ms to go.
  const b = new ClusterBus({ nodeId: 'node-b', host: '127.0.0.1', port: bPort, secret: 'clock-test-secret', onRequest: () => 'PONG', log: () => undefined });
  t.teardown(() => b.close());
  await b.listen();
  t.is(await b.request({ id: 'node-a', host: '127.0.0.1', busPort: aPort }, ['REPLICA.PING'], 5_000), 'OK');
  t.is(await a.request(peer, ['REPLICA.PING'], 5_000), 'PONG');
});
