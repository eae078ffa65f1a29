// test/server-output-buffers.test.ts — a client's output against a real
// dynkv-server (issue 9): a client that does not read holds back its own
// commands, not the server's memory or other clients; the replies all
// arrive once it reads; client-output-buffer-limit's hard and soft limits
// close a client and INFO counts it; CONFIG SET/GET of the limits as Redis 7.0.
// (CLIENT LIST's buffer figures: server-client-list.test.ts.)
import net from 'node:net';
import test from 'ava';
import { RawClient, decodeReply, encodeCommand, type Reply } from '../redis-compat/raw-client';
import { rssBytes } from '../redis-compat/servers';
import { startServer } from './helpers/server';

const MiB = 1024 * 1024;

function text(r: Reply | null): string {
  if (r === null) return '(closed)';
  return `${r.type}${r.text ?? r.data?.toString() ?? ''}`;
}

async function infoField(c: RawClient, section: string, field: string): Promise<string> {
  const r = await c.call(['INFO', section], 10_000);
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(r?.data?.toString() ?? '');
  if (m === null) throw new Error(`no ${field} in INFO ${section}`);
  return m[1];
}

/** A raw socket that writes and does not read until resumed. */
async function silentClient(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.pause();
  return s;
}

function pipelinedGets(key: string, n: number): Buffer {
  const one = encodeCommand(['GET', key]);
  return Buffer.concat(Array.from({ length: n }, () => one));
}

/** Resolves once the socket closed, with the bytes it received. */
function closedWith(s: net.Socket): Promise<number> {
  let got = 0;
  s.on('data', (d: Buffer) => (got += d.length));
  s.on('error', () => undefined);
  const done = new Promise<number>((resolve) => s.once('close', () => resolve(got)));
  s.resume();
  return done;
}

test('a client pipelining 1,500 GETs of 1 MiB without reading: RSS stays bounded, other clients answer at once, and every reply arrives once it reads', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  const value = Buffer.alloc(MiB, 'v');
  t.is(text(await c.call(['SET', 'big', value], 30_000)), '+OK');
  const base = rssBytes(srv.pid);

  const slow = await silentClient(srv.port);
  t.teardown(() => slow.destroy());
  slow.write(pipelinedGets('big', 1500));
  // While the slow client's replies are backed up: PINGs from another client, RSS sampled.
  let peak = 0;
  let worstPing = 0;
  const started = Date.now();
  while (Date.now() - started < 3000) {
    const t0 = Date.now();
    t.is(text(await c.call(['PING'], 60_000)), '+PONG');
    worstPing = Math.max(worstPing, Date.now() - t0);
    peak = Math.max(peak, rssBytes(srv.pid) - base);
    await new Promise((r) => setTimeout(r, 20));
  }
  t.log(`RSS peak ${(peak / MiB).toFixed(0)} MiB over the start, worst PING ${worstPing} ms`);
  // 1,500 replies are 1.5 GB: holding them (or copies) is far above this.
  t.true(peak < 300 * MiB, `RSS rose by ${(peak / MiB).toFixed(0)} MiB`);
  t.true(worstPing < 1000, `a PING took ${worstPing} ms`);

  // The slow client reads now: 1,500 intact replies, nothing more.
  const one = Buffer.concat([Buffer.from(`$${MiB}\r\n`), value, Buffer.from('\r\n')]);
  const total = one.length * 1500;
  const received = await new Promise<number>((resolve, reject) => {
    let at = 0;
    let bad = -1;
    slow.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length && bad < 0; ) {
        const off = at % one.length;
        const n = Math.min(d.length - i, one.length - off);
        if (d.compare(one, off, off + n, i, i + n) !== 0) bad = at;
        i += n;
        at += n;
      }
      if (bad >= 0) reject(new Error(`reply bytes differ near offset ${bad}`));
      else if (at >= total) setTimeout(() => resolve(at), 200); // anything extra would arrive meanwhile
    });
    slow.resume();
  });
  t.is(received, total);
});

