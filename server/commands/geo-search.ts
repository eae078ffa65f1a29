// server/commands/geo-search.ts — the geo searches, as Redis 7.0's
// georadiusGeneric: GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms),
// GEOSEARCH and GEOSEARCHSTORE. Options are parsed and refused in Redis's
// order (so the same bad command fails with the same error); the search
// walks the score ranges of the nine cells around the centre
// (datatypes/geohash-helpers.ts searchCells) in the sorted set's order,
// keeps the points inside the circle or box by their exact distance, then
// sorts by distance as Redis does (glibc's stable qsort for all of them,
// pqsort for the first COUNT), so ties come out in redis-server's order.
// STORE, STOREDIST and GEOSEARCHSTORE write a sorted set through the same
// path as ZRANGESTORE.
import type { ZsetEntry } from '../../cluster/index';
import { alignedScore, decodeGeohashInto, type GeoCell } from '../../datatypes/geohash';
import { distancesIfWithin, mayBeWithin, searchCells, type GeoShape } from '../../datatypes/geohash-helpers';
import type { ZsetNode, ZsetSkiplist } from '../../datatypes/zset-skiplist';
import { CommandError, ERR } from '../errors';
import { boxArg, distanceText, GEO_ERR, geoSpec, lonLatArg, memberPosition, radiusArg, replyCoordinate } from './geo-args';
import { partialSort } from './partial-sort';
import { isToken, string2ll } from './string-args';
import type { CommandContext, KeySpec } from './types';
import { readZset } from './zset-common';

/** georadiusGeneric's flags. */
const COORDS = 1;
const MEMBER = 2;
const NOSTORE = 4;
const SEARCH = 8;
const SEARCHSTORE = 16;

interface GeoPoint {
  readonly member: string;
  readonly lon: number;
  readonly lat: number;
  /** In meters until the reply divides it by the unit. */
  dist: number;
  readonly score: number;
}

/** Candidates go to the C library by chunks of this many (their nodes, positions as longitude, latitude pairs, distances). */
const CHUNK = 256;
const candidates: (ZsetNode | null)[] = new Array<ZsetNode | null>(CHUNK).fill(null);
const coords = new Float64Array(2 * CHUNK);
const dists = new Float64Array(CHUNK);

/**
 * geoGetPointsInRange for one cell: the members whose scores fall in the
 * cell's range (min included, max excluded), in the set's order, that lie in
 * the shape; stops once `limit` (ANY's COUNT, 0 for none) points are found.
 * The candidates (the points mayBeWithin keeps) have their distances
 * computed a chunk at a time, in one call into the C library each.
 */
function pointsInCell(index: ZsetSkiplist, cell: GeoCell, shape: GeoShape, found: GeoPoint[], limit: number): void {
  const min = alignedScore(cell);
  const max = alignedScore(cell, 1);
  let count = 0;
  for (let node = index.firstInScore({ min, max, minex: false, maxex: true }); node !== null && node.score < max; node = node.forward) {
    decodeGeohashInto(node.score, coords, 2 * count);
    if (!mayBeWithin(shape, coords[2 * count], coords[2 * count + 1])) continue;
    candidates[count++] = node;
    if (count === CHUNK) {
      if (keepWithin(shape, count, found, limit)) return;
      count = 0;
    }
  }
  if (count > 0) keepWithin(shape, count, found, limit);
}

/** Appends the first count candidates that lie in the shape to found, in order; true once `limit` points are found. */
function keepWithin(shape: GeoShape, count: number, found: GeoPoint[], limit: number): boolean {
  distancesIfWithin(shape, coords, count, dists);
  let full = false;
  for (let i = 0; i < count; i++) {
    const node = candidates[i] as ZsetNode;
    candidates[i] = null;
    if (full || dists[i] === -1) continue;
    found.push({ member: node.member, lon: coords[2 * i], lat: coords[2 * i + 1], dist: dists[i], score: node.score });
    full = limit !== 0 && found.length >= limit;
  }
  return full;
}

/** membersOfAllNeighbors: the cells in order, a cell that repeats the last one searched skipped (huge radii). */
function searchPoints(index: ZsetSkiplist, shape: GeoShape, limit: number): GeoPoint[] {
  const cells = searchCells(shape);
  const found: GeoPoint[] = [];
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null) continue;
    const prev = cells[last];
    // As Redis: the comparison is skipped while only the centre has been searched (last_processed 0).
    if (last !== 0 && prev !== null && prev.lat === cell.lat && prev.lon === cell.lon && prev.step === cell.step) continue;
    if (limit !== 0 && found.length >= limit) break;
    pointsInCell(index, cell, shape, found, limit);
    last = i;
  }
  return found;
}

function ascending(a: GeoPoint, b: GeoPoint): number {
  if (a.dist > b.dist) return 1;
  return a.dist === b.dist ? 0 : -1;
}

function descending(a: GeoPoint, b: GeoPoint): number {
  return -ascending(a, b);
}

