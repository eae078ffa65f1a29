// test/durability.test.ts — crash safety of dynkv-server as a client sees it:
// with --appendfsync always every acknowledged write survives a SIGKILL at a
// random moment (many concurrent SET/INCR writers, 20+ kill/restart rounds on
// the same directory, all earlier rounds re-checked each time); TTLs survive a
// restart (expired keys stay gone, others keep their expiry); SIGTERM shuts
// down cleanly (exit 0) without losing acknowledged writes, even with
// appendfsync everysec.
import test from 'ava';
import Redis from 'ioredis';
import { startServer, type TestServer } from './helpers/server';
import { tmpDir } from './helpers/tmpdir';

function client(port: number): Redis {
  // No retries and no offline queue: a command either gets its reply (acknowledged) or fails.
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  r.on('error', () => undefined); // ECONNRESET when the server is killed: the failed commands say it already
  return r;
}

async function connected(port: number): Promise<Redis> {
  const r = client(port);
  await r.connect();
  return r;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What clients were told was written. */
class Acked {
  readonly values = new Map<string, string>();
  /** Highest INCR reply per counter. */
  readonly counters = new Map<string, number>();
  /** Highest acknowledged sequence number written to each overwritten key. */
  readonly hot = new Map<string, number>();
  /** Writes sent per counter (an upper bound for its value). */
  readonly sent = new Map<string, number>();
}

/**
 * One writer: keeps `depth` commands in flight on its connection until stopped:
 * unique-key SETs, INCRs of its counter and SETs of an ever-growing sequence to its hot key.
 */
async function writer(r: Redis, id: string, acked: Acked, stop: { now: boolean }, depth = 8): Promise<void> {
  let i = 0;
  // Counters carry over rounds (their value only grows); a hot key is per round (sequences restart).
  const counter = `counter:${id.split(':').pop() ?? ''}`;
  const hotKey = `hot:${id}`;
  const one = async (): Promise<void> => {
    while (!stop.now) {
      const n = i++;
      try {
        if (n % 3 === 0) {
          const key = `k:${id}:${n}`;
          const value = `v${n}:${'x'.repeat(n % 50)}`;
          await r.set(key, value);
          acked.values.set(key, value);
        } else if (n % 3 === 1) {
          acked.sent.set(counter, (acked.sent.get(counter) ?? 0) + 1);
          const v = await r.incr(counter);
          if (v > (acked.counters.get(counter) ?? 0)) acked.counters.set(counter, v);
        } else {
          await r.set(hotKey, String(n));
          if (n > (acked.hot.get(hotKey) ?? -1)) acked.hot.set(hotKey, n);
        }
      } catch {
        return; // the server is gone: unacknowledged, nothing recorded
      }
    }
  };
  await Promise.all(Array.from({ length: depth }, one));
}

/** Checks every acknowledged write against the server; returns the problems found. */
async function verify(r: Redis, acked: Acked): Promise<string[]> {
  const problems: string[] = [];
  const keys = [...acked.values.keys()];
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const got = await r.mget(...batch);
    batch.forEach((k, j) => {
      if (got[j] !== acked.values.get(k)) problems.push(`${k}: acknowledged ${JSON.stringify(acked.values.get(k))}, found ${JSON.stringify(got[j])}`);
    });
  }
  for (const [k, v] of acked.counters) {
    const got = Number(await r.get(k));
    const most = acked.sent.get(k) ?? 0;
    if (!(got >= v && got <= most)) problems.push(`${k}: acknowledged ${v} (at most ${most} sent), found ${got}`);
  }
  for (const [k, seq] of acked.hot) {
    const got = Number(await r.get(k));
    if (!(got >= seq)) problems.push(`${k}: acknowledged sequence ${seq}, found ${got}`);
  }
  return problems;
}

