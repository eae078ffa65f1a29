// server-zsets.test.ts — sorted sets in a real dynkv-server over TCP
// (ioredis), beyond what the compatibility script compares with
// redis-server: the in-memory index agrees with a model under a random
// sequence of writes (fast-check), across the listpack -> skiplist
// conversion and a restart (the index rebuilt from the element records);
// ZRANDMEMBER's picks (count, distinctness, membership, scores, every member
// reachable); and the log cost of one ZADD into a sorted set of a million
// members (INFO persistence's log bytes before and after).
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import Redis from 'ioredis';
import { logBytes, serverClient, startServer } from './helpers/server';

type Model = Map<string, number>;

/** The model's members in Redis's order (score, then member bytes), flattened with their scores. */
function ordered(model: Model): [string, number][] {
  return [...model].sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** ZRANGE key 0 -1 WITHSCORES as [member, score] pairs. */
async function members(r: Redis, key: string): Promise<[string, number][]> {
  const flat = await r.zrange(key, 0, -1, 'WITHSCORES');
  const out: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], Number(flat[i + 1])]);
  return out;
}

type Op =
  | { kind: 'zadd'; flags: readonly string[]; pairs: [number, string][] }
  | { kind: 'zincrby'; by: number; member: string }
  | { kind: 'zrem'; members: string[] }
  | { kind: 'zpop'; max: boolean; count: number }
  | { kind: 'zremrangebyscore'; min: number; max: number }
  | { kind: 'zremrangebyrank'; start: number; stop: number };

const member = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split('').map((c, i) => (i % 5 === 0 ? c.repeat(20) : c)));
const score = fc.integer({ min: -20, max: 20 }).map((n) => n / 2);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('zadd' as const),
    flags: fc.constantFrom([], ['NX'], ['XX'], ['GT'], ['LT'], ['CH'], ['XX', 'GT', 'CH'], ['NX', 'CH'], ['LT', 'CH']),
    pairs: fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('zincrby' as const), by: score, member }),
  fc.record({ kind: fc.constant('zrem' as const), members: fc.array(member, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('zpop' as const), max: fc.boolean(), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('zremrangebyscore' as const), min: score, max: score }),
  fc.record({ kind: fc.constant('zremrangebyrank' as const), start: fc.integer({ min: -5, max: 5 }), stop: fc.integer({ min: -5, max: 5 }) }),
);

/** Applies op to the model as Redis's t_zset.c does; returns the reply the server must give (numbers, or popped pairs). */
function applyModel(model: Model, o: Op): unknown {
  switch (o.kind) {
    case 'zadd': {
      const nx = o.flags.includes('NX'), xx = o.flags.includes('XX'), gt = o.flags.includes('GT'), lt = o.flags.includes('LT'), ch = o.flags.includes('CH');
      let added = 0, updated = 0;
      for (const [s, m] of o.pairs) {
        const cur = model.get(m);
        if (cur === undefined) {
          if (xx) continue;
          model.set(m, s);
          added++;
        } else {
          if (nx || (gt && s <= cur) || (lt && s >= cur)) continue;
          if (s !== cur) updated++;
          model.set(m, s);
        }
      }
      return ch ? added + updated : added;
    }
    case 'zincrby': {
      const next = (model.get(o.member) ?? 0) + o.by;
      model.set(o.member, next);
      return next;
    }
    case 'zrem': {
      let n = 0;
      for (const m of new Set(o.members)) if (model.delete(m)) n++;
      return n;
    }
    case 'zpop': {
      const all = ordered(model);
      const popped = (o.max ? all.reverse() : all).slice(0, o.count);
      for (const [m] of popped) model.delete(m);
      return popped;
    }
    case 'zremrangebyscore': {
      let n = 0;
      for (const [m, s] of [...model]) if (s >= o.min && s <= o.max && model.delete(m)) n++;
      return n;
    }
    case 'zremrangebyrank': {
      const all = ordered(model);
      const len = all.length;
      let start = o.start < 0 ? len + o.start : o.start;
      let stop = o.stop < 0 ? len + o.stop : o.stop;
      if (start < 0) start = 0;
      if (start > stop || start >= len) return 0;
      if (stop >= len) stop = len - 1;
      for (const [m] of all.slice(start, stop + 1)) model.delete(m);
      return stop - start + 1;
    }
  }
}

