// test/cluster-replication.test.ts — a 3-node cluster of real dynkv processes
// on loopback (N=3, R=2, W=2), driven with ioredis: writes through one node
// read back through the others; one node down is survived, two are not
// (-DYNUNAVAILABLE, never OK); a partition makes siblings that DYN.SET with
// the context resolves on every replica; read repair; atomic INCR through
// several nodes; multi-key commands across partitions; FLUSHALL everywhere.
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { startCluster, type ClusterTestNode } from './helpers/cluster';
import { startServer } from './helpers/server';

function client(t: ExecutionContext, node: ClusterTestNode): Redis {
  const r = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => r.disconnect());
  return r;
}

type Sibling = [Buffer | null, number, Buffer];

async function versions(r: Redis, key: string, local = false): Promise<{ context: string; siblings: [string | null, number, string][] }> {
  const reply = (await r.callBuffer('DYN.VERSIONS', key, ...(local ? ['LOCAL'] : []))) as [Buffer, Sibling[]];
  return { context: reply[0].toString(), siblings: reply[1].map(([v, ts, node]) => [v === null ? null : v.toString(), ts, node.toString()]) };
}

async function eventually(t: ExecutionContext, what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.fail(`not within ${ms} ms: ${what}`);
}

test('a write through one node reads back through each other; DYN.PREFLIST, DYN.NODES, DYN.RING', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3 });
  const [a, b, c] = nodes.map((n) => client(t, n));
  t.is(await a.set('greeting', 'hello'), 'OK');
  t.is(await b.get('greeting'), 'hello');
  t.is(await c.get('greeting'), 'hello');
  t.is(await c.set('greeting', 'again', 'EX', 100), 'OK');
  t.is(await a.get('greeting'), 'again');
  t.true((await b.ttl('greeting')) > 90);

  const list = (await a.call('DYN.PREFLIST', 'greeting')) as string[];
  t.deepEqual([...list].sort(), nodes.map((n) => n.id).sort(), 'N=3 of 3 nodes: every node holds every key');
  t.deepEqual(await b.call('DYN.PREFLIST', 'greeting'), list, 'every node computes the same preference list');

  const members = (await b.call('DYN.NODES')) as [string, string, number, number, number, string][];
  t.deepEqual(members.map((m) => m[0]).sort(), nodes.map((n) => n.id).sort());
  t.deepEqual(members.find((m) => m[0] === nodes[1].id)?.[5], 'myself');
  t.true(members.every((m) => m[4] === 1 && (m[5] === 'up' || m[5] === 'myself')));

  const ring = (await c.call('DYN.RING')) as [number, number, number, string][];
  t.is(ring.length, 256);
  t.deepEqual(ring[0].slice(0, 3), [0, 0, 63]);
  t.deepEqual(ring[255].slice(0, 3), [255, 16320, 16383]);
  const owned = new Map<string, number>();
  for (const [, , , owner] of ring) owned.set(owner, (owned.get(owner) ?? 0) + 1);
  t.deepEqual([...owned.keys()].sort(), nodes.map((n) => n.id).sort());
  t.true([...owned.values()].every((count) => count >= 85 && count <= 86), 'equal weights own equal shares');

  const v = await versions(c, 'greeting');
  t.is(v.siblings.length, 1);
  t.is(v.siblings[0][0], 'again');
  t.is(v.siblings[0][2], nodes[2].id, 'the coordinating node wrote it');
  const info = await a.info('cluster');
  t.regex(info, /dynamo_nodes:3/);
  t.regex(info, /dynamo_n:3\r\ndynamo_r:2\r\ndynamo_w:2/);
});

