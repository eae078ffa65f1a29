// hash-storage.test.ts — the hash type's storage (datatypes/README.md,
// "Storage of collections") under the coordinator of a cluster of one,
// without sockets: a header key in the keyspace plus element records in the
// elements engines, which SCAN and DBSIZE never see; fields keep Redis's
// listpack order; the encoding follows Redis's limits one way; a hash that
// expired or was deleted leaves nothing a new hash of the same key sees;
// the element key lives in its parent key's slot; HSET into a big hash
// appends one field's worth to the log; the summary and pure encodings
// round-trip.
import test from 'ava';
import { ManualClock } from '../cluster/clock';
import { DynamoCoordinator } from '../cluster/coordinator/dynamo-coordinator';
import { fieldKey } from '../cluster/replica/hash-replica';
import { keySlot } from '../cluster/ring/slot';
import { decodeFieldValue, decodeHashSummary, encodeFieldValue, encodeHashSummary } from '../datatypes/hash';
import { DataType } from '../datatypes/types';
import { tmpDir } from './helpers/tmpdir';

const LIMITS = { entries: 128, value: 64 };
const b = (s: string): Buffer => Buffer.from(s);
const pairs = (...items: string[]): Buffer[] => items.map(b);

function single(t: Parameters<typeof tmpDir>[0], clock = new ManualClock(1_800_000_000_000), dir = tmpDir(t)): DynamoCoordinator {
  const self = { id: '127.0.0.1:1', host: '127.0.0.1', port: 1, busPort: 0, weight: 1 };
  const c = new DynamoCoordinator(
    { self, members: [self], n: 1, r: 1, w: 1, partitions: 64, secret: '', timeoutMs: 1000, faultInjection: false },
    dir,
    { fsync: 'no' },
    16,
    { onWrite: () => undefined, onExpire: () => undefined },
    clock,
  );
  t.teardown(() => c.close());
  return c;
}

const fields = (c: DynamoCoordinator, key: string): string[] => c.hashes.entries(0, b(key)).map((e) => `${e.field.toString()}=${e.value.toString()}`);

test('a hash is a header key tagged hash plus element records the keyspace never shows', (t) => {
  const c = single(t);
  t.is(c.hashes.set(0, b('h'), pairs('a', '1', 'b', '2', 'c', '3'), 0, LIMITS), 3);
  t.is(c.meta(0, b('h'))?.type, DataType.hash);
  t.is(c.size(0), 1);
  t.deepEqual(c.scan(0, 0n, 100).keys.map(String), ['h']);
  t.is(c.hashes.length(0, b('h')), 3);
  t.is(c.hashes.get(0, b('h'), b('b'))?.toString(), '2');
  t.is(c.hashes.get(0, b('h'), b('zz')), null);
  t.is(c.hashes.set(0, b('h'), pairs('b', '20', 'd', '4'), 0, LIMITS), 1);
  t.deepEqual(fields(c, 'h'), ['a=1', 'b=20', 'c=3', 'd=4']);
});

test('fields list in insertion order (an overwrite keeps its place, a deleted and re-added field goes last)', (t) => {
  const c = single(t);
  c.hashes.set(0, b('h'), pairs('z', '1', 'a', '2', 'm', '3'), 0, LIMITS);
  c.hashes.set(0, b('h'), pairs('a', 'x'), 0, LIMITS);
  t.is(c.hashes.delete(0, b('h'), pairs('z', 'nope'), 0), 1);
  c.hashes.set(0, b('h'), pairs('z', 'again'), 0, LIMITS);
  t.deepEqual(fields(c, 'h'), ['a=x', 'm=3', 'z=again']);
});

test('the last field deleted deletes the key, and a new hash of that key starts empty', (t) => {
  const c = single(t);
  c.hashes.set(0, b('h'), pairs('a', '1', 'b', '2'), 0, LIMITS);
  t.is(c.hashes.delete(0, b('h'), pairs('a', 'b', 'a'), 0), 2);
  t.is(c.meta(0, b('h')), null);
  t.is(c.size(0), 0);
  c.hashes.set(0, b('h'), pairs('c', '3'), 0, LIMITS);
  t.deepEqual(fields(c, 'h'), ['c=3']);
  t.is(c.hashes.length(0, b('h')), 1);
});

