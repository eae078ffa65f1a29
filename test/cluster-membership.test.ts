// cluster-membership.test.ts — a peer's liveness (cluster/membership/
// membership.ts) driven by heartbeats (heartbeat.ts) on a ManualClock: a
// silent peer is suspect at its first missed heartbeat and down once phi
// reaches the threshold, at the exact tick the numbers say; an answer makes
// it up again; refused connections, timeouts and failed handshakes move it
// as membership.ts says; each change is logged once; routing (firstUp)
// prefers up peers to suspect ones and skips down ones; a new threshold or
// period acts at once.
import test, { type ExecutionContext } from 'ava';
import { BusError } from '../cluster/bus/bus';
import { ManualClock, type TimerHandle } from '../cluster/clock';
import { Heartbeat } from '../cluster/membership/heartbeat';
import { Membership, type ClusterMember, type ClusterOptions } from '../cluster/membership/membership';

const member = (port: number): ClusterMember => ({ id: `127.0.0.1:${port}`, host: '127.0.0.1', port, busPort: port + 10000, weight: 1 });
const [A, B, C] = [member(7001), member(7002), member(7003)];

function options(extra: Partial<ClusterOptions> = {}): ClusterOptions {
  return { self: A, members: [A, B, C], n: 3, r: 2, w: 2, partitions: 8, secret: 's', timeoutMs: 10_000, faultInjection: false, phiThreshold: 8, heartbeatMs: 100, ...extra };
}

/** Lines membership logs on stderr during the test (serial tests only: console.error is swapped). */
function logged(t: ExecutionContext): string[] {
  const lines: string[] = [];
  const original = console.error;
  console.error = (line: string) => void lines.push(line);
  t.teardown(() => void (console.error = original));
  return lines;
}

/** Pings that c answers at once, and b too until silenceB(), then not until answerB(). */
function pings(): { ping: (id: string) => Promise<unknown>; silenceB: () => void; answerB: () => void; sent: string[] } {
  let answer: (() => void) | null = null;
  let bAnswers = true;
  const sent: string[] = [];
  return {
    sent,
    ping: (id) => {
      sent.push(id);
      if (id === C.id || bAnswers) return Promise.resolve('PONG');
      return new Promise((resolve) => (answer = () => resolve('PONG')));
    },
    silenceB: () => void (bAnswers = false),
    answerB: () => {
      bAnswers = true;
      answer?.();
    },
  };
}

/** Moves the clock ms forward a period at a time, letting the answers of each round arrive in it. */
async function advance(clock: ManualClock, ms: number, period = 100): Promise<void> {
  let left = ms;
  do {
    clock.advance(Math.min(period, left));
    left -= period;
    await new Promise((resolve) => setImmediate(resolve));
  } while (left > 0);
}

test.serial('a silent peer: suspect at its first missed heartbeat, down at the tick where phi reaches 8, up at its answer; each change logged once', async (t) => {
  const lines = logged(t);
  const clock = new ManualClock(0);
  const m = new Membership(options(), clock);
  const p = pings();
  const hb = new Heartbeat(m, clock, p.ping, 100);
  await hb.start();
  t.is(m.state(A.id), 'myself');
  t.is(m.state(B.id), 'up');
  t.is(m.phi(B.id), 0, 'never heard from: unknown, not silent');
  t.deepEqual(p.sent, [B.id, C.id], 'the first round pings every peer at once');

  await advance(clock, 100);
  t.deepEqual(p.sent, [B.id, C.id, B.id, C.id], 'then one round a period');
  t.is(m.state(B.id), 'up');
  p.silenceB();
  await advance(clock, 100);
  t.is(m.state(B.id), 'up');
  await advance(clock, 100);
  t.is(m.state(B.id), 'suspect', 'its ping of t=200 is unanswered at t=300');
  t.deepEqual(p.sent.filter((id) => id === B.id).length, 3, 'one ping in flight per peer');
  t.true(m.isUp(B.id), 'a suspect peer is still asked');
  t.is(m.firstUp([B.id, C.id]), C.id, 'routing prefers an up peer');
  t.is(m.firstUp([B.id, A.id]), A.id);

  // Heard at 100, heartbeats every 100 ms: phi(t) = (t - 100) / 100 * log10(e) reaches 8 at t = 1942.07.
  await advance(clock, 1600);
  t.is(clock.now(), 1900);
  t.is(m.state(B.id), 'suspect');
  t.is(m.phi(B.id), 18 * Math.LOG10E);
  await advance(clock, 100);
  t.is(m.state(B.id), 'down', 'down at the tick t=2000, phi 8.25');
  t.false(m.isUp(B.id));
  t.is(m.firstUp([B.id, C.id]), C.id);
  t.is(m.firstUp([B.id]), B.id, 'nobody up: the list\'s first');
  t.is(m.state(C.id), 'up', 'the answering peer stayed up');
  t.true(m.phi(C.id) < 1, `phi of c ${m.phi(C.id)}`);

  p.answerB();
  await advance(clock, 0);
  t.is(m.state(B.id), 'up');
  t.is(m.phi(B.id), 0);
  await advance(clock, 500);
  t.is(m.state(B.id), 'up', 'b answers every heartbeat now');
  hb.stop();
  t.is(clock.pending, 0, 'stop() cleared the next round');

  const about = (id: string) => lines.filter((l) => l.includes(`node ${id} `));
  t.deepEqual(about(C.id), []);
  t.is(about(B.id).length, 3, about(B.id).join('\n'));
  t.is(about(B.id)[0], `dynkv: cluster: node ${B.id} is suspect: no answer to a heartbeat within 100 ms`);
  t.regex(about(B.id)[1], new RegExp(`^dynkv: cluster: node ${B.id} is down: phi 8\\.25 \\(silent for 1900 ms, heartbeats every 100 ms\\) reached the threshold 8$`));
  t.is(about(B.id)[2], `dynkv: cluster: node ${B.id} is up (was down)`);
});

