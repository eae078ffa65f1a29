// redis-compat/scripts/key-transfer.ts — RENAME, RENAMENX, COPY and MOVE of
// every type but strings (hashes, sets, sorted sets, of both encodings):
// the destination gets the value, the encoding and the expiry, replacing a
// key of another type; the source goes (RENAME, MOVE) or stays (COPY).
import { c, type Script } from '../harness';

const bigSet = Array.from({ length: 600 }, (_, i) => `m${i}`);

export const keyTransfer: Script = {
  name: 'key-transfer',
  steps: [
    c('HSET', 'h', 'a', '1', 'b', '2'),
    c('PEXPIRE', 'h', '100000'),
    c('RENAME', 'h', 'h2'),
    c('HGETALL', 'h2'),
    c('EXISTS', 'h'),
    c('TTL', 'h2'),
    c('OBJECT', 'ENCODING', 'h2'),
    c('SET', 'str', 'x'),
    c('RENAME', 'h2', 'str'),
    c('TYPE', 'str'),
    c('HGET', 'str', 'b'),
    c('SADD', 's', '1', '2', '3'),
    c('COPY', 's', 's2'),
    c('SMEMBERS', 's2'),
    c('OBJECT', 'ENCODING', 's2'),
    c('SADD', 's2', 'x'),
    c('SCARD', 's'),
    c('SCARD', 's2'),
    c('COPY', 's', 's2'),
    c('COPY', 's', 's2', 'REPLACE'),
    c('SISMEMBER', 's2', 'x'),
    c('SADD', 'big', ...bigSet),
    c('COPY', 'big', 'big2', 'DB', '1'),
    c('SELECT', '1'),
    c('SCARD', 'big2'),
    c('OBJECT', 'ENCODING', 'big2'),
    c('SELECT', '0'),
    c('ZADD', 'z', '1', 'a', '2.5', 'b', '-1', 'c'),
    c('RENAMENX', 'z', 's'),
    c('RENAMENX', 'z', 'z2'),
    c('ZRANGE', 'z2', '0', '-1', 'WITHSCORES'),
    c('MOVE', 'z2', '2'),
    c('EXISTS', 'z2'),
    c('SELECT', '2'),
    c('ZRANGE', 'z2', '0', '-1', 'WITHSCORES'),
    c('OBJECT', 'ENCODING', 'z2'),
    c('ZADD', 'z2', '7', 'd'),
    c('ZCARD', 'z2'),
    c('SELECT', '0'),
    c('SADD', 'gone', 'a'),
    c('RENAME', 'gone', 'gone'),
    c('SMEMBERS', 'gone'),
    c('DEL', 'gone'),
    c('SADD', 'gone', 'b'),
    c('SMEMBERS', 'gone'),
  ],
};
