// redis-compat/scripts/hashes.ts — the hash family (Redis 7.0's t_hash.c):
// HSET HMSET HSETNX HGET HMGET HGETALL HKEYS HVALS HLEN HSTRLEN HEXISTS HDEL
// HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, errors included; TYPE, WRONGTYPE
// both ways, DEL/UNLINK/EXISTS/EXPIRE/TTL/PERSIST and expiry of a whole
// hash; OBJECT ENCODING by hash-max-listpack-entries/-value (CONFIG GET/SET).
// Small hashes answer in insertion order on both servers (listpack); big
// ones (hashtable) are compared as sets. Random replies (HRANDFIELD) are
// checked for shape and membership, the same summary on both servers.
import { c, fullScan, unordered, unorderedPairs, type Arg, type Normalizer, type Script, type Step } from '../harness';
import { render, type Reply } from '../raw-client';

const BIG = 600;
const bigArgs: string[] = [];
for (let i = 0; i < BIG; i++) bigArgs.push(`field:${i}`, `value:${i}`);

/** HSCAN to the end (cursor by cursor), the pairs seen, sorted by field; an error or odd reply as it is. */
function hscanAll(key: string, ...opts: Arg[]): Step {
  return {
    cmd: ['HSCAN', key, '<cursor>', ...opts],
    run: async (client) => {
      const seen = new Map<string, string>();
      let cursor = '0';
      for (let n = 0; n < 100000; n++) {
        const r = await client.call(['HSCAN', key, cursor, ...opts]);
        if (r === null) return { type: '-', text: '<closed>' };
        if (r.type !== '*' || !r.items || r.items.length !== 2 || r.items[1].type !== '*') return r;
        const items = r.items[1].items ?? [];
        for (let i = 0; i + 1 < items.length; i += 2) seen.set(items[i].data?.toString('latin1') ?? render(items[i]), items[i + 1].data?.toString('latin1') ?? render(items[i + 1]));
        cursor = r.items[0].data?.toString() ?? '0';
        if (cursor === '0') break;
      }
      const out: Reply[] = [];
      for (const f of [...seen.keys()].sort()) out.push({ type: '$', data: Buffer.from(f, 'latin1') }, { type: '$', data: Buffer.from(seen.get(f) as string, 'latin1') });
      return { type: '*', items: out };
    },
  };
}

/**
 * HRANDFIELD's random reply, checked against the hash (field -> value):
 * how many picks, whether all are distinct, whether each is a field (with
 * its value); an error or another shape is left as it is.
 */
function randomPicks(hash: Record<string, string>, withvalues: boolean): Normalizer {
  return (r, proto) => {
    if (r.type === '$' && r.data !== undefined) return { type: '+', text: `one pick, ${hash[r.data.toString()] !== undefined ? 'a field' : 'NOT a field'}` };
    if (r.type !== '*' || !r.items) return r;
    const picks: [string, string | null][] = [];
    if (withvalues && proto === 3) {
      for (const pair of r.items) picks.push([pair.items?.[0]?.data?.toString() ?? '?', pair.items?.[1]?.data?.toString() ?? '?']);
    } else if (withvalues) {
      for (let i = 0; i < r.items.length; i += 2) picks.push([r.items[i].data?.toString() ?? '?', r.items[i + 1]?.data?.toString() ?? '?']);
    } else {
      for (const item of r.items) picks.push([item.data?.toString() ?? '?', null]);
    }
    const valid = picks.every(([f, v]) => hash[f] !== undefined && (v === null || hash[f] === v));
    const distinct = new Set(picks.map(([f]) => f)).size === picks.length;
    return { type: '+', text: `${picks.length} picks, ${valid ? 'all valid' : 'NOT all valid'}, ${distinct ? 'distinct' : 'repeats'}` };
  };
}

const SMALL = { a: '1', b: '2', c: '3', d: '4', e: '5' };
const SMALL_ARGS = Object.entries(SMALL).flat();
const CLUSTER_CONFIG = 'CONFIG SET changes the node the client talks to; the key may be coordinated by another node';

