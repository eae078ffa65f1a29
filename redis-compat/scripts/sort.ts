// redis-compat/scripts/sort.ts — SORT and SORT_RO (Redis 7.0's sort.c) on lists,
// sets (intset and hashtable) and sorted sets (listpack and skiplist):
// numeric and ALPHA order, ties, ASC/DESC, LIMIT at every edge, BY with a
// pattern, with `->field` and with no '*' (nosort: a list and a sorted set
// keep their order), GET (repeated, '#', '->field', missing keys), STORE
// (replacing any type, an empty result deleting it; a nosort set sorted as
// ALPHA), the numeric error, syntax and WRONGTYPE errors, SORT_RO refusing
// STORE, keyspace hits and misses, COMMAND INFO (its 'unknown' key specs).
// A hashtable set in no order is compared as a set (its order is redis's dict's).
import { c, unordered, type Arg, type Script, type Step } from '../harness';
import type { RawClient } from '../raw-client';
import type { Reply } from '../raw-client';

const CLUSTER_STATS = 'INFO stats counts at the node that ran the command; through a cluster it may be another node';

function field(info: Reply | null, name: string): string {
  const text = info?.data?.toString('latin1') ?? '';
  return new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? '?';
}

/** The command after CONFIG RESETSTAT, then the keyspace hits and misses INFO counts for it. */
function lookups(...cmd: Arg[]): Step {
  return {
    cmd: ['<lookups of>', ...cmd],
    singleNode: CLUSTER_STATS,
    run: async (client: RawClient) => {
      await client.call(['CONFIG', 'RESETSTAT']);
      const reply = await client.call(cmd);
      const info = await client.call(['INFO', 'stats']);
      const outcome = reply?.type === '-' ? reply.text : 'ok';
      return { type: '+', text: `${outcome}; hits ${field(info, 'keyspace_hits')} misses ${field(info, 'keyspace_misses')}` };
    },
  };
}

const BIG = Array.from({ length: 200 }, (_, i) => `w${(i * 37) % 200}`);
const BIG_NUMS = Array.from({ length: 300 }, (_, i) => String((i * 7919) % 1000));

