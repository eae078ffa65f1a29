// datatypes/rdb/payload.ts — DUMP's serialization (Redis's RDB object
// format, version 10 as redis-server 7.0 writes it) of one value, and its
// reading for RESTORE: type byte, the object, then the RDB version u16 LE
// and the CRC-64 (crc64.ts) of everything before, LE. Strings are written as
// Redis's rdbSaveRawString does (an int32 as an 8/16/32-bit integer, longer
// than 20 bytes LZF-compressed when that saves at least 4 bytes and
// rdbcompression is on); small collections as their listpack or intset
// blob, big ones as plain element lists, so redis-server restores what dynkv
// dumps and, with rdbcompression off, the bytes are redis-server's for the
// same small hash. Reads every type Redis 7.0 writes (listpack, intset,
// quicklist 2, plain); the ziplist types of older versions are refused. Pure.
import { string2ll } from '../int64';
import { crc64 } from './crc64';
import { decodeIntset, encodeIntset } from './intset';
import { decodeListpack, encodeListpack } from './listpack';
import { lzfCompress, lzfDecompress } from './lzf';

export const RDB_VERSION = 10;

const T = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
  zset2: 5,
  setIntset: 11,
  hashListpack: 16,
  zsetListpack: 17,
  listQuicklist2: 18,
} as const;

/** One value as DUMP carries it. Elements in the order the payload lists them. */
export type RdbValue =
  | { readonly type: 'string'; readonly value: Buffer }
  | { readonly type: 'hash'; readonly pairs: readonly Buffer[]; readonly compact: boolean }
  | { readonly type: 'set'; readonly members: readonly Buffer[]; readonly compact: boolean }
  | { readonly type: 'zset'; readonly entries: readonly { member: Buffer; score: number }[]; readonly compact: boolean }
  | { readonly type: 'list'; readonly items: readonly Buffer[] };

/** Why a payload does not load (RESTORE answers ERR Bad data format). */
export class BadPayloadError extends Error {}

class Writer {
  private readonly parts: Buffer[] = [];

  constructor(private readonly compress: boolean) {}

  byte(b: number): void {
    this.parts.push(Buffer.from([b]));
  }

  length(n: number): void {
    if (n < 64) this.byte(n);
    else if (n < 16384) this.parts.push(Buffer.from([0x40 | (n >> 8), n & 0xff]));
    else {
      const b = Buffer.allocUnsafe(5);
      b[0] = 0x80;
      b.writeUInt32BE(n, 1);
      this.parts.push(b);
    }
  }

  string(s: Buffer): void {
    if (s.length <= 11) {
      const n = string2ll(s);
      if (n !== null && n >= -2147483648 && n <= 2147483647) {
        const v = Number(n);
        if (v >= -128 && v <= 127) this.parts.push(Buffer.from([0xc0, v & 0xff]));
        else if (v >= -32768 && v <= 32767) {
          const b = Buffer.allocUnsafe(3);
          b[0] = 0xc1;
          b.writeInt16LE(v, 1);
          this.parts.push(b);
        } else {
          const b = Buffer.allocUnsafe(5);
          b[0] = 0xc2;
          b.writeInt32LE(v, 1);
          this.parts.push(b);
        }
        return;
      }
    }
    if (this.compress && s.length > 20) {
      const packed = lzfCompress(s, s.length - 4);
      if (packed !== null) {
        this.byte(0xc3);
        this.length(packed.length);
        this.length(s.length);
        this.parts.push(packed);
        return;
      }
    }
    this.length(s.length);
    this.parts.push(s);
  }

  double(d: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(d, 0);
    this.parts.push(b);
  }

  finish(): Buffer {
    const footer = Buffer.allocUnsafe(2);
    footer.writeUInt16LE(RDB_VERSION, 0);
    this.parts.push(footer);
    const body = Buffer.concat(this.parts);
    return Buffer.concat([body, crc64(body)]);
  }
}