export const hashes: Script = {
  name: 'hashes',
  steps: [
    // HSET / HGET / arity and the odd pair count
    c('HSET', 'h', 'f1', 'v1'),
    c('HSET', 'h', 'f2', 'v2', 'f3', 'v3', 'f1', 'v1b'),
    c('HGET', 'h', 'f1'),
    c('HGET', 'h', 'nofield'),
    c('HGET', 'nokey', 'f1'),
    c('HSET', 'h'),
    c('HSET', 'h', 'f1'),
    c('HSET', 'h', 'f1', 'v', 'f2'),
    c('HGET', 'h'),
    c('HGET', 'h', 'a', 'b'),
    c('HSET', 'h', 'f2', 'v2', 'f2', 'dup'),
    c('HGET', 'h', 'f2'),
    c('HMSET', 'h', 'f4', 'v4', 'f5', 'v5'),
    c('HMSET', 'h', 'f4'),
    c('HMSET', 'h', 'f4', 'v', 'x'),
    c('hset', 'h', 'f6', Buffer.from([0, 1, 0xff, 0x0d, 0x0a])),
    c('HGET', 'h', 'f6'),
    c('HSET', 'h', '', 'empty-field'),
    c('HGET', 'h', ''),
    // Listing, in insertion order (small hash)
    c('HGETALL', 'h'),
    c('HKEYS', 'h'),
    c('HVALS', 'h'),
    c('HLEN', 'h'),
    c('HGETALL', 'nokey'),
    c('HKEYS', 'nokey'),
    c('HVALS', 'nokey'),
    c('HLEN', 'nokey'),
    c('HGETALL'),
    c('HLEN', 'h', 'x'),
    // HMGET HEXISTS HSTRLEN
    c('HMGET', 'h', 'f1', 'nofield', 'f3'),
    c('HMGET', 'nokey', 'a', 'b'),
    c('HMGET', 'h'),
    c('HEXISTS', 'h', 'f1'),
    c('HEXISTS', 'h', 'nofield'),
    c('HEXISTS', 'nokey', 'f1'),
    c('HEXISTS', 'h'),
    c('HSTRLEN', 'h', 'f1'),
    c('HSTRLEN', 'h', 'nofield'),
    c('HSTRLEN', 'nokey', 'f1'),
    c('HSTRLEN', 'h'),
    // HSETNX
    c('HSETNX', 'h', 'f1', 'other'),
    c('HSETNX', 'h', 'new', 'nv'),
    c('HGET', 'h', 'new'),
    c('HSETNX', 'fresh', 'f', 'v'),
    c('HGETALL', 'fresh'),
    c('HSETNX', 'h', 'f1'),
    // HDEL: counts, duplicates, the last field deletes the key
    c('HDEL', 'h', 'f1', 'nofield', 'f1'),
    c('HDEL', 'nokey', 'f1'),
    c('HDEL', 'h'),
    c('HGETALL', 'h'),
    c('HSET', 'h', 'f1', 'again'),
    c('HKEYS', 'h'),
    c('HSET', 'two', 'a', '1', 'b', '2'),
    c('HDEL', 'two', 'a', 'b'),
    c('EXISTS', 'two'),
    c('TYPE', 'two'),
    c('HLEN', 'two'),
    // HINCRBY / HINCRBYFLOAT
    c('HINCRBY', 'n', 'i', '5'),
    c('HINCRBY', 'n', 'i', '-7'),
    c('HINCRBY', 'n', 'i', 'x'),
    c('HINCRBY', 'n', 'i', '1.5'),
    c('HINCRBY', 'n', 'i', '9223372036854775808'),
    c('HSET', 'n', 'max', '9223372036854775807', 'min', '-9223372036854775808', 's', 'abc', 'sp', ' 1'),
    c('HINCRBY', 'n', 'max', '1'),
    c('HINCRBY', 'n', 'max', '0'),
    c('HINCRBY', 'n', 'min', '-1'),
    c('HINCRBY', 'n', 's', '1'),
    c('HINCRBY', 'n', 'sp', '1'),
    c('HINCRBY', 'n', 'i'),
    c('HINCRBYFLOAT', 'n', 'f', '10.5'),
    c('HINCRBYFLOAT', 'n', 'f', '0.1'),
    c('HINCRBYFLOAT', 'n', 'f', '-5e3'),
    c('HINCRBYFLOAT', 'n', 'i', '1.25'),
    c('HINCRBYFLOAT', 'n', 'f', 'x'),
    c('HINCRBYFLOAT', 'n', 'f', 'inf'),
    c('HINCRBYFLOAT', 'n', 'f', '-inf'),
    c('HINCRBYFLOAT', 'n', 'f', 'nan'),
    c('HINCRBYFLOAT', 'n', 's', '1'),
    c('HINCRBYFLOAT', 'n', 'big', '1e4932'),
    c('HINCRBYFLOAT', 'n', 'big', '1e4932'),
    c('HINCRBYFLOAT', 'n', 'f'),
    c('OBJECT', 'ENCODING', 'n'),
    { cmd: ['HGETALL', 'n'], norm: unorderedPairs },
    // WRONGTYPE both ways, TYPE
    c('SET', 's', 'string'),
    c('HSET', 's', 'f', 'v'),
    c('HMSET', 's', 'f', 'v'),
    c('HSETNX', 's', 'f', 'v'),
    c('HGET', 's', 'f'),
    c('HMGET', 's', 'f'),
    c('HGETALL', 's'),
    c('HKEYS', 's'),
    c('HVALS', 's'),
    c('HLEN', 's'),
    c('HSTRLEN', 's', 'f'),
    c('HEXISTS', 's', 'f'),
    c('HDEL', 's', 'f'),
    c('HINCRBY', 's', 'f', '1'),
    c('HINCRBYFLOAT', 's', 'f', '1'),
    c('HRANDFIELD', 's'),
    c('HRANDFIELD', 's', '2'),
    c('HSCAN', 's', '0'),
    c('TYPE', 's'),
    c('TYPE', 'h'),
    c('GET', 'h'),
    c('APPEND', 'h', 'x'),
    c('INCR', 'h'),
    c('STRLEN', 'h'),
    c('GETRANGE', 'h', '0', '1'),
    c('MGET', 'h', 's'),
    c('SET', 'h2', 'x'),
    c('HSET', 'h2', 'a', 'b'),
    c('HSET', 'over', 'a', 'b'),
    c('SET', 'over', 'now a string'),
    c('TYPE', 'over'),
    c('GET', 'over'),
    fullScan(['TYPE', 'hash']),
    fullScan(['TYPE', 'string']),
    fullScan(['TYPE', 'HASH', 'MATCH', 'h*']),
    // Keys: DEL UNLINK EXISTS EXPIRE TTL PERSIST, expiry of a whole hash
    c('HSET', 'k1', 'a', '1'),
    c('HSET', 'k2', 'a', '1'),
    c('EXISTS', 'k1', 'k2', 'nokey'),
    c('DEL', 'k1'),
    c('UNLINK', 'k2'),
    c('EXISTS', 'k1', 'k2'),
    c('HGET', 'k1', 'a'),
    c('HSET', 'k1', 'b', '2'),
    c('HGETALL', 'k1'),
    c('EXPIRE', 'k1', '100'),
    c('TTL', 'k1'),
    c('HSET', 'k1', 'c', '3'),
    c('TTL', 'k1'),
    c('PERSIST', 'k1'),
    c('TTL', 'k1'),
    c('PERSIST', 'k1'),
    c('HSET', 'gone', 'a', '1', 'b', '2'),
    c('PEXPIRE', 'gone', '50'),
    { cmd: ['EXISTS', 'gone'], sleep: 300 },
    c('HGETALL', 'gone'),
    c('HLEN', 'gone'),
    c('HSET', 'gone', 'c', '3'),
    c('HGETALL', 'gone'),
    c('HSET', 'dead', 'a', '1'),
    c('EXPIRE', 'dead', '-1'),
    c('EXISTS', 'dead'),
    c('HSET', 'dead', 'b', '2'),
    c('HGETALL', 'dead'),
    // HRANDFIELD
    c('HSET', 'r', ...SMALL_ARGS),
    c('HRANDFIELD', 'nokey'),
    c('HRANDFIELD', 'nokey', '3'),
    c('HRANDFIELD', 'nokey', '3', 'WITHVALUES'),
    { cmd: ['HRANDFIELD', 'r'], norm: randomPicks(SMALL, false) },
    c('HRANDFIELD', 'r', '0'),
    c('HRANDFIELD', 'r', '5'),
    c('HRANDFIELD', 'r', '10'),
    c('HRANDFIELD', 'r', '10', 'WITHVALUES'),
    c('HRANDFIELD', 'r', '5', 'withvalues'),
    { cmd: ['HRANDFIELD', 'r', '3'], norm: randomPicks(SMALL, false) },
    { cmd: ['HRANDFIELD', 'r', '3', 'WITHVALUES'], norm: randomPicks(SMALL, true) },
    { cmd: ['HRANDFIELD', 'r', '1'], norm: randomPicks(SMALL, false) },
    { cmd: ['HRANDFIELD', 'r', '-1'], norm: randomPicks(SMALL, false) },
    { cmd: ['HRANDFIELD', 'r', '-20'], norm: randomPicks(SMALL, false) },
    { cmd: ['HRANDFIELD', 'r', '-20', 'WITHVALUES'], norm: randomPicks(SMALL, true) },
    c('HSET', 'one', 'only', 'value'),
    c('HRANDFIELD', 'one', '-3', 'WITHVALUES'),
    c('HRANDFIELD', 'one', '-3'),
    c('HRANDFIELD', 'one'),
    c('HRANDFIELD', 'r', 'x'),
    c('HRANDFIELD', 'r', '1.5'),
    c('HRANDFIELD', 'r', '2', 'WITHVALUE'),
    c('HRANDFIELD', 'r', '2', 'WITHVALUES', 'x'),
    c('HRANDFIELD', 'r', '-9223372036854775808'),
    c('HRANDFIELD', 'r', '9223372036854775807', 'WITHVALUES'),
    c('HRANDFIELD', 'r', '4611686018427387903', 'WITHVALUES'),
    c('HRANDFIELD', 'r', '-4611686018427387904', 'WITHVALUES'),
    c('HRANDFIELD'),
    // HSCAN (a small hash answers whole, cursor 0)
    c('HSCAN', 'r', '0'),
    c('HSCAN', 'r', '0', 'COUNT', '2'),
    c('HSCAN', 'r', '0', 'MATCH', '[a-c]'),
    c('HSCAN', 'r', '0', 'match', '*', 'count', '100'),
    c('HSCAN', 'nokey', '0'),
    c('HSCAN', 'nokey', '0', 'foo'),
    c('HSCAN', 'nokey', 'x'),
    c('HSCAN', 'r', 'x'),
    c('HSCAN', 'r', '-1'),
    c('HSCAN', 'r', '0', 'COUNT', '0'),
    c('HSCAN', 'r', '0', 'COUNT', '-1'),
    c('HSCAN', 'r', '0', 'COUNT', 'x'),
    c('HSCAN', 'r', '0', 'MATCH'),
    c('HSCAN', 'r', '0', 'TYPE', 'string'),
    c('HSCAN', 'r', '0', 'NOVALUES'),
    c('HSCAN', 'r'),
    // Encoding: listpack up to the limits, then hashtable for good
    c('CONFIG', 'GET', 'hash-max-listpack-entries'),
    c('CONFIG', 'GET', 'hash-max-listpack-value'),
    c('CONFIG', 'GET', 'hash-max-ziplist-entries'),
    c('OBJECT', 'ENCODING', 'r'),
    c('HSET', 'longval', 'f', 'x'.repeat(64)),
    c('OBJECT', 'ENCODING', 'longval'),
    c('HSET', 'longval', 'f', 'x'.repeat(65)),
    c('OBJECT', 'ENCODING', 'longval'),
    c('HSET', 'longfield', 'y'.repeat(65), 'v'),
    c('OBJECT', 'ENCODING', 'longfield'),
    c('HSET', 'big', ...bigArgs),
    c('OBJECT', 'ENCODING', 'big'),
    c('HLEN', 'big'),
    c('HGET', 'big', 'field:599'),
    { cmd: ['HGETALL', 'big'], norm: unorderedPairs },
    { cmd: ['HKEYS', 'big'], norm: unordered },
    { cmd: ['HVALS', 'big'], norm: unordered },
    hscanAll('big'),
    hscanAll('big', 'COUNT', '7'),
    hscanAll('big', 'MATCH', 'field:1*'),
    { cmd: ['HRANDFIELD', 'big', '1000', 'WITHVALUES'], proto: 2, norm: unorderedPairs },
    { cmd: ['HRANDFIELD', 'big', '50'], norm: (r) => ({ type: '+', text: `${r.items?.length} fields, ${new Set(r.items?.map((i) => i.data?.toString())).size} distinct` }) },
    c('HDEL', 'big', ...bigArgs.filter((_, i) => i % 2 === 0).slice(5)),
    c('HLEN', 'big'),
    c('OBJECT', 'ENCODING', 'big'),
    { cmd: ['HGETALL', 'big'], norm: unorderedPairs },
    c('DEL', 'big'),
    c('HSET', 'big', 'a', '1'),
    c('OBJECT', 'ENCODING', 'big'),
    { ...c('CONFIG', 'SET', 'hash-max-listpack-entries', '3'), singleNode: CLUSTER_CONFIG },
    { ...c('CONFIG', 'GET', 'hash-max-listpack-entries'), singleNode: CLUSTER_CONFIG },
    { ...c('HSET', 'small', 'a', '1', 'b', '2', 'c', '3'), singleNode: CLUSTER_CONFIG },
    { ...c('OBJECT', 'ENCODING', 'small'), singleNode: CLUSTER_CONFIG },
    { ...c('HSET', 'small', 'd', '4'), singleNode: CLUSTER_CONFIG },
    { ...c('OBJECT', 'ENCODING', 'small'), singleNode: CLUSTER_CONFIG },
    { ...c('CONFIG', 'SET', 'hash-max-listpack-value', '2'), singleNode: CLUSTER_CONFIG },
    { ...c('HSET', 'tiny', 'a', '123'), singleNode: CLUSTER_CONFIG },
    { ...c('OBJECT', 'ENCODING', 'tiny'), singleNode: CLUSTER_CONFIG },
    { ...c('CONFIG', 'SET', 'hash-max-ziplist-value', '1kb'), singleNode: CLUSTER_CONFIG },
    { ...c('CONFIG', 'GET', 'hash-max-listpack-value'), singleNode: CLUSTER_CONFIG },
    { ...c('CONFIG', 'SET', 'hash-max-listpack-entries', '128', 'hash-max-listpack-value', '64'), singleNode: CLUSTER_CONFIG },
    c('CONFIG', 'SET', 'hash-max-listpack-entries', '-1'),
    c('CONFIG', 'SET', 'hash-max-listpack-entries', 'x'),
    c('CONFIG', 'SET', 'hash-max-listpack-value', 'abc'),
    c('CONFIG', 'SET', 'hash-max-listpack-value', '-1'),
    c('CONFIG', 'GET', 'hash-max-listpack-entries'),
  ],
};