test.serial('request outcomes: refused is down, unanswered is suspect, a failed handshake auth-failed (phi leaves it so), any answer up', (t) => {
  const lines = logged(t);
  const clock = new ManualClock(0);
  const m = new Membership(options(), clock);
  const bus = (code: ConstructorParameters<typeof BusError>[0]) => new BusError(code, C.id, code);
  m.heard(C.id, bus('ETIMEDOUT'));
  t.is(m.state(C.id), 'suspect');
  m.heard(C.id, bus('ECONNFAILED'));
  t.is(m.state(C.id), 'down', 'connection refused');
  m.heard(C.id, bus('ETIMEDOUT'));
  m.heard(C.id, bus('ECONNLOST'));
  t.is(m.state(C.id), 'down', 'a missed answer does not make a down peer only suspect');
  m.heard(C.id, null);
  t.is(m.state(C.id), 'up');
  m.heard(C.id, bus('EUNREACHABLE'));
  t.is(m.state(C.id), 'down', 'backing off after refused connections');
  m.heard(C.id, new Error('ERR a refusal is an answer'));
  t.is(m.state(C.id), 'up');
  m.heard(C.id, bus('EAUTH'));
  t.is(m.state(C.id), 'auth-failed');
  t.false(m.isUp(C.id));
  clock.advance(60_000);
  m.check();
  m.heard(C.id, bus('ECONNLOST'));
  m.heard(C.id, bus('EOVERLOAD'));
  t.is(m.state(C.id), 'auth-failed', 'silence, a lost connection and a full queue leave it auth-failed');
  m.heard(C.id, null);
  t.is(m.state(C.id), 'up');
  m.heard('127.0.0.1:9999', bus('ECONNFAILED'));
  t.is(m.state('127.0.0.1:9999'), 'up', 'a stranger is nobody\'s peer');
  t.deepEqual(
    lines.filter((l) => l.includes(`node ${C.id} `)).map((l) => l.replace(/: cluster bus: .*/, '')),
    [
      `dynkv: cluster: node ${C.id} is suspect`,
      `dynkv: cluster: node ${C.id} is down`,
      `dynkv: cluster: node ${C.id} is up (was down)`,
      `dynkv: cluster: node ${C.id} is down`,
      `dynkv: cluster: node ${C.id} is up (was down)`,
      `dynkv: cluster: node ${C.id} is auth-failed`,
      `dynkv: cluster: node ${C.id} is up (was auth-failed)`,
    ],
  );
});

test.serial('any answer is a sign of life: a peer that answers requests is not suspected between heartbeats', (t) => {
  logged(t);
  const clock = new ManualClock(0);
  const m = new Membership(options(), clock);
  for (let now = 50; now <= 5000; now += 50) {
    clock.advance(50);
    m.heard(B.id, null);
    m.check();
  }
  t.is(m.state(B.id), 'up');
  // Requests read no clock: an answer counts as heard at the check before it (4950), never later.
  t.is(m.phi(B.id), 0.5 * Math.LOG10E);
  clock.advance(180);
  m.check();
  t.is(m.state(B.id), 'up', 'phi 0.9989 after 230 ms without answers (the window: the period, 100 ms)');
  clock.advance(10);
  m.check();
  t.is(m.state(B.id), 'suspect', 'phi 1.04 after 240 ms');
});

