// server/commands/geo.ts — the geo family (Redis 7.0's geo.c) on sorted
// sets, as Redis builds it: a geo key IS a sorted set whose scores are the
// members' 52-bit geohashes (datatypes/geohash.ts), so TYPE, ZRANGE, OBJECT
// ENCODING, DUMP/RESTORE and replication are the sorted set's. GEOADD is
// ZADD (NX XX CH) with the coordinates turned into scores; GEODIST, GEOHASH
// and GEOPOS read scores back; the searches (GEORADIUS*, GEOSEARCH*) are
// geo-search.ts. geoCommands lists them all.
import { geoScore, standardGeohash, decodeGeohash } from '../../datatypes/geohash';
import { geoDistance } from '../../datatypes/geohash-helpers';
import { CommandError, ERR } from '../errors';
import { distanceText, geoSpec, lonLatArg, replyCoordinate, unitArg } from './geo-args';
import { geoSearchCommands } from './geo-search';
import { isToken } from './string-args';
import type { CommandContext } from './types';
import { readZset } from './zset-common';
import { zadd } from './zsets';

const ZADD = Buffer.from('zadd');

/** GEOADD key [NX|XX] [CH] lon lat member ...: ZADD with each position's score, after every position is checked. */
function geoadd(ctx: CommandContext, argv: Buffer[]): void {
  let nx = false, xx = false;
  let at = 2;
  for (; at < argv.length; at++) {
    if (isToken(argv[at], 'nx')) nx = true;
    else if (isToken(argv[at], 'xx')) xx = true;
    else if (!isToken(argv[at], 'ch')) break;
  }
  if ((argv.length - at) % 3 !== 0 || (nx && xx)) throw new CommandError(ERR.syntax);
  const zaddArgv: Buffer[] = [ZADD, ...argv.slice(1, at)];
  for (let j = at; j < argv.length; j += 3) {
    const [lon, lat] = lonLatArg(argv, j);
    zaddArgv.push(Buffer.from(String(geoScore(lon, lat))), argv[j + 2]);
  }
  zadd(ctx, zaddArgv, false);
}

/** GEODIST key member1 member2 [unit]: null when the key or either member is missing. */
function geodist(ctx: CommandContext, argv: Buffer[]): void {
  let toMeters = 1;
  if (argv.length === 5) toMeters = unitArg(argv[4]);
  else if (argv.length > 5) throw new CommandError(ERR.syntax);
  const index = readZset(ctx, argv[1]);
  const score1 = index?.score(argv[2].toString('latin1'));
  const score2 = index?.score(argv[3].toString('latin1'));
  if (score1 === undefined || score2 === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  const [lon1, lat1] = decodeGeohash(score1);
  const [lon2, lat2] = decodeGeohash(score2);
  ctx.reply.bulk(distanceText(geoDistance(lon1, lat1, lon2, lat2) / toMeters));
}

/** GEOHASH key member ...: each member's 11-character standard geohash, null when missing. */
function geohash(ctx: CommandContext, argv: Buffer[]): void {
  const index = readZset(ctx, argv[1]);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = index?.score(argv[j].toString('latin1'));
    if (score === undefined) ctx.reply.nullBulk();
    else ctx.reply.bulk(standardGeohash(score));
  }
}

/** GEOPOS key member ...: each member's [longitude, latitude], a null array when missing. */
function geopos(ctx: CommandContext, argv: Buffer[]): void {
  const index = readZset(ctx, argv[1]);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = index?.score(argv[j].toString('latin1'));
    if (score === undefined) {
      ctx.reply.nullArray();
      continue;
    }
    const [lon, lat] = decodeGeohash(score);
    ctx.reply.arrayHeader(2);
    replyCoordinate(ctx, lon);
    replyCoordinate(ctx, lat);
  }
}

export const geoCommands = [
  geoSpec('geoadd', -5, ['write', 'denyoom'], ['RW', 'update'], geoadd),
  geoSpec('geodist', -4, ['readonly'], ['RO', 'access'], geodist),
  geoSpec('geohash', -2, ['readonly'], ['RO', 'access'], geohash),
  geoSpec('geopos', -2, ['readonly'], ['RO', 'access'], geopos),
  ...geoSearchCommands,
];
