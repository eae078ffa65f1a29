// cluster-elements.test.ts — collections' element records (a hash's field
// records, elements engine) in the failure half, with real dynkv processes
// on loopback (3 nodes, N=3): a replica stopped while fields were written
// and deleted holds exactly the same field records again without any hash
// command reaching it, by hinted handoff (anti-entropy kept out) and by
// anti-entropy (hints dropped); HDEL's field tombstones are reaped after
// cluster-tombstone-grace and the elements of a deleted or expired hash are
// reclaimed on every node. DYN.ELEMENTS reads a node's element records as
// they are (no quorum, no catch-up); a field record corrupted on disk is
// found by the scrubber and rebuilt from the others; on a single node the elements of a
// deleted or expired hash go at once. Serial: each runs thousands of writes.
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { client, eventually, startCluster, type ClusterTestNode } from './helpers/cluster';
import { startServer } from './helpers/server';

/** How long a recovery may take on a busy 2-core machine. */
const BOUND_MS = 120_000;
/** Thousands of pipelined writes on a busy machine: a slow replica is not taken for a dead one. */
const TIMEOUT = ['--cluster-timeout', '10000'];

type Sibling = [Buffer | null, number, Buffer];
type ElementRow = [Buffer, number, Buffer, Sibling[]];

/** A node's element records of a hash (DYN.ELEMENTS), as comparable text sorted by field, and its summary's count. */
async function elementsOf(r: Redis, key: string): Promise<{ count: number | null; records: string[] }> {
  const [count, rows] = (await r.callBuffer('DYN.ELEMENTS', key)) as [number | null, ElementRow[]];
  const records = rows.map(([member, kind, context, siblings]) => JSON.stringify([member.toString('hex'), kind, context.toString('latin1'), siblings.map(([v, ts, node]) => [v?.toString('hex') ?? null, ts, node.toString()])]));
  return { count, records: records.sort() };
}

/** INFO cluster's integer fields. */
async function clusterInfo(r: Redis): Promise<Record<string, number>> {
  const fields: Record<string, number> = {};
  for (const line of (await r.info('cluster')).split('\r\n')) {
    const m = /^(dynamo_[a-z_]+):(\d+)$/.exec(line);
    if (m !== null) fields[m[1]] = Number(m[2]);
  }
  return fields;
}

const HASHES = Array.from({ length: 5 }, (_, i) => `elements:h${i}`);
const FIELDS = 2000;
const DELETED = 200;

/** HSETs FIELDS fields into each hash (100 a command), then HDELs the first DELETED of each; every reply checked. Returns the field writes made. */
async function writeHashes(t: ExecutionContext, r: Redis): Promise<number> {
  const p = r.pipeline();
  for (const key of HASHES) {
    for (let from = 0; from < FIELDS; from += 100) {
      const args: string[] = [];
      for (let f = from; f < from + 100; f++) args.push(`f${f}`, `value ${f} of ${key}`);
      p.hset(key, ...args);
    }
    for (let from = 0; from < DELETED; from += 50) p.hdel(key, ...Array.from({ length: 50 }, (_, i) => `f${from + i}`));
  }
  const replies = (await p.exec()) ?? [];
  const failed = replies.filter(([err]) => err !== null);
  t.deepEqual(failed.slice(0, 3), [], `every HSET and HDEL acknowledged (${failed.length} failed)`);
  return HASHES.length * (FIELDS + DELETED);
}

/** Whether every node holds the same element records of every hash as the first one, and a count of FIELDS - DELETED. */
async function sameElements(clients: Redis[]): Promise<boolean> {
  for (const key of HASHES) {
    const all = await Promise.all(clients.map((r) => elementsOf(r, key)));
    if (all[0].records.length !== FIELDS) return false;
    for (const e of all) {
      if (e.count !== FIELDS - DELETED || e.records.length !== FIELDS) return false;
      if (e.records.some((rec, i) => rec !== all[0].records[i])) return false;
    }
  }
  return true;
}

