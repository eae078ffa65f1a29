// test/server-memory.test.ts — a real dynkv-server gives memory back once
// idle (issue 9, defect 3): after 300 MiB of replies to a client that read
// them late, and a 200 MiB SET with its DEL, the resident set returns near
// where it started within seconds (server/idle-memory.ts).
import net from 'node:net';
import test from 'ava';
import { RawClient, encodeCommand } from '../redis-compat/raw-client';
import { rssBytes } from '../redis-compat/servers';
import { startServer } from './helpers/server';

const MiB = 1024 * 1024;

test('after a slow reader and a 200 MiB SET + DEL, the idle server goes back near its starting RSS', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  t.is((await c.call(['SET', 'small', 'x']))?.text, 'OK');
  const base = rssBytes(srv.pid);

  // 300 GETs of 1 MiB, read only after a while.
  t.is((await c.call(['SET', 'big', Buffer.alloc(MiB, 'v')], 30_000))?.text, 'OK');
  const slow = net.connect(srv.port, '127.0.0.1');
  t.teardown(() => slow.destroy());
  await new Promise<void>((resolve) => slow.once('connect', resolve));
  slow.pause();
  slow.write(Buffer.concat(Array.from({ length: 300 }, () => encodeCommand(['GET', 'big']))));
  await new Promise((r) => setTimeout(r, 500));
  const expected = 300 * (MiB + `$${MiB}\r\n\r\n`.length);
  await new Promise<void>((resolve) => {
    let got = 0;
    slow.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= expected) resolve();
    });
    slow.resume();
  });
  slow.destroy();

  t.is((await c.call(['SET', 'huge', Buffer.alloc(200 * MiB, 'h')], 120_000))?.text, 'OK');
  t.is((await c.call(['DEL', 'huge', 'big'], 30_000))?.text, '2');
  const peak = rssBytes(srv.pid);
  t.log(`RSS ${(base / MiB).toFixed(0)} MiB at start, ${(peak / MiB).toFixed(0)} MiB after the DEL`);

  // Idle now: poll until RSS is within 100 MiB of the start (it held 400+ MiB before the fix, for minutes).
  const idleFrom = Date.now();
  let rss = peak;
  while (Date.now() - idleFrom < 20_000) {
    rss = rssBytes(srv.pid);
    if (rss < base + 100 * MiB) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.log(`RSS ${(rss / MiB).toFixed(0)} MiB after ${Date.now() - idleFrom} ms idle`);
  t.true(rss < base + 100 * MiB, `RSS still ${(rss / MiB).toFixed(0)} MiB, ${((rss - base) / MiB).toFixed(0)} MiB over the start, after 20 s idle`);
  // Still serving, data intact.
  t.is((await c.call(['GET', 'small']))?.data?.toString(), 'x');
});
