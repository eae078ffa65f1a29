// datatypes/memory-usage.ts — MEMORY USAGE's figure: the bytes redis-server 7.0
// (64-bit, jemalloc) would take for the same contents, by its
// objectComputeSize model: robj 16 bytes, sds headers by length, jemalloc's
// size classes, a listpack's or intset's blob, a dict's table (its size a
// power of two grown by inserts) and entries, a skiplist's nodes (random
// levels, taken at their expected size; a table mid-rehash counted as Redis
// counts it), a quicklist's nodes of up to
// list-max-listpack-size, averaged over `samples` elements or nodes as Redis
// samples them, plus the key's sds and its dictEntry. Pure: the caller reads
// the value.
import { encodeIntset } from './rdb/intset';
import { encodeListpack, listpackEntryBytes } from './rdb/listpack';
import { string2ll } from './int64';
import { listpackScoreText } from './zset';

const ROBJ = 16;
const DICT_ENTRY = 24;
/** sizeof(dict) in 7.0: type, two tables, two used counts, rehashidx, pauserehash, two size exponents. */
const DICT = 56;
const QUICKLIST = 40;
const QUICKLIST_NODE = 40;
/** sizeof(zset) + sizeof(zskiplist). */
const ZSET_HEADERS = 16 + 32;
/** zmalloc_size of the skiplist's header node: 24 bytes and 32 levels of 16. */
const ZSL_HEADER_LEVELS = 32;
/** Strings this long or shorter are one allocation with their robj (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_LIMIT = 44;
/** An empty listpack: 6 header bytes and the end byte. */
const LP_EMPTY = 7;
/** quicklist's per-insert estimate and its safety limit on a node's bytes. */
const SIZE_ESTIMATE_OVERHEAD = 8;
const SIZE_SAFETY_LIMIT = 8192;
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];

/** jemalloc's usable size for a request of n bytes (its size classes: 8, then 16-byte steps to 128, then four per doubling). */
export function allocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return Math.ceil(n / 16) * 16;
  let k = 7;
  while (2 ** (k + 1) < n) k++;
  const spacing = 2 ** (k - 2);
  return Math.ceil(n / spacing) * spacing;
}

/** An sds of len bytes made to measure (sdsnewlen): its header by length, the bytes, the NUL. */
export function sdsSize(len: number): number {
  const header = len < 32 ? (len === 0 ? 3 : 1) : len < 256 ? 3 : len < 65536 ? 5 : len < 2 ** 32 ? 9 : 17;
  return allocSize(header + len + 1);
}

/** A string value as SET leaves it: an int (len <= 20, string2l), an embstr, or a raw sds with its robj. */
export function stringSize(value: Buffer): number {
  if (value.length <= 20 && string2ll(value) !== null) return ROBJ;
  if (value.length <= EMBSTR_LIMIT) return allocSize(ROBJ + 3 + value.length + 1);
  return ROBJ + sdsSize(value.length);
}

/** The key's own cost in the keyspace: its sds and its dictEntry. */
export function keySize(key: Buffer): number {
  return sdsSize(key.length) + DICT_ENTRY;
}

/** Old buckets a rehash step empties on average: those holding entries, 1 - 1/e of a table as full as it has slots. */
const FILLED_BUCKETS = 1 - Math.exp(-1);

/**
 * Buckets of a dict holding n entries, inserted one at a time into a table
 * made for `presized` entries (0: the initial 4); each insert into a full
 * table doubles it, and the old table stays, counted, until the inserts
 * after it have rehashed each of its filled buckets (one per insert).
 */
export function dictSlots(n: number, presized = 0): number {
  let size = 4;
  while (size < presized) size *= 2;
  let old = 0;
  while (size < n) {
    old = size;
    size *= 2;
  }
  const rehashed = old === 0 || n - old - 1 >= FILLED_BUCKETS * old;
  return rehashed ? size : size + old;
}

/** The size of a dict-encoded collection: headers, table, and the sampled entries' mean cost times n (size_t arithmetic). */
function dictBased(headers: number, n: number, presized: number, sampled: readonly number[]): number {
  const base = headers + 8 * dictSlots(n, presized);
  if (sampled.length === 0) return base;
  const mean = sampled.reduce((a, b) => a + b, 0) / sampled.length;
  return Math.floor(base + mean * n);
}

/** A set kept as an intset: its blob (8 header bytes, every member at the widest member's width). */
export function intsetSize(members: readonly Buffer[]): number {
  return ROBJ + allocSize(encodeIntset(members.map((m) => BigInt(m.toString('latin1')))).length);
}

/**
 * A set kept as a hashtable of n members, from a sample of them. One past
 * set-max-intset-entries whose sample is all integers is taken as grown
 * from an intset (its dict made for all of them at once).
 */
