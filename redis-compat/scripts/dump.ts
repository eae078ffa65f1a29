// redis-compat/scripts/dump.ts — DUMP and RESTORE (Redis 7.0's cluster.c):
// with rdbcompression off, DUMP's payloads byte for byte (integer strings of
// each width, raw strings, listpack hashes of every entry encoding); RESTORE
// of them, with TTL, ABSTTL, REPLACE, IDLETIME and FREQ, and every error in
// Redis's order (options, BUSYKEY, TTL, footer version and CRC, body;
// the body is read as Redis reads it, on into the footer's bytes).
// Payloads DUMPed with compression, and hashtable hashes, whose bytes differ
// by design (LZF's output, dict order), are compared by contents in
// test/server-dump.test.ts.
import { crc64 } from '../../datatypes/rdb/crc64';
import { encodeListpack } from '../../datatypes/rdb/listpack';
import { c, type Script } from '../harness';

/** A DUMP payload of body (type byte and object) with this RDB version and its CRC-64. */
function payload(body: Buffer, version = 10, badCrc = false): Buffer {
  const head = Buffer.concat([body, Buffer.from([version & 0xff, version >> 8])]);
  const crc = crc64(head);
  if (badCrc) crc[0] ^= 1;
  return Buffer.concat([head, crc]);
}

const HELLO = payload(Buffer.from('\x00\x05hello', 'latin1'));
const SMALL_HASH = payload(Buffer.concat([Buffer.from([16, 28]), encodeListpack(['a', '1', 'bb', '22', 'ccc', 'xyz'].map((s) => Buffer.from(s)))]));

export const dump: Script = {
  name: 'dump',
  steps: [
    c('CONFIG', 'SET', 'rdbcompression', 'no'),
    c('CONFIG', 'GET', 'rdbcompression'),
    c('CONFIG', 'SET', 'rdbcompression', 'maybe'),
    c('SET', 's', 'hello'),
    c('SET', 'i8', '-7'),
    c('SET', 'i16', '12345'),
    c('SET', 'i32', '-2147483648'),
    c('SET', 'i64', '9223372036854775807'),
    c('SET', 'lead0', '007'),
    c('SET', 'long', 'abcdefghij'.repeat(3)),
    c('SET', 'empty', ''),
    c('HSET', 'h', 'a', '1', 'bb', '22', 'ccc', 'xyz'),
    c('HSET', 'hints', 'n1', '-1', 'n2', '300', 'n3', '-4096', 'n4', '70000', 'n5', '-3000000000', 'n6', '9223372036854775807', 'n7', 'x'.repeat(70), 'n8', 'y'.repeat(5000)),
    c('DUMP', 's'), c('DUMP', 'i8'), c('DUMP', 'i16'), c('DUMP', 'i32'), c('DUMP', 'i64'), c('DUMP', 'lead0'), { ...c('DUMP', 'long'), singleNode: 'rdbcompression no was set on the node the script talks to; through a cluster the key is dumped at its replica, which compresses' }, c('DUMP', 'empty'),
    c('DUMP', 'h'),
    c('DUMP', 'nokey'),
    c('DUMP'),
    c('DUMP', 'a', 'b'),
    // RESTORE of what redis-server would DUMP
    c('RESTORE', 'r1', '0', HELLO),
    c('GET', 'r1'),
    c('RESTORE', 'r2', '0', SMALL_HASH),
    c('HGETALL', 'r2'),
    c('TYPE', 'r2'),
    c('OBJECT', 'ENCODING', 'r2'),
    c('RESTORE', 'r3', '100000', HELLO),
    c('TTL', 'r3'),
    c('RESTORE', 'r4', '4102444800000', HELLO, 'ABSTTL'),
    c('PEXPIRETIME', 'r4'),
    c('RESTORE', 'r1', '0', SMALL_HASH, 'REPLACE'),
    c('TYPE', 'r1'),
    c('RESTORE', 'r5', '0', HELLO, 'FREQ', '5'),
    c('RESTORE', 'r6', '0', HELLO, 'IDLETIME', '50'),
    c('EXISTS', 'r5', 'r6'),
    c('RESTORE', 'r7', '1', HELLO, 'ABSTTL'),
    c('EXISTS', 'r7'),
    // errors, in Redis's order
    c('RESTORE', 'k'),
    c('RESTORE', 'e1', '0'),
    c('RESTORE', 's', '0', 'garbage', 'FOO'),
    c('RESTORE', 's', '-1', 'garbage'),
    c('RESTORE', 'e2', '-1', 'garbage'),
    c('RESTORE', 'e3', 'abc', 'garbage'),
    c('RESTORE', 'e4', '0', 'garbage'),
    c('RESTORE', 'e5', '0', payload(Buffer.from('\x00\x05hello', 'latin1'), 11)),
    c('RESTORE', 'e6', '0', payload(Buffer.from('\x00\x05hello', 'latin1'), 10, true)),
    c('RESTORE', 'e7', '0', payload(Buffer.from('\x00\x09hello', 'latin1'))),
    c('RESTORE', 'e8', '0', payload(Buffer.from('\x63\x05hello', 'latin1'))),
    c('RESTORE', 'e9', '0', payload(Buffer.concat([Buffer.from([16, 7]), encodeListpack([])]))),
    c('RESTORE', 'e10', '0', payload(Buffer.from([4, 0]))),
    c('RESTORE', 'e11', '0', HELLO, 'IDLETIME', '-1'),
    c('RESTORE', 'e12', '0', HELLO, 'IDLETIME', 'abc'),
    c('RESTORE', 'e13', '0', HELLO, 'IDLETIME'),
    c('RESTORE', 'e14', '0', HELLO, 'FREQ', '256'),
    c('RESTORE', 'e15', '0', HELLO, 'FREQ', '-1'),
    c('RESTORE', 'e16', '0', HELLO, 'IDLETIME', '10', 'FREQ', '5'),
    c('RESTORE', 'e17', '0', HELLO, 'FREQ', '5', 'IDLETIME', '10'),
    c('EXISTS', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10', 'e11', 'e12', 'e13', 'e14', 'e15', 'e16', 'e17'),
    c('CONFIG', 'SET', 'rdbcompression', 'yes'),
  ],
};
