// test/clients.test.ts — real clients against dynkv-server: ioredis 5 and 6
// (ready check with INFO, commands, pipelines, MULTI; ioredis 6 also in
// RESP3), node-redis v5 (HELLO and CLIENT SETINFO on connect, RESP2 and
// RESP3), redis-cli one-shot, piped and interactive (under a pseudo-terminal
// made by `script`, where it loads COMMAND DOCS for its hints), and
// redis-benchmark running to completion.
import { spawn, spawnSync } from 'node:child_process';
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import Redis6 from 'ioredis6';
import { createClient } from 'redis';
import { startServer } from './helpers/server';

async function ioredis5(t: ExecutionContext, port: number, extra: Record<string, unknown> = {}): Promise<Redis> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, ...extra });
  t.teardown(() => r.disconnect());
  await r.connect();
  return r;
}

test('ioredis 5: ready check, commands, pipeline, MULTI, buffers, scanStream', async (t) => {
  const srv = await startServer(t);
  const r = await ioredis5(t, srv.port);
  t.is(r.status, 'ready');
  t.is(await r.set('a', '1'), 'OK');
  t.is(await r.get('a'), '1');
  t.is(await r.incrby('a', 41), 42);
  t.is(await r.set('t', 'v', 'EX', 100), 'OK');
  const ttl = await r.ttl('t');
  t.true(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
  t.deepEqual(await r.mget('a', 'nokey', 't'), ['42', null, 'v']);
  const bin = Buffer.from([0, 255, 13, 10, 1]);
  await r.set(bin, bin);
  t.deepEqual(await r.getBuffer(bin), bin);
  const piped = await r.pipeline().set('p1', 'x').incr('p2').incr('p2').get('p1').get('nokey').exec();
  t.deepEqual(piped, [[null, 'OK'], [null, 1], [null, 2], [null, 'x'], [null, null]]);
  const multi = await r.multi().set('m', '1').incr('m').get('m').exec();
  t.deepEqual(multi, [[null, 'OK'], [null, 2], [null, '2']]);
  await t.throwsAsync(r.multi().call('SET', 'm').exec(), { message: /EXECABORT/ });
  await r.mset(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`s:${i}`, String(i)])));
  const seen = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    r.scanStream({ match: 's:*', count: 50 })
      .on('data', (keys: string[]) => keys.forEach((k) => seen.add(k)))
      .on('end', resolve)
      .on('error', reject);
  });
  t.is(seen.size, 300);
  await t.throwsAsync(r.incr('t'), { message: 'ERR value is not an integer or out of range' });
  t.is(await r.call('PING'), 'PONG');
});

