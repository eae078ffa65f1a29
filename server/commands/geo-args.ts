// server/commands/geo-args.ts — what the geo commands (geo.ts,
// geo-search.ts) share, as Redis 7.0's geo.c helpers: a longitude,latitude
// pair checked against the Mercator square (extractLongLatOrReply), units
// (extractUnitOrReply), radius and box sizes, a member's position, replying
// a coordinate (addReplyHumanLongDouble: a RESP3 double) and a distance
// (addReplyDoubleDistance: "%.4f", a bulk string in both protocols), and the
// command spec shape (category @geo; run at the key's first live replica:
// access 'read-write', as the sorted sets they are).
import { fixedDecimal, fixedPoint, humanDecimal } from '../../datatypes/fixed-decimal';
import { decodeGeohash, GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN } from '../../datatypes/geohash';
import { parseScore } from '../../datatypes/zset';
import type { ZsetSkiplist } from '../../datatypes/zset-skiplist';
import { CommandError, ERR } from '../errors';
import { isToken } from './string-args';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec, KeySpec } from './types';

export const GEO_ERR = {
  unit: 'ERR unsupported unit provided. please use M, KM, FT, MI',
  member: 'ERR could not decode requested zset member',
} as const;

/** getDoubleFromObjectOrReply: `message` (default Redis's) when the argument is not a double. */
export function doubleArg(arg: Buffer, message: string = ERR.notFloat): number {
  const v = parseScore(arg);
  if (v === null) throw new CommandError(message);
  return v;
}

/** extractLongLatOrReply: argv[at] and argv[at + 1] as [longitude, latitude] inside the Mercator square. */
export function lonLatArg(argv: readonly Buffer[], at: number): [lon: number, lat: number] {
  const lon = doubleArg(argv[at]);
  const lat = doubleArg(argv[at + 1]);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new CommandError(`ERR invalid longitude,latitude pair ${fixedDecimal(lon, 6)},${fixedDecimal(lat, 6)}`);
  }
  return [lon, lat];
}

/** extractUnitOrReply: meters per unit. */
export function unitArg(arg: Buffer): number {
  if (isToken(arg, 'm')) return 1;
  if (isToken(arg, 'km')) return 1000;
  if (isToken(arg, 'ft')) return 0.3048;
  if (isToken(arg, 'mi')) return 1609.34;
  throw new CommandError(GEO_ERR.unit);
}

/** extractDistanceOrReply: argv[at] a radius (not negative), argv[at + 1] its unit. */
export function radiusArg(argv: readonly Buffer[], at: number): { radius: number; conversion: number } {
  const radius = doubleArg(argv[at], 'ERR need numeric radius');
  if (radius < 0) throw new CommandError('ERR radius cannot be negative');
  return { radius, conversion: unitArg(argv[at + 1]) };
}

/** extractBoxOrReply: argv[at] width, argv[at + 1] height (neither negative), argv[at + 2] their unit. */
export function boxArg(argv: readonly Buffer[], at: number): { width: number; height: number; conversion: number } {
  const width = doubleArg(argv[at], 'ERR need numeric width');
  const height = doubleArg(argv[at + 1], 'ERR need numeric height');
  if (height < 0 || width < 0) throw new CommandError('ERR height or width cannot be negative');
  return { width, height, conversion: unitArg(argv[at + 2]) };
}

/** longLatFromMember: the member's position; null when it is not in the set. */
export function memberPosition(index: ZsetSkiplist, member: Buffer): [lon: number, lat: number] | null {
  const score = index.score(member.toString('latin1'));
  return score === undefined ? null : decodeGeohash(score);
}

/** addReplyHumanLongDouble: a coordinate, "%.17Lf" trimmed; a RESP3 double, a RESP2 bulk string. */
export function replyCoordinate(ctx: CommandContext, value: number): void {
  ctx.reply.double(humanDecimal(value));
}

/** addReplyDoubleDistance: fixedpoint_d2string's 4 decimals, as a bulk string, RESP3 too. */
export function distanceText(distance: number): string {
  return fixedPoint(distance, 4);
}

const READ_WRITE = (): { access: 'read-write' } => ({ access: 'read-write' });

export interface GeoSpecOptions {
  lastKey?: number;
  keySpecs?: KeySpec[];
  keys?: (argv: readonly Buffer[], into: Buffer[]) => void;
}

export function geoSpec(name: string, arity: number, flags: readonly CommandFlag[], keySpecFlags: string[], handler: CommandHandler, opts: GeoSpecOptions = {}): CommandSpec {
  return {
    name, arity, flags, firstKey: 1, lastKey: opts.lastKey ?? 1, step: 1,
    categories: [flags.includes('write') ? 'write' : 'read', 'geo', 'slow'],
    keySpecFlags, keySpecs: opts.keySpecs, keys: opts.keys, cluster: READ_WRITE, handler,
  };
}
