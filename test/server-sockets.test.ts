// test/server-sockets.test.ts — the native client socket layer
// (server/native/socket.cc) against a real dynkv-server: replies larger than
// the kernel takes at once reach a client that reads slowly, whole and in
// order; a client that leaves with output pending, or half-closes, or sends
// a request in many small writes, disturbs nothing; QUIT after a large reply
// closes only once the reply is out.
import test from 'ava';
import crypto from 'node:crypto';
import net from 'node:net';
import Redis from 'ioredis';
import { startServer } from './helpers/server';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** Connects a raw socket that does not read until told to. */
function connectPaused(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.pause();
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Reads from s until `bytes` bytes or the close; resolves with what came and whether the server closed. */
function readAll(s: net.Socket, bytes: number): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    const done = (closed: boolean): void => resolve({ data: Buffer.concat(parts), closed });
    s.on('data', (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= bytes) done(false);
    });
    s.on('close', () => done(true));
    s.resume();
  });
}

test('a 24 MiB reply reaches a client that reads slowly, whole, followed by the next reply', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  t.teardown(() => r.disconnect());
  const value = crypto.randomBytes(24 * 1024 * 1024);
  await r.set('big', value);

  const s = await connectPaused(srv.port);
  t.teardown(() => s.destroy());
  s.write('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n*1\r\n$4\r\nPING\r\n');
  await delay(500); // the kernel's buffers fill; the rest waits in the server
  t.is(await r.ping(), 'PONG', 'other clients are served meanwhile');
  const header = Buffer.from(`$${value.length}\r\n`);
  const expected = Buffer.concat([header, value, Buffer.from('\r\n+PONG\r\n')]);
  const { data } = await readAll(s, expected.length);
  t.is(data.length, expected.length);
  t.true(data.equals(expected), 'the bytes arrive whole and in order');
});

test('QUIT after a large reply closes the connection once the reply is out', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  t.teardown(() => r.disconnect());
  const value = Buffer.alloc(8 * 1024 * 1024, 'q');
  await r.set('big', value);
  const s = await connectPaused(srv.port);
  s.write('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n*1\r\n$4\r\nQUIT\r\n');
  await delay(300);
  const { data, closed } = await readAll(s, Infinity);
  t.true(closed, 'the server closed the connection');
  t.is(data.length, `$${value.length}\r\n`.length + value.length + 2 + '+OK\r\n'.length);
  t.true(data.subarray(data.length - 5).equals(Buffer.from('+OK\r\n')));
});

test('a client that leaves with a large reply pending, or half-closes, does not disturb the server', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  t.teardown(() => r.disconnect());
  await r.set('big', Buffer.alloc(16 * 1024 * 1024, 'x'));
  for (let i = 0; i < 5; i++) {
    const s = await connectPaused(srv.port);
    s.write('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n');
    await delay(50);
    s.destroy();
  }
  const half = await connectPaused(srv.port);
  half.end('*1\r\n$4\r\nPING\r\n'); // the request, then FIN
  const { data, closed } = await readAll(half, Infinity);
  t.is(data.toString(), '+PONG\r\n', 'a half-closed client still gets its reply');
  t.true(closed);
  t.is(await r.ping(), 'PONG');
  const clients = (await r.client('LIST')) as string;
  t.is(clients.trim().split('\n').length, 1, `only the test's own client is left: ${clients}`);
});

test('a request sent a byte at a time is answered once whole', async (t) => {
  const srv = await startServer(t);
  const s = await connectPaused(srv.port);
  t.teardown(() => s.destroy());
  s.setNoDelay(true);
  const request = '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n';
  const reading = readAll(s, '+OK\r\n$5\r\nvalue\r\n'.length);
  for (const ch of request) {
    s.write(ch);
    await delay(2);
  }
  t.is((await reading).data.toString(), '+OK\r\n$5\r\nvalue\r\n');
});
