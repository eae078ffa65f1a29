// server-lists.test.ts — lists in a real dynkv-server over TCP (ioredis),
// beyond what the compatibility script compares with redis-server: random
// sequences of list commands checked reply by reply against a model array
// (fast-check), the log cost of one push and one pop into a list of a
// million items (INFO persistence's log bytes before and after), a list's
// order surviving a restart (the index rebuilt from the element records),
// and a list deleted, flushed or expired leaving nothing the next list of
// that key shows.
import test from 'ava';
import fc from 'fast-check';
import Redis from 'ioredis';
import { logBytes, serverClient, startServer } from './helpers/server';

type Cmd =
  | { op: 'lpush' | 'rpush'; values: string[] }
  | { op: 'lpop' | 'rpop'; count: number | null }
  | { op: 'lset'; index: number; value: string }
  | { op: 'linsert'; after: boolean; pivot: string; value: string }
  | { op: 'lrem'; count: number; value: string }
  | { op: 'ltrim'; start: number; stop: number }
  | { op: 'lindex'; index: number }
  | { op: 'lrange'; start: number; stop: number }
  | { op: 'lmove'; fromLeft: boolean; toLeft: boolean };

const value = fc.constantFrom('a', 'b', '', 'long-'.repeat(20), 'kept-on-disk-only-'.repeat(20));
const small = fc.integer({ min: -12, max: 12 });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('lpush' as const, 'rpush' as const), values: fc.array(value, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('lpop' as const, 'rpop' as const), count: fc.option(fc.nat({ max: 4 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lset' as const), index: small, value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('linsert' as const), after: fc.boolean(), pivot: value, value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('lrem' as const), count: fc.integer({ min: -3, max: 3 }), value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ltrim' as const), start: small, stop: small }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lindex' as const), index: small }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lrange' as const), start: small, stop: small }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lmove' as const), fromLeft: fc.boolean(), toLeft: fc.boolean() }) },
);

/** Redis's index arithmetic for LRANGE/LTRIM: [from, to] inclusive, or null when empty. */
function span(len: number, start: number, stop: number): [number, number] | null {
  let from = start < 0 ? len + start : start;
  let to = stop < 0 ? len + stop : stop;
  if (from < 0) from = 0;
  if (from > to || from >= len) return null;
  if (to >= len) to = len - 1;
  return [from, to];
}

/** What redis-server answers for cmd on the model (mutating it). */
function expected(model: string[], cmd: Cmd): unknown {
  switch (cmd.op) {
    case 'lpush':
      for (const v of cmd.values) model.unshift(v);
      return model.length;
    case 'rpush':
      model.push(...cmd.values);
      return model.length;
    case 'lpop':
    case 'rpop': {
      if (model.length === 0) return null;
      const n = cmd.count ?? 1;
      const out = cmd.op === 'lpop' ? model.splice(0, n) : model.splice(Math.max(0, model.length - n), n).reverse();
      return cmd.count === null ? out[0] : out;
    }
    case 'lset': {
      if (model.length === 0) return 'ERR no such key';
      const at = cmd.index < 0 ? model.length + cmd.index : cmd.index;
      if (at < 0 || at >= model.length) return 'ERR index out of range';
      model[at] = cmd.value;
      return 'OK';
    }
    case 'linsert': {
      if (model.length === 0) return 0;
      const at = model.indexOf(cmd.pivot);
      if (at === -1) return -1;
      model.splice(cmd.after ? at + 1 : at, 0, cmd.value);
      return model.length;
    }
    case 'lrem': {
      const order = model.map((_, i) => i);
      if (cmd.count < 0) order.reverse();
      const limit = cmd.count === 0 ? Infinity : Math.abs(cmd.count);
      const hits = order.filter((i) => model[i] === cmd.value).slice(0, limit);
      const gone = new Set(hits);
      const kept = model.filter((_, i) => !gone.has(i));
      model.splice(0, model.length, ...kept);
      return hits.length;
    }
    case 'ltrim': {
      const s = span(model.length, cmd.start, cmd.stop);
      model.splice(0, model.length, ...(s === null ? [] : model.slice(s[0], s[1] + 1)));
      return 'OK';
    }
    case 'lindex': {
      const at = cmd.index < 0 ? model.length + cmd.index : cmd.index;
      return at < 0 || at >= model.length ? null : model[at];
    }
    case 'lrange': {
      const s = span(model.length, cmd.start, cmd.stop);
      return s === null ? [] : model.slice(s[0], s[1] + 1);
    }
    case 'lmove': {
      if (model.length === 0) return null;
      const v = (cmd.fromLeft ? model.shift() : model.pop()) as string;
      if (cmd.toLeft) model.unshift(v);
      else model.push(v);
      return v;
    }
  }
}

async function run(r: Redis, key: string, cmd: Cmd): Promise<unknown> {
  try {
    switch (cmd.op) {
      case 'lpush':
      case 'rpush':
        return await r.call(cmd.op, key, ...cmd.values);
      case 'lpop':
      case 'rpop':
        return await (cmd.count === null ? r.call(cmd.op, key) : r.call(cmd.op, key, String(cmd.count)));
      case 'lset':
        return await r.call('lset', key, String(cmd.index), cmd.value);
      case 'linsert':
        return await r.call('linsert', key, cmd.after ? 'AFTER' : 'BEFORE', cmd.pivot, cmd.value);
      case 'lrem':
        return await r.call('lrem', key, String(cmd.count), cmd.value);
      case 'ltrim':
        return await r.call('ltrim', key, String(cmd.start), String(cmd.stop));
      case 'lindex':
        return await r.call('lindex', key, String(cmd.index));
      case 'lrange':
        return await r.call('lrange', key, String(cmd.start), String(cmd.stop));
      case 'lmove':
        return await r.call('lmove', key, key, cmd.fromLeft ? 'LEFT' : 'RIGHT', cmd.toLeft ? 'LEFT' : 'RIGHT');
    }
  } catch (err) {
    return (err as Error).message;
  }
}

