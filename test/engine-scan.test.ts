// engine-scan.test.ts — iteration: a full scan returns every key exactly once
// when nothing changes, keys living through a scan are returned while others
// are added and deleted (and the tables grow), scanRange lists exactly the
// keys of a slot range in ring order, keySlot matches Redis Cluster (hash
// tags included), and expired keys are never listed.
import test from 'ava';
import { Engine, keySlot, ringHash } from '../engine/index';
import { tmpDir } from './helpers/tmpdir';
import { openEngine, sleep } from './helpers/engine';
import { prng } from './helpers/random';

const SLOT_SHIFT = 50n;

/** CRC16/XMODEM, as Redis Cluster's crc16.c. */
function crc16(buf: Buffer): number {
  let crc = 0;
  for (const byte of buf) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Redis Cluster's keyHashSlot: hash the {tag} when non-empty, else the whole key. */
function referenceSlot(key: Buffer): number {
  const open = key.indexOf(0x7b);
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(key.subarray(open + 1, close)) % 16384;
  }
  return crc16(key) % 16384;
}

function scanAll(e: Engine, count: number): string[] {
  const keys: string[] = [];
  let cursor = 0n;
  let calls = 0;
  do {
    const r = e.scan(cursor, count);
    for (const k of r.keys) keys.push(k.toString('latin1'));
    cursor = r.cursor;
    if (++calls > 1_000_000) throw new Error('scan does not terminate');
  } while (cursor !== 0n);
  return keys;
}

function scanSlots(e: Engine, a: number, b: number, count: number): Buffer[] {
  const to = BigInt(b) << SLOT_SHIFT;
  const keys: Buffer[] = [];
  let from = BigInt(a) << SLOT_SHIFT;
  do {
    const r = e.scanRange(from, to, count);
    keys.push(...r.keys);
    from = r.cursor;
  } while (from !== 0n);
  return keys;
}

test('keySlot matches Redis Cluster, hash tags included', (t) => {
  t.is(keySlot('foo'), 12182);
  t.is(keySlot('bar'), 5061);
  t.is(keySlot('hello'), 866);
  t.is(keySlot('123456789'), 0x31c3 % 16384, 'CRC16/XMODEM check value');
  t.is(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
  t.is(keySlot('{user1}.a'), keySlot('{user1}.b'));
  t.is(keySlot('{user1}.a'), keySlot('user1'), 'only the tag is hashed');
  t.is(keySlot('foo{}{bar}'), crc16(Buffer.from('foo{}{bar}')) % 16384, 'an empty tag {} means the whole key is hashed');
  t.is(keySlot('foo{{bar}}zap'), keySlot('{bar'), 'the tag is between the first { and the next }');
  t.is(keySlot('foo{bar}{zap}'), keySlot('bar'), 'only the first tag counts');
  t.is(keySlot(''), 0);
  const rand = prng(7);
  for (let i = 0; i < 2000; i++) {
    const key = Buffer.from(Array.from({ length: Math.floor(rand() * 24) }, () => (rand() < 0.1 ? 0x7b : rand() < 0.1 ? 0x7d : Math.floor(rand() * 256))));
    if (keySlot(key) !== referenceSlot(key)) {
      t.fail(`keySlot(${key.toString('hex')}) = ${keySlot(key)}, expected ${referenceSlot(key)}`);
      return;
    }
  }
  t.pass();
});

test('ringHash carries the slot in its top bits and is deterministic', (t) => {
  for (let i = 0; i < 2000; i++) {
    const k = `key:${i}`;
    const h = ringHash(k);
    t.is(typeof h, 'bigint');
    t.true(h >= 0n && h < 1n << 64n);
    if (h >> SLOT_SHIFT !== BigInt(keySlot(k))) {
      t.fail(`ringHash(${k}) >> 50 = ${h >> SLOT_SHIFT}, keySlot = ${keySlot(k)}`);
      return;
    }
    t.is(ringHash(Buffer.from(k)), h);
  }
  t.not(ringHash('{tag}a'), ringHash('{tag}b'), 'same slot, different low bits');
  t.is(ringHash('{tag}a') >> SLOT_SHIFT, ringHash('{tag}b') >> SLOT_SHIFT);
});

test('a full scan returns every key exactly once, in ring order, when nothing changes', (t) => {
  const e = openEngine(t, tmpDir(t));
  const n = 5000;
  for (let i = 0; i < n; i++) e.put(`key:${i}`, `v${i}`);
  for (let i = 0; i < n; i += 10) e.delete(`key:${i}`);
  for (const count of [1, 10, 97, 10_000]) {
    const keys = scanAll(e, count);
    t.is(keys.length, n - n / 10, `count ${count}: number of keys returned`);
    t.is(new Set(keys).size, keys.length, `count ${count}: no duplicates`);
    t.false(keys.includes('key:0') || keys.includes('key:10'), 'deleted keys are not listed');
    const hashes = keys.map((k) => ringHash(Buffer.from(k, 'latin1')));
    t.true(hashes.every((h, i) => i === 0 || hashes[i - 1] <= h), `count ${count}: ring order`);
  }
  const empty = openEngine(t, tmpDir(t));
  t.deepEqual(empty.scan(0n, 10), { cursor: 0n, keys: [] });
});

test('scan returns every key that lives through it while keys are added and deleted between calls', (t) => {
  const e = openEngine(t, tmpDir(t));
  const rand = prng(0x5ca9);
  const stable = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    e.put(`stable:${i}`, 's');
    stable.add(`stable:${i}`);
  }
  for (let i = 0; i < 1000; i++) e.put(`churn:${i}`, 'c');
  for (let i = 0; i < 500; i++) e.put(`doomed:${i}`, 'd');
  for (let i = 0; i < 500; i++) e.delete(`doomed:${i}`);
  const everLive = new Set<string>([...stable]);
  for (let i = 0; i < 1000; i++) everLive.add(`churn:${i}`);
  const seen = new Map<string, number>();
  let cursor = 0n;
  let added = 0;
  let calls = 0;
  do {
    const r = e.scan(cursor, 20);
    for (const k of r.keys) seen.set(k.toString('latin1'), (seen.get(k.toString('latin1')) ?? 0) + 1);
    cursor = r.cursor;
    calls++;
    // Grow the table a lot between calls and churn the rest.
    for (let j = 0; j < 60; j++) {
      const k = `new:${added++}`;
      e.put(k, 'n');
      everLive.add(k);
    }
    for (let j = 0; j < 10; j++) {
      const k = `churn:${Math.floor(rand() * 1000)}`;
      if (rand() < 0.5) e.delete(k);
      else e.put(k, 'again');
    }
  } while (cursor !== 0n && calls < 100_000);
  t.is(cursor, 0n, 'scan finished');
  t.true(added > 5000, `the table grew during the scan (${added} keys added)`);
  const missing = [...stable].filter((k) => !seen.has(k));
  t.deepEqual(missing.slice(0, 10), [], `${missing.length} stable keys were never returned`);
  const bogus = [...seen.keys()].filter((k) => !everLive.has(k));
  t.deepEqual(bogus.slice(0, 10), [], 'only keys that were live at some point are returned');
  const dupStable = [...stable].filter((k) => (seen.get(k) ?? 0) > 1);
  t.log(`${calls} scan calls, ${added} keys added, ${dupStable.length} stable keys returned twice`);
});

