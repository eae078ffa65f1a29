// redis-compat/scripts/sets.ts — the set family (Redis 7.0's t_set.c): SADD
// SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER
// SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN, errors
// and WRONGTYPE both ways; OBJECT ENCODING intset -> hashtable by
// set-max-intset-entries (CONFIG GET/SET) and by a member string2ll does
// not read, one way; the STORE forms over keys of other types; keyspace
// hits and misses per command; WATCH; COMMAND INFO and DOCS of each.
// An intset answers in numeric order on both servers; a hashtable's order is
// redis's dict order, compared as a set (unordered). Random replies (SPOP,
// SRANDMEMBER) are checked for shape: count, distinctness, membership.
import { c, fullScan, unordered, type Arg, type Normalizer, type Script, type Step } from '../harness';
import type { RawClient } from '../raw-client';
import { render, type Reply } from '../raw-client';

const CLUSTER_CONFIG = 'CONFIG SET changes the node the client talks to; the key may be coordinated by another node';
const CLUSTER_STATS = 'INFO stats counts at the node that ran the command; through a cluster it may be another node';
const CLUSTER_WATCH = 'in a cluster SADD writes a new version of a member already there (add-wins against a concurrent SREM), which WATCH sees';

const range = (from: number, to: number, f: (i: number) => string = String): string[] => Array.from({ length: to - from + 1 }, (_, i) => f(from + i));
const BIG_INTS = range(1, 600);
const BIG_WORDS = range(1, 600, (i) => `m:${i}`);

/** A random reply checked against the set's members: how many picks, whether distinct, whether each is a member. */
function picks(members: readonly string[]): Normalizer {
  const set = new Set(members);
  return (r) => {
    if (r.type === '$' && r.data !== undefined) return { type: '+', text: `one pick, ${set.has(r.data.toString('latin1')) ? 'a member' : 'NOT a member'}` };
    if ((r.type !== '*' && r.type !== '~') || !r.items) return r;
    const names = r.items.map((i) => i.data?.toString('latin1') ?? render(i));
    const valid = names.every((n) => set.has(n));
    const distinct = new Set(names).size === names.length;
    return { type: '+', text: `${r.type} ${names.length} picks, ${valid ? 'all members' : 'NOT all members'}, ${distinct ? 'distinct' : 'repeats'}` };
  };
}

/** SSCAN to the end, cursor by cursor: the members seen, sorted; an error or odd reply as it is. */
function sscanAll(key: string, ...opts: Arg[]): Step {
  return {
    cmd: ['SSCAN', key, '<cursor>', ...opts],
    run: async (client) => {
      const seen = new Set<string>();
      let cursor = '0';
      for (let n = 0; n < 100000; n++) {
        const r = await client.call(['SSCAN', key, cursor, ...opts]);
        if (r === null) return { type: '-', text: '<closed>' };
        if (r.type !== '*' || !r.items || r.items.length !== 2 || r.items[1].type !== '*') return r;
        for (const m of r.items[1].items ?? []) seen.add(m.data?.toString('latin1') ?? render(m));
        cursor = r.items[0].data?.toString() ?? '0';
        if (cursor === '0') break;
      }
      return { type: '*', items: [...seen].sort().map((m) => ({ type: '$', data: Buffer.from(m, 'latin1') })) };
    },
  };
}

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

const other = (...cmd: Arg[]): Step => ({ cmd, conn: 'other' });
const SMALL = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
const WORDS = ['a', 'b', 'c', 'd', 'e'];
const COMMANDS = ['sadd', 'srem', 'smembers', 'sismember', 'smismember', 'scard', 'spop', 'srandmember', 'smove', 'sinter', 'sinterstore', 'sintercard', 'sunion', 'sunionstore', 'sdiff', 'sdiffstore', 'sscan'];

