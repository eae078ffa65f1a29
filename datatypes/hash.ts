// datatypes/hash.ts — a hash's pure parts apart from its commands (as Redis's
// t_hash.c hashType*): the bytes of one field's value in its element record,
// the per-replica summary record (live field count, next insertion number,
// whether the hash has turned into a hashtable), and Redis's encoding rule
// (listpack while small, hashtable for good once past either limit). The
// storage itself is cluster/replica/hash-replica.ts. Pure.
//
// Element value: insertion number varint, then the field's value bytes. The
// insertion number orders the fields as Redis's listpack does (a new field
// goes last, an overwrite keeps its place), so HGETALL, HKEYS, HVALS and
// HSCAN of a small hash answer in redis-server's order.
// Summary: count varint, next insertion number varint, flags u8 (bit 0:
// hashtable), synced length varint + bytes (the header's clock, as the
// cluster encodes it, when this replica last knew it held every field the
// header's writes made; empty: not known).
import { ByteCursor, varintSize, writeVarint } from './varint';

export interface FieldValue {
  /** The field's insertion number: fields list in ascending order. */
  readonly seq: number;
  readonly value: Buffer;
}

export function encodeFieldValue(seq: number, value: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(varintSize(seq) + value.length);
  value.copy(bytes, writeVarint(bytes, 0, seq));
  return bytes;
}

/** The value is a view into bytes. Throws RangeError on bytes encodeFieldValue did not make. */
export function decodeFieldValue(bytes: Buffer): FieldValue {
  const cursor = new ByteCursor(bytes);
  const seq = cursor.varint('hash field insertion number');
  return { seq, value: bytes.subarray(cursor.offset) };
}

export interface HashSummary {
  /** Live fields on this replica. */
  count: number;
  /** The insertion number the next new field gets. */
  nextSeq: number;
  /** Redis converts a listpack to a hashtable once, for the key's life. */
  hashtable: boolean;
  /** The header clock this replica's fields are known complete for ('' when not known): a cluster's catch-up trigger. */
  synced: string;
}

/** A hash's summary before its first field. */
export function newHashSummary(): HashSummary {
  return { count: 0, nextSeq: 1, hashtable: false, synced: '' };
}

export function encodeHashSummary(s: HashSummary): Buffer {
  const synced = Buffer.byteLength(s.synced, 'latin1');
  const bytes = Buffer.allocUnsafe(varintSize(s.count) + varintSize(s.nextSeq) + 1 + varintSize(synced) + synced);
  let offset = writeVarint(bytes, writeVarint(bytes, 0, s.count), s.nextSeq);
  bytes[offset++] = s.hashtable ? 1 : 0;
  offset = writeVarint(bytes, offset, synced);
  bytes.write(s.synced, offset, 'latin1');
  return bytes;
}

export function decodeHashSummary(bytes: Buffer): HashSummary {
  const cursor = new ByteCursor(bytes);
  const count = cursor.varint('hash summary count');
  const nextSeq = cursor.varint('hash summary next insertion number');
  const flags = cursor.bytesOf('hash summary flags', 1)[0];
  const synced = cursor.bytesOf('hash summary synced clock', cursor.varint('hash summary synced length')).toString('latin1');
  cursor.end('hash summary');
  if (flags > 1) throw new RangeError(`hash summary: unknown flags ${flags}`);
  return { count, nextSeq, hashtable: flags === 1, synced };
}

/** Redis's hash-max-listpack-entries and hash-max-listpack-value. */
export interface ListpackLimits {
  readonly entries: number;
  readonly value: number;
}

/** Whether a write of these field and value bytes turns a listpack hash into a hashtable (hashTypeTryConversion). */
export function exceedsListpackValue(limits: ListpackLimits, field: Buffer, value: Buffer): boolean {
  return field.length > limits.value || value.length > limits.value;
}

/** What OBJECT ENCODING answers. */
export function hashEncoding(summary: HashSummary): 'listpack' | 'hashtable' {
  return summary.hashtable ? 'hashtable' : 'listpack';
}
