// redis-compat/scripts/memory.ts — MEMORY USAGE and MEMORY HELP: figures of
// contents whose size redis-server computes deterministically (strings of
// each encoding, listpack hashes and sorted sets, intsets, hashtables of a
// few hundred members, lists of one and several quicklist nodes), nil for a
// missing key, SAMPLES and its errors in Redis's order, the other
// subcommands (not in dynkv: Redis's unknown-subcommand error, HELP listing
// USAGE and HELP only), COMMAND INFO. Skiplist figures are random in redis
// (node levels): test/server-memory-usage.test.ts compares them with a tolerance.
import { c, type Script } from '../harness';

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));
const NOT_HERE = 'dynkv implements MEMORY USAGE and HELP only (the others belong to the operations issue): Redis\'s unknown-subcommand error';

export const memory: Script = {
  name: 'memory',
  steps: [
    c('SET', 'int', '-123456789'),
    c('SET', 'shared', '42'),
    c('SET', 'emb', 'hello'),
    c('SET', 'raw', 'r'.repeat(300)),
    c('SET', 'empty', ''),
    c('HSET', 'h', 'a', '1', 'b', 'x'.repeat(70), 'c', '-5000'),
    c('HSET', 'hbig', ...range(1200, (i) => `f${i}`)),
    c('SADD', 'si', '1', '-70000', '3000000000'),
    c('SADD', 'sh', ...range(300, (i) => `m${i}`)),
    c('ZADD', 'z', '1', 'a', '2.5', 'b', '-inf', 'c', '1e20', 'd'),
    c('RPUSH', 'l', 'a', '1', '-70000', 'x'.repeat(100)),
    // Several quicklist nodes (about 150 items each), so SAMPLES 2 averages two of six; a generous timeout for a cluster's element writes.
    { cmd: ['RPUSH', 'lbig', ...range(800, (i) => `item:${i}:${'x'.repeat(40)}`)], timeout: 20_000 },
    // SAMPLES 2 of a hashtable: members of variable size would be redis's dict order's
    ...['int', 'shared', 'emb', 'raw', 'empty', 'h', 'hbig', 'si', 'sh', 'z', 'l', 'lbig'].flatMap((k) => [
      c('OBJECT', 'ENCODING', k),
      c('MEMORY', 'USAGE', k),
      c('MEMORY', 'USAGE', k, 'SAMPLES', '0'),
      ...(k === 'h' ? [] : [c('MEMORY', 'USAGE', k, 'SAMPLES', '2')]),
    ]),
    c('MEMORY', 'usage', 'lbig', 'samples', '1', 'SAMPLES', '3'),
    c('MEMORY', 'USAGE', 'nokey'),
    c('MEMORY', 'USAGE', 'nokey', 'SAMPLES', '5'),
    c('MEMORY', 'USAGE', 'nokey', 'SAMPLES', 'x'),
    c('MEMORY', 'USAGE', 'nokey', 'BOGUS'),
    c('MEMORY', 'USAGE', 'int', 'SAMPLES'),
    c('MEMORY', 'USAGE', 'int', 'SAMPLES', '-1'),
    c('MEMORY', 'USAGE', 'int', 'SAMPLES', '99999999999999999999'),
    c('MEMORY', 'USAGE', 'int', 'SAMPLES', '1', 'x'),
    c('MEMORY', 'USAGE'),
    c('MEMORY'),
    c('MEMORY', 'FOO'),
    c('MEMORY', 'help', 'x'),
    { cmd: ['MEMORY', 'HELP'], dynkv: (p) => (p === 2 ? '[+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +USAGE <key> [SAMPLES <count>], +    Return memory in bytes used by <key> and its value. Nested values are, +    sampled up to <count> times (default: 5, 0 means sample all)., +HELP, +    Prints this help.]' : '[+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +USAGE <key> [SAMPLES <count>], +    Return memory in bytes used by <key> and its value. Nested values are, +    sampled up to <count> times (default: 5, 0 means sample all)., +HELP, +    Prints this help.]'), why: NOT_HERE },
    { cmd: ['MEMORY', 'DOCTOR'], dynkv: "-ERR unknown subcommand 'DOCTOR'. Try MEMORY HELP.", why: NOT_HERE },
    { cmd: ['MEMORY', 'STATS'], dynkv: "-ERR unknown subcommand 'STATS'. Try MEMORY HELP.", why: NOT_HERE },
    { cmd: ['MEMORY', 'PURGE'], dynkv: "-ERR unknown subcommand 'PURGE'. Try MEMORY HELP.", why: NOT_HERE },
    { cmd: ['MEMORY', 'MALLOC-STATS'], dynkv: "-ERR unknown subcommand 'MALLOC-STATS'. Try MEMORY HELP.", why: NOT_HERE },
    c('COMMAND', 'INFO', 'MEMORY|USAGE', 'MEMORY|HELP'),
    c('COMMAND', 'DOCS', 'MEMORY|USAGE'),
  ],
};
