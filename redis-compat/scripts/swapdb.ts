// redis-compat/scripts/swapdb.ts — SWAPDB on one server (Redis 7.0's
// swapdbCommand): its errors in Redis's order (first index, second index,
// range), the contents of both databases after swaps (every type, TTLs kept),
// a database with itself, and WATCH: a transaction watching a key that exists
// in either swapped database fails, one watching a key in neither or in
// another database does not. Through a cluster node every step is skipped:
// a cluster of several nodes refuses SWAPDB (Redis Cluster's error, tested in
// test/server-swapdb.test.ts).
import { c, type Arg, type Script, type Step } from '../harness';

const CLUSTER = 'a cluster of several dynkv nodes refuses SWAPDB, as Redis Cluster does';

const one = (...cmd: Arg[]): Step => ({ cmd, singleNode: CLUSTER });
const other = (...cmd: Arg[]): Step => ({ cmd, conn: 'other', singleNode: CLUSTER });

export const swapdb: Script = {
  name: 'swapdb',
  steps: [
    ...[['0', 'x'], ['x', '0'], ['x', 'y'], ['0', '99999999999'], ['0', '16'], ['-1', '0'], ['16', 'x'], ['0', '1.5'], ['', '0'], [' 1', '0']].map(([a, b]) => one('SWAPDB', a, b)),
    one('SWAPDB', '0'),
    one('SWAPDB', '0', '1', '2'),
    one('SET', 's', 'zero', 'EX', '1000'),
    one('RPUSH', 'l', 'a', 'b'),
    one('ZADD', 'z', '1', 'one'),
    one('SELECT', '1'),
    one('HSET', 'h', 'f', 'v'),
    one('SADD', 'st', 'x'),
    one('SWAPDB', '0', '1'),
    one('DBSIZE'),
    one('TYPE', 'l'),
    one('HGET', 'h', 'f'),
    one('SELECT', '0'),
    one('DBSIZE'),
    one('GET', 's'),
    one('TTL', 's'),
    one('LRANGE', 'l', '0', '-1'),
    one('ZRANGE', 'z', '0', '-1'),
    one('SMEMBERS', 'st'),
    one('SWAPDB', '1', '1'),
    one('SWAPDB', '15', '0'),
    one('DBSIZE'),
    one('SELECT', '15'),
    one('DBSIZE'),
    one('SWAPDB', '0', '15'),
    one('SELECT', '0'),
    // WATCH: a key existing in either database fails the transaction
    one('SET', 'w0', 'x'),
    other('SELECT', '1'),
    other('WATCH', 'w0'),
    one('SWAPDB', '0', '1'),
    other('MULTI'),
    other('PING'),
    other('EXEC'),
    other('WATCH', 'w0'),
    one('SWAPDB', '1', '0'),
    other('MULTI'),
    other('PING'),
    other('EXEC'),
    other('WATCH', 'nowhere'),
    one('SWAPDB', '0', '1'),
    other('MULTI'),
    other('PING'),
    other('EXEC'),
    other('SELECT', '3'),
    other('SET', 'w3', 'x'),
    other('WATCH', 'w3'),
    one('SWAPDB', '0', '1'),
    other('MULTI'),
    other('PING'),
    other('EXEC'),
    other('WATCH', 'w3'),
    one('SWAPDB', '3', '3'),
    other('MULTI'),
    other('PING'),
    other('EXEC'),
    c('COMMAND', 'INFO', 'SWAPDB'),
    c('COMMAND', 'DOCS', 'SWAPDB'),
  ],
};
