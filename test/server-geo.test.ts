// server-geo.test.ts — the geo commands in a real dynkv-server over TCP
// (ioredis), side by side with a real redis-server, beyond the compatibility
// script's fixed cases (redis-compat/scripts/geo.ts): 2,000 seeded random
// points (spread over the world, in dense clusters, near the poles and the
// antimeridian, some at the very same place so distances tie) and hundreds
// of random searches (GEOSEARCH and GEORADIUS, by radius and box, from a
// position or a member, every unit, WITH* options, ASC/DESC, COUNT with and
// without ANY, GEOSEARCHSTORE ... STOREDIST) whose replies must equal
// redis-server's exactly: which members, their order (ties included), their
// distances, hashes and coordinates, and the distances a store keeps at full
// precision. Then the same searches after a restart (the sorted set's index
// rebuilt from its element records). A failing run logs its seed
// (GEO_SEED=n reruns it).
import test, { type ExecutionContext } from 'ava';
import type Redis from 'ioredis';
import { redisServerAvailable, startRedis } from '../redis-compat/servers';
import { serverClient, startServer } from './helpers/server';

const POINTS = 2000;
const SEARCHES = 400;

/** A 32-bit LCG: the same seed gives both servers, and a rerun, the same points and searches. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const CLUSTERS: [number, number][] = [
  [2.35, 48.85], // Paris
  [151.2, -33.87], // Sydney: southern hemisphere
  [179.8, 10], // the antimeridian
  [-179.9, -12],
  [25, 82], // past 80 degrees
  [0, 0],
];

const fixed = (x: number, digits: number): string => x.toFixed(digits);

/** GEOADD arguments for POINTS members: a quarter uniform, most in clusters, some duplicates of earlier positions. */
function pointArgs(rnd: () => number): string[] {
  const args: string[] = [];
  const taken: [string, string][] = [];
  for (let i = 0; i < POINTS; i++) {
    let lon: string, lat: string;
    const pick = rnd();
    if (pick < 0.25) {
      lon = fixed(rnd() * 360 - 180, 6);
      lat = fixed(rnd() * 170 - 85, 6);
    } else if (pick < 0.9 || taken.length === 0) {
      const [clon, clat] = CLUSTERS[Math.floor(rnd() * CLUSTERS.length)];
      const spread = 10 ** (rnd() * 3 - 2); // 0.01 to 10 degrees
      lon = fixed(Math.max(-180, Math.min(180, clon + (rnd() - 0.5) * spread)), 7);
      lat = fixed(Math.max(-85, Math.min(85, clat + (rnd() - 0.5) * spread)), 7);
    } else {
      [lon, lat] = taken[Math.floor(rnd() * taken.length)];
    }
    taken.push([lon, lat]);
    args.push(lon, lat, `m${i}`);
  }
  return args;
}

const UNITS: [string, number][] = [['m', 1], ['km', 1000], ['ft', 0.3048], ['mi', 1609.34]];

/** A random centre: near a cluster mostly, anywhere otherwise. */
function centre(rnd: () => number): [string, string] {
  if (rnd() < 0.3) return [fixed(rnd() * 360 - 180, 5), fixed(rnd() * 170 - 85, 5)];
  const [clon, clat] = CLUSTERS[Math.floor(rnd() * CLUSTERS.length)];
  return [fixed(Math.max(-180, Math.min(180, clon + (rnd() - 0.5) * 4)), 6), fixed(Math.max(-85, Math.min(85, clat + (rnd() - 0.5) * 4)), 6)];
}

/** A size in a random unit: 1 m to 10,000 km, log-uniform. */
function size(rnd: () => number, unit: number): string {
  return ((10 ** (rnd() * 7)) / unit).toPrecision(6);
}

