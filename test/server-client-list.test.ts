// test/server-client-list.test.ts — CLIENT LIST and INFO clients report what
// a real dynkv-server holds for each connection (issue 9, defect 12): the
// socket's fd (checked in /proc), the query buffer of a half-sent command
// and the arguments read so far, the queued MULTI commands, the output held
// for a client that does not read.
import fs from 'node:fs';
import net from 'node:net';
import test from 'ava';
import { RawClient, encodeCommand } from '../redis-compat/raw-client';
import { startServer } from './helpers/server';

type Fields = Record<string, string>;

async function clientList(c: RawClient): Promise<Fields[]> {
  const r = await c.call(['CLIENT', 'LIST'], 10_000);
  const lines = (r?.data?.toString() ?? '').split('\n').filter((l) => l !== '');
  return lines.map((l) => Object.fromEntries(l.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])));
}

/** Polls CLIENT LIST until the line of the client at `addr` satisfies `ok`; returns that line. */
async function waitForLine(c: RawClient, addr: string, ok: (f: Fields) => boolean): Promise<Fields> {
  const deadline = Date.now() + 30_000;
  let last: Fields | undefined;
  while (Date.now() < deadline) {
    last = (await clientList(c)).find((f) => f.addr === addr);
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`CLIENT LIST never showed it: ${JSON.stringify(last)}`);
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.on('error', () => undefined);
  return s;
}

const addrOf = (s: net.Socket): string => `127.0.0.1:${s.localPort}`;

/** The socket inode of the server's end of the connection from local port `clientPort` (/proc/PID/net/tcp). */
function serverSocketInode(pid: number, serverPort: number, clientPort: number): string {
  const hex = (p: number): string => p.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[1].endsWith(`:${hex(serverPort)}`) && f[2].endsWith(`:${hex(clientPort)}`)) return f[9];
  }
  throw new Error(`no connection from port ${clientPort} in /proc/${pid}/net/tcp`);
}

test('CLIENT LIST: fd is the connection socket in /proc; qbuf and argv-mem of a half-sent command; argv-mem of the command itself', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  const half = await connect(srv.port);
  t.teardown(() => half.destroy());
  // SET k <10 bytes>, of which 4 are sent: "SET" and "k" read (4 bytes of arguments), 4 bytes of the value waiting.
  half.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabcd');
  const line = await waitForLine(c, addrOf(half), (f) => f.qbuf !== '0');
  t.is(line.qbuf, '4');
  t.is(line['argv-mem'], '4');
  t.is(line['qbuf-free'], '0');
  t.is(line.events, 'r');
  t.true(Number(line['tot-mem']) >= 8, line['tot-mem']);

  const fd = Number(line.fd);
  t.true(fd > 2, `fd=${line.fd}`);
  const link = fs.readlinkSync(`/proc/${srv.pid}/fd/${fd}`);
  t.is(link, `socket:[${serverSocketInode(srv.pid, srv.port, half.localPort as number)}]`);
  // Each client its own fd.
  const mine = (await clientList(c)).find((f) => f.cmd === 'client|list');
  t.truthy(mine);
  t.not(mine?.fd, line.fd);
  // The asking client's own line: the arguments of CLIENT LIST (6 + 4 bytes), as Redis shows them.
  t.is(mine?.['argv-mem'], '10');

  // The rest of the value: the command runs, nothing is left buffered.
  half.write('efghij\r\n');
  const done = await waitForLine(c, addrOf(half), (f) => f.cmd === 'set');
  t.is(done.qbuf, '0');
  t.is(done['argv-mem'], '0');
});

test('CLIENT LIST: multi and multi-mem count the queued MULTI commands as Redis does', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  const m = await RawClient.connect(srv.port);
  t.teardown(() => m.close());
  t.is((await m.call(['MULTI']))?.text, 'OK');
  t.is((await m.call(['SET', 'a', 'bb']))?.text, 'QUEUED');
  t.is((await m.call(['SET', 'abc', 'defgh']))?.text, 'QUEUED');
  const line = (await clientList(c)).find((f) => f.flags === 'x');
  // redis-server 7.0.15: multi=2 multi-mem=65 (each command's argument bytes plus 8 per argument).
  t.is(line?.multi, '2');
  t.is(line?.['multi-mem'], '65');
  t.true(Number(line?.['tot-mem']) >= 65);
  t.is((await m.call(['DISCARD']))?.text, 'OK');
  const after = (await clientList(c)).find((f) => f.multi !== '-1' || f['multi-mem'] !== '0');
  t.is(after, undefined);
});

test('CLIENT LIST and INFO clients: a client that does not read shows its pending output (omem, oll, events=w)', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  // 16 MiB: more than the kernel's socket buffers take, so the server holds the rest.
  t.is((await c.call(['SET', 'big', Buffer.alloc(16 * 1024 * 1024, 'x')], 30_000))?.text, 'OK');
  const before = await c.call(['INFO', 'clients']);
  t.regex(before?.data?.toString() ?? '', /\r\nclient_recent_max_output_buffer:0\r\n/);

  const slow = await connect(srv.port);
  t.teardown(() => slow.destroy());
  slow.pause();
  slow.write(encodeCommand(['GET', 'big']));
  const line = await waitForLine(c, addrOf(slow), (f) => f.omem !== '0' && f.events === 'w');
  const omem = Number(line.omem);
  t.true(omem > 1024 * 1024 && omem < 16 * 1024 * 1024, `omem=${line.omem}`);
  t.true(Number(line.oll) >= 1, `oll=${line.oll}`);
  t.is(Number(line['tot-mem']), omem + Number(line.obl) + Number(line.qbuf) + Number(line['argv-mem']) + Number(line['multi-mem']));
  const info = (await c.call(['INFO', 'clients']))?.data?.toString() ?? '';
  const max = Number(/client_recent_max_output_buffer:(\d+)/.exec(info)?.[1]);
  t.true(max >= omem, `client_recent_max_output_buffer:${max} with omem=${omem}`);

  // Once read, it all goes out: omem back to 0, reading again.
  let got = 0;
  slow.on('data', (d: Buffer) => (got += d.length));
  slow.resume();
  const drained = await waitForLine(c, addrOf(slow), (f) => f.omem === '0' && f.events === 'r');
  t.is(drained.oll, '0');
  const deadline = Date.now() + 30_000;
  while (got < 16 * 1024 * 1024 + 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(got, 16 * 1024 * 1024 + `$${16 * 1024 * 1024}\r\n\r\n`.length);
});
