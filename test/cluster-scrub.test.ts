// cluster-scrub.test.ts — a record that fails its checksum on one replica of
// a 3-node cluster of real dynkv processes (N=3, R=2, W=2): bytes flipped in
// a data file while the node is stopped. A read through that node answers
// from the other replicas (no error); the scrubber, once cluster-scrub-rate
// lets it run, names the bad record by file and offset and the key is
// rebuilt from the other replicas without any client read; INFO counts it.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import Redis from 'ioredis';
import { client, eventually, startCluster, type ClusterTestNode } from './helpers/cluster';

async function infoField(r: Redis, field: string): Promise<number> {
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(await r.info('cluster'));
  if (match === null) throw new Error(`INFO cluster has no ${field}`);
  return Number(match[1]);
}

/**
 * Flips 8 bytes in the middle of every copy of the value in the node's db0
 * data files; returns where the last copy (the live record: the newest file,
 * the latest offset) was flipped.
 */
function corruptValue(node: ClusterTestNode, value: string): { file: string; at: number; copies: number } {
  const dir = path.join(node.dir, 'db0');
  let last: { file: string; at: number } | null = null;
  let copies = 0;
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.data')).sort()) {
    const file = path.join(dir, name);
    const bytes = fs.readFileSync(file);
    for (let pos = bytes.indexOf(value); pos >= 0; pos = bytes.indexOf(value, pos + 1)) {
      const at = pos + Math.floor(value.length / 2);
      for (let i = 0; i < 8; i++) bytes[at + i] ^= 0xff;
      last = { file, at };
      copies++;
    }
    fs.writeFileSync(file, bytes);
  }
  if (last === null) throw new Error(`no data file of ${node.id} holds the value`);
  return { ...last, copies };
}

/** The value the node's own replica holds (DYN.VERSIONS LOCAL: no quorum read, no read repair). */
async function localValue(r: Redis, key: string): Promise<string | null> {
  const [, siblings] = (await r.call('DYN.VERSIONS', key, 'LOCAL')) as [string, [string | null, number, string][]];
  return siblings[0]?.[0] ?? null;
}

test('a corrupted record on one replica: reads answer from the others, the scrubber finds it by file and offset and it is repaired without client reads', async (t) => {
  t.timeout(180_000);
  const { nodes } = await startCluster(t, { nodes: 3 });
  const [a, , c] = nodes.map((n) => client(t, n));
  const valueOf = (k: string): string => `${k}:`.padEnd(4000, k.slice(-1));
  const keys = ['read-me', 'scrub-me', ...Array.from({ length: 50 }, (_, i) => `other:${i}`)];
  await a.mset(...keys.flatMap((k) => [k, valueOf(k)]));
  // A replication request may time out on a busy machine: a read through c repairs what it missed.
  await c.mget(...keys);
  await eventually(t, 'c holds every key', async () => (await c.dbsize()) === keys.length);

  await nodes[2].stop();
  const readMe = corruptValue(nodes[2], valueOf('read-me'));
  const scrubMe = corruptValue(nodes[2], valueOf('scrub-me'));
  // No scrubbing yet: first the read path alone.
  await nodes[2].restart(['--cluster-scrub-rate', '0']);
  const c2 = client(t, nodes[2]);
  t.is(await c2.get('read-me'), valueOf('read-me'), 'a read through the damaged replica answers from the others, without an error');
  t.is(await a.get('read-me'), valueOf('read-me'));
  t.is(await c2.strlen('read-me'), 4000);
  await eventually(t, 'the read repaired the record on c', async () => (await localValue(c2, 'read-me')) === valueOf('read-me'));
  t.true((await infoField(c2, 'dynamo_corrupt_records')) >= 1, 'the read counted the corrupt record');
  t.is(await infoField(c2, 'dynamo_scrubbed_bytes'), 0, 'rate 0: no scrubbing');

  // The scrubber, turned on by CONFIG SET, finds the other one with no client read of it.
  t.deepEqual(await c2.config('GET', 'cluster-scrub-rate'), ['cluster-scrub-rate', '0']);
  t.is(await c2.config('SET', 'cluster-scrub-rate', '50mb'), 'OK');
  const scrubbed = (): RegExpMatchArray[] => [...nodes[2].output().matchAll(/scrubber: corrupt record in (\S+) at offset (\d+) \((\d+) bytes; (\d+) live key/g)];
  const covering = (flip: { file: string; at: number }): RegExpMatchArray | undefined =>
    scrubbed().find((m) => m[1] === flip.file && Number(m[2]) <= flip.at && flip.at < Number(m[2]) + Number(m[3]));
  await eventually(t, 'the scrubber named both bad records', async () => covering(scrubMe) !== undefined && covering(readMe) !== undefined);
  await eventually(t, 'scrub-me was repaired from the other replicas', async () => (await infoField(c2, 'dynamo_corrupt_repaired')) >= 2);
  const logged = scrubbed();
  t.log(logged.map((m) => m[0]).join('\n'), `; flipped at ${JSON.stringify({ readMe, scrubMe })}`);
  const found = covering(scrubMe);
  t.truthy(found, `the scrubber named ${scrubMe.file} and an offset before ${scrubMe.at}: ${logged.map((m) => m[0]).join(' | ')}`);
  // 1, or 0 when anti-entropy's tree build at start read the record first and had it repaired already.
  t.true(found?.[4] === '1' || found?.[4] === '0', `live keys in the bad run: ${found?.[4]}`);
  t.truthy(covering(readMe), 'the read-repaired record\'s old bytes are reported too');
  t.is(new Set(logged.map((m) => `${m[1]}:${m[2]}`)).size, logged.length, 'each bad run is reported once, not at every pass');
  t.is(await localValue(c2, 'scrub-me'), valueOf('scrub-me'), 'c\'s own replica holds the value again');
  t.true((await infoField(c2, 'dynamo_scrubbed_bytes')) > 52 * 4000, 'the scrubber read the data files');
  t.is(await c2.get('scrub-me'), valueOf('scrub-me'));
  for (const k of keys) t.is(await localValue(c2, k), valueOf(k), `${k} is intact on c`);
});