test('while its output is backed up a client\'s pipeline waits, then runs in order: big and small replies, a command cut across reads, MULTI', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  t.is(text(await c.call(['SET', 'big', Buffer.alloc(MiB, 'g')], 30_000)), '+OK');
  const slow = await silentClient(srv.port);
  t.teardown(() => slow.destroy());
  // 100 rounds of GET big, INCR n, PING; then a MULTI; the last command arrives cut in two writes.
  const round = Buffer.concat([encodeCommand(['GET', 'big']), encodeCommand(['INCR', 'n']), encodeCommand(['PING'])]);
  const tail = Buffer.concat([encodeCommand(['MULTI']), encodeCommand(['INCR', 'n']), encodeCommand(['GET', 'n']), encodeCommand(['EXEC']), encodeCommand(['ECHO', 'last'])]);
  slow.write(Buffer.concat([...Array.from({ length: 100 }, () => round), tail.subarray(0, tail.length - 7)]));
  // The server stopped part-way: n counts only the INCRs run so far, and it answers others meanwhile.
  await new Promise((r) => setTimeout(r, 300));
  const partial = Number((await c.call(['GET', 'n']))?.data?.toString() ?? '0');
  t.true(partial < 100, `all ${partial} INCRs ran though the client read nothing`);
  slow.write(tail.subarray(tail.length - 7));

  const replies: Reply[] = [];
  await new Promise<void>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    slow.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      for (;;) {
        const r = decodeReply(buf, 0);
        if (r === null) break;
        replies.push(r.reply);
        buf = buf.subarray(r.end);
      }
      if (replies.length > 305) reject(new Error(`${replies.length} replies`));
      else if (replies.length === 305) resolve();
    });
    slow.resume();
  });
  for (let i = 0; i < 100; i++) {
    const [get, incr, ping] = replies.slice(3 * i, 3 * i + 3);
    t.true(get.type === '$' && get.data?.length === MiB && get.data[MiB - 1] === 0x67, `round ${i}: GET`);
    t.is(text(incr), `:${i + 1}`, `round ${i}: INCR`);
    t.is(text(ping), '+PONG', `round ${i}: PING`);
  }
  t.deepEqual(replies.slice(300, 303).map(text), ['+OK', '+QUEUED', '+QUEUED']);
  t.deepEqual(replies[303].items?.map(text), [':101', '$101']);
  t.is(text(replies[304]), '$last');
});

test('client-output-buffer-limit: a reply over the hard limit closes the client at once; INFO counts it; other clients go on', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  t.is(text(await c.call(['SET', 'big', Buffer.alloc(2 * MiB, 'b')], 30_000)), '+OK');
  t.is(text(await c.call(['SET', 'small', 'x'])), '+OK');
  t.is(await infoField(c, 'stats', 'client_output_buffer_limit_disconnections'), '0');
  t.is(text(await c.call(['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1mb 0 0'])), '+OK');

  const victim = await RawClient.connect(srv.port);
  t.teardown(() => victim.close());
  t.is(text(await victim.call(['GET', 'small'])), '$x'); // under the limit: answered
  victim.write(encodeCommand(['GET', 'big']));
  t.is(await victim.read(30_000), null, 'the connection closes without the reply');

  t.is(await infoField(c, 'stats', 'client_output_buffer_limit_disconnections'), '1');
  t.is(text(await c.call(['GET', 'small'])), '$x');
  t.true(srv.output().includes('client-output-buffer-limit'), srv.output());
  // 0 lifts it: the same reply goes out whole.
  t.is(text(await c.call(['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0'])), '+OK');
  const r = await c.call(['GET', 'big'], 30_000);
  t.is(r?.data?.length, 2 * MiB);
});

test('client-output-buffer-limit: a client that stays over the soft limit is closed after its seconds, not before', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  // A reply bigger than the kernel's socket buffers take: the server holds MBs of it.
  t.is(text(await c.call(['SET', 'big', Buffer.alloc(16 * MiB, 's')], 30_000)), '+OK');
  t.is(text(await c.call(['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 1mb 1'])), '+OK');

  const slow = await silentClient(srv.port);
  t.teardown(() => slow.destroy());
  const sent = Date.now();
  slow.write(pipelinedGets('big', 4));
  let closedAt = 0;
  slow.once('close', () => (closedAt = Date.now()));
  slow.on('error', () => undefined);
  const deadline = Date.now() + 60_000;
  while (closedAt === 0 && Date.now() < deadline) {
    if ((await infoField(c, 'stats', 'client_output_buffer_limit_disconnections')) === '1') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.is(await infoField(c, 'stats', 'client_output_buffer_limit_disconnections'), '1');
  const got = await closedWith(slow);
  t.true(closedAt - sent >= 1000, `closed after ${closedAt - sent} ms, sooner than its 1 s`);
  t.true(got < 4 * 16 * MiB, `received ${got} bytes: all the replies went out`);
});