/** C's (long long) of a score, as WITHHASH replies it: truncation, and x86-64's INT64_MIN past the range. */
function hashInteger(score: number): number | bigint {
  if (!(Math.abs(score) < 2 ** 63)) return -(2n ** 63n);
  return Math.trunc(score) || 0;
}

interface SearchOptions {
  withdist: boolean;
  withhash: boolean;
  withcoord: boolean;
  sort: 'none' | 'asc' | 'desc';
  any: boolean;
  count: number;
}

/**
 * georadiusGeneric: argv[srcKeyIndex] is the sorted set searched; `flags`
 * say which command's arguments to expect.
 */
function georadiusGeneric(ctx: CommandContext, argv: Buffer[], srcKeyIndex: number, flags: number): void {
  let storeKey: Buffer | null = null;
  let storedist = false;
  const index = readZset(ctx, argv[srcKeyIndex]);
  let baseArgs: number;
  let centre: [number, number] = [0, 0];
  let circle: { radius: number; conversion: number } | null = null;
  let box: { width: number; height: number; conversion: number } | null = null;
  if (flags & COORDS) {
    baseArgs = 6;
    centre = lonLatArg(argv, 2);
    circle = radiusArg(argv, 4);
  } else if (flags & MEMBER) {
    baseArgs = 5;
    // No key: the options are still parsed, for the reply (STORE or not) and their errors.
    if (index !== null) {
      const at = memberPosition(index, argv[2]);
      if (at === null) throw new CommandError(GEO_ERR.member);
      centre = at;
      circle = radiusArg(argv, 3);
    }
  } else {
    baseArgs = 2;
    if (flags & SEARCHSTORE) {
      baseArgs = 3;
      storeKey = argv[1];
    }
  }
  const o: SearchOptions = { withdist: false, withhash: false, withcoord: false, sort: 'none', any: false, count: 0 };
  let frommember = false, fromloc = false;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[baseArgs + i];
    const store = (flags & (NOSTORE | SEARCH)) === 0 && i + 1 < remaining;
    if (isToken(arg, 'withdist')) o.withdist = true;
    else if (isToken(arg, 'withhash')) o.withhash = true;
    else if (isToken(arg, 'withcoord')) o.withcoord = true;
    else if (isToken(arg, 'any')) o.any = true;
    else if (isToken(arg, 'asc')) o.sort = 'asc';
    else if (isToken(arg, 'desc')) o.sort = 'desc';
    else if (isToken(arg, 'count') && i + 1 < remaining) {
      const count = string2ll(argv[baseArgs + i + 1]);
      if (count === null) throw new CommandError(ERR.notInteger);
      if (count <= 0) throw new CommandError('ERR COUNT must be > 0');
      o.count = Number(count);
      i++;
    } else if (store && isToken(arg, 'store')) {
      storeKey = argv[baseArgs + ++i];
      storedist = false;
    } else if (store && isToken(arg, 'storedist')) {
      storeKey = argv[baseArgs + ++i];
      storedist = true;
    } else if (isToken(arg, 'storedist') && flags & SEARCH && flags & SEARCHSTORE) {
      storedist = true;
    } else if (isToken(arg, 'frommember') && i + 1 < remaining && flags & SEARCH && !fromloc) {
      if (index !== null) {
        const at = memberPosition(index, argv[baseArgs + i + 1]);
        if (at === null) throw new CommandError(GEO_ERR.member);
        centre = at;
      }
      frommember = true;
      i++;
    } else if (isToken(arg, 'fromlonlat') && i + 2 < remaining && flags & SEARCH && !frommember) {
      centre = lonLatArg(argv, baseArgs + i + 1);
      fromloc = true;
      i += 2;
    } else if (isToken(arg, 'byradius') && i + 2 < remaining && flags & SEARCH && box === null) {
      circle = radiusArg(argv, baseArgs + i + 1);
      i += 2;
    } else if (isToken(arg, 'bybox') && i + 3 < remaining && flags & SEARCH && circle === null) {
      box = boxArg(argv, baseArgs + i + 1);
      i += 3;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  if (storeKey !== null && (o.withdist || o.withhash || o.withcoord)) {
    throw new CommandError(`ERR ${flags & SEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  const name = argv[0].toString('latin1');
  if (flags & SEARCH && !(frommember || fromloc)) throw new CommandError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`);
  if (flags & SEARCH && circle === null && box === null) throw new CommandError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`);
  if (o.any && o.count === 0) throw new CommandError('ERR the ANY argument requires COUNT argument');
  if (index === null) {
    if (storeKey !== null) {
      ctx.store.zsets.replace(ctx.client.db, storeKey, [], ctx.server.config.zsetListpack);
      ctx.reply.integer(0);
    } else {
      ctx.reply.arrayHeader(0);
    }
    return;
  }
  // COUNT without an order means the nearest COUNT (not with ANY).
  if (o.count !== 0 && o.sort === 'none' && !o.any) o.sort = 'asc';
  const [lon, lat] = centre;
  const radius = circle as { radius: number; conversion: number };
  const shape: GeoShape = box !== null ? { kind: 'box', lon, lat, ...box } : { kind: 'radius', lon, lat, ...radius };
  const found = searchPoints(index, shape, o.any ? o.count : 0);
  const returned = o.count === 0 || found.length < o.count ? found.length : o.count;
  if (o.sort !== 'none' && returned > 0) {
    const cmp = o.sort === 'asc' ? ascending : descending;
    if (returned === found.length) found.sort(cmp);
    else partialSort(found, cmp, 0, returned - 1);
  }
  for (let i = 0; i < returned; i++) found[i].dist /= shape.conversion;
  if (storeKey === null) replyPoints(ctx, found, returned, o);
  else storePoints(ctx, storeKey, found, returned, storedist);
}

function replyPoints(ctx: CommandContext, found: readonly GeoPoint[], returned: number, o: SearchOptions): void {
  const options = (o.withdist ? 1 : 0) + (o.withhash ? 1 : 0) + (o.withcoord ? 1 : 0);
  ctx.reply.arrayHeader(returned);
  for (let i = 0; i < returned; i++) {
    const p = found[i];
    if (options !== 0) ctx.reply.arrayHeader(options + 1);
    ctx.reply.bulk(Buffer.from(p.member, 'latin1'));
    if (o.withdist) ctx.reply.bulk(distanceText(p.dist));
    if (o.withhash) ctx.reply.integer(hashInteger(p.score));
    if (o.withcoord) {
      ctx.reply.arrayHeader(2);
      replyCoordinate(ctx, p.lon);
      replyCoordinate(ctx, p.lat);
    }
  }
}

/** STORE / STOREDIST / GEOSEARCHSTORE: the key made anew with the results (scores or distances); none deletes it. */
function storePoints(ctx: CommandContext, key: Buffer, found: readonly GeoPoint[], returned: number, storedist: boolean): void {
  const entries: ZsetEntry[] = [];
  for (let i = 0; i < returned; i++) entries.push({ member: Buffer.from(found[i].member, 'latin1'), score: storedist ? found[i].dist : found[i].score });
  ctx.store.zsets.replace(ctx.client.db, key, entries, ctx.server.config.zsetListpack);
  ctx.reply.integer(returned);
}

const STORE_KEYWORDS = ['store', 'storedist'];

/** GEORADIUS's keys: the source, and the key after STORE and after STOREDIST (Redis's keyword key specs) from startFrom. */
function radiusKeys(startFrom: number): (argv: readonly Buffer[], into: Buffer[]) => void {
  return (argv, into) => {
    into.push(argv[1]);
    for (const keyword of STORE_KEYWORDS) {
      for (let i = startFrom; i < argv.length - 1; i++) {
        if (isToken(argv[i], keyword)) {
          into.push(argv[i + 1]);
          break;
        }
      }
    }
  };
}

function radiusKeySpecs(startFrom: number): KeySpec[] {
  return [
    { flags: ['RO', 'access'], index: 1, lastKey: 0, keyStep: 1 },
    ...STORE_KEYWORDS.map((k) => ({ flags: ['OW', 'update'], index: 0, lastKey: 0, keyStep: 1, keyword: { keyword: k.toUpperCase(), startFrom } })),
  ];
}

const MOVABLE = ['write', 'denyoom', 'movablekeys'] as const;

export const geoSearchCommands = [
  geoSpec('georadius', -6, MOVABLE, [], (ctx, argv) => georadiusGeneric(ctx, argv, 1, COORDS), { keySpecs: radiusKeySpecs(6), keys: radiusKeys(6) }),
  geoSpec('georadiusbymember', -5, MOVABLE, [], (ctx, argv) => georadiusGeneric(ctx, argv, 1, MEMBER), { keySpecs: radiusKeySpecs(5), keys: radiusKeys(5) }),
  geoSpec('georadius_ro', -6, ['readonly'], ['RO', 'access'], (ctx, argv) => georadiusGeneric(ctx, argv, 1, COORDS | NOSTORE)),
  geoSpec('georadiusbymember_ro', -5, ['readonly'], ['RO', 'access'], (ctx, argv) => georadiusGeneric(ctx, argv, 1, MEMBER | NOSTORE)),
  geoSpec('geosearch', -7, ['readonly'], ['RO', 'access'], (ctx, argv) => georadiusGeneric(ctx, argv, 1, SEARCH)),
  geoSpec('geosearchstore', -8, ['write', 'denyoom'], [], (ctx, argv) => georadiusGeneric(ctx, argv, 2, SEARCH | SEARCHSTORE), {
    lastKey: 2,
    keySpecs: [
      { flags: ['OW', 'update'], index: 1, lastKey: 0, keyStep: 1 },
      { flags: ['RO', 'access'], index: 2, lastKey: 0, keyStep: 1 },
    ],
  }),
];