test('DEL of the key, or its expiry, leaves nothing a new hash of the same key sees', async (t) => {
  // The engine expires records by the wall clock (reap mode): the test's clock follows it.
  const clock = new ManualClock(Date.now());
  const c = single(t, clock);
  c.hashes.set(0, b('h'), pairs('a', '1', 'b', '2'), 0, LIMITS);
  t.true(c.delete(0, b('h')));
  t.is(c.hashes.get(0, b('h'), b('a')), null);
  c.hashes.set(0, b('h'), pairs('c', '3'), 0, LIMITS);
  t.deepEqual(fields(c, 'h'), ['c=3']);
  t.true(c.setExpiry(0, b('h'), Date.now() + 500));
  t.is(c.meta(0, b('h'))?.type, DataType.hash);
  t.deepEqual(fields(c, 'h'), ['c=3']);
  const deadline = Date.now() + 30_000;
  while (c.meta(0, b('h')) !== null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  clock.advance(Date.now() - clock.now());
  t.is(c.meta(0, b('h')), null);
  t.is(c.hashes.length(0, b('h')), 0);
  c.hashes.set(0, b('h'), pairs('d', '4'), 0, LIMITS);
  t.deepEqual(fields(c, 'h'), ['d=4']);
  t.is(c.hashes.length(0, b('h')), 1);
});

test('encoding: listpack until more than hash-max-listpack-entries fields or a field or value over hash-max-listpack-value bytes, then hashtable for good', (t) => {
  const c = single(t);
  const limits = { entries: 3, value: 5 };
  c.hashes.set(0, b('h'), pairs('a', '1', 'b', '2', 'c', '3'), 0, limits);
  t.is(c.hashes.encoding(0, b('h')), 'listpack');
  c.hashes.set(0, b('h'), pairs('d', '4'), 0, limits);
  t.is(c.hashes.encoding(0, b('h')), 'hashtable');
  c.hashes.delete(0, b('h'), pairs('a', 'b', 'c'), 0);
  t.is(c.hashes.encoding(0, b('h')), 'hashtable');
  c.hashes.set(0, b('v'), pairs('f', '12345'), 0, limits);
  t.is(c.hashes.encoding(0, b('v')), 'listpack');
  c.hashes.set(0, b('v'), pairs('f', '123456'), 0, limits);
  t.is(c.hashes.encoding(0, b('v')), 'hashtable');
  c.hashes.set(0, b('w'), pairs('longfield', '1'), 0, limits);
  t.is(c.hashes.encoding(0, b('w')), 'hashtable');
});

test("an element record's key hashes to its parent key's slot (hash tags included)", (t) => {
  for (const key of ['h', 'user:1000', '{tag}rest', 'x'.repeat(300), '\x00\xff{']) {
    const k = Buffer.from(key, 'latin1');
    t.is(keySlot(fieldKey(k, b('field'))), keySlot(k), key);
    t.is(keySlot(fieldKey(k, Buffer.alloc(0))), keySlot(k), key);
  }
});

test('a hashtable hash pages through its fields by cursor, each field once', (t) => {
  const c = single(t);
  const args: Buffer[] = [];
  for (let i = 0; i < 500; i++) args.push(b(`f${i}`), b(`v${i}`));
  c.hashes.set(0, b('big'), args, 0, LIMITS);
  c.hashes.set(0, b('other'), pairs('o', '1'), 0, LIMITS);
  const seen = new Set<string>();
  let cursor = 0n;
  let pages = 0;
  do {
    const page = c.hashes.scan(0, b('big'), cursor, 50);
    for (const e of page.entries) {
      t.false(seen.has(e.field.toString()));
      seen.add(e.field.toString());
    }
    cursor = page.cursor;
    pages++;
  } while (cursor !== 0n);
  t.is(seen.size, 500);
  t.true(pages > 2);
});

test('HSET into a hash of 100k fields appends about one field to the log', (t) => {
  const c = single(t);
  const batch: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) {
    batch.push(b(`field:${i}`), b(`value:${i}`));
    if (batch.length === 2000) {
      c.hashes.set(0, b('big'), batch, 0, LIMITS);
      batch.length = 0;
    }
  }
  t.is(c.hashes.length(0, b('big')), 100_000);
  const logBytes = (): number => c.stats().reduce((a, s) => a + s.liveBytes + s.deadBytes, 0);
  const before = logBytes();
  const field = b('a-new-field-of-32-bytes-exactly!');
  const value = b('x'.repeat(100));
  c.hashes.set(0, b('big'), [field, value], 0, LIMITS);
  const appended = logBytes() - before;
  t.log(`one HSET of a ${field.length}-byte field and ${value.length}-byte value into 100k fields appended ${appended} bytes`);
  t.true(appended > field.length + value.length);
  t.true(appended < 2 * (field.length + value.length) + 200, `${appended} bytes appended`);
});