export const sort: Script = {
  name: 'sort',
  steps: [
    // Lists: numeric, DESC, ALPHA, ties broken by the element's bytes
    c('RPUSH', 'l', '3', '1', '2', '10', '1.5', '-1', '1'),
    c('SORT', 'l'),
    c('SORT', 'l', 'DESC'),
    c('SORT', 'l', 'ALPHA'),
    c('SORT', 'l', 'alpha', 'desc'),
    c('SORT', 'l', 'DESC', 'ASC'),
    c('SORT_RO', 'l'),
    c('RPUSH', 'ties', '1.0', '1', '01', '1e0', '+1', '0x1'),
    c('SORT', 'ties'),
    c('SORT', 'ties', 'DESC'),
    c('RPUSH', 'odd', '', ' 3', '0x10', '-inf', 'inf', '1e308', '-0', '0'),
    c('SORT', 'odd'),
    c('SORT', 'odd', 'DESC'),
    ...['abc', '3 ', 'nan', '1.5x', '  '].flatMap((v, i) => [c('RPUSH', `bad${i}`, '1', v), c('SORT', `bad${i}`), c('SORT', `bad${i}`, 'ALPHA')]),
    c('RPUSH', 'bin', Buffer.from('b\0z'), Buffer.from('b\0a'), 'a', Buffer.from([0xff]), 'B'),
    c('SORT', 'bin', 'ALPHA'),
    c('SORT', 'bin', 'ALPHA', 'STORE', 'binout'),
    c('LRANGE', 'binout', '0', '-1'),
    // LIMIT at its edges
    ...[['0', '3'], ['2', '2'], ['5', '10'], ['6', '1'], ['7', '1'], ['100', '1'], ['-5', '2'], ['2', '-1'], ['0', '0'], ['3', '0'], ['2', '9223372036854775807'], ['9223372036854775807', '1'], ['-9223372036854775808', '-9223372036854775808']].flatMap(([o, n]) => [
      c('SORT', 'l', 'LIMIT', o, n),
      c('SORT', 'l', 'LIMIT', o, n, 'DESC'),
      c('SORT', 'l', 'BY', 'nosort', 'LIMIT', o, n),
      c('SORT', 'l', 'BY', 'nosort', 'LIMIT', o, n, 'DESC'),
    ]),
    c('SORT', 'l', 'LIMIT', 'x', '1'),
    c('SORT', 'l', 'LIMIT', '1', 'x'),
    c('SORT', 'l', 'LIMIT', '1'),
    c('SORT', 'l', 'LIMIT'),
    c('SORT', 'l', 'LIMIT', '9223372036854775808', '1'),
    c('SORT', 'l', 'LIMIT', 'x', '1', 'BOGUS'),
    c('SORT', 'l', 'BOGUS', 'LIMIT', 'x', '1'),
    // BY: weights, missing weights (score 0), ALPHA BY, nosort
    c('MSET', 'w_3', '30', 'w_1', '10', 'w_2', '-5', 'w_10', '10', 'w_1.5', '2'),
    c('SORT', 'l', 'BY', 'w_*'),
    c('SORT', 'l', 'BY', 'w_*', 'DESC'),
    c('SORT', 'l', 'BY', 'w_*', 'ALPHA'),
    c('SORT', 'l', 'BY', 'w_*', 'ALPHA', 'DESC'),
    c('SORT', 'l', 'BY', 'w_*', 'LIMIT', '1', '3'),
    c('SORT', 'l', 'BY', 'nosort'),
    c('SORT', 'l', 'BY', 'nosort', 'DESC'),
    c('SORT', 'l', 'BY', 'nosort', 'ALPHA'),
    c('SORT', 'l', 'BY', Buffer.from('w_\0*')),
    c('SET', 'bw_1', 'x'),
    c('SORT', 'l', 'BY', 'bw_*'),
    c('SORT', 'l', 'BY', 'bw_*', 'ALPHA'),
    // BY and GET through hashes
    c('HSET', 'h_1', 'w', '5', 'name', 'one'),
    c('HSET', 'h_2', 'w', '1', 'name', 'two'),
    c('HSET', 'h_3', 'w', '3', 'name', 'three'),
    c('HSET', 'h_10', 'name', 'ten'),
    c('SORT', 'l', 'BY', 'h_*->w'),
    c('SORT', 'l', 'BY', 'h_*->w', 'GET', 'h_*->name'),
    c('SORT', 'l', 'BY', 'h_*->w', 'GET', '#', 'GET', 'h_*->name', 'GET', 'w_*', 'GET', 'nostar', 'GET', 'h_*->'),
    c('SORT', 'l', 'BY', 'h_*->nofield'),
    c('SORT', 'l', 'BY', 'w_*->w'),
    c('SORT', 'l', 'GET', 'h_*'),
    c('SORT', 'l', 'GET', 'w_*->x'),
    c('SET', 'h_->w', 'k'),
    c('SORT', 'l', 'GET', 'h_*->', 'LIMIT', '0', '1'),
    c('SORT', 'l', 'GET', Buffer.from('#\0x'), 'GET', Buffer.from('w_*\0y'), 'LIMIT', '0', '2'),
    c('SORT', 'l', 'GET', '#', 'GET', '#'),
    c('SORT', 'l', 'GET'),
    c('SORT', 'l', 'BY'),
    // Sets: intset, hashtable; nosort; STORE of a nosort set sorts it ALPHA
    c('SADD', 'si', '5', '-2', '9', '0', '100'),
    c('SORT', 'si'),
    c('SORT', 'si', 'DESC', 'LIMIT', '1', '2'),
    c('SORT', 'si', 'ALPHA'),
    c('SORT', 'si', 'BY', 'nosort'),
    c('SORT', 'si', 'BY', 'nosort', 'STORE', 'siout'),
    c('LRANGE', 'siout', '0', '-1'),
    c('SADD', 'sw', ...BIG),
    c('SORT', 'sw', 'ALPHA'),
    c('SORT', 'sw', 'ALPHA', 'DESC', 'LIMIT', '10', '5'),
    c('SORT', 'sw'),
    { cmd: ['SORT', 'sw', 'BY', 'nosort'], norm: unordered },
    c('SORT', 'sw', 'BY', 'nosort', 'STORE', 'swout'),
    c('LRANGE', 'swout', '0', '4'),
    c('SORT', 'sw', 'BY', 'nosort', 'DESC', 'STORE', 'swout'),
    c('LRANGE', 'swout', '0', '4'),
    // Sorted sets: nosort keeps zset order (both encodings), LIMIT and DESC walk it
    c('ZADD', 'z', '3', 'c', '1', 'a', '2', 'b', '2', 'bb', '-1', 'z'),
    c('SORT', 'z', 'ALPHA'),
    c('SORT', 'z', 'BY', 'nosort'),
    c('SORT', 'z', 'BY', 'nosort', 'DESC'),
    c('SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '3'),
    c('SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3'),
    c('SORT', 'z', 'BY', 'nosort', 'LIMIT', '5', '3'),
    c('SORT', 'z', 'BY', 'nosort', 'STORE', 'zout'),
    c('LRANGE', 'zout', '0', '-1'),
    c('SORT', 'z'),
    c('ZADD', 'zn', ...BIG_NUMS.flatMap((n, i) => [String(i % 17), n])),
    c('OBJECT', 'ENCODING', 'zn'),
    c('SORT', 'zn', 'BY', 'nosort', 'LIMIT', '100', '20'),
    c('SORT', 'zn', 'BY', 'nosort', 'DESC', 'LIMIT', '100', '20'),
    c('SORT', 'zn', 'LIMIT', '0', '10'),
    c('SORT', 'zn', 'DESC', 'LIMIT', '0', '10'),
    // STORE: a list, replacing any type; an empty result deletes the destination
    c('SET', 'dst', 'string'),
    c('SORT', 'l', 'STORE', 'dst'),
    c('TYPE', 'dst'),
    c('LRANGE', 'dst', '0', '-1'),
    c('SORT', 'l', 'BY', 'h_*->w', 'GET', 'h_*->name', 'GET', 'w_*', 'STORE', 'dst'),
    c('LRANGE', 'dst', '0', '-1'),
    c('SORT', 'nokey', 'STORE', 'dst'),
    c('EXISTS', 'dst'),
    c('SORT', 'l', 'LIMIT', '0', '0', 'STORE', 'dst'),
    c('SORT', 'l', 'STORE', 'l'),
    c('LRANGE', 'l', '0', '-1'),
    c('SORT', 'bad0', 'STORE', 'dst2'),
    c('EXISTS', 'dst2'),
    c('SORT', 'l', 'STORE'),
    c('SORT_RO', 'l', 'STORE', 'dst'),
    c('SORT_RO', 'l', 'BY', 'w_*', 'GET', '#', 'LIMIT', '0', '2'),
    // Missing key, WRONGTYPE, arity
    c('SORT', 'nokey'),
    c('SORT', 'nokey', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '1'),
    c('SORT_RO', 'nokey', 'GET', '#'),
    c('SET', 'str', 'x'),
    c('SORT', 'str'),
    c('SORT_RO', 'str'),
    c('HSET', 'hash', 'a', '1'),
    c('SORT', 'hash'),
    c('SORT', 'str', 'BOGUS'),
    c('SORT', 'str', 'STORE', 'dst'),
    c('SORT'),
    c('SORT_RO'),
    lookups('SORT', 'l', 'BY', 'w_*', 'GET', 'h_*->name'),
    lookups('SORT', 'nokey'),
    lookups('SORT', 'l', 'STORE', 'dst3'),
    lookups('SORT_RO', 'l', 'BY', 'nosort'),
    c('COMMAND', 'INFO', 'SORT', 'SORT_RO'),
    c('COMMAND', 'DOCS', 'SORT_RO'),
    // Last: redis-server reads strtod's errno without clearing it, so after an ERANGE every numeric SORT fails until errno changes.
    ...['1e400', '1e-400', '1e-310'].map((v, i) => c('RPUSH', `range${i}`, '1', v)),
    c('SORT', 'range0'),
    c('SORT', 'range1', 'ALPHA'),
    c('SORT', 'range1'),
    c('SORT', 'range2'),
  ],
};
