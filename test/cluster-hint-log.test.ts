// test/cluster-hint-log.test.ts — the durable hint queue on the real
// filesystem, without a network: hints survive a reopen in order; a torn
// tail is truncated with a warning; a corrupt record is named by file and
// offset, skipped and counted; the size and age bounds drop and count; the
// head (what the target acked) survives a reopen, a failed send resends from
// the first unacked hint, and a log whose hints were all acked is rewritten
// empty.
import fs from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { HEADER_LENGTH, HintLog, type Hint } from '../cluster/handoff/hint-log';
import { HintQueue } from '../cluster/handoff/hint-queue';
import { tmpDir } from './helpers/tmpdir';

const TARGET = '127.0.0.1:7001';
const BIG = 1 << 30;
const HOUR = 3600_000;

function open(t: ExecutionContext, dir: string): { log: HintLog; warnings: string[] } {
  const warnings: string[] = [];
  const log = HintLog.open(dir, TARGET, (m) => warnings.push(m));
  t.teardown(() => {
    try {
      log.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBADF') throw err;
    }
  });
  return { log, warnings };
}

function fill(log: HintLog, count: number, createdAt = 1000): void {
  for (let i = 0; i < count; i++) append(log, i, createdAt);
}

function append(log: HintLog, i: number, createdAt: number): void {
  if (!log.append(createdAt, i % 16, Buffer.from(`key:${i}`), Buffer.from(`record of key ${i}`), BIG)) throw new Error('append refused');
}

/** Every hint the queue hands out (acking each), as key names. */
function drain(queue: HintQueue, now: number, maxAgeMs = HOUR): string[] {
  const keys: string[] = [];
  for (;;) {
    const hints = queue.take(now, maxAgeMs, 4, BIG);
    if (hints.length === 0) return keys;
    for (const h of hints) {
      keys.push(h.key.toString());
      queue.acked(h);
    }
  }
}

test('hints survive a reopen, in order, with their db, key and record', (t) => {
  const dir = tmpDir(t);
  const first = open(t, dir);
  fill(first.log, 5);
  first.log.close();
  const { log, warnings } = open(t, dir);
  t.is(log.queued, 5);
  t.deepEqual(warnings, []);
  const found = log.read(HEADER_LENGTH);
  t.is(found.kind, 'hint');
  const hint = (found as { hint: Hint }).hint;
  t.deepEqual([hint.db, hint.key.toString(), hint.record.toString(), hint.createdAt], [0, 'key:0', 'record of key 0', 1000]);
  t.deepEqual(drain(new HintQueue(log), 2000), ['key:0', 'key:1', 'key:2', 'key:3', 'key:4']);
  t.is(log.queued, 0);
});

test('a torn tail is truncated with a warning; the hints before it stay', (t) => {
  const dir = tmpDir(t);
  const first = open(t, dir);
  fill(first.log, 3);
  const file = first.log.file;
  const size = first.log.end;
  first.log.close();
  fs.truncateSync(file, size - 5);
  const { log, warnings } = open(t, dir);
  t.is(log.queued, 2);
  t.is(warnings.length, 1);
  t.regex(warnings[0], /torn tail at offset \d+/);
  t.true(warnings[0].includes(file));
  t.true(fs.statSync(file).size < size - 5, 'the partial record is cut off the file');
  t.deepEqual(drain(new HintQueue(log), 2000), ['key:0', 'key:1']);
});

test('a corrupt record is named with its file and offset, skipped and counted as dropped', (t) => {
  const dir = tmpDir(t);
  const first = open(t, dir);
  append(first.log, 0, 1000);
  const second = first.log.end;
  append(first.log, 1, 1000);
  append(first.log, 2, 1000);
  const file = first.log.file;
  first.log.close();
  // A byte of the second record's key flipped (the record after it is intact).
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from('X'), 0, 1, second + 8 + 16);
  fs.closeSync(fd);
  const { log, warnings } = open(t, dir);
  t.deepEqual(warnings, [`hint log ${file}: corrupt record at offset ${second} (checksum mismatch); skipped`]);
  t.is(log.queued, 2);
  const queue = new HintQueue(log);
  t.is(queue.dropped, 1);
  t.deepEqual(drain(queue, 2000), ['key:0', 'key:2'], 'the hints around it are delivered');
  t.is(queue.dropped, 1, 'counted once');
});

test('the size bound refuses hints past it and counts them', (t) => {
  const { log } = open(t, tmpDir(t));
  const queue = new HintQueue(log);
  const key = Buffer.from('k');
  const record = Buffer.alloc(100);
  let accepted = 0;
  for (let i = 0; i < 20; i++) if (queue.add(1000, 0, key, record, 1000)) accepted++;
  t.true(accepted > 0 && accepted < 20);
  t.true(log.bytes <= 1000);
  t.is(queue.dropped, 20 - accepted);
  t.is(log.queued, accepted);
  // Acked hints make room again.
  drain(queue, 2000);
  t.true(queue.add(1000, 0, key, record, 1000));
});