test.serial('a lower threshold and a new period act at once', async (t) => {
  logged(t);
  const clock = new ManualClock(0);
  const m = new Membership(options(), clock);
  const p = pings();
  const hb = new Heartbeat(m, clock, p.ping, 100);
  await hb.start();
  m.configure(2, 100);
  await advance(clock, 100);
  p.silenceB();
  // phi(t) = (t - 100) / 100 * log10(e) reaches 2 at t = 560.5: the tick at 600.
  await advance(clock, 400);
  t.is(m.state(B.id), 'suspect');
  await advance(clock, 100);
  t.is(m.state(B.id), 'down');

  // A period of 1000 ms: a fresh window (its first interval 1000), and rounds every 1000 ms from now on.
  p.answerB();
  await advance(clock, 0);
  m.configure(8, 1000);
  hb.setPeriod(1000);
  const sent = p.sent.length;
  await advance(clock, 900);
  t.is(p.sent.length, sent, 'no round for 1000 ms');
  await advance(clock, 100);
  t.is(p.sent.length, sent + 2);
  await advance(clock, 1000);
  t.is(p.sent.length, sent + 4);
  t.is(m.state(C.id), 'up');
  t.true(m.phi(C.id) < 0.5, `phi of c with 1000 ms heartbeats: ${m.phi(C.id)}`);

  // Back to 100 ms, 900 ms after the last heartbeats: that silence is not ten missed ones.
  await advance(clock, 900);
  m.configure(3, 100);
  hb.setPeriod(100);
  await advance(clock, 300);
  t.is(m.state(B.id), 'up');
  t.is(m.state(C.id), 'up');
  hb.stop();
});

test.serial('a round that runs more than a period late (this node was paused) judges nobody; the next, on time, does', async (t) => {
  const lines = logged(t);
  // A clock whose timer runs when the test says: as a process that was stopped runs its timers late.
  let time = 0;
  const timers = new Map<TimerHandle, () => void>();
  const clock = {
    now: () => time,
    setTimer: (_ms: number, fn: () => void) => {
      const timer = {} as TimerHandle;
      timers.set(timer, fn);
      return timer;
    },
    clearTimer: (timer: TimerHandle) => void timers.delete(timer),
  };
  const m = new Membership(options(), clock);
  const p = pings();
  const hb = new Heartbeat(m, clock, p.ping, 100);
  await hb.start();
  /** Runs the timers set, at `at`. */
  const runRound = async (at: number): Promise<void> => {
    time = at;
    const due = [...timers.values()];
    timers.clear();
    for (const fn of due) fn();
    await new Promise((resolve) => setImmediate(resolve));
  };
  await runRound(100);
  t.is(m.state(B.id), 'up');
  p.silenceB();
  await runRound(200);
  await runRound(5000);
  t.is(m.state(B.id), 'up', 'phi 21.3 and a ping unanswered, but the round ran 4700 ms late: no judgement');
  t.is(p.sent.filter((id) => id === C.id).length, 4, 'it still pinged');
  await runRound(5100);
  t.is(m.state(B.id), 'down', 'on time again: phi 21.7 reaches 8');
  t.deepEqual(
    lines.filter((l) => l.includes(B.id)).map((l) => l.replace(/(is [a-z]+): .*/, '$1: ...')),
    [`dynkv: cluster: node ${B.id} is suspect: ...`, `dynkv: cluster: node ${B.id} is down: ...`],
    'nothing was logged at the late round',
  );
  hb.stop();
});

test.serial('start() pings every peer at once and resolves when they answered, or after a period if one does not', async (t) => {
  logged(t);
  const clock = new ManualClock(0);
  const m = new Membership(options(), clock);
  const p = pings();
  p.silenceB();
  const hb = new Heartbeat(m, clock, p.ping, 100);
  let started = false;
  void hb.start().then(() => (started = true));
  t.deepEqual(p.sent, [B.id, C.id]);
  await new Promise((resolve) => setImmediate(resolve));
  t.false(started, 'b has not answered');
  clock.advance(99);
  await new Promise((resolve) => setImmediate(resolve));
  t.false(started);
  clock.advance(1);
  await new Promise((resolve) => setImmediate(resolve));
  t.true(started, 'a period passed');
  hb.stop();
  t.is(clock.pending, 0);
});