test('one node down: reads and writes go on; two down: -DYNUNAVAILABLE, never OK', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3 });
  const [a, b] = nodes.map((n) => client(t, n));
  for (let i = 0; i < 20; i++) await a.set(`k${i}`, `v${i}`);
  await nodes[2].kill();
  for (let i = 0; i < 20; i++) t.is(await b.get(`k${i}`), `v${i}`);
  for (let i = 0; i < 20; i++) t.is(await b.set(`k${i}`, `w${i}`), 'OK', 'W=2 of the two live replicas');
  t.is(await a.incr('counter'), 1);
  t.is(await b.incr('counter'), 2);
  t.deepEqual(await a.mget('k0', 'k1', 'k19'), ['w0', 'w1', 'w19']);

  await nodes[1].kill();
  await t.throwsAsync(a.set('k0', 'lost'), { message: /^DYNUNAVAILABLE needed W=2, got 1/ });
  await t.throwsAsync(a.get('k0'), { message: /^DYNUNAVAILABLE needed R=2, got 1/ });
  await t.throwsAsync(a.incr('counter'), { message: /^DYNUNAVAILABLE/ });
  t.is(await a.call('DYN.GET', 'k0', 'R', '1'), 'lost', 'R=1 reads what this replica holds (the failed write was not rolled back, as in Dynamo)');
  t.regex(await a.info('cluster'), /dynamo_unavailable:[1-9]/);

  await nodes[1].restart();
  await nodes[2].restart();
  await eventually(t, 'writes work again once the nodes are back', async () => (await a.set('k0', 'back').catch(() => 'failed')) === 'OK');
  t.is(await client(t, nodes[2]).get('k0'), 'back');
});

test('writes on both sides of a cut link become siblings; DYN.SET with the context resolves them on every replica', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3 });
  const [a, b, c] = nodes.map((n) => client(t, n));
  t.is(await a.call('DYN.FAULT', 'DROP', nodes[1].id), 'OK');
  t.is(await a.set('cart', 'from-a'), 'OK');
  t.is(await b.set('cart', 'from-b'), 'OK');
  const seen = await versions(c, 'cart');
  t.deepEqual(seen.siblings.map((s) => s[0]).sort(), ['from-a', 'from-b']);
  t.deepEqual(seen.siblings.map((s) => s[2]).sort(), [nodes[0].id, nodes[1].id].sort());
  t.is(await c.get('cart'), seen.siblings[0][0], 'GET shows the winner: the latest timestamp');

  t.is(await a.call('DYN.FAULT', 'HEAL'), 'OK');
  for (const r of [a, b]) {
    await eventually(t, 'a and b see each other up again (a probe each second)', async () => ((await r.call('DYN.NODES')) as string[][]).every((m) => m[5] !== 'down'));
  }
  t.is(await b.call('DYN.SET', 'cart', 'merged', 'CONTEXT', seen.context), 'OK');
  for (const r of [a, b, c]) {
    await eventually(t, 'every replica holds only the resolved version', async () => {
      // A replica whose copy of the write was lost (a request that timed out on a busy machine)
      // gets it from read repair: there is no hinted handoff yet. So read through the node first.
      await versions(r, 'cart');
      const local = await versions(r, 'cart', true);
      return local.siblings.length === 1 && local.siblings[0][0] === 'merged';
    });
  }
  t.is(await a.get('cart'), 'merged');

  // A stale context leaves the newer sibling in place.
  t.is(await a.set('cart', 'newer'), 'OK');
  t.is(await c.call('DYN.SET', 'cart', 'stale', 'CONTEXT', seen.context), 'OK');
  t.deepEqual((await versions(b, 'cart')).siblings.map((s) => s[0]).sort(), ['newer', 'stale']);
  await t.throwsAsync(c.call('DYN.SET', 'cart', 'x', 'CONTEXT', 'not-base64!'), { message: /^ERR invalid context/ });
  await t.throwsAsync(c.call('DYN.SET', 'cart', 'x', 'CONTEXT', seen.context, 'W', '4'), { message: 'ERR W must be between 1 and N=3' });
});