/** One random search as a command: [command, storing (reply is a count, the stored set is compared)]. */
function search(rnd: () => number, key: string): { cmd: string[]; store: boolean } {
  const [unit, meters] = UNITS[Math.floor(rnd() * UNITS.length)];
  const options: string[] = [];
  const store = rnd() < 0.15;
  if (!store) for (const w of ['WITHDIST', 'WITHCOORD', 'WITHHASH']) if (rnd() < 0.4) options.push(w);
  const order = rnd();
  if (order < 0.35) options.push('ASC');
  else if (order < 0.7) options.push('DESC');
  if (rnd() < 0.5) {
    options.push('COUNT', String(1 + Math.floor(rnd() * (rnd() < 0.5 ? 10 : 200))));
    if (rnd() < 0.3) options.push('ANY');
  }
  const member = `m${Math.floor(rnd() * POINTS)}`;
  const fromMember = rnd() < 0.3;
  if (rnd() < 0.25 && !store) {
    // GEORADIUS / GEORADIUSBYMEMBER: radius only.
    const r = size(rnd, meters);
    if (fromMember) return { cmd: ['GEORADIUSBYMEMBER', key, member, r, unit, ...options], store };
    return { cmd: ['GEORADIUS', key, ...centre(rnd), r, unit, ...options], store };
  }
  const from = fromMember ? ['FROMMEMBER', member] : ['FROMLONLAT', ...centre(rnd)];
  const by = rnd() < 0.5 ? ['BYRADIUS', size(rnd, meters), unit] : ['BYBOX', size(rnd, meters), size(rnd, meters), unit];
  if (store) return { cmd: ['GEOSEARCHSTORE', 'dst', key, ...from, ...by, ...options, ...(rnd() < 0.7 ? ['STOREDIST'] : [])], store };
  return { cmd: ['GEOSEARCH', key, ...from, ...by, ...options], store };
}

async function reply(r: Redis, cmd: string[]): Promise<unknown> {
  try {
    return await r.call(cmd[0], ...cmd.slice(1));
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/** Runs `searches` random searches on both servers; the first difference fails the test with its command. */
async function compareSearches(t: ExecutionContext, redis: Redis, dynkv: Redis, seed: number, searches: number): Promise<number> {
  const rnd = lcg(seed ^ 0x9e3779b9);
  let nonEmpty = 0;
  for (let i = 0; i < searches; i++) {
    const { cmd, store } = search(rnd, 'geo');
    const want = await reply(redis, cmd);
    const got = await reply(dynkv, cmd);
    t.deepEqual(got, want, `seed ${seed}, search ${i}: ${cmd.join(' ')}`);
    if (JSON.stringify(got) !== JSON.stringify(want)) return nonEmpty;
    if (store) {
      const stored = ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'];
      t.deepEqual(await reply(dynkv, stored), await reply(redis, stored), `seed ${seed}, search ${i}: what ${cmd.join(' ')} stored`);
    }
    if ((Array.isArray(want) && want.length > 0) || (typeof want === 'number' && want > 0)) nonEmpty++;
  }
  return nonEmpty;
}

test('random searches over 2,000 points answer as redis-server: members, order (ties too), distances, hashes, coordinates, stored distances; the same after a restart', async (t) => {
  if (!redisServerAvailable()) throw new Error('redis-server is not on PATH');
  const real = await startRedis();
  t.teardown(async () => {
    await real.stop();
  });
  const seed = Number(process.env.GEO_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.log(`seed ${seed} (GEO_SEED=${seed} reruns it)`);
  const srv = await startServer(t);
  const redis = serverClient(t, real.port);
  let dynkv = serverClient(t, srv.port);
  const args = pointArgs(lcg(seed));
  for (let i = 0; i < args.length; i += 300) {
    const chunk = args.slice(i, i + 300);
    t.is(await dynkv.call('GEOADD', 'geo', ...chunk), await redis.call('GEOADD', 'geo', ...chunk));
  }
  t.is(await dynkv.zcard('geo'), await redis.zcard('geo'));
  t.deepEqual(await dynkv.zrange('geo', 0, -1, 'WITHSCORES'), await redis.zrange('geo', 0, -1, 'WITHSCORES'));
  const nonEmpty = await compareSearches(t, redis, dynkv, seed, SEARCHES);
  // The random sizes must find things for the comparison to mean anything.
  t.true(nonEmpty > SEARCHES / 4, `only ${nonEmpty} of ${SEARCHES} searches found anything`);
  await srv.stop();
  const again = await startServer(t, [], { dir: srv.dir });
  dynkv = serverClient(t, again.port);
  await compareSearches(t, redis, dynkv, seed + 1, SEARCHES / 4);
});