test('random list command sequences answer as a model array does, reply by reply and LRANGE after each', async (t) => {
  t.timeout(300_000);
  const srv = await startServer(t, ['--appendfsync', 'no']);
  const r = serverClient(t, srv.port);
  let round = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(cmdArb, { minLength: 1, maxLength: 60 }), async (cmds) => {
      const key = `l${round++}`;
      const model: string[] = [];
      for (const cmd of cmds) {
        const want = expected(model, cmd);
        const got = await run(r, key, cmd);
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${JSON.stringify(cmd)}: got ${JSON.stringify(got)}, model says ${JSON.stringify(want)}`);
        const len = await r.llen(key);
        if (len !== model.length) throw new Error(`${JSON.stringify(cmd)}: LLEN ${len}, model ${model.length}`);
        const now = await r.lrange(key, 0, -1);
        if (JSON.stringify(now) !== JSON.stringify(model)) throw new Error(`after ${JSON.stringify(cmd)}: LRANGE ${JSON.stringify(now)}, model ${JSON.stringify(model)}`);
      }
      const all = await r.lrange(key, 0, -1);
      if (JSON.stringify(all) !== JSON.stringify(model)) throw new Error(`LRANGE ${JSON.stringify(all)}, model ${JSON.stringify(model)}`);
      if ((await r.exists(key)) !== (model.length > 0 ? 1 : 0)) throw new Error('EXISTS disagrees with the model');
    }),
    { numRuns: 800 },
  );
  t.pass();
});

test('LPUSH, RPUSH, LPOP and RPOP on a list of a million items append about one item to the log', async (t) => {
  t.timeout(600_000);
  const srv = await startServer(t, ['--appendfsync', 'no']);
  const r = serverClient(t, srv.port);
  const ITEMS = 1_000_000;
  const PER = 1000;
  for (let start = 0; start < ITEMS; start += PER * 50) {
    const p = r.pipeline();
    for (let s = start; s < Math.min(start + PER * 50, ITEMS); s += PER) {
      const args: string[] = [];
      for (let i = s; i < s + PER; i++) args.push(`v${i}`);
      p.rpush('big', ...args);
    }
    await p.exec();
  }
  t.is(await r.llen('big'), ITEMS);
  t.is(await r.object('ENCODING', 'big'), 'quicklist');
  const item = 'x'.repeat(100);
  for (const op of ['lpush', 'rpush'] as const) {
    const before = await logBytes(r);
    t.is(await r[op]('big', item), ITEMS + 1);
    const appended = (await logBytes(r)) - before;
    t.log(`one ${op.toUpperCase()} of ${item.length} bytes into ${ITEMS} items appended ${appended} bytes to the log`);
    t.true(appended >= item.length, `${appended} bytes`);
    t.true(appended <= 2 * item.length + 200, `${appended} bytes`);
    const popBefore = await logBytes(r);
    t.is(await r[op === 'lpush' ? 'lpop' : 'rpop']('big'), item);
    const popAppended = (await logBytes(r)) - popBefore;
    t.log(`the matching pop appended ${popAppended} bytes`);
    t.true(popAppended <= item.length + 200, `${popAppended} bytes`);
  }
  t.deepEqual(await r.lrange('big', 0, 2), ['v0', 'v1', 'v2']);
  t.deepEqual(await r.lrange('big', -2, -1), [`v${ITEMS - 2}`, `v${ITEMS - 1}`]);
  t.is(await r.lindex('big', 500_000), 'v500000');
});

test("a list's order survives a restart; DEL, FLUSHALL and expiry leave nothing the next list of the key shows", async (t) => {
  t.timeout(120_000);
  const srv = await startServer(t, ['--appendfsync', 'always']);
  const r = serverClient(t, srv.port);
  await r.rpush('l', 'b', 'c');
  await r.lpush('l', 'a');
  await r.linsert('l', 'AFTER', 'b', 'b2');
  await r.rpush('gone', '1', '2');
  await r.del('gone');
  await r.rpush('gone', '3');
  t.deepEqual(await r.lrange('gone', 0, -1), ['3']);
  r.disconnect();
  t.is(await srv.stop(), 0);
  const again = await startServer(t, ['--appendfsync', 'always'], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  t.deepEqual(await r2.lrange('l', 0, -1), ['a', 'b', 'b2', 'c']);
  t.deepEqual(await r2.lrange('gone', 0, -1), ['3']);
  await r2.rpush('l', 'd');
  t.deepEqual(await r2.lrange('l', 0, -1), ['a', 'b', 'b2', 'c', 'd']);
  await r2.flushall();
  t.is(await r2.exists('l'), 0);
  await r2.rpush('l', 'fresh');
  t.deepEqual(await r2.lrange('l', 0, -1), ['fresh']);
  await r2.pexpire('l', 50);
  for (let i = 0; i < 200 && (await r2.exists('l')) === 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(await r2.exists('l'), 0);
  await r2.lpush('l', 'after-expiry');
  t.deepEqual(await r2.lrange('l', 0, -1), ['after-expiry']);
  t.is(await r2.llen('l'), 1);
});
