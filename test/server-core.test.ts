// test/server-core.test.ts — the server core against a real dynkv-server
// over TCP: connection commands, authentication, transactions, CONFIG,
// COMMAND, INFO, pipelining order, protocol errors closing only the guilty
// connection, maxclients, startup flags and clean shutdown.
import test from 'ava';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { startServer } from './helpers/server';

function client(port: number, options: Record<string, unknown> = {}): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, ...options });
}

/**
 * Sends raw bytes, returns everything the server sent until it closed, went
 * quiet, or sent `expect` bytes.
 */
function raw(port: number, bytes: string, expect = Infinity, quietMs = 1500): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let data = '';
    let timer = setTimeout(() => finish(false), quietMs);
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data, closed });
    };
    s.on('data', (d) => {
      data += d.toString('latin1');
      clearTimeout(timer);
      if (data.length >= expect) {
        finish(false);
        return;
      }
      timer = setTimeout(() => finish(false), quietMs);
    });
    s.on('close', () => finish(true));
  });
}

test('PING, ECHO, SELECT, CLIENT, HELLO and RESET answer as Redis', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  t.teardown(() => r.disconnect());
  t.is(await r.ping(), 'PONG');
  t.is(await r.ping('hi'), 'hi');
  t.is(await r.echo('x y'), 'x y');
  t.is(await r.select(3), 'OK');
  await t.throwsAsync(r.select(16), { message: 'ERR DB index is out of range' });
  await t.throwsAsync(r.select('x' as unknown as number), { message: 'ERR value is not an integer or out of range' });
  t.is(await r.client('SETNAME', 'worker-1'), 'OK');
  t.is(await r.client('GETNAME'), 'worker-1');
  await t.throwsAsync(r.client('SETNAME', 'a b'), { message: 'ERR Client names cannot contain spaces, newlines or special characters.' });
  const id = (await r.client('ID')) as number;
  t.true(id > 0);
  const list = (await r.client('LIST')) as string;
  t.regex(list, new RegExp(`id=${id} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${srv.port} .*name=worker-1 .*db=3 `));
  t.is(await r.call('CLIENT', 'SETINFO', 'LIB-NAME', 'mylib'), 'OK');
  t.regex((await r.client('INFO')) as string, /lib-name=mylib/);
  const hello = (await r.call('HELLO', '2')) as unknown[];
  t.deepEqual(hello.slice(0, 6), ['server', 'redis', 'version', '7.0.15', 'proto', 2]);
  await t.throwsAsync(r.call('HELLO', '4'), { message: 'NOPROTO unsupported protocol version' });
  t.is(await r.call('RESET'), 'RESET');
  t.is(await r.client('GETNAME'), null);
  await t.throwsAsync(r.call('NOSUCH', 'a', 'b'), { message: "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' " });
  await t.throwsAsync(r.call('ECHO'), { message: "ERR wrong number of arguments for 'echo' command" });
  await t.throwsAsync(r.call('CLIENT', 'NOPE'), { message: "ERR unknown subcommand 'NOPE'. Try CLIENT HELP." });
});

test('RESP3 through HELLO 3: maps and nulls in their RESP3 form', async (t) => {
  const srv = await startServer(t);
  const { data } = await raw(srv.port, 'HELLO 3\r\nCLIENT GETNAME\r\nCONFIG GET maxclients\r\n');
  t.regex(data, /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n/);
  t.true(data.includes('_\r\n%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n'), data);
});

test('requirepass: NOAUTH until AUTH; wrong passwords are refused', async (t) => {
  const srv = await startServer(t, ['--requirepass', 's3cret']);
  const { data } = await raw(srv.port, 'PING\r\nAUTH nope\r\nAUTH s3cret\r\nPING\r\n');
  t.is(data, '-NOAUTH Authentication required.\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n+PONG\r\n');
  const r = client(srv.port, { password: 's3cret' });
  t.teardown(() => r.disconnect());
  t.is(await r.ping(), 'PONG');
  const hello = await raw(srv.port, 'HELLO 3 AUTH default s3cret SETNAME x\r\nCLIENT GETNAME\r\n');
  t.true(hello.data.startsWith('%7\r\n'));
  t.true(hello.data.endsWith('$1\r\nx\r\n'));
});