test('scanRange over slot ranges returns exactly the keys of those slots, in order', (t) => {
  const e = openEngine(t, tmpDir(t));
  const keys: string[] = [];
  for (let i = 0; i < 6000; i++) keys.push(`user:${i}`);
  for (let i = 0; i < 50; i++) keys.push(`{tagged}.${i}`);
  for (const k of keys) e.put(k, k);
  const rand = prng(42);
  const ranges: [number, number][] = [
    [0, 16384],
    [0, 1],
    [0, 100],
    [100, 8000],
    [8000, 16384],
    [16383, 16384],
    [keySlot('{tagged}'), keySlot('{tagged}') + 1],
  ];
  for (let i = 0; i < 10; i++) {
    const a = Math.floor(rand() * 16384);
    ranges.push([a, Math.min(16384, a + 1 + Math.floor(rand() * 2000))]);
  }
  for (const [a, b] of ranges) {
    for (const count of [7, 1000]) {
      const got = scanSlots(e, a, b, count).map((k) => k.toString());
      const want = keys.filter((k) => keySlot(k) >= a && keySlot(k) < b).sort();
      t.deepEqual([...got].sort(), want, `slots [${a}, ${b}) count ${count}`);
      const hashes = got.map((k) => ringHash(k));
      t.true(hashes.every((h, i) => i === 0 || hashes[i - 1] <= h), `slots [${a}, ${b}): ring order`);
    }
  }
  const tagged = scanSlots(e, keySlot('{tagged}'), keySlot('{tagged}') + 1, 10).map((k) => k.toString());
  t.true(tagged.filter((k) => k.startsWith('{tagged}.')).length === 50, 'all keys of a hash tag share one slot');
  t.deepEqual(scanSlots(e, 5, 5, 10), [], 'an empty range lists nothing');
});

test('scanRange ranges that partition the ring cover every key once', (t) => {
  const e = openEngine(t, tmpDir(t));
  for (let i = 0; i < 3000; i++) e.put(`p:${i}`, '');
  const bounds = [0, 1000, 1001, 4096, 9000, 16000, 16384];
  const all: string[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) all.push(...scanSlots(e, bounds[i], bounds[i + 1], 50).map((k) => k.toString()));
  t.is(all.length, 3000);
  t.is(new Set(all).size, 3000);
});

test('expired keys are not returned by scan or scanRange', async (t) => {
  const e = openEngine(t, tmpDir(t));
  for (let i = 0; i < 200; i++) e.put(`live:${i}`, 'v');
  for (let i = 0; i < 200; i++) e.put(`past:${i}`, 'v', { expireAt: Date.now() - 1000 });
  const soon = Date.now() + 200;
  for (let i = 0; i < 200; i++) e.put(`soon:${i}`, 'v', { expireAt: soon });
  const before = scanAll(e, 50);
  t.is(before.filter((k) => k.startsWith('past:')).length, 0, 'already-expired keys are never listed');
  t.is(before.filter((k) => k.startsWith('soon:')).length, 200, 'not-yet-expired keys are listed');
  await sleep(soon - Date.now() + 100);
  const after = scanAll(e, 50);
  t.deepEqual(after.filter((k) => !k.startsWith('live:')), [], 'expired keys are not listed');
  t.is(after.length, 200);
  t.deepEqual(
    scanSlots(e, 0, 16384, 33).map((k) => k.toString()).filter((k) => !k.startsWith('live:')),
    [],
    'scanRange skips expired keys too',
  );
});