test('CONFIG SET/GET client-output-buffer-limit: forms, units, errors and all-or-nothing as Redis 7.0', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  const get = async (): Promise<string> => {
    const r = await c.call(['CONFIG', 'GET', 'client-output-buffer-limit']);
    return r?.items?.map((i) => i.data?.toString()).join('|') ?? text(r);
  };
  const set = async (value: string): Promise<string> => text(await c.call(['CONFIG', 'SET', 'client-output-buffer-limit', value]));
  const prefix = "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
  t.is(await get(), 'client-output-buffer-limit|normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
  // Each answer below is redis-server 7.0.15's.
  const cases: [string, string, string][] = [
    ['normal 1mb 512kb 10', '+OK', 'normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
    ['normal 1 2', `${prefix}Wrong number of arguments in buffer limit configuration.`, 'normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
    ['foo 1 2 3', `${prefix}Invalid client class specified in buffer limit configuration.`, 'normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
    ['master 1 2 3', `${prefix}Invalid client class specified in buffer limit configuration.`, 'normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
    ['normal -1 0 0', `${prefix}Error in hard, soft or soft_seconds setting in buffer limit configuration.`, 'normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
    ['normal 1.5 0 0', `${prefix}Error in hard, soft or soft_seconds setting in buffer limit configuration.`, 'normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
    ['normal 1 2 3 foo 1 2 3', `${prefix}Invalid client class specified in buffer limit configuration.`, 'normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
    ['normal 1 2 3 pubsub 4 5 6', '+OK', 'normal 1 2 3 slave 268435456 67108864 60 pubsub 4 5 6'],
    ['replica 1 2 3', '+OK', 'normal 1 2 3 slave 1 2 3 pubsub 4 5 6'],
    ['SLAVE 5 6 7', '+OK', 'normal 1 2 3 slave 5 6 7 pubsub 4 5 6'],
    ['', '+OK', 'normal 1 2 3 slave 5 6 7 pubsub 4 5 6'],
    ['normal 1 2 3 normal 4 5 6', '+OK', 'normal 4 5 6 slave 5 6 7 pubsub 4 5 6'],
    [' normal  7   8 9 ', `${prefix}Wrong number of arguments in buffer limit configuration.`, 'normal 4 5 6 slave 5 6 7 pubsub 4 5 6'],
    ['normal  1 2', '+OK', 'normal 0 1 2 slave 5 6 7 pubsub 4 5 6'],
    ['normal 1 2 ', '+OK', 'normal 1 2 0 slave 5 6 7 pubsub 4 5 6'],
    ['normal 1b 2 +3', '+OK', 'normal 1 2 3 slave 5 6 7 pubsub 4 5 6'],
    ['normal 1 2 4294967296', '+OK', 'normal 1 2 0 slave 5 6 7 pubsub 4 5 6'],
    ['normal 1 2 2147483648', `${prefix}Error in hard, soft or soft_seconds setting in buffer limit configuration.`, 'normal 1 2 0 slave 5 6 7 pubsub 4 5 6'],
    ['normal 5 6 99999999999999999999', `${prefix}Error in hard, soft or soft_seconds setting in buffer limit configuration.`, 'normal 1 2 0 slave 5 6 7 pubsub 4 5 6'],
    ['normal 1 2 0x5', `${prefix}Error in hard, soft or soft_seconds setting in buffer limit configuration.`, 'normal 1 2 0 slave 5 6 7 pubsub 4 5 6'],
    ['normal 18446744073709551616 0 0', '+OK', 'normal 18446744073709551615 0 0 slave 5 6 7 pubsub 4 5 6'],
    ['normal 20000000000gb 0 0', '+OK', 'normal 3028092406290448384 0 0 slave 5 6 7 pubsub 4 5 6'],
    ['Pubsub 1K 2Kb 3', '+OK', 'normal 3028092406290448384 0 0 slave 5 6 7 pubsub 1000 2048 3'],
  ];
  for (const [value, reply, after] of cases) {
    t.is(await set(value), reply, `CONFIG SET '${value}'`);
    t.is(await get(), `client-output-buffer-limit|${after}`, `after '${value}'`);
  }
  const all = await c.call(['CONFIG', 'GET', '*output-buffer*']);
  t.deepEqual(all?.items?.map((i) => i.data?.toString()), ['client-output-buffer-limit', 'normal 3028092406290448384 0 0 slave 5 6 7 pubsub 1000 2048 3']);
});

test('client-output-buffer-limit from the command line, as words or one string, as redis-server reads it', async (t) => {
  const srv = await startServer(t, ['--client-output-buffer-limit', 'normal', '10mb', '5mb', '30', '--client-output-buffer-limit', 'pubsub 1 2 3']);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  const r = await c.call(['CONFIG', 'GET', 'client-output-buffer-limit']);
  t.is(r?.items?.[1].data?.toString(), 'normal 10485760 5242880 30 slave 268435456 67108864 60 pubsub 1 2 3');
});