test('MULTI/EXEC, DISCARD, EXECABORT and WATCH', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  const other = client(srv.port);
  t.teardown(() => {
    r.disconnect();
    other.disconnect();
  });
  const { data } = await raw(srv.port, 'MULTI\r\nSET a 1\r\nGET a\r\nEXEC\r\nEXEC\r\nMULTI\r\nMULTI\r\nNOSUCH\r\nEXEC\r\nDISCARD\r\n');
  t.is(
    data,
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$1\r\n1\r\n-ERR EXEC without MULTI\r\n+OK\r\n-ERR MULTI calls can not be nested\r\n' +
      "-ERR unknown command 'NOSUCH', with args beginning with: \r\n-EXECABORT Transaction discarded because of previous errors.\r\n-ERR DISCARD without MULTI\r\n",
  );
  await r.watch('w');
  await other.set('w', 'changed');
  t.is(await r.multi().set('w', 'mine').exec(), null);
  t.is(await other.get('w'), 'changed');
  await r.watch('w');
  t.deepEqual(await r.multi().set('w', 'mine').exec(), [[null, 'OK']]);
  t.is(await other.get('w'), 'mine');
  // A watched key that expires before EXEC fails the transaction, as in Redis 7.0.
  await other.set('short', 'v', 'PX', 100);
  await r.watch('short');
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(await r.multi().set('x', '1').exec(), null);
  t.is(await other.get('x'), null);
});

test('pipelined replies come back in order, in one go', async (t) => {
  const srv = await startServer(t);
  let cmds = '';
  let expected = '';
  for (let i = 0; i < 500; i++) {
    cmds += `*3\r\n$3\r\nSET\r\n$${String(i).length + 1}\r\nk${i}\r\n$${String(i).length}\r\n${i}\r\n*2\r\n$3\r\nGET\r\n$${String(i).length + 1}\r\nk${i}\r\n`;
    expected += `+OK\r\n$${String(i).length}\r\n${i}\r\n`;
  }
  const { data } = await raw(srv.port, cmds, expected.length);
  t.is(data, expected);
});

test('a protocol error answers, closes that connection only', async (t) => {
  const srv = await startServer(t);
  const bystander = client(srv.port);
  t.teardown(() => bystander.disconnect());
  await bystander.set('still', 'here');
  const bad = await raw(srv.port, '*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n');
  t.is(bad.data, "-ERR Protocol error: expected '$', got 'f'\r\n");
  t.true(bad.closed);
  const huge = await raw(srv.port, '*20000000\r\n');
  t.is(huge.data, '-ERR Protocol error: invalid multibulk length\r\n');
  t.true(huge.closed);
  t.is(await bystander.get('still'), 'here');
});

