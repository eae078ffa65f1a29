// datatypes/geohash-helpers.ts — the search side of Redis 7.0's geo
// (geohash_helper.c): the haversine distance, whether a point is in a circle
// or an axis-aligned box around a centre, the step a search's size calls for,
// the search's bounding box, and the nine cells (centre and neighbours, those
// that cannot hold a match left out) whose score ranges a search walks. Same
// operations in the same order as the C code, so the cells, and with them the
// results and their order, are redis-server's. The trigonometry is the C
// library's, as redis-server's (native/geo-math.cc): V8's differs in the
// last bit for a few percent of arguments. Pure.
import path from 'node:path';
import { decodeArea, encodeWGS84, neighbours, type GeoCell, type GeoNeighbours } from './geohash';

interface GeoMath {
  /** Redis's geohashGetDistance, through libm. */
  distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number;
  /** out[i]: the distance from (lon, lat) to the point coords[2i], coords[2i + 1], for i < count. */
  radiusDistances(lon: number, lat: number, coords: Float64Array, count: number, out: Float64Array): void;
  /** out[3i], out[3i + 1], out[3i + 2]: the point's north-south and east-west distances from (lon, lat), and its distance. */
  boxDistances(lon: number, lat: number, coords: Float64Array, count: number, out: Float64Array): void;
  cos(x: number): number;
}

const libm = require(path.join(__dirname, '..', '..', 'build', 'Release', 'dynkv_geo.node')) as GeoMath;

/** Earth's quadratic mean radius for WGS-84, as Redis. */
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

/** A search's area: a circle of `radius` or a `width` x `height` box, in the unit `conversion` converts to meters. */
export type GeoShape =
  | { readonly kind: 'radius'; readonly lon: number; readonly lat: number; readonly conversion: number; readonly radius: number }
  | { readonly kind: 'box'; readonly lon: number; readonly lat: number; readonly conversion: number; readonly width: number; readonly height: number };

/** geohashGetDistance: the haversine great-circle distance in meters (the latitude arc for equal longitudes). */
export const geoDistance: (lon1d: number, lat1d: number, lon2d: number, lat2d: number) => number = libm.distance;

/** The shape's half height in meters (a circle's radius). */
function halfHeight(shape: GeoShape): number {
  return shape.kind === 'radius' ? shape.radius * shape.conversion : (shape.height * shape.conversion) / 2;
}

/**
 * False when the point is certainly outside the shape: its latitude alone
 * puts it farther than the half height from the centre (a distance is at
 * least the north-south arc, a box's north-south distance is that arc; a
 * margin of 1e-9 covers rounding). Saves a search the distances of most
 * points in its cells. Near the centre's antipode (where Redis's distance
 * can come out NaN, and NaN is "inside") nothing is ruled out.
 */
export function mayBeWithin(shape: GeoShape, lon: number, lat: number): boolean {
  if (EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat) - degRad(shape.lat)) <= halfHeight(shape) * (1 + 1e-9)) return true;
  const dLon = Math.abs(lon - shape.lon);
  return shape.kind === 'radius' && dLon > 179 && dLon < 181;
}

let boxOut = new Float64Array(768);

/**
 * geoWithinShape for count points (coords: longitude, latitude pairs):
 * dists[i] = the point's distance in meters from the shape's centre when it
 * is inside the shape, -1 when it is not. A box is Redis 7.0.15's
 * geohashGetDistanceIfInRectangle: the north-south (the latitude arc) and
 * east-west distances from the centre against the half height and width.
 */
export function distancesIfWithin(shape: GeoShape, coords: Float64Array, count: number, dists: Float64Array): void {
  if (shape.kind === 'radius') {
    libm.radiusDistances(shape.lon, shape.lat, coords, count, dists);
    const radius = shape.radius * shape.conversion;
    for (let i = 0; i < count; i++) if (dists[i] > radius) dists[i] = -1;
    return;
  }
  if (boxOut.length < 3 * count) boxOut = new Float64Array(6 * count);
  libm.boxDistances(shape.lon, shape.lat, coords, count, boxOut);
  const halfWidth = (shape.width * shape.conversion) / 2;
  const half = halfHeight(shape);
  for (let i = 0; i < count; i++) dists[i] = boxOut[3 * i] > half || boxOut[3 * i + 1] > halfWidth ? -1 : boxOut[3 * i + 2];
}

/** geohashEstimateStepsByRadius: the bits per axis whose cells are about the search's size. */
export function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [min lon, min lat, max lon, max lat] of the shape. */
export function boundingBox(shape: GeoShape): [number, number, number, number] {
  const height = shape.conversion * (shape.kind === 'radius' ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.kind === 'radius' ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / libm.cos(degRad(shape.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / libm.cos(degRad(shape.lat - latDelta)));
  const southern = shape.lat < 0;
  return [
    southern ? shape.lon - lonDeltaBottom : shape.lon - lonDeltaTop,
    shape.lat - latDelta,
    southern ? shape.lon + lonDeltaBottom : shape.lon + lonDeltaTop,
    shape.lat + latDelta,
  ];
}

/**
 * geohashCalculateAreasByShapeWGS84, then membersOfAllNeighbors' order: the
 * cells to search, centre first, then north, south, east, west, north-east,
 * north-west, south-east, south-west; null for a neighbour left out.
 */
export function searchCells(shape: GeoShape): (GeoCell | null)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  let radiusMeters = shape.kind === 'radius' ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  radiusMeters *= shape.conversion;
  let steps = estimateSteps(radiusMeters, shape.lat);
  let cell = encodeAt(shape, steps);
  let n: GeoNeighbours = neighbours(cell);
  let area = decodeArea(cell);
  // One step coarser when a side's neighbour does not reach the bounding box.
  const north = decodeArea(n.north as GeoCell);
  const south = decodeArea(n.south as GeoCell);
  const east = decodeArea(n.east as GeoCell);
  const west = decodeArea(n.west as GeoCell);
  const decrease = north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon;
  if (steps > 1 && decrease) {
    steps--;
    cell = encodeAt(shape, steps);
    n = neighbours(cell);
    area = decodeArea(cell);
  }
  if (steps >= 2) {
    if (area.latMin < minLat) n.south = n.southWest = n.southEast = null;
    if (area.latMax > maxLat) n.north = n.northEast = n.northWest = null;
    if (area.lonMin < minLon) n.west = n.southWest = n.northWest = null;
    if (area.lonMax > maxLon) n.east = n.southEast = n.northEast = null;
  }
  return [cell, n.north, n.south, n.east, n.west, n.northEast, n.northWest, n.southEast, n.southWest];
}

function encodeAt(shape: GeoShape, steps: number): GeoCell {
  const cell = encodeWGS84(shape.lon, shape.lat, steps);
  if (cell === null) throw new RangeError(`searchCells: centre ${shape.lon},${shape.lat} outside the Mercator square`);
  return cell;
}