test('an HSET that only overwrites fields appends their records alone (the summary stays as stored), and a reopen reads the hash back', async (t) => {
  const dir = tmpDir(t);
  const c = single(t, undefined, dir);
  c.hashes.set(0, b('h'), pairs('f1', 'v1', 'f2', 'v2', 'f3', 'v3'), 0, LIMITS);
  const logBytes = (): number => c.stats().reduce((a, s) => a + s.liveBytes + s.deadBytes, 0);
  let before = logBytes();
  c.hashes.set(0, b('h'), pairs('f4', 'v4'), 0, LIMITS);
  const added = logBytes() - before;
  before = logBytes();
  c.hashes.set(0, b('h'), pairs('f1', 'w1'), 0, LIMITS);
  const overwritten = logBytes() - before;
  t.log(`a new field appended ${added} bytes (its record and the summary's), an overwrite ${overwritten}`);
  // An engine record has a 29-byte header: the overwrite appends one record fewer.
  t.true(overwritten + 29 <= added, `overwrite ${overwritten} bytes, new field ${added}`);
  await c.close();
  const reopened = single(t, undefined, dir);
  t.is(reopened.hashes.length(0, b('h')), 4);
  t.deepEqual(fields(reopened, 'h'), ['f1=w1', 'f2=v2', 'f3=v3', 'f4=v4']);
  reopened.hashes.set(0, b('h'), pairs('f5', 'v5'), 0, LIMITS);
  t.deepEqual(fields(reopened, 'h'), ['f1=w1', 'f2=v2', 'f3=v3', 'f4=v4', 'f5=v5']);
});

test('a summary a cluster of one keeps in memory goes with FLUSHDB and with the reclaim of a deleted hash', (t) => {
  const c = single(t);
  c.hashes.set(0, b('h'), pairs('a', '1', 'b', '2'), 0, LIMITS);
  t.is(c.localElements(0, b('h')).count, 2);
  c.flush(0);
  // Another hash opens db 0's elements engine again: h's summary is not in it.
  c.hashes.set(0, b('other'), pairs('x', '1'), 0, LIMITS);
  t.is(c.localElements(0, b('h')).count, null);
  c.hashes.set(0, b('g'), pairs('a', '1'), 0, LIMITS);
  t.is(c.localElements(0, b('g')).count, 1);
  t.true(c.delete(0, b('g')));
  // What element-reclaim.ts does on a cluster of one for a collection whose header is gone.
  t.deepEqual(c.replicas.elementRecords.reclaim(0, b('g'), Infinity), { dropped: 1, live: 1, left: 0 });
  t.is(c.localElements(0, b('g')).count, null);
});

test('pure encodings round-trip and refuse bytes they did not make', (t) => {
  const v = decodeFieldValue(encodeFieldValue(300, b('value')));
  t.is(v.seq, 300);
  t.is(v.value.toString(), 'value');
  const s = { count: 5, nextSeq: 9, hashtable: true, synced: 'AQEJbm9kZS1hIzEB' };
  t.deepEqual(decodeHashSummary(encodeHashSummary(s)), s);
  t.throws(() => decodeHashSummary(Buffer.from([1, 1, 7, 0])), { instanceOf: RangeError });
  t.throws(() => decodeHashSummary(Buffer.from([1, 1, 0, 0, 0])), { instanceOf: RangeError });
  t.throws(() => decodeHashSummary(Buffer.from([1, 1, 0, 3, 0x41])), { instanceOf: RangeError });
});