/** C's printf("%.17g", d) for a finite, non-zero d. */
function g17(d: number): string {
  const [mantissa, exp] = d.toExponential(16).split('e');
  const x = Number(exp);
  const strip = (t: string): string => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (x < -4 || x >= 17) return `${strip(mantissa)}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  return strip(d.toFixed(16 - x));
}

/** What Redis 7.0's listpack stores for a score (d2string): an integral one within 2^52 as an integer, else %.17g. */
function scoreText(score: number): Buffer {
  let text: string;
  if (Number.isNaN(score)) text = 'nan';
  else if (score === Infinity) text = 'inf';
  else if (score === -Infinity) text = '-inf';
  else if (score === 0) text = Object.is(score, -0) ? '-0' : '0';
  else if (score > -4503599627370495 && score < 4503599627370496 && Number.isInteger(score)) text = String(score);
  else text = g17(score);
  return Buffer.from(text, 'latin1');
}

/** DUMP's payload of the value; compress: rdbcompression. */
export function dumpPayload(value: RdbValue, compress: boolean): Buffer {
  const w = new Writer(compress);
  switch (value.type) {
    case 'string':
      w.byte(T.string);
      w.string(value.value);
      break;
    case 'hash':
      if (value.compact) {
        w.byte(T.hashListpack);
        w.string(encodeListpack(value.pairs));
      } else {
        w.byte(T.hash);
        w.length(value.pairs.length / 2);
        for (const p of value.pairs) w.string(p);
      }
      break;
    case 'set':
      if (value.compact) {
        w.byte(T.setIntset);
        w.string(encodeIntset(value.members.map((m) => BigInt(m.toString('latin1')))));
      } else {
        w.byte(T.set);
        w.length(value.members.length);
        for (const m of value.members) w.string(m);
      }
      break;
    case 'zset':
      if (value.compact) {
        w.byte(T.zsetListpack);
        w.string(encodeListpack(value.entries.flatMap((e) => [e.member, scoreText(e.score)])));
      } else {
        w.byte(T.zset2);
        w.length(value.entries.length);
        for (const e of value.entries) {
          w.string(e.member);
          w.double(e.score);
        }
      }
      break;
    case 'list':
      // One packed quicklist node per listpack of at most 128 items (Redis splits by list-max-listpack-size; any split loads).
      w.byte(T.listQuicklist2);
      w.length(Math.ceil(value.items.length / 128));
      for (let i = 0; i < value.items.length; i += 128) {
        w.length(2);
        w.string(encodeListpack(value.items.slice(i, i + 128)));
      }
      break;
  }
  return w.finish();
}

/** Whether the payload's footer holds a version this build reads and a CRC that matches (Redis's verifyDumpPayload). */
export function verifyPayload(payload: Buffer): boolean {
  if (payload.length < 10) return false;
  const version = payload.readUInt16LE(payload.length - 10);
  if (version > RDB_VERSION) return false;
  return crc64(payload, 0, payload.length - 8).equals(payload.subarray(payload.length - 8));
}

class Reader {
  private p = 0;

  constructor(private readonly bytes: Buffer, private readonly end: number) {}

  private fail(what: string): never {
    throw new BadPayloadError(`${what} at byte ${this.p}`);
  }

  byte(): number {
    if (this.p >= this.end) this.fail('payload ends');
    return this.bytes[this.p++];
  }

  private take(n: number): Buffer {
    if (n < 0 || this.p + n > this.end) this.fail('payload ends');
    const out = this.bytes.subarray(this.p, this.p + n);
    this.p += n;
    return out;
  }

  /** A length, or the special encoding (-1 - code) of a string. */
  private lengthOrSpecial(): number {
    const b = this.byte();
    const kind = b >> 6;
    if (kind === 0) return b & 0x3f;
    if (kind === 1) return ((b & 0x3f) << 8) | this.byte();
    if (kind === 3) return -1 - (b & 0x3f);
    if (b === 0x80) return this.take(4).readUInt32BE(0);
    if (b === 0x81) {
      const n = this.take(8).readBigUInt64BE(0);
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('length too big');
      return Number(n);
    }
    return this.fail(`bad length byte ${b}`);
  }

  length(): number {
    const n = this.lengthOrSpecial();
    if (n < 0) this.fail('a string encoding where a length belongs');
    return n;
  }

  string(): Buffer {
    const n = this.lengthOrSpecial();
    if (n >= 0) return this.take(n);
    const code = -1 - n;
    if (code === 0) return Buffer.from(String(this.take(1).readInt8(0)), 'latin1');
    if (code === 1) return Buffer.from(String(this.take(2).readInt16LE(0)), 'latin1');
    if (code === 2) return Buffer.from(String(this.take(4).readInt32LE(0)), 'latin1');
    if (code === 3) {
      const clen = this.length();
      const len = this.length();
      const out = lzfDecompress(this.take(clen), len);
      if (out === null) this.fail('corrupt LZF string');
      return out;
    }
    return this.fail(`unknown string encoding ${code}`);
  }

  /** The old ZSET type's score: a length byte (253 NaN, 254 +inf, 255 -inf) and text. */
  textDouble(): number {
    const len = this.byte();
    if (len === 253) return NaN;
    if (len === 254) return Infinity;
    if (len === 255) return -Infinity;
    const d = Number(this.take(len).toString('latin1'));
    if (Number.isNaN(d)) this.fail('bad score');
    return d;
  }

  binaryDouble(): number {
    return this.take(8).readDoubleLE(0);
  }
}

function listpackOf(r: Reader, what: string): Buffer[] {
  const elements = decodeListpack(r.string());
  if (elements === null || elements.length === 0) throw new BadPayloadError(`corrupt ${what} listpack`);
  return elements;
}

/** A score a listpack holds as text, as strtod reads it (inf, -inf, +inf, nan too). */
function score(text: Buffer): number {
  const t = text.toString('latin1').toLowerCase();
  const d = /^[+-]?(inf|infinity)$/.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : t === 'nan' ? NaN : Number(t);
  if (Number.isNaN(d) && t !== 'nan') throw new BadPayloadError('bad score in a sorted set listpack');
  return d;
}

/** The value a verified payload holds; BadPayloadError when it does not load. */
export function readPayload(payload: Buffer): RdbValue {
  // As Redis's rioInitWithBuffer over the whole payload: the value may run into the footer's bytes (redis-server restores such a payload).
  const r = new Reader(payload, payload.length);
  const type = r.byte();
  let value: RdbValue;
  switch (type) {
    case T.string:
      value = { type: 'string', value: r.string() };
      break;
    case T.list: {
      const items: Buffer[] = [];
      for (let n = r.length(); n > 0; n--) items.push(r.string());
      value = { type: 'list', items };
      break;
    }
    case T.set: {
      const members: Buffer[] = [];
      for (let n = r.length(); n > 0; n--) members.push(r.string());
      value = { type: 'set', members, compact: false };
      break;
    }
    case T.zset:
    case T.zset2: {
      const entries: { member: Buffer; score: number }[] = [];
      for (let n = r.length(); n > 0; n--) {
        const member = r.string();
        entries.push({ member, score: type === T.zset ? r.textDouble() : r.binaryDouble() });
      }
      value = { type: 'zset', entries, compact: false };
      break;
    }
    case T.hash: {
      const pairs: Buffer[] = [];
      for (let n = r.length(); n > 0; n--) pairs.push(r.string(), r.string());
      value = { type: 'hash', pairs, compact: false };
      break;
    }
    case T.setIntset: {
      const members = decodeIntset(r.string());
      if (members === null) throw new BadPayloadError('corrupt intset');
      value = { type: 'set', members, compact: true };
      break;
    }
    case T.hashListpack: {
      const pairs = listpackOf(r, 'hash');
      if (pairs.length % 2 !== 0) throw new BadPayloadError('a hash listpack with an odd count');
      value = { type: 'hash', pairs, compact: true };
      break;
    }
    case T.zsetListpack: {
      const flat = listpackOf(r, 'sorted set');
      if (flat.length % 2 !== 0) throw new BadPayloadError('a sorted set listpack with an odd count');
      const entries: { member: Buffer; score: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) entries.push({ member: flat[i], score: score(flat[i + 1]) });
      value = { type: 'zset', entries, compact: true };
      break;
    }
    case T.listQuicklist2: {
      const items: Buffer[] = [];
      for (let nodes = r.length(); nodes > 0; nodes--) {
        const container = r.length();
        if (container === 1) items.push(r.string());
        else if (container === 2) items.push(...listpackOf(r, 'list'));
        else throw new BadPayloadError(`unknown quicklist container ${container}`);
      }
      value = { type: 'list', items };
      break;
    }
    default:
      throw new BadPayloadError(`type ${type} is not one this build restores`);
  }
  // Redis refuses an empty collection (RDB_LOAD_ERR_EMPTY_KEY).
  const size = value.type === 'string' ? 1 : value.type === 'hash' ? value.pairs.length : value.type === 'set' ? value.members.length : value.type === 'zset' ? value.entries.length : value.items.length;
  if (size === 0) throw new BadPayloadError('an empty collection');
  return value;
}