test('CONFIG GET/SET, COMMAND, INFO', async (t) => {
  const srv = await startServer(t, ['--maxclients', '50']);
  const r = client(srv.port);
  t.teardown(() => r.disconnect());
  t.deepEqual(await r.config('GET', 'maxclients'), ['maxclients', '50']);
  t.is(await r.config('SET', 'maxclients', '60'), 'OK');
  t.deepEqual(await r.config('GET', 'maxclients'), ['maxclients', '60']);
  await t.throwsAsync(r.config('SET', 'nosuch', '1'), { message: "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'" });
  await t.throwsAsync(r.config('SET', 'port', '1'), { message: /can't set immutable config/ });
  const info = (await r.command('INFO', 'get')) as unknown[][];
  t.deepEqual(info[0].slice(0, 6), ['get', 2, ['readonly', 'fast'], 1, 1, 1]);
  t.true(((await r.call('COMMAND', 'COUNT')) as number) > 40);
  const text = await r.info();
  t.regex(text, /# Server\r\nredis_version:7\.0\.15\r\ndynkv_version:/);
  t.regex(text, /# Replication\r\nrole:master/);
  await r.set('k', 'v');
  t.regex(await r.info('keyspace'), /db0:keys=1,expires=0/);
  const stats = await r.info('commandstats');
  t.regex(stats, /cmdstat_set:calls=1,/);
});

test('TIME: seconds and microseconds of the wall clock, the microseconds measured (not a millisecond times 1000)', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  t.teardown(() => r.disconnect());
  const micros: number[] = [];
  let last = 0;
  for (let i = 0; i < 200; i++) {
    const before = Date.now();
    const [sec, usec] = (await r.time()) as unknown as [string, string];
    const after = Date.now();
    t.regex(usec, /^\d{1,6}$/);
    const at = Number(sec) * 1e6 + Number(usec);
    t.true(at >= before * 1000 - 1000 && at <= after * 1000 + 1000, `TIME ${sec}.${usec} lies between ${before} and ${after} ms`);
    t.true(at >= last, `no step back: ${at} after ${last}`);
    last = at;
    micros.push(Number(usec) % 1000);
  }
  t.true(new Set(micros).size > 10, `the microseconds within the millisecond vary: ${micros.join(' ')}`);
});

test('maxclients refuses the connection past the limit', async (t) => {
  const srv = await startServer(t, ['--maxclients', '1']);
  const first = client(srv.port);
  t.teardown(() => first.disconnect());
  await first.ping();
  const { data, closed } = await raw(srv.port, 'PING\r\n');
  t.is(data, '-ERR max number of clients reached\r\n');
  t.true(closed);
});

test('unknown flags and settings dynkv cannot honour fail at start; SIGTERM shuts down cleanly and keeps the data', async (t) => {
  const bin = path.resolve(__dirname, '../bin/dynkv-server.js');
  const bad = spawnSync(process.execPath, [bin, '--port', '0', '--no-such-flag', 'x'], { encoding: 'utf8' });
  t.is(bad.status, 1);
  t.regex(bad.stderr, /unknown setting 'no-such-flag'/);
  // Settings dynkv cannot honour are refused with the reason, not accepted and ignored.
  const noLog = spawnSync(process.execPath, [bin, '--port', '0', '--appendonly', 'no'], { encoding: 'utf8', timeout: 10_000 });
  t.is(noLog.status, 1);
  t.regex(noLog.stderr, /option --appendonly: dynkv cannot turn appendonly off: the append-only log is its store/);
  const snapshots = spawnSync(process.execPath, [bin, '--port', '0', '--save', '3600', '1'], { encoding: 'utf8', timeout: 10_000 });
  t.is(snapshots.status, 1);
  t.regex(snapshots.stderr, /option --save: dynkv takes no RDB snapshots: only save "" is accepted/);
  const srv = await startServer(t, ['--save', '', '--appendonly', 'yes']);
  const r = client(srv.port);
  await r.set('durable', 'yes');
  r.disconnect();
  t.is(await srv.stop(), 0);
  t.regex(srv.output(), /SIGTERM received, shutting down/);
  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = client(again.port);
  t.teardown(() => r2.disconnect());
  t.is(await r2.get('durable'), 'yes');
});

test('SHUTDOWN (redis-cli shutdown) stops the server cleanly and keeps the data', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  await r.set('durable', 'yes');
  r.disconnect();
  const cli = spawnSync('redis-cli', ['-p', String(srv.port), 'shutdown', 'nosave'], { encoding: 'utf8' });
  t.is(cli.status, 0);
  t.is(cli.stdout, '');
  t.is(await srv.stop(), 0);
  t.regex(srv.output(), /SHUTDOWN received, shutting down/);
  const again = await startServer(t, [], { dir: srv.dir });
  const r2 = client(again.port);
  t.teardown(() => r2.disconnect());
  t.is(await r2.get('durable'), 'yes');
});

test('an expired key reads as missing and is reclaimed (on access or by active expiry)', async (t) => {
  const srv = await startServer(t);
  const r = client(srv.port);
  t.teardown(() => r.disconnect());
  await r.set('gone', 'v', 'PX', 20);
  await r.set('kept', 'v');
  await new Promise((resolve) => setTimeout(resolve, 80));
  t.is(await r.get('gone'), null);
  t.is(await r.dbsize(), 1);
  t.regex(await r.info('stats'), /expired_keys:1\r\n/);
});
