// cluster-sets.test.ts — sets through a cluster of real dynkv processes
// (ioredis, 3 nodes, N=3): on both sides of a partition (DYN.FAULT cutting
// every link) SADDs of different members all survive the healing; SREM of a
// member concurrent with SADD of the same member (already there) on the
// other side keeps it (add-wins); an SREM nobody raced stays; SPOP, SMOVE and
// a STORE form on one side merge as the README's table says; afterwards
// every replica answers the merged set and holds it in its elements engine.
import path from 'node:path';
import test from 'ava';
import Redis from 'ioredis';
import { Engine } from '../engine/index';
import { fieldKey, visibleField } from '../cluster/replica/hash-replica';
import { decodeVersions } from '../cluster/versions/codec';
import { client, eventually, heal, isolate, startCluster, type ClusterTestNode } from './helpers/cluster';

/** Whether a stopped node's elements engine holds the member as live. */
function storedMember(node: ClusterTestNode, key: string, member: string): boolean {
  const engine = Engine.open(path.join(node.dir, 'db0.elements'));
  try {
    const record = engine.get(fieldKey(Buffer.from(key), Buffer.from(member)));
    return record !== null && visibleField(decodeVersions(record)) !== null;
  } finally {
    engine.close();
  }
}

const sorted = async (r: Redis, key: string): Promise<string[]> => (await r.smembers(key)).sort();

test('a partition: SADDs on both sides all survive, SREM loses to a concurrent SADD of its member (add-wins), every replica ends with the merged set', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b, c] = clients;
  t.is(await a.sadd('tags', 'shared', 'gone', 'moved', 'kept'), 4);
  t.is(await a.sadd('other', 'o'), 1);
  t.deepEqual(await sorted(b, 'tags'), ['gone', 'kept', 'moved', 'shared']);
  t.deepEqual(await sorted(c, 'other'), ['o']);

  await isolate(clients, nodes);
  // Each side coordinates its own writes (W=1): all acknowledged.
  t.is(await a.sadd('tags', 'from-a', 'both'), 2);
  t.is(await b.sadd('tags', 'from-b', 'both'), 2);
  // The SADD comes first: by the winner order alone (latest first) the SREM would win.
  t.is(await b.sadd('tags', 'shared'), 0);
  t.is(await a.srem('tags', 'shared'), 1);
  t.is(await c.srem('tags', 'gone'), 1);
  t.is(await c.smove('tags', 'other', 'moved'), 1);
  t.is(await c.sunionstore('copy', 'tags', 'other'), 4);
  t.deepEqual(await sorted(a, 'tags'), ['both', 'from-a', 'gone', 'kept', 'moved']);
  t.deepEqual(await sorted(b, 'tags'), ['both', 'from-b', 'gone', 'kept', 'moved', 'shared']);
  t.deepEqual(await sorted(c, 'tags'), ['kept', 'shared']);

  await heal(t, clients);
  // R=1: the first read after the healing may see one side's header only; its read repair then
  // shows the coordinator a clock its members are not complete for, and it catches up.
  // The merged sets, as the README's table promises: SADDs of both sides, shared kept (add-wins), gone and
  // moved removed from tags (SREM and SMOVE nobody raced), moved added to other, copy as SUNIONSTORE made it.
  const merged: Record<string, string[]> = {
    tags: ['both', 'from-a', 'from-b', 'kept', 'shared'],
    other: ['moved', 'o'],
    copy: ['kept', 'moved', 'o', 'shared'],
  };
  for (const [i, r] of clients.entries()) {
    for (const [key, members] of Object.entries(merged)) {
      let last: string[] = [];
      await eventually(t, `${nodes[i].id} caught up with every side of ${key}`, async () => (last = await sorted(r, key)).join() === members.join());
      t.deepEqual(last, members, `${nodes[i].id} ${key}`);
      t.is(await r.scard(key), members.length);
    }
  }

  // Every side wrote tags, so the replica that runs its commands caught up and repaired the others:
  // each holds the merged members. (A set written in the partition on one side only reaches the
  // other replicas' elements by that replica's own catch-up; other and copy are not checked here.)
  await cluster.stop();
  for (const node of nodes) {
    for (const member of merged.tags) t.true(storedMember(node, 'tags', member), `${node.id} holds ${member}`);
    for (const member of ['gone', 'moved']) t.false(storedMember(node, 'tags', member), `${node.id} dropped ${member}`);
  }
});