export const sets: Script = {
  name: 'sets',
  steps: [
    // SADD / SREM / SCARD / SISMEMBER / SMISMEMBER, arity, duplicates, binary and empty members
    c('SADD', 's', '3', '1', '2'),
    c('SADD', 's', '2', '4', '4'),
    c('SADD', 's'),
    c('SADD', 's', ''),
    c('SREM', 's', ''),
    { cmd: ['SMEMBERS', 's'], norm: unordered },
    c('SCARD', 's'),
    c('SCARD', 'nokey'),
    c('SCARD'),
    c('SCARD', 's', 'x'),
    c('SISMEMBER', 's', '2'),
    c('SISMEMBER', 's', '9'),
    c('SISMEMBER', 'nokey', '2'),
    c('SISMEMBER', 's'),
    c('SMISMEMBER', 's', '1', '9', '4', '1'),
    c('SMISMEMBER', 'nokey', '1', '2'),
    c('SMISMEMBER', 's'),
    c('SREM', 's', '1', '1', '9'),
    c('SREM', 's'),
    c('SREM', 'nokey', '1'),
    { cmd: ['SMEMBERS', 's'], norm: unordered },
    c('SMEMBERS', 'nokey'),
    c('SMEMBERS'),
    c('SMEMBERS', 's', 'x'),
    c('SADD', 'bin', Buffer.from([0, 1, 0xff, 0x0d, 0x0a])),
    c('SISMEMBER', 'bin', Buffer.from([0, 1, 0xff, 0x0d, 0x0a])),
    c('SMEMBERS', 'bin'),
    c('SREM', 's', '2', '3', '4'),
    c('EXISTS', 's'),
    c('TYPE', 's'),
    c('SCARD', 's'),
    // Encoding: intset while every member is an int64 as string2ll reads it, numeric order
    c('SADD', 'ints', '10', '-5', '9223372036854775807', '-9223372036854775808', '0', '7', '-100', '100'),
    c('OBJECT', 'ENCODING', 'ints'),
    c('SMEMBERS', 'ints'),
    c('SSCAN', 'ints', '0'),
    ...['-0', '01', '+1', ' 1', '1 ', '9223372036854775808', '-9223372036854775809', '1.0', '1e3', '-', '0x10', '99999999999999999999'].flatMap((m, i) => [
      c('SADD', `enc${i}`, '1', m),
      c('OBJECT', 'ENCODING', `enc${i}`),
    ]),
    c('SADD', 'conv', '5', '3', '1'),
    c('OBJECT', 'ENCODING', 'conv'),
    c('SADD', 'conv', 'word'),
    c('OBJECT', 'ENCODING', 'conv'),
    c('SREM', 'conv', 'word'),
    c('OBJECT', 'ENCODING', 'conv'),
    { cmd: ['SMEMBERS', 'conv'], norm: unordered },
    c('CONFIG', 'GET', 'set-max-intset-entries'),
    c('SADD', 'many', ...BIG_INTS.slice(0, 512)),
    c('OBJECT', 'ENCODING', 'many'),
    c('SMEMBERS', 'many'),
    c('SADD', 'many', '513'),
    c('OBJECT', 'ENCODING', 'many'),
    c('SREM', 'many', ...BIG_INTS.slice(10, 513)),
    c('OBJECT', 'ENCODING', 'many'),
    { cmd: ['SMEMBERS', 'many'], norm: unordered },
    c('DEL', 'many'),
    c('SADD', 'many', '1'),
    c('OBJECT', 'ENCODING', 'many'),
    { ...c('CONFIG', 'SET', 'set-max-intset-entries', '3'), singleNode: CLUSTER_CONFIG },
    { ...c('CONFIG', 'GET', 'set-max-intset-entries'), singleNode: CLUSTER_CONFIG },
    { ...c('SADD', 'small', '1', '2', '3'), singleNode: CLUSTER_CONFIG },
    { ...c('OBJECT', 'ENCODING', 'small'), singleNode: CLUSTER_CONFIG },
    { ...c('SADD', 'small', '4'), singleNode: CLUSTER_CONFIG },
    { ...c('OBJECT', 'ENCODING', 'small'), singleNode: CLUSTER_CONFIG },
    { ...c('SUNIONSTORE', 'small2', 'ints'), singleNode: CLUSTER_CONFIG },
    { ...c('OBJECT', 'ENCODING', 'small2'), singleNode: CLUSTER_CONFIG },
    { ...c('CONFIG', 'SET', 'set-max-intset-entries', '512'), singleNode: CLUSTER_CONFIG },
    c('CONFIG', 'SET', 'set-max-intset-entries', '-1'),
    c('CONFIG', 'SET', 'set-max-intset-entries', 'x'),
    c('CONFIG', 'SET', 'set-max-intset-entries', '1kb'),
    c('CONFIG', 'GET', 'set-max-intset-entries'),
    // A big hashtable set: compared as a set
    c('SADD', 'big', ...BIG_WORDS),
    c('OBJECT', 'ENCODING', 'big'),
    c('SCARD', 'big'),
    c('SISMEMBER', 'big', 'm:600'),
    { cmd: ['SMEMBERS', 'big'], norm: unordered },
    sscanAll('big'),
    sscanAll('big', 'COUNT', '7'),
    sscanAll('big', 'MATCH', 'm:1*'),
    sscanAll('ints', 'MATCH', '-*'),
    // SSCAN errors and shapes
    c('SADD', 'sc', ...SMALL),
    c('SSCAN', 'sc', '0'),
    c('SSCAN', 'sc', '0', 'COUNT', '2'),
    c('SSCAN', 'sc', '0', 'MATCH', '1*'),
    c('SSCAN', 'sc', '0', 'match', '*', 'count', '100'),
    c('SSCAN', 'nokey', '0'),
    c('SSCAN', 'nokey', '0', 'foo'),
    c('SSCAN', 'nokey', 'x'),
    c('SSCAN', 'sc', 'x'),
    c('SSCAN', 'sc', '-1'),
    c('SSCAN', 'sc', '0', 'COUNT', '0'),
    c('SSCAN', 'sc', '0', 'COUNT', 'x'),
    c('SSCAN', 'sc', '0', 'MATCH'),
    c('SSCAN', 'sc', '0', 'TYPE', 'string'),
    c('SSCAN', 'sc'),
    // SPOP
    c('SPOP', 'nokey'),
    c('SPOP', 'nokey', '3'),
    c('SPOP', 'nokey', '0'),
    c('SPOP', 'sc', '0'),
    c('SPOP', 'sc', '-1'),
    c('SPOP', 'sc', 'x'),
    c('SPOP', 'nokey', 'x'),
    c('SPOP', 'sc', '1', '2'),
    c('SPOP'),
    c('SADD', 'p1', 'only'),
    c('SPOP', 'p1'),
    c('EXISTS', 'p1'),
    c('SADD', 'p2', '5', '3', '1'),
    c('SPOP', 'p2', '3'),
    c('EXISTS', 'p2'),
    c('SADD', 'p3', '5', '3', '1'),
    c('SPOP', 'p3', '100'),
    c('SADD', 'p4', ...WORDS),
    { cmd: ['SPOP', 'p4', '10'], norm: unordered },
    c('EXISTS', 'p4'),
    c('SADD', 'p5', ...SMALL),
    { cmd: ['SPOP', 'p5'], norm: picks(SMALL) },
    c('SCARD', 'p5'),
    { cmd: ['SPOP', 'p5', '4'], norm: picks(SMALL) },
    c('SCARD', 'p5'),
    { cmd: ['SPOP', 'p5', '1'], norm: picks(SMALL) },
    c('SCARD', 'p5'),
    c('SADD', 'p6', ...BIG_WORDS),
    { cmd: ['SPOP', 'p6', '250'], norm: picks(BIG_WORDS) },
    c('SCARD', 'p6'),
    { cmd: ['SPOP', 'p6', '340'], norm: picks(BIG_WORDS) },
    c('SCARD', 'p6'),
    { cmd: ['SPOP', 'p6', '10'], norm: picks(BIG_WORDS) },
    c('EXISTS', 'p6'),
    // SRANDMEMBER
    c('SRANDMEMBER', 'nokey'),
    c('SRANDMEMBER', 'nokey', '3'),
    c('SRANDMEMBER', 'nokey', '-3'),
    c('SRANDMEMBER', 'sc', '0'),
    c('SRANDMEMBER', 'sc', 'x'),
    c('SRANDMEMBER', 'nokey', 'x'),
    c('SRANDMEMBER', 'sc', '1.5'),
    c('SRANDMEMBER', 'sc', '-9223372036854775808'),
    c('SRANDMEMBER', 'sc', '1', '2'),
    c('SRANDMEMBER'),
    c('SRANDMEMBER', 'sc', '10'),
    c('SRANDMEMBER', 'sc', '100'),
    c('SRANDMEMBER', 'ints', '9223372036854775807'),
    c('SADD', 'one', 'x'),
    c('SRANDMEMBER', 'one'),
    c('SRANDMEMBER', 'one', '-3'),
    c('SRANDMEMBER', 'one', '3'),
    { cmd: ['SRANDMEMBER', 'sc'], norm: picks(SMALL) },
    { cmd: ['SRANDMEMBER', 'sc', '3'], norm: picks(SMALL) },
    { cmd: ['SRANDMEMBER', 'sc', '9'], norm: picks(SMALL) },
    { cmd: ['SRANDMEMBER', 'sc', '-1'], norm: picks(SMALL) },
    { cmd: ['SRANDMEMBER', 'sc', '-30'], norm: (r) => ({ type: '+', text: `${r.type} ${r.items?.length} picks` }) },
    { cmd: ['SRANDMEMBER', 'big', '20'], norm: picks(BIG_WORDS) },
    { cmd: ['SRANDMEMBER', 'big', '500'], norm: picks(BIG_WORDS) },
    { cmd: ['SRANDMEMBER', 'big', '1000'], norm: unordered },
    { cmd: ['SRANDMEMBER', 'big'], norm: picks(BIG_WORDS) },
    c('SCARD', 'sc'),
    // SMOVE
    c('SADD', 'from', '1', '2', 'x'),
    c('SADD', 'to', '2', '3'),
    c('SMOVE', 'from', 'to', '1'),
    c('SMOVE', 'from', 'to', '1'),
    c('SMOVE', 'from', 'to', '2'),
    c('SMEMBERS', 'to'),
    c('SMOVE', 'from', 'from', 'x'),
    c('SMOVE', 'from', 'from', 'nope'),
    c('SMOVE', 'nokey', 'to', '1'),
    c('SMOVE', 'from', 'fresh', 'x'),
    c('OBJECT', 'ENCODING', 'fresh'),
    c('EXISTS', 'from'),
    c('SMOVE', 'to', 'fresh2', '3'),
    c('OBJECT', 'ENCODING', 'fresh2'),
    c('SMOVE', 'from', 'to'),
    // WRONGTYPE both ways, TYPE
    c('SET', 'str', 'string'),
    c('HSET', 'hash', 'f', 'v'),
    ...[
      ['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SMEMBERS', 'str'], ['SISMEMBER', 'str', 'a'], ['SMISMEMBER', 'str', 'a'], ['SCARD', 'str'],
      ['SPOP', 'str'], ['SPOP', 'str', '2'], ['SPOP', 'str', '0'], ['SRANDMEMBER', 'str'], ['SRANDMEMBER', 'str', '2'], ['SRANDMEMBER', 'str', '0'],
      ['SSCAN', 'str', '0'], ['SSCAN', 'str', 'x'], ['SMOVE', 'str', 'to', '2'], ['SMOVE', 'to', 'str', '2'], ['SMOVE', 'nokey', 'str', '2'], ['SMOVE', 'to', 'hash', '2'],
      ['SINTER', 'to', 'str'], ['SINTER', 'nokey', 'str'], ['SINTER', 'str', 'nokey'], ['SUNION', 'nokey', 'str'], ['SDIFF', 'to', 'hash'], ['SDIFF', 'nokey', 'str'],
      ['SINTERCARD', '2', 'nokey', 'str'], ['SINTERSTORE', 'd', 'nokey', 'str'], ['SUNIONSTORE', 'd', 'to', 'str'], ['SDIFFSTORE', 'd', 'str'],
      ['GET', 'to'], ['HGET', 'to', 'f'], ['APPEND', 'to', 'x'], ['HSET', 'to', 'f', 'v'],
    ].map((cmd) => c(...cmd)),
    c('TYPE', 'to'),
    c('MGET', 'to', 'str'),
    fullScan(['TYPE', 'set']),
    fullScan(['TYPE', 'SET', 'MATCH', 'enc*']),
    c('SET', 'to', 'now a string'),
    c('TYPE', 'to'),
    // SINTER / SUNION / SDIFF over intsets (numeric order), hashtables (as sets), absent keys
    c('SADD', 'i1', '1', '2', '3', '4', '5'),
    c('SADD', 'i2', '4', '5', '6', '-1'),
    c('SADD', 'i3', '5', '4', '100'),
    c('SADD', 'w1', 'a', 'b', 'c', '1', '4'),
    c('SADD', 'w2', 'b', 'c', 'd'),
    c('SINTER', 'i1', 'i2'),
    c('SINTER', 'i1', 'i2', 'i3'),
    c('SINTER', 'i1'),
    c('SINTER', 'i1', 'nokey'),
    c('SINTER', 'nokey', 'i1'),
    c('SINTER', 'i1', 'i1'),
    c('SINTER', 'i2', 'w1'),
    { cmd: ['SINTER', 'w1', 'w2'], norm: unordered },
    c('SINTER'),
    c('SUNION', 'i1', 'i2', 'i3'),
    c('SUNION', 'i1', 'nokey'),
    c('SUNION', 'nokey'),
    c('SUNION', 'nokey', 'nokey2'),
    { cmd: ['SUNION', 'i1', 'w1', 'w2'], norm: unordered },
    { cmd: ['SUNION', 'big', 'i1'], norm: unordered },
    c('SDIFF', 'i1', 'i2'),
    c('SDIFF', 'i1', 'i2', 'i3'),
    c('SDIFF', 'i1', 'nokey'),
    c('SDIFF', 'nokey', 'i1'),
    c('SDIFF', 'i1', 'i1'),
    c('SDIFF', 'i1'),
    { cmd: ['SDIFF', 'w1', 'w2'], norm: unordered },
    { cmd: ['SDIFF', 'w1', 'i1'], norm: unordered },
    c('SDIFF', 'i2', 'w1', 'w2', 'i3'),
    { cmd: ['SDIFF', 'big', 'i1', 'w1'], norm: unordered },
    // SINTERCARD
    c('SINTERCARD', '2', 'i1', 'i2'),
    c('SINTERCARD', '1', 'big'),
    c('SINTERCARD', '1', 'big', 'LIMIT', '10'),
    c('SINTERCARD', '1', 'big', 'limit', '0'),
    c('SINTERCARD', '2', 'i1', 'nokey'),
    c('SINTERCARD', '2', 'i1', 'i2', 'LIMIT', '1'),
    c('SINTERCARD', '1', 'i1', 'LIMIT', '1', 'LIMIT', '3'),
    c('SINTERCARD', '0', 'i1'),
    c('SINTERCARD', '-1', 'i1'),
    c('SINTERCARD', 'x', 'i1'),
    c('SINTERCARD', '3', 'i1', 'i2'),
    c('SINTERCARD', '2', 'i1', 'i2', 'LIMIT', '-1'),
    c('SINTERCARD', '2', 'i1', 'i2', 'LIMIT', 'x'),
    c('SINTERCARD', '2', 'i1', 'i2', 'LIMIT'),
    c('SINTERCARD', '2', 'i1', 'i2', 'FOO', '1'),
    c('SINTERCARD', '1'),
    // The STORE forms: over a set, a string, a hash, an absent key; an empty result deletes the destination; the result's encoding
    c('SINTERSTORE', 'dst', 'i1', 'i2'),
    c('SMEMBERS', 'dst'),
    c('OBJECT', 'ENCODING', 'dst'),
    c('SUNIONSTORE', 'dst', 'i1', 'w1'),
    c('OBJECT', 'ENCODING', 'dst'),
    { cmd: ['SMEMBERS', 'dst'], norm: unordered },
    c('SDIFFSTORE', 'dst', 'w1', 'w2'),
    c('OBJECT', 'ENCODING', 'dst'),
    { cmd: ['SMEMBERS', 'dst'], norm: unordered },
    c('SET', 'sdst', 'x'),
    c('SUNIONSTORE', 'sdst', 'i1', 'i3'),
    c('TYPE', 'sdst'),
    c('SMEMBERS', 'sdst'),
    c('HSET', 'hdst', 'f', '1', '4', 'v'),
    c('SINTERSTORE', 'hdst', 'i1', 'i3'),
    c('TYPE', 'hdst'),
    c('SMEMBERS', 'hdst'),
    c('SDIFFSTORE', 'i1', 'i1', 'i2'),
    c('SMEMBERS', 'i1'),
    c('SINTERSTORE', 'dst', 'i1', 'nokey'),
    c('EXISTS', 'dst'),
    c('SET', 'sdst', 'x'),
    c('SDIFFSTORE', 'sdst', 'nokey'),
    c('EXISTS', 'sdst'),
    c('SUNIONSTORE', 'dst2', 'nokey'),
    c('EXISTS', 'dst2'),
    c('SDIFFSTORE', 'dst2', 'i2', 'i2'),
    c('EXISTS', 'dst2'),
    c('SUNIONSTORE', 'u600', 'big', 'ints'),
    c('OBJECT', 'ENCODING', 'u600'),
    c('SCARD', 'u600'),
    c('SADD', 'n600', ...BIG_INTS),
    c('SADD', 'n100', ...BIG_INTS.slice(0, 100)),
    c('SADD', 'x1', 'x'),
    c('SDIFFSTORE', 'd1', 'n600', 'n100'),
    c('OBJECT', 'ENCODING', 'd1'),
    c('SDIFFSTORE', 'd2', 'n600', 'n100', 'x1'),
    c('OBJECT', 'ENCODING', 'd2'),
    c('SCARD', 'd2'),
    c('SREM', 'n600', ...BIG_INTS.slice(20)),
    c('OBJECT', 'ENCODING', 'n600'),
    c('SUNION', 'n600'),
    c('SPOP', 'n600', '100'),
    c('SINTERSTORE'),
    c('SUNIONSTORE', 'x'),
    // Keyspace hits and misses: read lookups count, write lookups do not
    c('SADD', 'k1', '1', '2'),
    c('SADD', 'k2', '2', '3'),
    ...[
      ['SADD', 'k1', '9'], ['SREM', 'k1', '9'], ['SMEMBERS', 'k1'], ['SMEMBERS', 'nokey'], ['SISMEMBER', 'k1', '1'], ['SISMEMBER', 'nokey', '1'],
      ['SMISMEMBER', 'nokey', '1', '2'], ['SCARD', 'k1'], ['SCARD', 'nokey'], ['SPOP', 'nokey'], ['SPOP', 'nokey', '2'], ['SRANDMEMBER', 'k1'],
      ['SRANDMEMBER', 'nokey'], ['SRANDMEMBER', 'nokey', '2'], ['SMOVE', 'nokey', 'k1', '1'], ['SINTER', 'k1', 'k2', 'nokey'], ['SINTER', 'nokey', 'k1'],
      ['SUNION', 'k1', 'nokey'], ['SDIFF', 'nokey', 'k1', 'k2'], ['SINTERCARD', '3', 'k1', 'k2', 'nokey'], ['SINTERSTORE', 'kd', 'k1', 'k2', 'nokey'],
      ['SUNIONSTORE', 'kd', 'k1', 'nokey'], ['SDIFFSTORE', 'kd', 'nokey', 'k1'], ['SSCAN', 'k1', '0'], ['SSCAN', 'nokey', '0'], ['SINTER', 'k1', 'str'],
    ].map((cmd) => lookups(...cmd)),
    // WATCH: a change invalidates it, a command that changes nothing does not
    c('SADD', 'wset', '1', '2'),
    c('WATCH', 'wset'),
    other('SADD', 'wset', '3'),
    c('MULTI'),
    c('SCARD', 'wset'),
    c('EXEC'),
    c('WATCH', 'wset'),
    other('SREM', 'wset', 'nope'),
    other('SMOVE', 'wset', 'wset', '1'),
    c('MULTI'),
    c('SCARD', 'wset'),
    c('EXEC'),
    c('WATCH', 'wset'),
    { ...other('SADD', 'wset', '1', '2'), singleNode: CLUSTER_WATCH },
    { ...c('MULTI'), singleNode: CLUSTER_WATCH },
    { ...c('SCARD', 'wset'), singleNode: CLUSTER_WATCH },
    { ...c('EXEC'), singleNode: CLUSTER_WATCH },
    c('UNWATCH'),
    c('WATCH', 'wdst'),
    other('SUNIONSTORE', 'wdst', 'wset'),
    c('MULTI'),
    c('EXISTS', 'wdst'),
    c('EXEC'),
    c('WATCH', 'wset'),
    other('SPOP', 'wset', '10'),
    c('MULTI'),
    c('EXISTS', 'wset'),
    c('EXEC'),
    // Expiry and DEL of a whole set; a new set of the key starts empty
    c('SADD', 'gone', 'a', 'b'),
    c('PEXPIRE', 'gone', '50'),
    { cmd: ['EXISTS', 'gone'], sleep: 300 },
    c('SMEMBERS', 'gone'),
    c('SADD', 'gone', 'c'),
    c('SMEMBERS', 'gone'),
    c('SADD', 'del', '1', '2'),
    c('DEL', 'del'),
    c('SADD', 'del', '3'),
    c('SMEMBERS', 'del'),
    c('EXPIRE', 'del', '100'),
    c('SADD', 'del', '4'),
    c('TTL', 'del'),
    // Metadata
    ...COMMANDS.flatMap((name) => [c('COMMAND', 'INFO', name), c('COMMAND', 'DOCS', name)]),
  ],
};