test.serial('fields written and deleted while a replica is down reach it by hinted handoff, with no hash command on it', async (t) => {
  // Anti-entropy reads 1 record a second: the fields must come by hints.
  const { nodes } = await startCluster(t, { nodes: 3, n: 3, w: 2, args: [...TIMEOUT, '--cluster-anti-entropy-keys-per-sec', '1'] });
  const [a, b] = [client(t, nodes[0]), client(t, nodes[1])];
  await nodes[2].stop();
  const writes = await writeHashes(t, a);
  const queued = (await clusterInfo(a)).dynamo_hints_queued + (await clusterInfo(b)).dynamo_hints_queued;
  t.true(queued >= writes, `${queued} hints kept for the stopped node (${writes} field writes)`);

  const started = Date.now();
  await nodes[2].restart();
  const c = client(t, nodes[2]);
  await eventually(t, 'the returned node holds the same field records as the others', () => sameElements([a, b, c]), BOUND_MS);
  t.log(`${writes} field writes (${HASHES.length * FIELDS} records) handed off in ${Date.now() - started} ms after the restart`);
  await eventually(t, 'every hint queue is empty', async () => (await Promise.all([a, b, c].map(clusterInfo))).every((i) => i.dynamo_hints_queued === 0), BOUND_MS);
  const info = await clusterInfo(c);
  const delivered = (await clusterInfo(a)).dynamo_hints_delivered + (await clusterInfo(b)).dynamo_hints_delivered;
  t.true(delivered >= writes, `hints delivered: ${delivered}`);
  t.true(info.dynamo_ae_elements_repaired < 300, `anti-entropy repaired only ${info.dynamo_ae_elements_repaired} element records`);
  for (const r of [a, b, c]) t.is((await clusterInfo(r)).dynamo_hints_dropped, 0);
  t.is(info.dynamo_read_repairs, 0, 'no catch-up or read repair ran on the returned node');
  // Its summary is right: HLEN there (a hash command now) counts the live fields.
  t.is(await c.hlen(HASHES[0]), FIELDS - DELETED);
});

test.serial('fields a replica missed while its hints were dropped reach it by anti-entropy; replicas that agree still exchange their roots only', async (t) => {
  // Hints for a node away longer than 1 s are dropped.
  const { nodes } = await startCluster(t, { nodes: 3, n: 3, w: 2, args: [...TIMEOUT, '--cluster-hint-max-age', '1', '--cluster-anti-entropy-interval-ms', '300'] });
  const [a, b] = [client(t, nodes[0]), client(t, nodes[1])];
  await nodes[2].stop();
  const writes = await writeHashes(t, a);
  await eventually(t, 'the hints for the stopped node are dropped', async () => {
    const infos = await Promise.all([a, b].map(clusterInfo));
    return infos.every((i) => i.dynamo_hints_queued === 0) && infos.reduce((sum, i) => sum + i.dynamo_hints_dropped, 0) >= writes;
  }, BOUND_MS);

  const started = Date.now();
  await nodes[2].restart();
  const c = client(t, nodes[2]);
  await eventually(t, 'the returned node holds the same field records as the others', () => sameElements([a, b, c]), BOUND_MS);
  t.log(`${HASHES.length * FIELDS} field records repaired by anti-entropy in ${Date.now() - started} ms after the restart`);
  const info = await clusterInfo(c);
  t.true(info.dynamo_ae_elements_repaired >= HASHES.length * FIELDS, `${info.dynamo_ae_elements_repaired} element records repaired by anti-entropy`);
  t.is((await clusterInfo(a)).dynamo_hints_delivered + (await clusterInfo(b)).dynamo_hints_delivered, 0, 'no hint was delivered');
  t.is(info.dynamo_read_repairs, 0);
  t.is(await c.hlen(HASHES[1]), FIELDS - DELETED);

  // Equal replicas, hashes included: each exchange is one REPLICA.ROOTS and its reply, as without hashes.
  const before = await clusterInfo(b);
  await eventually(t, '20 more exchanges', async () => (await clusterInfo(b)).dynamo_ae_exchanges >= before.dynamo_ae_exchanges + 20);
  const after = await clusterInfo(b);
  const exchanges = after.dynamo_ae_exchanges - before.dynamo_ae_exchanges;
  const sent = after.dynamo_ae_bytes_sent - before.dynamo_ae_bytes_sent;
  const received = after.dynamo_ae_bytes_received - before.dynamo_ae_bytes_received;
  t.log(`${exchanges} exchanges of equal replicas: ${sent} bytes sent, ${received} received (${Math.round(sent / exchanges)} and ${Math.round(received / exchanges)} each)`);
  t.is(after.dynamo_ae_exchanges_equal - before.dynamo_ae_exchanges_equal, exchanges, 'every exchange stopped at the roots');
  t.is(after.dynamo_ae_elements_repaired, before.dynamo_ae_elements_repaired);
});

