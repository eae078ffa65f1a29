// bench/slow-reader.ts — issue 9's output-buffer scenario against dynkv and
// redis-server (`node dist/bench/slow-reader.js [--only dynkv|redis]`): a
// 1 MiB value, 1,500 pipelined GETs of it from a client that does not read;
// meanwhile another client PINGs (the most latency seen) and the server's
// RSS is sampled (the peak). Then the slow client reads every reply, a
// 500 MiB SET and its DEL follow, and the idle server's RSS is watched for
// 15 s: how long its anonymous RSS (heap, Buffers, malloc; not the mapped
// log's page cache) takes to come back near where it started.
import fs from 'node:fs';
import net from 'node:net';
import { RawClient, encodeCommand } from '../redis-compat/raw-client';
import { rssBytes, startDynkv, startRedis, type ServerProcess } from '../redis-compat/servers';
import { flag } from './util';

const VALUE = 1024 * 1024;
const GETS = 1500;
const MB = 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RssAnon of a process in bytes (/proc/PID/status). */
function anonRss(pid: number): number {
  const m = /^RssAnon:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no RssAnon for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Reads `bytes` from a socket that was paused until now; resolves with the count read. */
function drain(socket: net.Socket, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= bytes) resolve(got);
    });
    socket.once('error', reject);
    socket.resume();
  });
}

async function scenario(server: ServerProcess): Promise<void> {
  const mb = (n: number): string => `${(n / MB).toFixed(0)} MB`;
  const base = rssBytes(server.pid);
  const baseAnon = anonRss(server.pid);
  const c = await RawClient.connect(server.port);
  const set = await c.call(['SET', 'big', Buffer.alloc(VALUE, 'v')], 30_000);
  if (set?.type !== '+') throw new Error(`SET: ${JSON.stringify(set)}`);

  const slow = net.connect(server.port, '127.0.0.1');
  await new Promise<void>((r) => slow.once('connect', () => r()));
  slow.pause();
  const gets = Buffer.concat(Array.from({ length: GETS }, () => encodeCommand(['GET', 'big'])));
  slow.write(gets);
  let peak = base;
  let worstPing = 0;
  for (let i = 0; i < 100; i++) {
    const t0 = process.hrtime.bigint();
    const r = await c.call(['PING'], 30_000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r?.type !== '+') throw new Error(`PING: ${JSON.stringify(r)}`);
    worstPing = Math.max(worstPing, ms);
    peak = Math.max(peak, rssBytes(server.pid));
    await sleep(50);
  }
  const replyBytes = GETS * (VALUE + `$${VALUE}\r\n\r\n`.length);
  const t0 = Date.now();
  await drain(slow, replyBytes);
  const drained = Date.now() - t0;
  slow.destroy();

  const huge = Buffer.alloc(500 * MB, 'h');
  const hs = await c.call(['SET', 'huge', huge], 120_000);
  if (hs?.type !== '+') throw new Error(`SET huge: ${JSON.stringify(hs)}`);
  await c.call(['DEL', 'huge'], 30_000);
  const idleFrom = Date.now();
  const samples: string[] = [];
  let back = -1;
  while (Date.now() - idleFrom < 15_000) {
    const anon = anonRss(server.pid);
    if (back < 0 && anon < baseAnon + 64 * MB) back = Date.now() - idleFrom;
    if (samples.length < 16 && Date.now() - idleFrom >= samples.length * 1000) samples.push(`${mb(rssBytes(server.pid))} (anon ${mb(anon)})`);
    await sleep(100);
  }
  c.close();
  console.log(
    `${server.name}: rss ${mb(base)} at start, peak ${mb(peak)} with ${GETS} GETs of 1 MiB unread ` +
      `(${mb(replyBytes)} of replies); other client's PING worst ${worstPing.toFixed(1)} ms; ` +
      `replies read in ${drained} ms; after SET+DEL of 500 MiB, idle rss by second: ${samples.join(', ')}; ` +
      `anonymous rss back within 64 MB of its start (${mb(baseAnon)}) after ${back < 0 ? 'more than 15 s' : `${(back / 1000).toFixed(1)} s`}`,
  );
}

async function main(): Promise<void> {
  const only = flag(process.argv, '--only');
  for (const name of ['dynkv', 'redis'] as const) {
    if (only !== null && only !== name) continue;
    const server = name === 'redis' ? await startRedis() : await startDynkv(['--appendfsync', 'everysec']);
    try {
      await scenario(server);
    } finally {
      await server.stop();
    }
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