async function applyServer(r: Redis, key: string, o: Op): Promise<unknown> {
  switch (o.kind) {
    case 'zadd':
      return r.call('ZADD', key, ...o.flags, ...o.pairs.flatMap(([s, m]) => [String(s), m]));
    case 'zincrby':
      return Number(await r.zincrby(key, o.by, o.member));
    case 'zrem':
      return r.zrem(key, ...o.members);
    case 'zpop': {
      const flat = (await r.call(o.max ? 'ZPOPMAX' : 'ZPOPMIN', key, String(o.count))) as string[];
      const out: [string, number][] = [];
      for (let i = 0; i < flat.length; i += 2) out.push([flat[i], Number(flat[i + 1])]);
      return out;
    }
    case 'zremrangebyscore':
      return r.zremrangebyscore(key, o.min, o.max);
    case 'zremrangebyrank':
      return r.zremrangebyrank(key, o.start, o.stop);
  }
}

/** Every read of the index the model can answer: the whole order, ranks both ways, counts by score and by member. */
async function checkReads(t: ExecutionContext, r: Redis, key: string, model: Model, probe: string, lo: number, hi: number): Promise<boolean> {
  const want = ordered(model);
  const got = await members(r, key);
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    t.log(`ZRANGE: ${JSON.stringify(got)}, model ${JSON.stringify(want)}`);
    return false;
  }
  const rank = want.findIndex(([m]) => m === probe);
  const [zrank, zrevrank, zcard, zcount, zlex] = await Promise.all([
    r.zrank(key, probe),
    r.zrevrank(key, probe),
    r.zcard(key),
    r.zcount(key, Math.min(lo, hi), Math.max(lo, hi)),
    r.zrangebyscore(key, `(${Math.min(lo, hi)}`, Math.max(lo, hi)),
  ]);
  const inRange = want.filter(([, s]) => s >= Math.min(lo, hi) && s <= Math.max(lo, hi)).length;
  const openRange = want.filter(([, s]) => s > Math.min(lo, hi) && s <= Math.max(lo, hi)).map(([m]) => m);
  const ok =
    zrank === (rank < 0 ? null : rank) &&
    zrevrank === (rank < 0 ? null : want.length - 1 - rank) &&
    zcard === want.length &&
    zcount === inRange &&
    JSON.stringify(zlex) === JSON.stringify(openRange);
  if (!ok) t.log(`probe ${probe} [${lo}, ${hi}]: rank ${zrank}/${zrevrank} card ${zcard} count ${zcount} range ${JSON.stringify(zlex)}; model rank ${rank} card ${want.length} count ${inRange} range ${JSON.stringify(openRange)}`);
  return ok;
}

test('the index agrees with a model under random ZADD/ZINCRBY/ZREM/ZPOP/ZREMRANGEBY* sequences, across the listpack -> skiplist conversion and a restart', async (t) => {
  t.timeout(600_000);
  const srv = await startServer(t, ['--appendfsync', 'no']);
  const r = serverClient(t, srv.port);
  // A small listpack limit: the sequences cross the conversion (and 20-byte members cross a 16-byte value limit).
  await r.config('SET', 'zset-max-listpack-entries', '8');
  await r.config('SET', 'zset-max-listpack-value', '16');
  let run = 0;
  const models = new Map<string, Model>();
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(op, member, score, score), { minLength: 1, maxLength: 40 }), async (steps) => {
      const key = `z${run++}`;
      const model: Model = new Map();
      models.set(key, model);
      for (const [o, probe, lo, hi] of steps) {
        const want = applyModel(model, o);
        const got = await applyServer(r, key, o);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          t.log(`${JSON.stringify(o)}: server ${JSON.stringify(got)}, model ${JSON.stringify(want)}`);
          return false;
        }
        if (!(await checkReads(t, r, key, model, probe, lo, hi))) return false;
      }
      return true;
    }),
    { numRuns: 60 },
  );
  t.true(run >= 60);
  // After a restart every index is rebuilt from the element records.
  r.disconnect();
  await srv.stop();
  const again = await startServer(t, ['--appendfsync', 'no'], { dir: srv.dir });
  const r2 = serverClient(t, again.port);
  for (const [key, model] of models) {
    t.deepEqual(await members(r2, key), ordered(model), key);
    if (model.size > 0) t.true(await checkReads(t, r2, key, model, ordered(model)[0][0], -3, 3), key);
  }
});