test('appendfsync always: every acknowledged write survives SIGKILL at random moments (24 rounds)', async (t) => {
  const dir = `${tmpDir(t)}/data`;
  const acked = new Acked();
  const rounds = 24;
  let lastAcked = 0;
  for (let round = 0; round < rounds; round++) {
    const srv: TestServer = await startServer(t, ['--appendfsync', 'always'], { dir });
    const checker = await connected(srv.port);
    const problems = await verify(checker, acked);
    checker.disconnect();
    if (problems.length > 0) t.fail(`after restart ${round}: ${problems.length} acknowledged writes lost or wrong:\n${problems.slice(0, 20).join('\n')}\n--- server output ---\n${srv.output()}`);
    if (round === rounds - 1) break;
    const stop = { now: false };
    const clients = await Promise.all(Array.from({ length: 6 }, () => connected(srv.port)));
    const writers = clients.map((r, w) => writer(r, `${round}:${w}`, acked, stop));
    const total = (): number => acked.values.size + [...acked.counters.values()].reduce((a, b) => a + b, 0);
    // The kill lands at a random moment once writes are being acknowledged (a loaded machine may take a while to start).
    const deadline = Date.now() + 30_000;
    while (total() <= lastAcked && Date.now() < deadline) await sleep(5);
    await sleep(Math.floor(Math.random() * 400));
    await srv.kill();
    stop.now = true;
    await Promise.all(writers);
    clients.forEach((r) => r.disconnect());
    t.true(total() > lastAcked, `round ${round}: no write was acknowledged before the kill`);
    lastAcked = total();
  }
  t.log(`${acked.values.size} unique keys, ${acked.counters.size} counters and ${acked.hot.size} hot keys checked after each of ${rounds - 1} kills`);
});

test('restart keeps TTLs: expired keys stay gone, the others keep their expiry', async (t) => {
  const dir = `${tmpDir(t)}/data`;
  let srv = await startServer(t, ['--appendfsync', 'always'], { dir });
  let r = await connected(srv.port);
  const at = Date.now() + 60_000;
  await r.set('gone', 'v', 'PX', 200); // expires before the kill
  await r.set('short', 'v', 'PX', 1200); // expires while the server is down
  await r.set('long', 'v', 'EX', 100);
  await r.set('abs', 'v', 'PXAT', at);
  await r.set('plain', 'v');
  await r.set('persisted', 'v', 'EX', 100);
  await r.persist('persisted');
  await r.set('expire-cmd', 'v');
  await r.expire('expire-cmd', 200);
  await r.set('keepttl', 'v', 'EX', 100);
  await r.set('keepttl', 'v2', 'KEEPTTL');
  await sleep(400);
  t.is(await r.get('gone'), null);
  r.disconnect();
  await srv.kill();
  await sleep(1000);
  srv = await startServer(t, ['--appendfsync', 'always'], { dir });
  r = await connected(srv.port);
  t.teardown(() => r.disconnect());
  t.is(await r.exists('gone', 'short'), 0);
  t.deepEqual((await r.keys('*')).sort(), ['abs', 'expire-cmd', 'keepttl', 'long', 'persisted', 'plain']);
  const ttl = await r.ttl('long');
  t.true(ttl >= 97 && ttl <= 100, `TTL of 'long' after restart: ${ttl}`);
  t.is(await r.pexpiretime('abs'), at);
  t.is(await r.ttl('plain'), -1);
  t.is(await r.ttl('persisted'), -1);
  const ttl2 = await r.ttl('expire-cmd');
  t.true(ttl2 >= 197 && ttl2 <= 200, `TTL of 'expire-cmd' after restart: ${ttl2}`);
  t.is(await r.get('keepttl'), 'v2');
  t.true((await r.ttl('keepttl')) >= 97);
  // A key that expires after the restart still expires.
  await r.set('soon', 'v', 'PX', 300);
  await sleep(500);
  t.is(await r.exists('soon'), 0);
});

test('SIGTERM shuts down cleanly (exit 0) and keeps every acknowledged write, appendfsync everysec', async (t) => {
  const dir = `${tmpDir(t)}/data`;
  const srv = await startServer(t, [], { dir });
  const r = await connected(srv.port);
  const pipeline = r.pipeline();
  for (let i = 0; i < 5000; i++) pipeline.set(`key:${i}`, `value:${i}`);
  const replies = await pipeline.exec();
  t.true(replies !== null && replies.every(([err, v]) => err === null && v === 'OK'));
  // Writers still running when the signal comes: what they were told is OK must be there.
  const acked = new Acked();
  const stop = { now: false };
  const second = await connected(srv.port);
  const writers = [writer(r, 'term:0', acked, stop), writer(second, 'term:1', acked, stop)];
  await sleep(100);
  const code = await srv.stop();
  stop.now = true;
  await Promise.all(writers);
  r.disconnect();
  second.disconnect();
  t.is(code, 0, srv.output());
  const again = await startServer(t, [], { dir });
  t.notRegex(again.output(), /torn|truncat|corrupt/i, 'a clean shutdown leaves no torn record');
  const c = await connected(again.port);
  t.teardown(() => c.disconnect());
  const values = await c.mget(...Array.from({ length: 5000 }, (_, i) => `key:${i}`));
  t.deepEqual(values, Array.from({ length: 5000 }, (_, i) => `value:${i}`));
  t.deepEqual(await verify(c, acked), []);
  t.true(acked.values.size > 0);
  t.is(await again.stop(), 0);
});
