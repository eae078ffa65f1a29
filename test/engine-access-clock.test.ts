// engine-access-clock.test.ts — the keydir's access clock per key
// (Engine.idle, OBJECT IDLETIME's source): set by writes, by reads that say
// `touch` and by touch(); kept by plain reads, by a value moving into its
// entry, by compaction moving the record; counted again from an open.
import test from 'ava';
import path from 'node:path';
import type { Engine } from '../engine/index';
import { tmpDir } from './helpers/tmpdir';
import { openEngine, sleep } from './helpers/engine';

/** Polls until key has been idle at least `seconds` by the engine's clock (whole seconds). */
async function idleFor(engine: Engine, key: Buffer, seconds: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (engine.idle(key) >= seconds) return;
    await sleep(100);
  }
  throw new Error(`${key.toString()} never reached ${seconds} s idle`);
}

test('the access clock: writes and touching reads reset it; plain reads, inlining and compaction keep it; an open starts it again', async (t) => {
  t.timeout(60_000);
  const dir = path.join(tmpDir(t), 'data');
  // Small segments, so that compaction has sealed ones to merge.
  const e = openEngine(t, dir, { segmentSize: 4096, inlineValueMax: 64 });
  const small = Buffer.from('small');
  const large = Buffer.from('large');
  e.put(small, Buffer.from('v'));
  e.put(large, Buffer.alloc(32, 1));
  for (let i = 0; i < 200; i++) e.put(Buffer.from(`filler:${i}`), Buffer.alloc(100, 2));
  e.put(Buffer.from('filler:0'), Buffer.alloc(100, 3)); // dead bytes to merge
  t.true(e.idle(small) <= 1, 'just written');
  t.is(e.idle(Buffer.from('absent')), -1);
  await idleFor(e, small, 2);
  const before = e.idle(large);
  t.true(before >= 2);
  e.get(small);
  e.getInto(large, Buffer.alloc(64), 0);
  t.true(e.idle(small) >= 2 && e.idle(large) >= 2, 'reads without touch are no access');
  await e.compact({ all: true });
  t.true(e.idle(small) >= 2 && e.idle(large) >= 2, 'compaction moves records, not access times');
  t.deepEqual(e.get(small, true), Buffer.from('v'));
  t.true(e.idle(small) <= 1, 'a read with touch is an access');
  t.true(e.touch(large));
  t.true(e.idle(large) <= 1, 'touch() is an access');
  t.false(e.touch(Buffer.from('absent')));
  await idleFor(e, large, 2);
  e.put(large, Buffer.alloc(40, 4));
  t.true(e.idle(large) <= 1, 'a write is an access');
  await idleFor(e, large, 2);
  e.close();
  const again = openEngine(t, dir, { segmentSize: 4096, inlineValueMax: 64 });
  t.true(again.idle(large) <= 1, 'not stored: counted from the open');
  await idleFor(again, large, 2);
  // Opened from hints, the entry holds no value: this read moves it into the entry (a new entry), keeping the clock.
  t.deepEqual(again.get(large), Buffer.alloc(40, 4));
  t.true(again.idle(large) >= 2, 'a value moving into its entry is no access');
});
