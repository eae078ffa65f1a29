// redis-compat/scripts/hyperloglog.ts — the HyperLogLog family: PFADD, PFCOUNT
// (one key and many), PFMERGE (new and existing destinations, sparse and
// dense), PFDEBUG, PFSELFTEST; GET of the values compared byte for byte
// (sparse opcodes, dense registers, the cached cardinality and its stale
// bit), promotion to dense at hll-sparse-max-bytes, the TTL kept, and the
// errors of wrong types and corrupt values.
import { c, near, type Script, type Step } from '../harness';

const elements = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** An HLL header: "HYLL", encoding, three unused bytes, the cached cardinality (LE, top bit = stale). */
function header(encoding: number, card: number, stale: boolean): Buffer {
  const h = Buffer.alloc(16);
  h.write('HYLL', 0, 'latin1');
  h[4] = encoding;
  h.writeUInt32LE(card, 8);
  if (stale) h[15] = 0x80;
  return h;
}
const xzero = (n: number): Buffer => Buffer.from([0x40 | ((n - 1) >> 8), (n - 1) & 0xff]);

export const hyperloglog: Script = {
  name: 'hyperloglog',
  steps: [
    c('PFADD', 'h', 'a', 'b', 'c', 'd', 'e', 'f', 'g'),
    c('PFADD', 'h', 'a'),
    c('GET', 'h'), // the cache marked stale
    c('PFCOUNT', 'h'),
    c('GET', 'h'), // the cache written back, valid
    c('PFCOUNT', 'h'),
    c('PFADD', 'h'),
    c('PFADD', 'empty'),
    c('GET', 'empty'),
    c('PFCOUNT', 'empty'),
    c('PFDEBUG', 'ENCODING', 'h'),
    c('PFDEBUG', 'DECODE', 'h'),
    c('TYPE', 'h'),
    c('PFADD', 'h2', ...elements('x', 300)),
    c('GET', 'h2'),
    c('PFDEBUG', 'decode', 'h2'),
    c('PFCOUNT', 'h2'),
    c('GET', 'h2'),
    c('PFADD', 'h2', ...elements('x', 310)),
    c('GET', 'h2'),
    // many keys: the union, missing keys as empty
    c('PFCOUNT', 'h', 'h2'),
    c('PFCOUNT', 'h', 'nokey', 'h2'),
    c('PFCOUNT', 'nokey'),
    c('PFCOUNT', 'nokey', 'nokey2'),
    c('GET', 'h'), // PFCOUNT of many keys writes nothing
    // PFMERGE: into a new key, into an existing (sparse) key, the destination alone
    c('PFMERGE', 'm', 'h', 'h2'),
    c('GET', 'm'),
    c('PFCOUNT', 'm'),
    c('PFADD', 'm2', 'a', 'zz'),
    c('PFMERGE', 'm2', 'h'),
    c('GET', 'm2'),
    c('PFCOUNT', 'm2'),
    c('PFMERGE', 'onlydest'),
    c('GET', 'onlydest'),
    c('PFMERGE', 'onlydest', 'nokey'),
    c('EXISTS', 'onlydest'),
    // dense
    c('PFADD', 'big', ...elements('y', 4000)),
    c('PFDEBUG', 'ENCODING', 'big'),
    c('GET', 'big'),
    c('PFCOUNT', 'big'),
    c('GET', 'big'),
    c('PFADD', 'big', ...elements('y', 4100)),
    c('PFCOUNT', 'big'),
    c('PFCOUNT', 'big', 'h2', 'h'),
    c('PFMERGE', 'm2', 'big'), // a dense source makes the destination dense
    c('PFDEBUG', 'ENCODING', 'm2'),
    c('GET', 'm2'),
    c('PFCOUNT', 'm2'),
    c('PFMERGE', 'bigcopy', 'big', 'h'),
    c('GET', 'bigcopy'),
    c('PFDEBUG', 'DECODE', 'big'),
    // PFDEBUG GETREG and TODENSE make a sparse key dense
    c('PFADD', 'g', 'a', 'b', 'c'),
    c('PFDEBUG', 'GETREG', 'g'),
    c('PFDEBUG', 'ENCODING', 'g'),
    c('GET', 'g'),
    c('PFADD', 'td', 'q'),
    c('PFDEBUG', 'TODENSE', 'td'),
    c('PFDEBUG', 'TODENSE', 'td'),
    c('GET', 'td'),
    c('PFDEBUG', 'GETREG', 'nokey'),
    c('PFDEBUG', 'FOO', 'h'),
    c('PFDEBUG', 'FOO', 'nokey'),
    c('PFDEBUG', 'ENCODING'),
    c('PFDEBUG', 'ENCODING', 'h', 'x'),
    // the TTL stays
    c('PFADD', 'ttl', 'a'),
    c('EXPIRE', 'ttl', '100'),
    c('PFADD', 'ttl', 'b', 'c'),
    c('PFCOUNT', 'ttl'),
    { cmd: ['TTL', 'ttl'], norm: near(100, 1) },
    c('PFMERGE', 'ttl', 'h2'),
    { cmd: ['TTL', 'ttl'], norm: near(100, 1) },
    // wrong types
    c('SET', 'str', 'foo'),
    c('PFADD', 'str', 'a'),
    c('PFCOUNT', 'str'),
    c('PFCOUNT', 'h', 'str'),
    c('PFMERGE', 'dst', 'h', 'str'),
    c('PFMERGE', 'str', 'h'),
    c('PFDEBUG', 'ENCODING', 'str'),
    c('SET', 'int', '12345'),
    c('PFADD', 'int', 'a'),
    c('HSET', 'hash', 'f', 'v'),
    c('PFADD', 'hash', 'a'),
    c('PFCOUNT', 'hash'),
    c('PFCOUNT', 'h', 'hash'),
    c('PFMERGE', 'hash', 'h'),
    c('PFMERGE', 'dst', 'hash'),
    c('PFDEBUG', 'ENCODING', 'hash'),
    c('SET', 'short', Buffer.concat([header(1, 0, true)]).subarray(0, 15)),
    c('PFADD', 'short', 'a'),
    c('SET', 'baddense', Buffer.concat([header(0, 0, true), Buffer.alloc(100)])),
    c('PFCOUNT', 'baddense'),
    c('SET', 'badenc', Buffer.concat([header(2, 0, true), xzero(16384)])),
    c('PFCOUNT', 'badenc'),
    c('SET', 'badmagic', Buffer.concat([Buffer.from('HYLX'), header(1, 0, true).subarray(4), xzero(16384)])),
    c('PFADD', 'badmagic', 'a'),
    // a valid cache is answered as it is; a stale one over corrupt registers is INVALIDOBJ
    c('SET', 'cached', Buffer.concat([header(1, 42, false), xzero(1000)])),
    c('PFCOUNT', 'cached'),
    c('SET', 'corrupt', Buffer.concat([header(1, 0, true), xzero(1000)])),
    c('PFCOUNT', 'corrupt'),
    c('PFCOUNT', 'corrupt', 'h'),
    c('PFMERGE', 'dst', 'h', 'corrupt'),
    c('PFDEBUG', 'GETREG', 'corrupt'),
    c('PFDEBUG', 'TODENSE', 'corrupt'),
    c('PFDEBUG', 'DECODE', 'corrupt'),
    c('PFADD', 'corrupt', ...elements('c', 20)),
    c('GET', 'corrupt'),
    c('SET', 'over', Buffer.concat([header(1, 0, true), xzero(16384), Buffer.from([0x80])])),
    c('PFCOUNT', 'over'),
    c('PFCOUNT', 'over', 'h'),
    c('PFDEBUG', 'TODENSE', 'over'),
    c('PFADD', 'over', 'a', 'b', 'c'),
    c('GET', 'over'),
    c('SET', 'trunc', Buffer.concat([header(1, 0, true), xzero(16000), Buffer.from([0x41])])),
    c('PFDEBUG', 'DECODE', 'trunc'),
    c('PFCOUNT', 'trunc'),
    c('SET', 'dense63', Buffer.concat([header(0, 0, true), Buffer.alloc(12288, 0xff)])),
    c('PFCOUNT', 'dense63'),
    c('PFCOUNT', 'dense63', 'h'),
    c('GET', 'dense63'),
    c('PFCOUNT', 'dense63'),
    c('SET', 'bigcard', Buffer.concat([header(1, 0, false), xzero(16384)]).fill(0x7f, 8, 16)),
    c('PFCOUNT', 'bigcard'),
    // arity
    c('PFADD'),
    c('PFCOUNT'),
    c('PFMERGE'),
    c('PFSELFTEST', 'x'),
    // hll-sparse-max-bytes
    c('CONFIG', 'GET', 'hll-sparse-max-bytes'),
    c('CONFIG', 'SET', 'hll-sparse-max-bytes', 'abc'),
    c('CONFIG', 'SET', 'hll-sparse-max-bytes', '-1'),
    { ...c('CONFIG', 'SET', 'hll-sparse-max-bytes', '100'), singleNode: 'a node setting: the key may be coordinated by another node' },
    { ...c('CONFIG', 'GET', 'hll-sparse-max-bytes'), singleNode: 'a node setting' },
    { ...c('PFADD', 'sp', ...elements('s', 20)), singleNode: 'a node setting' },
    { ...c('PFDEBUG', 'ENCODING', 'sp'), singleNode: 'a node setting' },
    { ...c('PFADD', 'sp', ...elements('s', 60)), singleNode: 'a node setting' },
    { ...c('PFDEBUG', 'ENCODING', 'sp'), singleNode: 'a node setting' },
    { ...c('GET', 'sp'), singleNode: 'a node setting' },
    { ...c('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'), singleNode: 'a node setting' },
    { ...c('PFSELFTEST'), timeout: 120000, proto: 2 }, // seconds of CPU: once
  ],
};

/** Promotion to dense at a lowered hll-sparse-max-bytes, set on every node (through a cluster as well). */
const promotion: Step[] = [];
for (let n = 1; n <= 12; n++) {
  promotion.push(c('PFADD', 'p', ...elements(`p${n}-`, 5)), c('PFDEBUG', 'ENCODING', 'p'), c('STRLEN', 'p'));
}

export const hyperloglogSparse: Script = {
  name: 'hyperloglog-sparse',
  serverArgs: ['--hll-sparse-max-bytes', '120'],
  steps: [
    c('CONFIG', 'GET', 'hll-sparse-max-bytes'),
    ...promotion,
    c('GET', 'p'),
    c('PFCOUNT', 'p'),
    c('PFADD', 's1', ...elements('a', 30)),
    c('PFADD', 's2', ...elements('b', 30)),
    c('PFDEBUG', 'ENCODING', 's1'),
    c('PFMERGE', 's1', 's2'), // the merge itself promotes the destination
    c('PFDEBUG', 'ENCODING', 's1'),
    c('GET', 's1'),
    c('PFCOUNT', 's1', 's2'),
  ],
};