test('hints past the age bound are dropped and counted, at delivery and while the target is away', (t) => {
  const { log } = open(t, tmpDir(t));
  fill(log, 3, 1000);
  fill(log, 2, 50_000);
  const queue = new HintQueue(log);
  queue.expire(20_000, 10_000);
  t.is(queue.dropped, 3, 'the three written at 1 s are over 10 s old at 20 s');
  t.is(log.queued, 2);
  t.deepEqual(drain(queue, 70_000, 10_000), [], 'the others are over 10 s old at 70 s');
  t.is(queue.dropped, 5);
  t.is(log.queued, 0);
});

test('the acked head survives a reopen; a failed send resends from the first unacked hint', (t) => {
  const dir = tmpDir(t);
  const first = open(t, dir);
  fill(first.log, 6);
  const queue = new HintQueue(first.log);
  const sent = queue.take(2000, HOUR, 4, BIG);
  t.deepEqual(sent.map((h) => h.key.toString()), ['key:0', 'key:1', 'key:2', 'key:3']);
  queue.acked(sent[0]);
  queue.acked(sent[2]);
  queue.failedSend(sent[1], 5000);
  t.deepEqual(queue.take(2000, HOUR, 4, BIG), [], 'nothing more is sent while one is in flight after a failure');
  queue.acked(sent[3]);
  t.is(queue.retryAt, 5000);
  t.is(first.log.queued, 5, 'only key:0 left the log: key:1 failed');
  queue.checkpoint();
  first.log.close();

  const { log } = open(t, dir);
  t.is(log.queued, 5);
  const again = new HintQueue(log);
  t.deepEqual(drain(again, 6000), ['key:1', 'key:2', 'key:3', 'key:4', 'key:5']);
});

test('after a rewind, hints acked past the failed one are not sent or counted again', (t) => {
  const { log } = open(t, tmpDir(t));
  fill(log, 4);
  const queue = new HintQueue(log);
  const sent = queue.take(2000, HOUR, 4, BIG);
  queue.failedSend(sent[0], 3000);
  for (const h of sent.slice(1)) queue.acked(h);
  t.deepEqual(drain(queue, 4000), ['key:0']);
  t.is(queue.delivered, 3 + 1);
  t.is(log.queued, 0);
});

test('a log whose hints were all acked is rewritten empty at the checkpoint', (t) => {
  const dir = tmpDir(t);
  const { log } = open(t, dir);
  fill(log, 100);
  const queue = new HintQueue(log);
  drain(queue, 2000);
  t.true(fs.statSync(log.file).size > HEADER_LENGTH);
  queue.checkpoint();
  t.is(fs.statSync(log.file).size, HEADER_LENGTH);
  fill(log, 1);
  log.close();
  const reopened = open(t, dir);
  t.is(reopened.log.queued, 1, 'a new hint after the rewrite is kept');
});

test('the byte budget and the window bound what one take hands out', (t) => {
  const { log } = open(t, tmpDir(t));
  fill(log, 10);
  const queue = new HintQueue(log);
  t.is(queue.take(2000, HOUR, 3, BIG).length, 3, 'window of 3');
  t.is(queue.take(2000, HOUR, 10, 1).length, 1, 'a budget of 1 byte still sends one');
  t.is(queue.sending, 4);
});

test('the head is saved while hints are still in flight: a restart mid-delivery resends only the unacked ones', (t) => {
  const dir = tmpDir(t);
  const first = open(t, dir);
  fill(first.log, 6);
  const queue = new HintQueue(first.log);
  const sent = queue.take(2000, HOUR, 4, BIG);
  queue.acked(sent[0]);
  queue.acked(sent[1]);
  queue.checkpoint();
  t.is(queue.sending, 2);
  first.log.close();
  const { log } = open(t, dir);
  t.is(log.queued, 4);
  t.deepEqual(drain(new HintQueue(log), 3000), ['key:2', 'key:3', 'key:4', 'key:5']);
});

test("an element record's hint keeps its flags across a reopen, and a key's hint has none", (t) => {
  const dir = tmpDir(t);
  const first = open(t, dir);
  t.true(first.log.append(1000, 15, Buffer.from('{ab}\x01\x01hfield'), Buffer.from('field record'), BIG, { converted: true }));
  t.true(first.log.append(1000, 3, Buffer.from('{ab}\x01\x01hother'), Buffer.from('other record'), BIG, { converted: false }));
  t.true(first.log.append(1000, 7, Buffer.from('plain'), Buffer.from('key record'), BIG));
  first.log.close();
  const { log } = open(t, dir);
  const hints: Hint[] = [];
  for (let offset = HEADER_LENGTH; ; ) {
    const found = log.read(offset);
    if (found.kind !== 'hint') break;
    hints.push(found.hint);
    offset = found.hint.end;
  }
  t.deepEqual(
    hints.map((h) => [h.db, h.element, h.key.toString('latin1'), h.record.toString()]),
    [
      [15, { converted: true }, '{ab}\x01\x01hfield', 'field record'],
      [3, { converted: false }, '{ab}\x01\x01hother', 'other record'],
      [7, null, 'plain', 'key record'],
    ],
  );
});