test.serial("HDEL's field tombstones are reaped after the grace period, and the elements of a deleted and of an expired hash are reclaimed on every node", async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, n: 3, w: 2, args: [...TIMEOUT, '--cluster-anti-entropy-interval-ms', '300'] });
  const clients = nodes.map((n) => client(t, n));
  const [a] = clients;
  const pairs = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => [`f${i}`, `${tag}${i}`]).flat();
  t.is(await a.hset('kept', ...pairs(100, 'k')), 100);
  t.is(await a.hdel('kept', ...Array.from({ length: 40 }, (_, i) => `f${i}`)), 40);
  t.is(await a.hset('deleted', ...pairs(100, 'd')), 100);
  t.is(await a.del('deleted'), 1);
  t.is(await a.hset('brief', ...pairs(50, 'b')), 50);
  t.is(await a.pexpire('brief', 300), 1);
  await eventually(t, 'the brief hash expired', async () => (await a.exists('brief')) === 0);
  const held = async (r: Redis, key: string): Promise<number> => (await elementsOf(r, key)).records.length;
  await eventually(t, 'every node holds the 100 + 100 + 50 field records (grace not over)', async () => {
    for (const r of clients) if ((await held(r, 'kept')) !== 100 || (await held(r, 'deleted')) !== 100 || (await held(r, 'brief')) !== 50) return false;
    return true;
  });
  for (const r of clients) t.is((await clusterInfo(r)).dynamo_elements_reclaimed, 0);

  // The grace period ends (hints must be dropped before it does: their age bound goes below it).
  for (const r of clients) t.is(await r.config('SET', 'cluster-hint-max-age', '1', 'cluster-tombstone-grace', '2'), 'OK');
  await eventually(t, 'every node reaped the 40 tombstones and reclaimed the deleted and expired hashes', async () => {
    for (const r of clients) {
      const kept = await elementsOf(r, 'kept');
      if (kept.records.length !== 60 || kept.count !== 60) return false;
      for (const key of ['deleted', 'brief']) {
        const gone = await elementsOf(r, key);
        if (gone.records.length !== 0 || gone.count !== null) return false;
      }
    }
    return true;
  }, BOUND_MS);
  for (const r of clients) {
    const info = await clusterInfo(r);
    t.true(info.dynamo_elements_reclaimed >= 150, `${info.dynamo_elements_reclaimed} element records reclaimed`);
    t.true(info.dynamo_tombstones_reaped >= 40, `${info.dynamo_tombstones_reaped} tombstones reaped`);
  }
  t.deepEqual(await a.hgetall('kept'), Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i + 40}`, `k${i + 40}`])));
  // Made again, the hashes hold only what is written now; an HDEL'd field does not come back.
  t.is(await a.hset('deleted', 'new', '1'), 1);
  t.deepEqual(await clients[1].hgetall('deleted'), { new: '1' });
  t.is(await a.hset('kept', 'f0', 'again'), 1);
  t.is(await clients[2].hlen('kept'), 61);
});

test.serial('a single node reclaims the elements of a deleted and of an expired hash in the background, with no new HSET of the key', async (t) => {
  const srv = await startServer(t);
  const r = new Redis({ port: srv.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => r.disconnect());
  const pairs = Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat();
  t.is(await r.hset('gone', ...pairs), 300);
  t.is(await r.hset('brief', ...pairs), 300);
  t.is(await r.hset('kept', ...pairs), 300);
  t.is(await r.del('gone'), 1);
  t.is(await r.pexpire('brief', 100), 1);
  const before = (await elementsOf(r, 'gone')).records.length;
  await eventually(t, 'the deleted and the expired hash left no element record and no summary', async () => {
    for (const key of ['gone', 'brief']) {
      const e = await elementsOf(r, key);
      if (e.records.length !== 0 || e.count !== null) return false;
    }
    return true;
  }, BOUND_MS);
  t.log(`${before} element records of the deleted hash right after DEL; none once reclaimed`);
  const kept = await elementsOf(r, 'kept');
  t.is(kept.records.length, 300, 'a live hash keeps every field');
  t.is(kept.count, 300);
  t.is(await r.hlen('kept'), 300);
  t.is(await r.hset('gone', 'new', '1'), 1);
  t.deepEqual(await r.hgetall('gone'), { new: '1' });
});

/** Flips 8 bytes in the middle of every copy of the value in the node's db0.elements data files; how many copies. */
function corruptElementValue(node: ClusterTestNode, value: string): number {
  const dir = path.join(node.dir, 'db0.elements');
  let copies = 0;
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.data'))) {
    const file = path.join(dir, name);
    const bytes = fs.readFileSync(file);
    for (let pos = bytes.indexOf(value); pos >= 0; pos = bytes.indexOf(value, pos + 1)) {
      for (let i = 0; i < 8; i++) bytes[pos + Math.floor(value.length / 2) + i] ^= 0xff;
      copies++;
    }
    fs.writeFileSync(file, bytes);
  }
  return copies;
}

test.serial("a field record corrupted on one replica's disk is found (reading it: anti-entropy's tree build at start; the scrubber) and rebuilt from the others, its hash's count kept", async (t) => {
  const { nodes } = await startCluster(t, { nodes: 3, n: 3, w: 2, args: TIMEOUT });
  const [a, , c] = nodes.map((n) => client(t, n));
  const value = 'scrub-me:'.padEnd(4000, 'x');
  t.is(await a.hset('damaged', 'scrub-me', value, ...Array.from({ length: 20 }, (_, i) => [`f${i}`, `v${i}`]).flat()), 21);
  const same = async (): Promise<boolean> => JSON.stringify(await elementsOf(c, 'damaged')) === JSON.stringify(await elementsOf(a, 'damaged'));
  await eventually(t, 'c holds the 21 field records', async () => (await elementsOf(c, 'damaged')).records.length === 21 && (await same()));

  await nodes[2].stop();
  t.true(corruptElementValue(nodes[2], value) >= 1);
  await nodes[2].restart(['--cluster-scrub-rate', '50mb']);
  const c2 = client(t, nodes[2]);
  // The tree build at start read it first and sent it to the repair: the scrubber's run may hold no live record by then.
  await eventually(t, 'the scrubber named the bad run of the elements engine', async () => /scrubber: corrupt record in \S+db0\.elements\S+ at offset \d+ \(\d+ bytes; \d+ live element record/.test(nodes[2].output()), BOUND_MS);
  await eventually(t, 'c holds the same 21 field records as a again', async () => {
    const mine = await elementsOf(c2, 'damaged');
    return mine.records.length === 21 && mine.count === 21 && JSON.stringify(mine) === JSON.stringify(await elementsOf(a, 'damaged'));
  }, BOUND_MS);
  const info = await clusterInfo(c2);
  t.true(info.dynamo_corrupt_records >= 1 && info.dynamo_corrupt_repaired >= 1, `${info.dynamo_corrupt_records} corrupt, ${info.dynamo_corrupt_repaired} repaired`);
  t.is(await c2.hget('damaged', 'scrub-me'), value);
  t.is(await c2.hlen('damaged'), 21);
});
