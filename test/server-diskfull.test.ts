// server-diskfull.test.ts — a real dynkv-server on a small tmpfs (needs root,
// as the tests and CI run) filled by several clients pipelining SETs, under
// appendfsync always and everysec: every command gets a reply, +OK or
// Redis's `-MISCONF Errors writing to the AOF file: No space left on device`
// (the write in flight when the disk filled included), no connection is
// closed, reads still answer, and once space is freed writes succeed again.
import test, { ExecutionContext } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { ReplyError, type ReplyValue } from '../protocol/reply-parser';
import { command, PipelineClient, replyText } from './helpers/pipeline-client';
import { startServer } from './helpers/server';
import { mountTmpfs } from './helpers/tmpfs';

const MISCONF = 'MISCONF Errors writing to the AOF file: No space left on device';
const CLIENTS = 4;
const PIPELINE = 32;
const VALUE = Buffer.alloc(8 * 1024, 'v');


async function fillAndRecover(t: ExecutionContext, appendfsync: 'always' | 'everysec'): Promise<void> {
  const mnt = mountTmpfs(t, '6m');
  const ballast = path.join(mnt, 'ballast');
  fs.writeFileSync(ballast, Buffer.alloc(2 * 1024 * 1024, 1));
  const server = await startServer(t, ['--appendfsync', appendfsync], { dir: path.join(mnt, 'data') });
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => PipelineClient.connect(server.port)));
  t.teardown(() => clients.forEach((c) => c.socket.destroy()));

  const lastOk: (string | null)[] = new Array(CLIENTS).fill(null);
  let oks = 0;
  let errors = 0;
  const other: string[] = [];
  // Every client pipelines SETs until each has had error replies in two rounds running.
  await Promise.all(
    clients.map(async (c, i) => {
      let failingRounds = 0;
      for (let round = 0; round < 200 && failingRounds < 2; round++) {
        const keys = Array.from({ length: PIPELINE }, (_, j) => `c${i}-r${round}-${j}`);
        const replies = await c.pipeline(keys.map((k) => command('SET', k, VALUE)));
        let failed = false;
        replies.forEach((r, j) => {
          if (r === 'OK') {
            oks++;
            lastOk[i] = keys[j];
          } else if (r instanceof ReplyError && r.message === MISCONF) {
            errors++;
            failed = true;
          } else {
            other.push(replyText(r));
          }
        });
        failingRounds = failed ? failingRounds + 1 : 0;
      }
    }),
  );
  t.log(`${appendfsync}: ${oks} SETs answered +OK, ${errors} answered -MISCONF`);
  t.deepEqual(other.slice(0, 5), [], 'every reply is +OK or the MISCONF error');
  t.true(oks > 0 && errors > 0, `the disk filled after some writes (${oks} OK, ${errors} errors)`);
  t.deepEqual(clients.map((c) => c.closed), new Array(CLIENTS).fill(false), 'no connection was closed');

  // Reads go on while writes fail.
  for (const [i, c] of clients.entries()) {
    const [value, ping] = await c.pipeline([command('GET', lastOk[i] ?? 'none'), command('PING')]);
    t.true(Buffer.isBuffer(value) && value.equals(VALUE), `client ${i} reads its last acknowledged key`);
    t.is(ping, 'PONG');
  }
  const [info] = await clients[0].pipeline([command('INFO', 'persistence')]);
  t.regex(replyText(info), /aof_last_write_status:err/);

  // Space is freed: the engine retries in the background and writes succeed again on every connection.
  fs.unlinkSync(ballast);
  const deadline = Date.now() + 30_000;
  for (const [i, c] of clients.entries()) {
    let reply: ReplyValue = null;
    while (Date.now() < deadline) {
      [reply] = await c.pipeline([command('SET', `after-${i}`, 'fine')]);
      if (reply === 'OK') break;
      t.is(replyText(reply), `-${MISCONF}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.is(reply, 'OK', `client ${i} writes again once space is freed`);
    const [got] = await c.pipeline([command('GET', `after-${i}`)]);
    t.is(replyText(got), 'fine');
  }
  t.deepEqual(clients.map((c) => c.closed), new Array(CLIENTS).fill(false), 'no connection was closed at any point');
}

test.serial('disk full under appendfsync always: every write answered, no connection dropped, recovery', async (t) => {
  await fillAndRecover(t, 'always');
});

test.serial('disk full under appendfsync everysec: every write answered, no connection dropped, recovery', async (t) => {
  await fillAndRecover(t, 'everysec');
});
