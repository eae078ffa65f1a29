// cluster-hll-bits.test.ts — HyperLogLog and bit field commands through a
// cluster of real dynkv processes (N=3, R=2, W=2): they are read-modify-
// writes of strings, so concurrent PFADDs and BITFIELD INCRBYs sent to
// different nodes all count (each key's writes run at one coordinator), and
// what one node wrote every node reads back byte for byte.
import test from 'ava';
import { HLL_REGISTERS, patLen } from '../datatypes/hyperloglog';
import { client, startCluster } from './helpers/cluster';

/** The registers an HLL of these elements holds, whatever their order (each the max run length hashed to it). */
function expectedRegisters(elements: string[]): number[] {
  const regs = new Array<number>(HLL_REGISTERS).fill(0);
  for (const e of elements) {
    const packed = patLen(Buffer.from(e));
    regs[packed >>> 6] = Math.max(regs[packed >>> 6], packed & 63);
  }
  return regs;
}

test('concurrent PFADDs through three nodes lose no element; every node reads the same HLL bytes and count', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 2, w: 2 });
  const clients = cluster.nodes.map((n) => client(t, n));
  const perNode = 3000;
  const all: string[] = [];
  await Promise.all(
    clients.map(async (r, i) => {
      const mine = Array.from({ length: perNode }, (_, k) => `n${i}-e${k}`);
      all.push(...mine);
      for (let k = 0; k < perNode; k += 100) await r.pfadd('visitors', ...mine.slice(k, k + 100));
    }),
  );
  const bytes = await Promise.all(clients.map((r) => r.getBuffer('visitors')));
  t.true(bytes[0] !== null && bytes[0].subarray(0, 4).toString() === 'HYLL');
  t.deepEqual(bytes[1], bytes[0]);
  t.deepEqual(bytes[2], bytes[0]);
  const counts = await Promise.all(clients.map((r) => r.pfcount('visitors')));
  t.deepEqual(counts, [counts[0], counts[0], counts[0]]);
  t.true(Math.abs(counts[0] - 3 * perNode) < 3 * perNode * 0.0081 * 4, `estimate ${counts[0]} of ${3 * perNode}`);
  // Exactly the registers of every element added: none was lost to a concurrent rewrite.
  t.deepEqual(await clients[1].call('PFDEBUG', 'GETREG', 'visitors'), expectedRegisters(all));
});

test('BITFIELD INCRBY through three nodes at once counts every increment; BITOP, PFMERGE and PFCOUNT read what other nodes wrote', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, n: 3, r: 2, w: 2 });
  const [a, b, c] = cluster.nodes.map((n) => client(t, n));
  const rounds = 60;
  await Promise.all([a, b, c].map(async (r) => {
    for (let k = 0; k < rounds; k++) await r.call('BITFIELD', 'ctr', 'INCRBY', 'u32', '#1', '1');
  }));
  t.deepEqual(await c.call('BITFIELD_RO', 'ctr', 'GET', 'u32', '#1'), [3 * rounds]);
  t.deepEqual(await a.getBuffer('ctr'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 3 * rounds]));

  await a.set('x', Buffer.from([0xf0, 0x0f]));
  await b.set('y', Buffer.from([0xff]));
  t.is(await c.bitop('AND', 'and', 'x', 'y'), 2);
  t.deepEqual(await a.getBuffer('and'), Buffer.from([0xf0, 0x00]));
  t.is(await b.bitop('OR', 'and', 'nokey'), 0);
  t.is(await c.exists('and'), 0);

  await a.pfadd('h1', 'a', 'b', 'c');
  await b.pfadd('h2', 'c', 'd');
  t.is(await c.pfmerge('h3', 'h1', 'h2'), 'OK');
  t.is(await a.pfcount('h3'), 4);
  t.is(await b.pfcount('h1', 'h2'), 4);
  // PFCOUNT wrote the cache back: every node reads the valid cached cardinality.
  const cached = await c.getBuffer('h3');
  t.is(cached?.[15], 0);
  t.is(cached?.[8], 4);
});