test('read repair brings a replica that missed writes up to date', async (t) => {
  // Nothing else may bring c the write first: its hint is dropped after 1 s away, anti-entropy waits an hour.
  const { nodes } = await startCluster(t, { nodes: 3, args: ['--cluster-hint-max-age', '1', '--cluster-anti-entropy-interval-ms', '3600000'] });
  const [a, b, c] = nodes.map((n) => client(t, n));
  // c hears nothing from a or b: it misses the write.
  t.is(await c.call('DYN.FAULT', 'DROP', nodes[0].id), 'OK');
  t.is(await c.call('DYN.FAULT', 'DROP', nodes[1].id), 'OK');
  t.is(await a.set('profile', 'v2'), 'OK');
  t.deepEqual((await versions(c, 'profile', true)).siblings, [], 'c missed the write');
  await eventually(t, 'a dropped its hint for c (older than 1 s)', async () => /dynamo_hints_dropped:[1-9]/.test(await a.info('cluster')));
  t.is(await c.call('DYN.FAULT', 'HEAL'), 'OK');
  // b's read asks c only once b believes c up again (a peer known down fails at once, and is not repaired).
  await eventually(t, 'b sees c up again', async () => (await b.info('cluster')).includes(`id=${nodes[2].id},state=up,`));

  t.is(await b.get('profile'), 'v2');
  await eventually(t, 'the read repaired c', async () => (await versions(c, 'profile', true)).siblings[0]?.[0] === 'v2');
  t.regex(await b.info('cluster'), /dynamo_read_repairs:[1-9]/);
});

test('INCR through three nodes at once stays atomic; multi-key commands span partitions; FLUSHALL reaches every node', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3 });
  const clients = nodes.map((n) => client(t, n));
  await Promise.all(clients.map(async (r) => {
    for (let i = 0; i < 100; i++) await r.incr('hits');
  }));
  t.is(await clients[0].get('hits'), '300', 'every INCR ran at the key\'s one coordinator');
  t.deepEqual((await versions(clients[1], 'hits')).siblings.length, 1);

  const keys = Array.from({ length: 30 }, (_, i) => `user:${i}`);
  t.is(await clients[0].mset(...keys.flatMap((k) => [k, k.toUpperCase()])), 'OK');
  t.deepEqual(await clients[1].mget(...keys), keys.map((k) => k.toUpperCase()));
  t.is(await clients[2].del(...keys.slice(0, 10)), 10);
  t.is(await clients[2].exists(...keys), 20);
  t.is(await clients[1].rename('user:20', 'renamed'), 'OK');
  t.is(await clients[0].get('renamed'), 'USER:20');
  t.is(await clients[0].get('user:20'), null);

  const tx = await clients[2].multi().set('tx:a', '1').incr('tx:b').get('tx:a').exec();
  t.deepEqual(tx, [[null, 'OK'], [null, 1], [null, '1']]);
  t.is(await clients[0].get('tx:b'), '1');

  t.is(await clients[1].flushall(), 'OK');
  for (const r of clients) t.is(await r.dbsize(), 0);
  t.is(await clients[2].get('renamed'), null);
});

test('a node without cluster flags is a cluster of one; DYN.FAULT needs --enable-fault-injection', async (t) => {
  const srv = await startServer(t);
  const r = new Redis({ port: srv.port, host: '127.0.0.1' });
  t.teardown(() => r.disconnect());
  t.is(await r.set('k', 'v'), 'OK');
  const v = await versions(r, 'k');
  t.is(v.siblings.length, 1);
  t.is(v.siblings[0][2], `127.0.0.1:${srv.port}`);
  t.deepEqual(await r.call('DYN.PREFLIST', 'k'), [`127.0.0.1:${srv.port}`]);
  t.is(((await r.call('DYN.NODES')) as unknown[][])[0][5], 'myself');
  await t.throwsAsync(r.call('DYN.FAULT', 'HEAL'), { message: 'ERR DYN.FAULT is disabled: start the node with --enable-fault-injection yes' });
  t.is(await r.call('DYN.SET', 'k', 'w', 'CONTEXT', v.context), 'OK');
  t.is(await r.get('k'), 'w');
  t.is(await r.call('DYN.DEL', 'k'), 'OK');
  t.is(await r.exists('k'), 0);
  await t.throwsAsync(r.call('DYN.SET', 'k', 'w'), { message: /wrong number of arguments/ });
  await t.throwsAsync(r.call('DYN.GET', 'k', 'R', '2'), { message: 'ERR R must be between 1 and N=1' });
  // A collection's record is its header: DYN.GET answers as GET does.
  await r.hset('h', 'f', 'v');
  await t.throwsAsync(r.call('DYN.GET', 'h'), { message: /^WRONGTYPE Operation against a key holding the wrong kind of value/ });
  await r.incr('n');
  t.is(await r.call('DYN.GET', 'n'), '1');
});

