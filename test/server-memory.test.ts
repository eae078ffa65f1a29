// test/server-memory.test.ts — a real dynkv-server gives memory back once
// idle (issue 9, defect 3): after 300 MiB of replies to a client that read
// them late, and a 200 MiB SET with its DEL, its anonymous resident memory
// (heap, Buffers, malloc: RssAnon) returns near where it started within
// seconds (server/idle-memory.ts). File-backed RSS is not counted: the log's
// segments are mapped, and pages of them read (the DEL reads the record it
// supersedes) are page cache the kernel reclaims, not memory held.
import fs from 'node:fs';
import net from 'node:net';
import test from 'ava';
import { RawClient, encodeCommand } from '../redis-compat/raw-client';
import { rssBytes } from '../redis-compat/servers';
import { startServer } from './helpers/server';

const MiB = 1024 * 1024;

/** RssAnon of a process in bytes (/proc/PID/status). */
function anonRssBytes(pid: number): number {
  const m = /^RssAnon:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no RssAnon for pid ${pid}`);
  return Number(m[1]) * 1024;
}

test('after a slow reader and a 200 MiB SET + DEL, the idle server goes back near its starting anonymous RSS', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  t.is((await c.call(['SET', 'small', 'x']))?.text, 'OK');
  const base = anonRssBytes(srv.pid);

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
  const peak = anonRssBytes(srv.pid);
  t.log(`anonymous RSS ${(base / MiB).toFixed(0)} MiB at start, ${(peak / MiB).toFixed(0)} MiB after the DEL`);

  // Idle now: poll until it is within 100 MiB of the start (it held 400+ MiB before the fix, for minutes).
  const idleFrom = Date.now();
  let anon = peak;
  while (Date.now() - idleFrom < 20_000) {
    anon = anonRssBytes(srv.pid);
    if (anon < base + 100 * MiB) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.log(`anonymous RSS ${(anon / MiB).toFixed(0)} MiB after ${Date.now() - idleFrom} ms idle (all RSS ${(rssBytes(srv.pid) / MiB).toFixed(0)} MiB)`);
  t.true(anon < base + 100 * MiB, `anonymous RSS still ${(anon / MiB).toFixed(0)} MiB, ${((anon - base) / MiB).toFixed(0)} MiB over the start, after 20 s idle`);
  // Still serving, data intact.
  t.is((await c.call(['GET', 'small']))?.data?.toString(), 'x');
});
