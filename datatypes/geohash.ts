// datatypes/geohash.ts — Redis's geohash (geohash.c): a position as a cell
// index per axis at a step (bits per axis), the interleaving that makes a
// geo key's score (the 52-bit hash of step 26, latitude in the even bits,
// longitude in the odd ones), the decoding of any sorted set score back to a
// position (Redis casts the score to uint64 first), the eight neighbour cells
// and GEOHASH's 11-character standard string. Every step is the C code's
// floating-point operation in the same order, so positions and scores come
// out bit for bit as redis-server's. Pure.

/** Redis's GEO_LAT_MIN/MAX and GEO_LONG_MIN/MAX: the Web Mercator square. */
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** Bits per axis of a stored score (GEO_STEP_MAX). */
export const GEO_STEP_MAX = 26;

export interface GeoRange {
  readonly min: number;
  readonly max: number;
}

const LONG_RANGE: GeoRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: GeoRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** GEOHASH's ranges: the standard geohash's latitude goes to the poles. */
const STANDARD_LAT_RANGE: GeoRange = { min: -90, max: 90 };

/**
 * Redis's GeoHashBits, deinterleaved: the cell's latitude and longitude
 * indexes (uint32, normally below 2^step; 2^step at the range's maximum, as
 * the C code's uint32 cast gives) at `step` bits per axis.
 */
export interface GeoCell {
  readonly lat: number;
  readonly lon: number;
  readonly step: number;
}

/** A cell's bounds in degrees (GeoHashArea). */
export interface GeoArea {
  readonly latMin: number;
  readonly latMax: number;
  readonly lonMin: number;
  readonly lonMax: number;
}

const TWO_32 = 4294967296;

/** The 16 low bits of x spread to the even bits of a uint32. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}

/** The even bits of a uint32 gathered into 16 bits. */
function squash16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** interleave64(lat, lon) as its two uint32 words: latitude bits even, longitude bits odd. */
function interleaveWords(lat: number, lon: number): [hi: number, lo: number] {
  const lo = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  const hi = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
  return [hi, lo];
}

/**
 * A cell's hash (its interleaved bits) plus `add`, shifted to 52 bits
 * (geohashAlign52Bits), as the double the uint64 converts to: one rounding,
 * as C's conversion (and ZADD's strtod of the integer's digits) does.
 */
export function alignedScore(cell: GeoCell, add = 0): number {
  const [hi, lo] = interleaveWords(cell.lat, cell.lon);
  return (hi * TWO_32 + (lo + add)) * 2 ** (52 - cell.step * 2);
}

/**
 * geohashEncode: the cell of a position at `step`; null when the position
 * is outside the Mercator square or the ranges (Redis's 0 return).
 */
export function encodeCell(lonRange: GeoRange, latRange: GeoRange, lon: number, lat: number, step: number): GeoCell | null {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return null;
  if (lat < latRange.min || lat > latRange.max || lon < lonRange.min || lon > lonRange.max) return null;
  let latOffset = (lat - latRange.min) / (latRange.max - latRange.min);
  let lonOffset = (lon - lonRange.min) / (lonRange.max - lonRange.min);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  // C's double -> uint32_t conversion: truncation (the offsets are >= 0).
  return { lat: Math.trunc(latOffset) >>> 0, lon: Math.trunc(lonOffset) >>> 0, step };
}

/** geohashEncodeWGS84: the cell of a position in the Mercator square. */
export function encodeWGS84(lon: number, lat: number, step: number): GeoCell | null {
  return encodeCell(LONG_RANGE, LAT_RANGE, lon, lat, step);
}

/** GEOADD's score of a valid position: the 52-bit hash at step 26. */
export function geoScore(lon: number, lat: number): number {
  const cell = encodeWGS84(lon, lat, GEO_STEP_MAX);
  if (cell === null) throw new RangeError(`geoScore: ${lon},${lat} is outside the Mercator square`);
  return alignedScore(cell);
}

/** geohashDecode: a cell's bounds (uint32 arithmetic for the index + 1, as C). */
export function decodeArea(cell: GeoCell, lonRange: GeoRange = LONG_RANGE, latRange: GeoRange = LAT_RANGE): GeoArea {
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  const cells = 2 ** cell.step;
  return {
    latMin: latRange.min + (cell.lat / cells) * latScale,
    latMax: latRange.min + (((cell.lat + 1) >>> 0) / cells) * latScale,
    lonMin: lonRange.min + (cell.lon / cells) * lonScale,
    lonMax: lonRange.min + (((cell.lon + 1) >>> 0) / cells) * lonScale,
  };
}

const TWO_53 = 9007199254740992;
const TWO_63 = 9223372036854775808;

/**
 * C's (uint64_t) cast of a score as gcc compiles it for x86-64 (cvttsd2si,
 * and past 2^63 the same on score - 2^63 with the top bit flipped), as two
 * uint32 words: [hi, lo]. Geo scores are integers below 2^54; other sorted
 * sets' scores decode to whatever redis-server makes of them.
 */
