// cluster-hll-merge.test.ts — HyperLogLogs through a partition of real dynkv
// processes (ioredis, DYN.FAULT): PFADDs on two sides and a PFMERGE into the
// same key on the third are all acknowledged; once the partition heals every
// replica holds one sibling per side (DYN.VERSIONS LOCAL) and reads their
// register-wise max (datatypes/hyperloglog-join.ts): the registers of every
// element added anywhere, the same bytes and PFCOUNT on every node; PFCOUNT's
// cache write-back then collapses the siblings into one version everywhere.
import test from 'ava';
import Redis from 'ioredis';
import { HLL_REGISTERS, patLen } from '../datatypes/hyperloglog';
import { hllCount } from '../datatypes/hyperloglog-count';
import { joinHllValues } from '../datatypes/hyperloglog-join';
import { client, eventually, heal, isolate, startCluster } from './helpers/cluster';

/** The values of a node's own replica of the key (DYN.VERSIONS LOCAL), raw, winner first. */
async function localValues(r: Redis, key: string): Promise<Buffer[]> {
  const [, siblings] = (await r.callBuffer('DYN.VERSIONS', key, 'LOCAL')) as [Buffer, [Buffer | null, number, Buffer][]];
  return siblings.map(([value]) => value ?? Buffer.alloc(0));
}

/** The registers an HLL of these elements holds (each the max run length hashed to it). */
function expectedRegisters(elements: string[]): number[] {
  const regs = new Array<number>(HLL_REGISTERS).fill(0);
  for (const e of elements) {
    const packed = patLen(Buffer.from(e));
    regs[packed >>> 6] = Math.max(regs[packed >>> 6], packed & 63);
  }
  return regs;
}

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('a partition: PFADDs on two sides and a PFMERGE into the key on the third all count once it heals, on every replica', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 1, w: 1 });
  const { nodes } = cluster;
  const clients = nodes.map((n) => client(t, n));
  const [a, b, c] = clients;
  const before = range('before-', 100);
  t.is(await a.pfadd('visitors', ...before), 1);
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds the first PFADD`, async () => (await localValues(r, 'visitors')).length === 1);
  }

  await isolate(clients, nodes);
  // Each side coordinates its own writes (W=1): all acknowledged.
  const fromA = range('a-', 300);
  const fromB = range('b-', 300);
  const fromC = range('c-', 200);
  for (let k = 0; k < 300; k += 50) t.is(await a.pfadd('visitors', ...fromA.slice(k, k + 50)), 1);
  t.is(await b.pfadd('visitors', ...fromB), 1);
  t.is(await c.pfadd('elsewhere', ...fromC), 1);
  t.is(await c.pfmerge('visitors', 'elsewhere'), 'OK');

  await heal(t, clients);
  const all = [...before, ...fromA, ...fromB, ...fromC];
  const registers = expectedRegisters(all);
  let joined: Buffer | null = null;
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds every side's HLL`, async () => (await localValues(r, 'visitors')).length === 3);
    // The siblings folded in winner order, as every replica reads them.
    joined ??= (await localValues(r, 'visitors')).reduce((x, y) => joinHllValues(x, y));
    t.deepEqual(await r.call('PFDEBUG', 'ENCODING', 'visitors'), 'sparse', `${nodes[i].id}: a union of sparse values that fits stays sparse`);
  }
  for (const [i, r] of clients.entries()) {
    const at = nodes[i].id;
    t.deepEqual(await r.getBuffer('visitors'), joined, `${at}: the same bytes`);
    t.is(await r.strlen('visitors'), (joined as Buffer).length, at);
    t.is(await r.type('visitors'), 'string', at);
  }
  const count = Math.round(hllCount(joined as Buffer, (joined as Buffer).length));
  t.true(Math.abs(count - all.length) < all.length * 0.05, `estimate ${count} of ${all.length}`);
  // PFCOUNT refreshes the invalid cache and writes it back: one version on every replica.
  t.is(await a.pfcount('visitors'), count);
  for (const [i, r] of clients.entries()) {
    await eventually(t, `${nodes[i].id} holds the one collapsed version`, async () => (await localValues(r, 'visitors')).length === 1);
    t.is(await r.pfcount('visitors'), count, nodes[i].id);
  }
  // (PFDEBUG GETREG makes the value dense, as Redis's does: last.)
  for (const [i, r] of clients.entries()) t.deepEqual(await r.call('PFDEBUG', 'GETREG', 'visitors'), registers, `${nodes[i].id}: the registers of every element added anywhere`);
});
