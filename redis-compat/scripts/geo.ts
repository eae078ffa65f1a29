// redis-compat/scripts/geo.ts — the geo family (Redis 7.0's geo.c) on sorted
// sets: GEOADD (NX XX CH, coordinate range errors printed "%f"), GEODIST in
// every unit, GEOHASH, GEOPOS (coordinates "%.17Lf" trimmed, RESP3 doubles),
// GEORADIUS, GEORADIUSBYMEMBER and their _RO forms (WITHCOORD WITHDIST
// WITHHASH COUNT [ANY] ASC|DESC STORE STOREDIST), GEOSEARCH (FROMMEMBER
// FROMLONLAT BYRADIUS BYBOX) and GEOSEARCHSTORE (STOREDIST), every error and
// option conflict in Redis's order; a geo key as the sorted set it is (ZRANGE
// WITHSCORES, TYPE, OBJECT ENCODING, DUMP); positions at the edges of the
// Mercator square, near the poles and the antimeridian, huge and zero radii;
// scores no GEOADD makes (negative, fractions, past 2^53) decoded as Redis
// decodes them; members at the same place (ties) with and without COUNT
// (pqsort's order); 300 generated points searched in both encodings; COMMAND
// INFO (GEORADIUS's keyword key specs) and COMMAND DOCS of the family.
import { c, type Script, type Step } from '../harness';

const COMMANDS = ['geoadd', 'geodist', 'geohash', 'geopos', 'georadius', 'georadius_ro', 'georadiusbymember', 'georadiusbymember_ro', 'geosearch', 'geosearchstore'];

/** A fixed pseudo-random sequence (a 32-bit LCG), so both servers get the same points. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** n points around (lon, lat), spread over about `span` degrees, as GEOADD arguments. */
function points(n: number, lon: number, lat: number, span: number, prefix: string): string[] {
  const rnd = lcg(n * 7919 + Math.round(lat * 100));
  const args: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = Math.max(-180, Math.min(180, lon + (rnd() - 0.5) * span));
    const y = Math.max(-85, Math.min(85, lat + (rnd() - 0.5) * span));
    args.push(x.toFixed(6), y.toFixed(6), `${prefix}${i}`);
  }
  return args;
}

/** The longitudes (latitude 0) of the tie-heavy set: 62 members at 21 places. */
const TIE_LONGITUDES = [
  '0.016', '0.014', '0.015', '0.016', '0.016', '0.015', '0.007', '0.000', '0.014', '0.018', '0.010', '0.011', '0.015', '0.008', '0.016', '0.000',
  '0.013', '0.017', '0.016', '0.017', '0.018', '0.015', '0.005', '0.015', '0.016', '0.009', '0.012', '0.020', '0.001', '0.017', '0.003', '0.010',
  '0.019', '0.008', '0.014', '0.011', '0.004', '0.018', '0.012', '0.000', '0.006', '0.013', '0.019', '0.009', '0.020', '0.013', '0.001', '0.004',
  '0.010', '0.016', '0.019', '0.020', '0.017', '0.013', '0.009', '0.017', '0.003', '0.003', '0.013', '0.005', '0.012', '0.001',
];