function scoreWords(score: number): [hi: number, lo: number] {
  let v: number;
  if (Number.isNaN(score)) v = TWO_63;
  else if (score >= TWO_63) v = score - TWO_63 >= TWO_63 ? 0 : score;
  else if (score <= -TWO_63) v = TWO_63;
  else v = Math.trunc(score);
  if (v < 0) {
    // Two's complement of a negative int64: 2^64 + v, word by word (exact).
    const mag = -v;
    const hi = Math.floor(mag / TWO_32);
    const lo = mag - hi * TWO_32;
    return lo === 0 ? [(TWO_32 - hi) % TWO_32, 0] : [TWO_32 - 1 - hi, TWO_32 - lo];
  }
  const hi = Math.floor(v / TWO_32);
  return [hi, v - hi * TWO_32];
}

const CELLS_AT_MAX_STEP = 2 ** GEO_STEP_MAX;
const LAT_SCALE = GEO_LAT_MAX - GEO_LAT_MIN;
const LONG_SCALE = GEO_LONG_MAX - GEO_LONG_MIN;

/**
 * decodeGeohash into out[at] (longitude) and out[at + 1] (latitude): the
 * cast, deinterleave64, the step-26 cell's bounds (geohashDecode) and their
 * middle clamped to the Mercator square (geohashDecodeAreaToLongLat). No
 * allocation: a search decodes every score in its cells.
 */
export function decodeGeohashInto(score: number, out: Float64Array, at: number): void {
  let hi: number, lo: number;
  if (score >= 0 && score < TWO_53) {
    // Every score GEOADD makes: the cast is a truncation, the words exact.
    const v = Math.trunc(score);
    hi = Math.floor(v / TWO_32);
    lo = v - hi * TWO_32;
  } else {
    [hi, lo] = scoreWords(score);
  }
  const latCell = (squash16(hi) * 65536 + squash16(lo)) >>> 0;
  const lonCell = (squash16(hi >>> 1) * 65536 + squash16(lo >>> 1)) >>> 0;
  const latMin = GEO_LAT_MIN + (latCell / CELLS_AT_MAX_STEP) * LAT_SCALE;
  const latMax = GEO_LAT_MIN + (((latCell + 1) >>> 0) / CELLS_AT_MAX_STEP) * LAT_SCALE;
  const lonMin = GEO_LONG_MIN + (lonCell / CELLS_AT_MAX_STEP) * LONG_SCALE;
  const lonMax = GEO_LONG_MIN + (((lonCell + 1) >>> 0) / CELLS_AT_MAX_STEP) * LONG_SCALE;
  let lon = (lonMin + lonMax) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (latMin + latMax) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  out[at] = lon;
  out[at + 1] = lat;
}

const decoded = new Float64Array(2);

/** decodeGeohash: the position ([longitude, latitude]) a score stands for. */
export function decodeGeohash(score: number): [lon: number, lat: number] {
  decodeGeohashInto(score, decoded, 0);
  return [decoded[0], decoded[1]];
}

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * GEOHASH's string: the position re-encoded with the standard latitude range
 * (-90, 90) at step 26, ten 5-bit characters and an eleventh '0' (Redis keeps
 * 52 bits, the API promises 11 characters).
 */
export function standardGeohash(score: number): string {
  const [lon, lat] = decodeGeohash(score);
  const cell = encodeCell(LONG_RANGE, STANDARD_LAT_RANGE, lon, lat, GEO_STEP_MAX);
  if (cell === null) throw new RangeError(`standardGeohash: ${lon},${lat} out of range`);
  const [hi, lo] = interleaveWords(cell.lat, cell.lon);
  // Character i is bits 51-5i .. 47-5i: the shifts (47, 42 ... 2) never straddle the two words.
  let out = '';
  for (let i = 0; i < 10; i++) {
    const shift = 52 - (i + 1) * 5;
    out += ALPHABET[shift >= 32 ? (hi >>> (shift - 32)) & 0x1f : (lo >>> shift) & 0x1f];
  }
  return out + '0';
}

/** The cell moved by dlon and dlat (geohash_move_x / _y): the index wraps around at the step's size. */
function moved(cell: GeoCell, dlon: number, dlat: number): GeoCell {
  const size = 2 ** cell.step;
  const lon = dlon === 0 ? cell.lon : (((cell.lon + dlon) % size) + size) % size;
  const lat = dlat === 0 ? cell.lat : (((cell.lat + dlat) % size) + size) % size;
  return { lat, lon, step: cell.step };
}

/** geohashNeighbors' eight cells. */
export interface GeoNeighbours {
  north: GeoCell | null;
  south: GeoCell | null;
  east: GeoCell | null;
  west: GeoCell | null;
  northEast: GeoCell | null;
  northWest: GeoCell | null;
  southEast: GeoCell | null;
  southWest: GeoCell | null;
}

export function neighbours(cell: GeoCell): GeoNeighbours {
  return {
    east: moved(cell, 1, 0),
    west: moved(cell, -1, 0),
    south: moved(cell, 0, -1),
    north: moved(cell, 0, 1),
    northWest: moved(cell, -1, 1),
    southWest: moved(cell, -1, -1),
    northEast: moved(cell, 1, 1),
    southEast: moved(cell, 1, -1),
  };
}