test('N=2 of 3 nodes: a node that holds no replica of a key forwards, writes through a replica and reads by quorum', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, n: 2, r: 1, w: 2 });
  const clients = nodes.map((n) => client(t, n));
  // Keys whose preference list leaves out node 0, and ones that hold it.
  const lists = await Promise.all(Array.from({ length: 40 }, (_, i) => clients[0].call('DYN.PREFLIST', `key:${i}`) as Promise<string[]>));
  const elsewhere = lists.flatMap((list, i) => (list.includes(nodes[0].id) ? [] : [`key:${i}`]));
  const here = lists.flatMap((list, i) => (list.includes(nodes[0].id) ? [`key:${i}`] : []));
  t.true(elsewhere.length > 3 && here.length > 3, 'both kinds of keys exist');
  t.true(lists.every((list) => list.length === 2));

  const [k] = elsewhere;
  t.is(await clients[0].set(k, 'v1'), 'OK', 'a blind write through a non-replica (REPLICA.PUT)');
  t.is(await clients[0].get(k), 'v1', 'a quorum read through a non-replica');
  t.deepEqual((await versions(clients[0], k, true)).siblings, [], 'node 0 keeps no copy');
  t.is(await clients[0].incr('n:' + k), 1);
  t.is(await clients[0].append(k, '+'), 3, 'a read-modify-write forwarded to the key\'s first replica');
  t.is(await clients[1].get(k), 'v1+');
  t.is(await clients[2].get(k), 'v1+');
  t.is((await versions(clients[0], k)).siblings[0][0], 'v1+');

  const mixed = [...elsewhere.slice(0, 3), ...here.slice(0, 3)];
  t.is(await clients[0].mset(...mixed.flatMap((key) => [key, `m-${key}`])), 'OK');
  t.deepEqual(await clients[1].mget(...mixed), mixed.map((key) => `m-${key}`));
  t.is(await clients[0].del(...mixed), mixed.length);
  t.deepEqual(await clients[2].mget(...mixed), mixed.map(() => null));
  const tx = await clients[0].multi().set(elsewhere[1], 'a').get(elsewhere[1]).incr(here[1]).exec();
  t.deepEqual(tx, [[null, 'OK'], [null, 'a'], [null, 1]], 'a transaction reads its own writes to keys held elsewhere');
});

test('appendfsync always: acknowledged cluster writes survive SIGKILL of every node', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, args: ['--appendfsync', 'always'] });
  const [a, b] = nodes.map((n) => client(t, n));
  const pipeline = a.pipeline();
  for (let i = 0; i < 200; i++) pipeline.set(`durable:${i}`, String(i));
  const results = (await pipeline.exec()) as [Error | null, string][];
  t.true(results.every(([err, ok]) => err === null && ok === 'OK'));
  t.is(await b.incr('durable:counter'), 1);
  await Promise.all(nodes.map((n) => n.kill()));
  await Promise.all(nodes.map((n) => n.restart()));
  const c = client(t, nodes[2]);
  t.deepEqual(await c.mget(...Array.from({ length: 200 }, (_, i) => `durable:${i}`)), Array.from({ length: 200 }, (_, i) => String(i)));
  t.is(await c.get('durable:counter'), '1');
});

test('internal cluster requests are refused on the client port', async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3 });
  const a = client(t, nodes[0]);
  await a.set('k', 'v');
  for (const request of [['REPLICA.READ', '0', 'k'], ['REPLICA.FLUSH', '0'], ['REPLICA.FWD', '0', '2', 'GET', 'k']]) {
    await t.throwsAsync(a.call(request[0], ...request.slice(1)), { message: new RegExp(`^ERR unknown command '${request[0]}'`) });
  }
  t.is(await a.get('k'), 'v');
});
