// datatypes/types.ts — the type tag every value carries: Redis's
// redisObject.type, with Redis's own numbers (OBJ_STRING 0 ... OBJ_HASH 4),
// so a tag means the same in dynkv's records as in an RDB/DUMP payload. The
// version layer (cluster/versions/) stores the tag with each sibling;
// WRONGTYPE and TYPE follow from it. Pure.

export const DataType = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
  /** Internal, not a Redis type (tags from 16 up): a PN-counter (counter.ts) that every command sees as a string. */
  counter: 16,
  /** Internal: a hash field's PN-counter (hash-counter.ts, HINCRBY in a cluster), tagged on the field's element record. */
  fieldCounter: 17,
  /** Internal: a HyperLogLog written by PFADD/PFMERGE in a cluster (hyperloglog-join.ts), read as its string bytes. */
  hll: 18,
} as const;

export type DataType = (typeof DataType)[keyof typeof DataType];

const NAMES: readonly string[] = ['string', 'list', 'set', 'zset', 'hash'];

/** The Redis type a tag's value reads as (redisObject.type): an internal tag's, else the tag. */
export function redisType(type: number): number {
  return type >= DataType.counter ? DataType.string : type;
}

/** What TYPE answers for a tag. */
export function typeName(type: number): string {
  const name = NAMES[redisType(type)];
  if (name === undefined) throw new RangeError(`type tag ${type} is not a known data type`);
  return name;
}

/** A tag this build knows (a record's byte is checked against it). */
export function isDataType(type: number): type is DataType {
  return Number.isInteger(type) && ((type >= 0 && type < NAMES.length) || (type >= DataType.counter && type <= DataType.hll));
}

/** The types stored as a header plus one element record per element (datatypes/README.md): every type but string. */
export function isCollection(type: number): boolean {
  return type === DataType.hash || type === DataType.set || type === DataType.zset || type === DataType.list;
}