/** Searches of the generated set `key` around (lon, lat): every option once, radius and box. */
function searches(key: string, lon: string, lat: string): Step[] {
  return [
    c('GEORADIUS', key, lon, lat, '300', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH'),
    c('GEORADIUS', key, lon, lat, '300', 'km', 'ASC', 'WITHDIST'),
    c('GEORADIUS', key, lon, lat, '300', 'km', 'DESC', 'COUNT', '7'),
    c('GEORADIUS', key, lon, lat, '1000', 'km', 'COUNT', '45', 'WITHDIST'),
    c('GEORADIUS', key, lon, lat, '1000', 'km', 'COUNT', '5', 'ANY'),
    c('GEORADIUS', key, lon, lat, '1000', 'km', 'COUNT', '5', 'ANY', 'DESC', 'WITHDIST'),
    c('GEORADIUS', key, lon, lat, '200', 'mi', 'WITHDIST', 'ASC'),
    c('GEORADIUS', key, lon, lat, '600000', 'ft', 'WITHDIST', 'ASC'),
    c('GEOSEARCH', key, 'FROMLONLAT', lon, lat, 'BYBOX', '400', '250', 'km', 'ASC', 'WITHDIST', 'WITHCOORD'),
    c('GEOSEARCH', key, 'FROMLONLAT', lon, lat, 'BYBOX', '2000', '100', 'km', 'DESC', 'COUNT', '10', 'WITHHASH'),
    c('GEOSEARCH', key, 'FROMLONLAT', lon, lat, 'BYRADIUS', '250', 'km', 'COUNT', '60', 'DESC'),
    c('GEOSEARCH', key, 'FROMMEMBER', 'p3', 'BYRADIUS', '150', 'km', 'WITHDIST', 'ASC'),
    c('GEOSEARCH', key, 'FROMMEMBER', 'p3', 'BYBOX', '300', '300', 'km', 'WITHDIST'),
    c('GEOSEARCHSTORE', 'gdst', key, 'FROMLONLAT', lon, lat, 'BYRADIUS', '500', 'km', 'STOREDIST', 'COUNT', '20'),
    c('ZRANGE', 'gdst', '0', '-1', 'WITHSCORES'),
    c('GEORADIUSBYMEMBER', key, 'p5', '400', 'km', 'STORE', 'gdst'),
    c('ZRANGE', 'gdst', '0', '-1', 'WITHSCORES'),
    c('OBJECT', 'ENCODING', 'gdst'),
  ];
}

export const geo: Script = {
  name: 'geo',
  steps: [
    // GEOADD: scores are the 52-bit geohashes; the key is a sorted set
    c('GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'),
    c('ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES'),
    c('TYPE', 'Sicily'),
    c('OBJECT', 'ENCODING', 'Sicily'),
    c('DUMP', 'Sicily'),
    c('ZCARD', 'Sicily'),
    c('GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo'),
    c('GEOADD', 'Sicily', 'CH', '13.361390', '38.115556', 'Palermo', '12.758489', '38.788135', 'edge'),
    c('GEOADD', 'Sicily', 'NX', '0', '0', 'Palermo', '1', '1', 'nx1'),
    c('GEOADD', 'Sicily', 'XX', '0', '0', 'nosuch', '2', '2', 'nx1'),
    c('GEOADD', 'Sicily', 'XX', 'CH', '3', '3', 'nx1'),
    c('GEOADD', 'Sicily', 'ch', 'nx', '4', '4', 'nx1', '5', '5', 'nx2'),
    c('GEOADD', 'Sicily', 'CH', 'CH', 'NX', 'NX', '6', '6', 'nx3'),
    c('GEOPOS', 'Sicily', 'Palermo', 'nx1', 'nx2', 'nx3', 'nosuch'),
    c('GEOADD', 'Sicily', 'NX', 'XX', '1', '1', 'a'),
    c('GEOADD', 'Sicily', 'GT', '1', '1', 'a'),
    c('GEOADD', 'Sicily', 'INCR', '1', '1', 'a'),
    c('GEOADD', 'Sicily', '1', '1'),
    c('GEOADD', 'Sicily', '1', '1', 'a', '2'),
    c('GEOADD', 'Sicily', 'CH', 'NX', 'CH'),
    c('GEOADD', 'Sicily', 'CH', 'CH', 'CH'),
    c('GEOADD', 'Sicily', '1', '1'),
    c('GEOADD', 'Sicily'),
    c('GEOADD', 'Sicily', '181', '0', 'a'),
    c('GEOADD', 'Sicily', '-180.000001', '0', 'a'),
    c('GEOADD', 'Sicily', '0', '85.05112879', 'a'),
    c('GEOADD', 'Sicily', '0', '-86', 'a'),
    c('GEOADD', 'Sicily', 'inf', '0', 'a'),
    c('GEOADD', 'Sicily', '0', '-inf', 'a'),
    c('GEOADD', 'Sicily', '-1e30', '0', 'a'),
    c('GEOADD', 'Sicily', '1e300', '0', 'a'),
    c('GEOADD', 'Sicily', '181.123456789', '-0.0000004', 'a'),
    c('GEOADD', 'Sicily', 'abc', '0', 'a'),
    c('GEOADD', 'Sicily', '0', 'nan', 'a'),
    c('GEOADD', 'Sicily', '1', '1', 'ok', '200', '0', 'bad'),
    c('EXISTS', 'ok'),
    c('ZSCORE', 'Sicily', 'ok'),
    c('GEOADD', 'Sicily', '1', '1', 'ok', '1', 'x', 'bad'),
    c('geoadd', 'Sicily', ' 1', '1', 'a'),
    c('geoadd', 'Sicily', '0x10', '1', 'hex'),
    c('GEOPOS', 'Sicily', 'hex'),
    c('SET', 'str', 'x'),
    c('GEOADD', 'str', '1', '1', 'a'),
    c('GEOADD', 'str', '200', '1', 'a'),
    c('GEOADD', 'str', 'NX', 'XX', '1', '1', 'a'),
    c('GEOADD', 'nokey', 'XX', '1', '1', 'a'),
    c('EXISTS', 'nokey'),
    // The corners and edges of the Mercator square
    c('GEOADD', 'edges', '180', '85.05112878', 'ne', '-180', '-85.05112878', 'sw', '180', '0', 'e', '-180', '0', 'w', '0', '0', 'origin', '0', '85.05112878', 'n', '179.99999999', '-85.05112877', 'se'),
    c('ZRANGE', 'edges', '0', '-1', 'WITHSCORES'),
    c('GEOPOS', 'edges', 'ne', 'sw', 'e', 'w', 'origin', 'n', 'se'),
    c('GEOHASH', 'edges', 'ne', 'sw', 'e', 'w', 'origin', 'n', 'se'),
    c('GEODIST', 'edges', 'e', 'w'),
    c('GEODIST', 'edges', 'ne', 'sw', 'km'),
    c('GEORADIUS', 'edges', '180', '0', '0', 'm', 'WITHDIST', 'WITHHASH'),
    c('GEORADIUS', 'edges', '180', '85.05112878', '10', 'km', 'WITHCOORD'),
    c('GEORADIUS', 'edges', '-179.9', '0', '100', 'km', 'WITHDIST'),
    c('GEORADIUS', 'edges', '179.9', '0', '100', 'km', 'WITHDIST'),
    c('GEORADIUS', 'edges', '0', '0', '20000', 'km', 'WITHDIST', 'ASC'),
    c('GEORADIUS', 'edges', '0', '0', '5000', 'km', 'WITHDIST', 'ASC'),
    c('GEORADIUS', 'edges', '0', '80', '3000', 'km', 'WITHDIST', 'ASC'),
    c('GEOSEARCH', 'edges', 'FROMLONLAT', '0', '0', 'BYBOX', '40000', '40000', 'km', 'ASC', 'WITHDIST'),
    c('GEOSEARCH', 'edges', 'FROMLONLAT', '180', '0', 'BYBOX', '0', '0', 'km', 'WITHCOORD'),
    // One meridian: equal longitudes take redis-server's latitude-arc shortcut (its last bits differ from the haversine's)
    c('GEOADD', 'meridian', '10', '10', 'a', '10', '12.5', 'b', '10', '-5', 'c', '10', '40', 'd', '10', '71.2', 'e', '10', '-33.3', 'f', '10', '-80', 'g', '10', '-67.5', 'h', '10', '-65', 'j', '10.000001', '11', 'i'),
    c('GEOSEARCHSTORE', 'mdst', 'meridian', 'FROMMEMBER', 'a', 'BYRADIUS', '10000', 'km', 'STOREDIST'),
    c('ZRANGE', 'mdst', '0', '-1', 'WITHSCORES'),
    c('GEOSEARCHSTORE', 'mdst', 'meridian', 'FROMMEMBER', 'a', 'BYBOX', '100', '16000', 'km', 'STOREDIST'),
    c('ZRANGE', 'mdst', '0', '-1', 'WITHSCORES'),
    c('GEOSEARCHSTORE', 'mdst', 'meridian', 'FROMLONLAT', '10', '10', 'BYBOX', '1', '1000', 'km', 'STOREDIST'),
    c('ZRANGE', 'mdst', '0', '-1', 'WITHSCORES'),
    // GEOPOS GEODIST GEOHASH
    c('GEOPOS', 'Sicily', 'Palermo', 'Catania', 'nosuch'),
    c('GEOPOS', 'nokey', 'a', 'b'),
    c('GEOPOS', 'Sicily'),
    c('GEOPOS', 'str', 'a'),
    c('GEODIST', 'Sicily', 'Palermo', 'Catania'),
    c('GEODIST', 'Sicily', 'Palermo', 'Catania', 'm'),
    c('GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'),
    c('GEODIST', 'Sicily', 'Palermo', 'Catania', 'KM'),
    c('GEODIST', 'Sicily', 'Palermo', 'Catania', 'ft'),
    c('GEODIST', 'Sicily', 'Palermo', 'Catania', 'Mi'),
    c('GEODIST', 'Sicily', 'Palermo', 'Palermo'),
    c('GEODIST', 'Sicily', 'Palermo', 'Catania', 'parsec'),
    c('GEODIST', 'Sicily', 'Palermo', 'Catania', 'km', 'extra'),
    c('GEODIST', 'Sicily', 'Palermo', 'nosuch'),
    c('GEODIST', 'Sicily', 'nosuch', 'Palermo', 'km'),
    c('GEODIST', 'nokey', 'a', 'b'),
    c('GEODIST', 'nokey', 'a', 'b', 'parsec'),
    c('GEODIST', 'str', 'a', 'b'),
    c('GEODIST', 'Sicily', 'a'),
    c('GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nosuch'),
    c('GEOHASH', 'nokey', 'a'),
    c('GEOHASH', 'Sicily'),
    c('GEOHASH', 'str', 'a'),
    // Scores no GEOADD makes: Redis casts them to uint64 and decodes whatever comes out
    c('ZADD', 'odd', '-1', 'neg', '1.5', 'frac', '0', 'zero', '9007199254740993', 'big', '4503599627370496', 'top', '1e300', 'huge', '-1e300', 'nhuge', 'inf', 'pinf', '-inf', 'ninf', '3.4e18', 'twop61'),
    c('GEOPOS', 'odd', 'neg', 'frac', 'zero', 'big', 'top', 'huge', 'nhuge', 'pinf', 'ninf', 'twop61'),
    c('GEOHASH', 'odd', 'neg', 'frac', 'zero', 'big', 'top', 'huge', 'nhuge', 'pinf', 'ninf', 'twop61'),
    c('GEODIST', 'odd', 'neg', 'frac'),
    c('GEORADIUS', 'odd', '0', '0', '25000', 'km', 'WITHHASH', 'WITHCOORD', 'ASC'),
    // GEORADIUS and its options
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH', 'ASC'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'DESC'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1', 'DESC', 'WITHDIST'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1', 'ANY'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'ANY', 'COUNT', '100'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'KM', 'withdist', 'desc', 'count', '2'),
    c('GEORADIUS', 'Sicily', '15', '37', '1', 'm'),
    c('GEORADIUS', 'Sicily', '15', '37', '0', 'km'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'ANY'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '0'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '-3'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', 'x'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '99999999999999999999'),
    c('GEORADIUS', 'Sicily', '15', '37', '-1', 'km'),
    c('GEORADIUS', 'Sicily', '15', '37', 'x', 'km'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'parsec'),
    c('GEORADIUS', 'Sicily', '200', '37', '200', 'km'),
    c('GEORADIUS', 'Sicily', 'x', '37', '200', 'km'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'FOO'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'FROMLONLAT', '1', '2'),
    c('GEORADIUS', 'Sicily', '15', '37', '200'),
    c('GEORADIUS', 'str', '15', '37', '200', 'km'),
    c('GEORADIUS', 'str', '200', '37', 'x', 'km'),
    c('GEORADIUS', 'nokey', '15', '37', '200', 'km'),
    c('GEORADIUS', 'nokey', '15', '37', '-1', 'km'),
    c('GEORADIUS', 'nokey', '15', '37', '200', 'km', 'ANY'),
    c('GEORADIUS', 'nokey', '15', '37', '200', 'km', 'BAD'),
    // STORE / STOREDIST
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst'),
    c('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'dst', 'DESC', 'COUNT', '1'),
    c('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'mi', 'STOREDIST', 'dst'),
    c('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst', 'STOREDIST', 'dst2'),
    c('EXISTS', 'dst', 'dst2'),
    c('ZRANGE', 'dst2', '0', '-1', 'WITHSCORES'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst', 'WITHDIST'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHCOORD', 'STOREDIST', 'dst'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE'),
    c('GEORADIUS', 'Sicily', '15', '37', '1', 'm', 'STORE', 'dst'),
    c('EXISTS', 'dst'),
    c('SET', 'dst', 'string'),
    c('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst'),
    c('TYPE', 'dst'),
    c('GEORADIUS', 'nokey', '15', '37', '200', 'km', 'STORE', 'dst'),
    c('EXISTS', 'dst'),
    c('GEORADIUS', 'nokey', '15', '37', '200', 'km', 'STORE', 'dst', 'WITHHASH'),
    c('GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'ASC'),
    c('GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst'),
    c('GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'dst'),
    c('GEORADIUS_RO', 'nokey', '15', '37', '200', 'km'),
    // GEORADIUSBYMEMBER
    c('GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'WITHDIST', 'WITHCOORD', 'ASC'),
    c('GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '100', 'km'),
    c('GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'STORE', 'dst'),
    c('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'),
    c('GEORADIUSBYMEMBER', 'Sicily', 'nosuch', '200', 'km'),
    c('GEORADIUSBYMEMBER', 'Sicily', 'nosuch', '-1', 'km'),
    c('GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '-1', 'km'),
    c('GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '1', 'parsec'),
    c('GEORADIUSBYMEMBER', 'nokey', 'a', '-1', 'parsec'),
    c('GEORADIUSBYMEMBER', 'nokey', 'a', '1', 'km', 'STORE', 'dst'),
    c('GEORADIUSBYMEMBER', 'nokey', 'a', '1', 'km', 'BAD'),
    c('GEORADIUSBYMEMBER', 'nokey', 'a', '1', 'km', 'ANY'),
    c('GEORADIUSBYMEMBER', 'str', 'a', '1', 'km'),
    c('GEORADIUSBYMEMBER_RO', 'Sicily', 'Catania', '200', 'km', 'WITHHASH'),
    c('GEORADIUSBYMEMBER_RO', 'Sicily', 'Catania', '200', 'km', 'STORE', 'dst'),
    // GEOSEARCH
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH'),
    c('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', 'DESC', 'WITHDIST'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHDIST'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '200', '200', 'km'),
    c('GEOSEARCH', 'Sicily', 'BYBOX', '400', '400', 'km', 'FROMLONLAT', '15', '37', 'COUNT', '1'),
    c('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'FROMMEMBER', 'Catania', 'BYRADIUS', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'BYRADIUS', '300', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'km', 'BYRADIUS', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'BYRADIUS', '1', 'km', 'COUNT', '2'),
    c('geosearch', 'Sicily', 'BYRADIUS', '1', 'km', 'COUNT', '2'),
    c('GeoSearch', 'Sicily', 'FROMLONLAT', '15', '37', 'COUNT', '2'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'ANY'),
    c('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'nosuch', 'BYRADIUS', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'nosuch', 'BYRADIUS', '-1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '-1', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', 'a', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', 'a', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '-1', 'parsec'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'parsec'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', 'BYRADIUS', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '100', 'BYRADIUS', '1', 'km'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STORE', 'dst'),
    c('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STOREDIST'),
    c('GEOSEARCH', 'nokey', 'FROMMEMBER', 'a', 'BYRADIUS', '1', 'km'),
    c('GEOSEARCH', 'nokey', 'FROMMEMBER', 'a', 'BYRADIUS', '-1', 'km'),
    c('GEOSEARCH', 'nokey', 'FROMMEMBER', 'a', 'COUNT', '1'),
    c('GEOSEARCH', 'str', 'FROMMEMBER', 'a', 'BYRADIUS', '1', 'km'),
    // GEOSEARCHSTORE
    c('GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'COUNT', '3'),
    c('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'),
    c('GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'STOREDIST'),
    c('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'),
    c('GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMMEMBER', 'Catania', 'BYRADIUS', '10', 'km', 'storedist'),
    c('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'),
    c('GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'WITHDIST'),
    c('GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'STORE', 'x'),
    c('GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'm'),
    c('EXISTS', 'dst'),
    c('GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '400', 'km'),
    c('GEOSEARCHSTORE', 'dst', 'nokey', 'FROMLONLAT', '15', '37', 'BYRADIUS', '400', 'km'),
    c('EXISTS', 'dst'),
    c('geosearchstore', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'STOREDIST'),
    c('GEOSEARCHSTORE', 'dst', 'str', 'FROMLONLAT', '15', '37', 'BYRADIUS', '400', 'km'),
    c('GEOSEARCHSTORE', 'str', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '400', 'km'),
    c('TYPE', 'str'),
    // Members at the same place: equal distances, full sort (stable) and COUNT (pqsort)
    c('GEOADD', 'same', '10', '10', 'a', '10', '10', 'b', '10', '10', 'c', '10', '10', 'd', '10.0001', '10', 'e', '10', '10', 'f', '10', '10', 'g', '10', '10', 'h', '10.0002', '10', 'i', '10', '10', 'j'),
    c('GEORADIUS', 'same', '10', '10', '1', 'km', 'ASC'),
    c('GEORADIUS', 'same', '10', '10', '1', 'km', 'DESC'),
    c('GEORADIUS', 'same', '10', '10', '1', 'km', 'COUNT', '3'),
    c('GEORADIUS', 'same', '10', '10', '1', 'km', 'COUNT', '8', 'DESC'),
    c('GEORADIUS', 'same', '10.0001', '10', '1', 'km', 'COUNT', '9', 'WITHDIST'),
    c('GEORADIUS', 'same', '10.0001', '10', '1', 'km', 'COUNT', '2', 'DESC', 'WITHDIST'),
    // 62 members at 21 places, in the order one seeded run made them: pqsort's partitions (more than 40
    // items, ties) as Redis 7.0's pqsort leaves them, without the old insertion-sort switch
    c('GEOADD', 'ties', ...TIE_LONGITUDES.flatMap((lon, i) => [lon, '0', `p${i}`])),
    c('GEORADIUS', 'ties', '0', '0', '1000', 'km', 'COUNT', '35'),
    c('GEORADIUS', 'ties', '0', '0', '1000', 'km', 'COUNT', '35', 'WITHDIST'),
    c('GEORADIUS', 'ties', '0', '0', '1000', 'km', 'COUNT', '20', 'DESC'),
    c('GEORADIUS', 'ties', '0', '0', '1000', 'km', 'COUNT', '61'),
    c('GEORADIUS', 'ties', '0', '0', '1000', 'km', 'COUNT', '50', 'DESC'),
    c('GEOSEARCH', 'ties', 'FROMMEMBER', 'p7', 'BYBOX', '5', '1', 'km', 'COUNT', '40'),
    // 300 points: skiplist, then the same searches on a listpack of 100
    c('GEOADD', 'big', ...points(300, 2.35, 48.85, 12, 'p')),
    c('OBJECT', 'ENCODING', 'big'),
    ...searches('big', '2.35', '48.85'),
    ...searches('big', '4.1', '46.2'),
    c('GEOADD', 'small', ...points(100, 2.35, 48.85, 12, 'p')),
    c('OBJECT', 'ENCODING', 'small'),
    ...searches('small', '2.35', '48.85'),
    // Far south, near the pole, and across the antimeridian
    c('GEOADD', 'south', ...points(120, 178, -40, 8, 'p')),
    ...searches('south', '179.5', '-40.5'),
    c('GEOADD', 'polar', ...points(120, 20, 78, 10, 'p')),
    ...searches('polar', '20', '81'),
    // COMMAND INFO and DOCS of the family
    ...COMMANDS.map((cmd) => c('COMMAND', 'INFO', cmd)),
    ...COMMANDS.map((cmd) => c('COMMAND', 'DOCS', cmd)),
  ],
};