test('ioredis 5: password and database from the options', async (t) => {
  const srv = await startServer(t, ['--requirepass', 'sekret']);
  const r = await ioredis5(t, srv.port, { password: 'sekret', db: 3 });
  t.is(await r.set('k', 'in db 3'), 'OK');
  const other = await ioredis5(t, srv.port, { password: 'sekret' });
  t.is(await other.get('k'), null);
  await other.select(3);
  t.is(await other.get('k'), 'in db 3');
  // A wrong password: ioredis reports the server's WRONGPASS as an 'error' event.
  const bad = new Redis({ host: '127.0.0.1', port: srv.port, lazyConnect: true, password: 'wrong', maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => bad.disconnect());
  const failed = new Promise<Error>((resolve) => bad.once('error', resolve));
  await t.throwsAsync(bad.connect());
  t.regex((await failed).message, /^WRONGPASS invalid username-password pair or user is disabled\.$/);
});

for (const protocol of [2, 3] as const) {
  test(`ioredis 6 (RESP${protocol}): connect, ready check, pipeline, MULTI`, async (t) => {
    const srv = await startServer(t);
    const r = new Redis6({ host: '127.0.0.1', port: srv.port, lazyConnect: true, protocol, maxRetriesPerRequest: 1, retryStrategy: () => null });
    t.teardown(() => r.disconnect());
    await r.connect();
    t.is(r.status, 'ready');
    t.is(await r.set('a', 'b'), 'OK');
    t.is(await r.get('a'), 'b');
    t.is(await r.incr('n'), 1);
    const piped = await r.pipeline().incr('n').decrby('n', 5).getdel('a').exists('a').exec();
    t.deepEqual(piped, [[null, 2], [null, -3], [null, 'b'], [null, 0]]);
    t.deepEqual(await r.multi().set('x', '1').append('x', '2').get('x').exec(), [[null, 'OK'], [null, 2], [null, '12']]);
    const info = String(await r.call('CLIENT', 'INFO'));
    t.regex(info, new RegExp(`resp=${protocol}`));
    t.regex(info, /lib-name=ioredis/);
  });
}

for (const RESP of [2, 3] as const) {
  test(`node-redis v5 (RESP${RESP}): HELLO and CLIENT SETINFO on connect, commands, MULTI`, async (t) => {
    const srv = await startServer(t);
    const client = createClient({ socket: { host: '127.0.0.1', port: srv.port, reconnectStrategy: false }, RESP });
    const errors: Error[] = [];
    client.on('error', (e: Error) => errors.push(e));
    await client.connect();
    t.teardown(async () => {
      if (client.isOpen) await client.close();
    });
    t.is(await client.set('k', 'v', { expiration: { type: 'EX', value: 100 } }), 'OK');
    t.is(await client.get('k'), 'v');
    t.is(await client.incrBy('n', 5), 5);
    t.is(await client.incrByFloat('f', 1.5), '1.5');
    t.deepEqual(await client.mGet(['k', 'nokey']), ['v', null]);
    const ttl = await client.ttl('k');
    t.true(ttl > 90 && ttl <= 100, `TTL ${ttl}: the 100 s expiry, less the time this busy machine took`);
    t.deepEqual(await client.multi().set('m', '1').incr('m').get('m').exec(), ['OK', 2, '2']);
    t.is(String(await client.sendCommand(['PING'])), 'PONG');
    const info = String(await client.sendCommand(['CLIENT', 'INFO']));
    t.regex(info, new RegExp(`resp=${RESP}`));
    t.regex(info, /lib-name=node-redis/);
    const hello: unknown = await client.sendCommand(['HELLO']);
    // RESP3 maps arrive as objects, RESP2 as a flat array.
    if (RESP === 3) t.is((hello as Record<string, unknown>).proto, 3);
    else t.true(Array.isArray(hello) && hello.includes('proto'));
    t.deepEqual(errors, []);
  });
}

/** Runs redis-cli; `status` is the exit code, or the signal that ended it (e.g. SIGSEGV). */
function cli(args: string[], input?: string): { status: number | string | null; stdout: string; stderr: string } {
  const r = spawnSync('redis-cli', args, { input, encoding: 'utf8', timeout: 20000 });
  return { status: r.status ?? r.signal, stdout: r.stdout, stderr: r.stderr };
}

test('redis-cli: one-shot, --raw, --no-raw and piped stdin', async (t) => {
  const srv = await startServer(t);
  const p = ['-p', String(srv.port)];
  t.deepEqual(cli([...p, 'SET', 'a', 'b']), { status: 0, stdout: 'OK\n', stderr: '' });
  t.is(cli([...p, 'GET', 'a']).stdout, 'b\n');
  t.is(cli([...p, '--raw', 'GET', 'a']).stdout, 'b\n');
  t.is(cli([...p, '--no-raw', 'GET', 'a']).stdout, '"b"\n');
  t.is(cli([...p, '--no-raw', 'GET', 'nokey']).stdout, '(nil)\n');
  t.is(cli([...p, '--no-raw', 'INCR', 'n']).stdout, '(integer) 1\n');
  t.is(cli([...p, '--no-raw', 'MGET', 'a', 'nokey']).stdout, '1) "b"\n2) (nil)\n');
  t.is(cli([...p, '--no-raw', 'INCR', 'a']).stdout, '(error) ERR value is not an integer or out of range\n');
  t.is(cli([...p, 'PING']).stdout, 'PONG\n');
  // Without a terminal redis-cli still loads COMMAND DOCS first, then runs one command per line.
  const piped = cli(p, 'SET c 1\nINCR c\nGET c\nDEL c\n');
  t.is(piped.status, 0, `redis-cli with piped commands ended with ${String(piped.status)}: ${piped.stderr}`);
  t.is(piped.stdout, 'OK\n2\n2\n1\n');
  t.is(cli(['-p', String(srv.port), '-n', '2', 'SET', 'indb2', 'x']).stdout, 'OK\n');
  t.is(cli(['-p', String(srv.port), '-n', '2', 'DBSIZE']).stdout, '1\n');
});

test('redis-cli: interactive under a pseudo-terminal (COMMAND DOCS for hints)', async (t) => {
  const srv = await startServer(t);
  const prompt = `127.0.0.1:${srv.port}> `;
  // `script` gives redis-cli a terminal; stty gives it a width (else linenoise asks the terminal and waits).
  const child = spawn('script', ['-qfec', `stty cols 200 rows 50; redis-cli -p ${srv.port}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const waitFor = async (what: string | RegExp, from: number): Promise<void> => {
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-cli (under script) exited with ${child.exitCode}; output: ${JSON.stringify(out)}`);
      const rest = out.slice(from);
      if (typeof what === 'string' ? rest.includes(what) : what.test(rest)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`redis-cli never showed ${String(what)}; output: ${JSON.stringify(out)}`);
  };
  await waitFor(prompt, 0);
  let mark = out.length;
  child.stdin.write('SET a 1');
  await waitFor(/SET a 1/, mark);
  child.stdin.write('\r');
  await waitFor('\r\nOK\r\n', mark);
  mark = out.length;
  child.stdin.write('GET a\r');
  await waitFor('\r\n"1"\r\n', mark);
  mark = out.length;
  child.stdin.write('INCR a\r');
  await waitFor('(integer) 2', mark);
  mark = out.length;
  child.stdin.write('NOSUCH x\r');
  await waitFor("(error) ERR unknown command 'NOSUCH'", mark);
  child.stdin.write('quit\r');
  t.is(await exited, 0);
  // The hint after typing "SET " comes from the command's argument tree (COMMAND DOCS), options included.
  t.regex(out, /SET \x1b\[[0-9;]*mkey value \[NX\|XX\] \[GET\] \[EX seconds\|PX milliseconds\|EXAT unix-time-seconds\|PXAT unix-time-milliseconds\|KEEPTTL\]/);
  // redis-cli asked for COMMAND DOCS once, and it succeeded.
  const stats = cli(['-p', String(srv.port), 'INFO', 'commandstats']).stdout;
  t.regex(stats, /cmdstat_command\|docs:calls=1,.*failed_calls=0/);
});

test('redis-benchmark: ping, set, get, incr, mset run to completion', async (t) => {
  const srv = await startServer(t);
  const r = spawnSync('redis-benchmark', ['-p', String(srv.port), '-t', 'ping,set,get,incr,mset', '-n', '2000', '-q'], { encoding: 'utf8', timeout: 120000 });
  t.is(r.error, undefined);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
  // -q prints progress lines ending in \r and one final line per test.
  const finals = r.stdout
    .split('\n')
    .map((l) => l.split('\r').pop()?.trim() ?? '')
    .filter((l) => l !== '');
  const names = ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'MSET (10 keys)'];
  t.deepEqual(finals.map((l) => l.slice(0, l.indexOf(':'))), names, r.stdout);
  for (const line of finals) t.regex(line, /^[A-Za-z_ ()0-9]+: \d+(\.\d+)? requests per second, p50=[\d.]+ msec$/, line);
  const dbsize = cli(['-p', String(srv.port), 'DBSIZE']).stdout.trim();
  t.true(Number(dbsize) > 0);
});
