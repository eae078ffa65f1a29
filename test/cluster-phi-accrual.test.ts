// cluster-phi-accrual.test.ts — the phi-accrual detector (cluster/membership/
// phi-accrual.ts) with exact numbers: phi = silence / mean interval *
// log10(e), the window of heartbeat intervals bounded, intervals beyond the
// maximum left out, other answers moving only the time last heard.
import test from 'ava';
import { PhiAccrual } from '../cluster/membership/phi-accrual';

const options = { windowSize: 1000, firstInterval: 1000, maxInterval: 2000 };

test('a new detector: heard when it is told, the window holding the first interval; phi grows linearly with the silence', (t) => {
  const d = new PhiAccrual(options, 5000);
  t.is(d.size, 1);
  t.is(d.mean, 1000);
  t.is(d.lastHeard, 5000);
  t.is(d.phi(5000), 0);
  t.is(d.phi(4000), 0, 'a time before the last arrival is no silence');
  t.is(d.phi(6000), Math.LOG10E);
  t.true(Math.abs(d.phi(5000 + 1000 * Math.LN10) - 1) < 1e-12, 'phi 1 after ln(10) intervals');
  t.is(d.phi(5000 + 18_000), 18 * Math.LOG10E);
  t.true(d.phi(5000 + 18_000) < 8 && d.phi(5000 + 19_000) > 8, 'phi 8 (Cassandra\'s threshold) between 18 and 19 silent intervals');
});

test('a peer never heard from has phi 0: unknown, not silent', (t) => {
  const d = new PhiAccrual(options, null);
  t.is(d.lastHeard, null);
  t.is(d.phi(1_000_000), 0);
  d.heartbeat(500);
  t.is(d.size, 1);
  t.is(d.phi(1500), Math.LOG10E);
});

test('heartbeats put the intervals between them into the window; the first only starts the count', (t) => {
  const d = new PhiAccrual(options, 0);
  d.heartbeat(500);
  t.is(d.size, 1, 'no interval before the first heartbeat');
  t.is(d.mean, 1000);
  t.is(d.phi(500), 0);
  d.heartbeat(1000);
  t.is(d.size, 2);
  t.is(d.mean, 750);
  d.heartbeat(1300);
  t.is(d.mean, 600, '(1000 + 500 + 300) / 3');
  t.is(d.phi(1300 + 1200), 2 * Math.LOG10E);
  t.is(d.phi(1300 + 600), Math.LOG10E);
});

test('the window keeps the last windowSize intervals', (t) => {
  const d = new PhiAccrual({ windowSize: 3, firstInterval: 1000, maxInterval: 2000 }, 0);
  d.heartbeat(0);
  d.heartbeat(100);
  d.heartbeat(300);
  t.is(d.size, 3);
  t.is(d.mean, (1000 + 100 + 200) / 3);
  d.heartbeat(600);
  t.is(d.size, 3);
  t.is(d.mean, 200, 'the first interval (1000) left: (100 + 200 + 300) / 3');
  d.heartbeat(1000);
  t.is(d.mean, 300, '(200 + 300 + 400) / 3');
  t.is(d.phi(1000 + 300), Math.LOG10E);
});

test('an interval longer than maxInterval (a pause) is left out of the window, but the arrival counts', (t) => {
  const d = new PhiAccrual(options, 0);
  d.heartbeat(1000);
  d.heartbeat(2000);
  t.is(d.mean, 1000);
  d.heartbeat(7000);
  t.is(d.size, 2, 'the 5000 ms interval is not in the window');
  t.is(d.mean, 1000);
  t.is(d.phi(7000), 0);
  d.heartbeat(9000);
  t.is(d.size, 3, 'an interval of exactly maxInterval counts');
  t.is(d.mean, (1000 + 1000 + 2000) / 3);
});

test('heard(): another answer moves the time last heard, never back, and measures no interval', (t) => {
  const d = new PhiAccrual(options, 0);
  d.heartbeat(1000);
  d.heard(1500);
  t.is(d.lastHeard, 1500);
  t.is(d.size, 1);
  t.is(d.phi(2500), Math.LOG10E);
  d.heard(1200);
  t.is(d.lastHeard, 1500);
  d.heartbeat(2000);
  t.is(d.mean, 1000, 'the interval is from heartbeat to heartbeat (1000 to 2000), not from the answer at 1500');
});

test('bad options are refused', (t) => {
  t.throws(() => new PhiAccrual({ windowSize: 0, firstInterval: 1000, maxInterval: 2000 }, 0), { instanceOf: RangeError });
  t.throws(() => new PhiAccrual({ windowSize: 1.5, firstInterval: 1000, maxInterval: 2000 }, 0), { instanceOf: RangeError });
  t.throws(() => new PhiAccrual({ windowSize: 10, firstInterval: 0, maxInterval: 2000 }, 0), { instanceOf: RangeError });
});