test('ZRANDMEMBER: count, distinctness, membership and scores by the sign of count, in listpack and skiplist sets; every member can come out', async (t) => {
  const srv = await startServer(t);
  const r = serverClient(t, srv.port);
  for (const size of [1, 5, 40, 200]) {
    const key = `r${size}`;
    const set = new Map<string, string>();
    for (let i = 0; i < size; i++) set.set(`m${i}`, String(i * 1.5));
    await r.zadd(key, ...[...set].flatMap(([m, s]) => [s, m]));
    t.is(await r.object('ENCODING', key), size > 128 ? 'skiplist' : 'listpack');
    for (const count of [1, 2, 3, size - 1, size, size + 3, -1, -3, -size, -2 * size]) {
      if (count === 0) continue;
      const flat = (await r.call('ZRANDMEMBER', key, String(count), 'WITHSCORES')) as string[];
      const picks: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) picks.push([flat[i], flat[i + 1]]);
      const what = `size ${size}, count ${count}`;
      t.is(picks.length, count > 0 ? Math.min(count, size) : -count, what);
      for (const [m, s] of picks) t.is(set.get(m), s, `${what}: ${m}`);
      if (count > 0) t.is(new Set(picks.map(([m]) => m)).size, picks.length, `${what}: distinct`);
    }
  }
  const seen = new Set<string>();
  for (let i = 0; i < 400 && seen.size < 5; i++) seen.add((await r.zrandmember('r5')) as string);
  t.deepEqual([...seen].sort(), ['m0', 'm1', 'm2', 'm3', 'm4']);
  const repeats = (await r.call('ZRANDMEMBER', 'r5', '-200')) as string[];
  t.true(new Set(repeats).size === 5, 'negative counts repeat members and reach all of them');
});

test('ZADD into a sorted set of a million members appends about one member to the log', async (t) => {
  t.timeout(900_000);
  const srv = await startServer(t, ['--appendfsync', 'no']);
  const r = serverClient(t, srv.port);
  const MEMBERS = 1_000_000;
  const PER = 1000;
  for (let start = 0; start < MEMBERS; start += PER * 50) {
    const p = r.pipeline();
    for (let s = start; s < Math.min(start + PER * 50, MEMBERS); s += PER) {
      const args: (string | number)[] = [];
      for (let i = s; i < s + PER; i++) args.push(i, `member:${i}`);
      p.zadd('big', ...args);
    }
    await p.exec();
  }
  t.is(await r.zcard('big'), MEMBERS);
  t.is(await r.object('ENCODING', 'big'), 'skiplist');
  const name = 'a-new-member-of-32-bytes-exactly';
  const before = await logBytes(r);
  t.is(await r.zadd('big', 1.5, name), 1);
  const appended = (await logBytes(r)) - before;
  t.log(`one ZADD of a ${name.length}-byte member into ${MEMBERS} members appended ${appended} bytes to the log`);
  t.true(appended >= name.length + 8, `${appended} bytes`);
  t.true(appended <= 2 * (name.length + 8) + 200, `${appended} bytes`);
  t.is(await r.zrank('big', name), 2);
  t.is(await r.zscore('big', name), '1.5');
  t.is(await r.zcard('big'), MEMBERS + 1);
});
