// rdb-codec.test.ts — the pure parts of DUMP's serialization
// (datatypes/rdb/): CRC-64's check value, LZF and listpack round trips over
// arbitrary inputs (fast-check), and payload round trips of every value
// shape; redis-server's own payloads are tested in server-dump.test.ts.
import test from 'ava';
import fc from 'fast-check';
import { crc64 } from '../datatypes/rdb/crc64';
import { decodeListpack, encodeListpack } from '../datatypes/rdb/listpack';
import { lzfCompress, lzfDecompress } from '../datatypes/rdb/lzf';
import { dumpPayload, readPayload, verifyPayload, type RdbValue } from '../datatypes/rdb/payload';

test('crc64 is the Jones CRC-64 of Redis (check value of "123456789")', (t) => {
  t.is(crc64(Buffer.from('123456789')).readBigUInt64LE(0), 0xe9c6d914c4b8d9can);
});

test('LZF: what is compressed decompresses to the same bytes; repetitive input shrinks', (t) => {
  // Inputs drawn from a small alphabet, so that back references occur.
  const bytes = fc.array(fc.constantFrom(0, 1, 2, 97, 98, 255), { maxLength: 3000 }).map((a) => Buffer.from(a));
  fc.assert(fc.property(fc.oneof(bytes, fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a))), (input) => {
    const packed = lzfCompress(input, input.length + 64);
    if (packed === null) return input.length === 0;
    const back = lzfDecompress(packed, input.length);
    return back !== null && back.equals(input);
  }));
  const big = Buffer.from('abcdefgh'.repeat(1000));
  const packed = lzfCompress(big, big.length - 4);
  t.truthy(packed);
  t.true((packed as Buffer).length < big.length / 20);
  t.is(lzfDecompress(Buffer.from([0x1f, 1, 2]), 32), null, 'a literal run past the input is refused');
});

test('listpack: elements round trip; integers take their smallest encoding', (t) => {
  const element = fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Buffer.from(String(n))),
    fc.uint8Array({ maxLength: 5000 }).map((a) => Buffer.from(a)),
    fc.string({ maxLength: 70 }).map((s) => Buffer.from(s)),
  );
  fc.assert(fc.property(fc.array(element, { maxLength: 40 }), (elements) => {
    const back = decodeListpack(encodeListpack(elements));
    return back !== null && back.length === elements.length && back.every((b, i) => b.equals(elements[i]));
  }), { numRuns: 200 });
  t.is(encodeListpack([Buffer.from('127')]).length, 6 + 2 + 1);
  t.is(encodeListpack([Buffer.from('-4096')]).length, 6 + 3 + 1);
  t.is(encodeListpack([Buffer.from('0127')]).length, 6 + 1 + 4 + 1 + 1, 'not canonical: a string');
});

test('payloads of every value shape round trip and carry a valid footer', (t) => {
  const values: RdbValue[] = [
    { type: 'string', value: Buffer.from('x'.repeat(100)) },
    { type: 'string', value: Buffer.from('-2147483648') },
    { type: 'hash', pairs: [Buffer.from('f'), Buffer.from('1')], compact: true },
    { type: 'hash', pairs: [Buffer.from('f'), Buffer.from('v'.repeat(70))], compact: false },
    { type: 'set', members: [Buffer.from('3'), Buffer.from('-70000'), Buffer.from('1')], compact: true },
    { type: 'set', members: [Buffer.from('a'), Buffer.from('b')], compact: false },
    { type: 'zset', entries: [{ member: Buffer.from('m'), score: 1.5 }, { member: Buffer.from('n'), score: 0.1 }], compact: true },
    { type: 'zset', entries: [{ member: Buffer.from('m'), score: -Infinity }], compact: false },
    { type: 'list', items: Array.from({ length: 300 }, (_, i) => Buffer.from(`item${i}`)) },
  ];
  for (const value of values) {
    for (const compress of [true, false]) {
      const payload = dumpPayload(value, compress);
      t.true(verifyPayload(payload));
      const back = readPayload(payload);
      if (value.type === 'set' && value.compact) t.deepEqual(back, { ...value, members: [...value.members].sort((a, b) => Number(a) - Number(b)) });
      else t.deepEqual(back, value);
    }
  }
  const payload = dumpPayload(values[0], false);
  payload[3] ^= 1;
  t.false(verifyPayload(payload), 'a flipped bit fails the CRC');
});