export function hashtableSetSize(n: number, sample: readonly Buffer[], maxIntset: number): number {
  const fromIntset = n > maxIntset && sample.every((m) => m.length <= 20 && string2ll(m) !== null);
  return dictBased(ROBJ + DICT, n, fromIntset ? maxIntset + 1 : 0, sample.map((m) => DICT_ENTRY + sdsSize(m.length)));
}

/** A hash or sorted set kept as a listpack of these elements (field, value, ...; member, score text, ...). */
export function listpackSize(elements: readonly Buffer[]): number {
  return ROBJ + allocSize(encodeListpack(elements).length);
}

/** A sorted set's listpack elements: member, then the score as Redis's d2string writes it. */
export function zsetListpackElements(entries: readonly { member: Buffer; score: number }[]): Buffer[] {
  return entries.flatMap((e) => [e.member, Buffer.from(listpackScoreText(e.score), 'latin1')]);
}

/** A hash kept as a hashtable of n fields, from a sample; one past hash-max-listpack-entries is taken as converted from a listpack then (its dict made for all of them). */
export function hashtableHashSize(n: number, sample: readonly { field: Buffer; value: Buffer }[], maxListpack: number): number {
  return dictBased(ROBJ + DICT, n, n > maxListpack ? maxListpack + 1 : 0, sample.map((e) => sdsSize(e.field.length) + sdsSize(e.value.length) + DICT_ENTRY));
}

/** A skiplist node's expected zmalloc_size: 24 bytes and 16 per level, levels geometric with p = 1/4 (zslRandomLevel), at most 32. */
const EXPECTED_ZSL_NODE = ((): number => {
  let sum = 0;
  for (let level = 1; level <= 32; level++) {
    const p = level < 32 ? 0.75 * 0.25 ** (level - 1) : 0.25 ** 31;
    sum += p * allocSize(24 + 16 * level);
  }
  return sum;
})();

/** A sorted set kept as a skiplist and dict of n members, from a sample of its members. */
export function skiplistSize(n: number, sample: readonly Buffer[]): number {
  const headers = ROBJ + ZSET_HEADERS + DICT + allocSize(24 + 16 * ZSL_HEADER_LEVELS);
  return dictBased(headers, n, 0, sample.map((m) => sdsSize(m.length) + DICT_ENTRY + EXPECTED_ZSL_NODE));
}

/** Whether a quicklist node of `bytes` holding `count` items takes one more item of `len` bytes (_quicklistNodeAllowInsert). */
function nodeTakes(fill: number, bytes: number, count: number, len: number): boolean {
  const next = bytes + len + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) return next <= (OPTIMIZATION_LEVEL[Math.min(-fill - 1, OPTIMIZATION_LEVEL.length - 1)] ?? SIZE_SAFETY_LIMIT);
  if (next > SIZE_SAFETY_LIMIT) return false;
  return count < fill;
}

/**
 * Packs items into quicklist nodes as RPUSH does, under list-max-listpack-size `fill`, and sizes a list from it.
 * `next()` gives the items head first (null at the end); the packing stops once `samples` nodes are
 * complete (0: never), and the nodes past them are counted at the sampled nodes' mean items per node.
 */
export class QuicklistModel {
  private readonly sampled: number[] = [];
  private nodeBytes = 0;
  private nodeCount = 0;
  private itemsInSampled = 0;
  private open = false;

  constructor(
    private readonly fill: number,
    private readonly samples: number,
  ) {}

  /** Adds the next item; false once `samples` nodes are complete (the item starts a node past them). */
  add(item: Buffer): boolean {
    if (this.open && nodeTakes(this.fill, this.nodeBytes, this.nodeCount, item.length)) {
      this.nodeBytes += listpackEntryBytes(item);
      this.nodeCount++;
      return true;
    }
    if (this.open) this.close();
    if (this.samples > 0 && this.sampled.length >= this.samples) return false;
    this.open = true;
    this.nodeBytes = LP_EMPTY + listpackEntryBytes(item);
    this.nodeCount = 1;
    return true;
  }

  private close(): void {
    this.sampled.push(QUICKLIST_NODE + allocSize(this.nodeBytes));
    this.itemsInSampled += this.nodeCount;
    this.open = false;
  }

  /** The list's size, given its length. */
  size(length: number): number {
    if (this.open) this.close();
    const base = ROBJ + QUICKLIST;
    if (this.sampled.length === 0) return base;
    const rest = length - this.itemsInSampled;
    const nodes = this.sampled.length + (rest > 0 ? Math.ceil(rest / (this.itemsInSampled / this.sampled.length)) : 0);
    const mean = this.sampled.reduce((a, b) => a + b, 0) / this.sampled.length;
    return Math.floor(base + mean * nodes);
  }
}
