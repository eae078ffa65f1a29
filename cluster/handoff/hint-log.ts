// cluster/handoff/hint-log.ts — one target node's hints on disk: an append-only,
// checksummed log file (DIR/hints/<target>.log) and the offset up to which
// the target has acked them (<target>.head). It survives a restart of the
// node holding it: an open scans the file, truncates a torn tail with a
// warning, and names a corrupt record (file and offset) before skipping it.
// It knows nothing of the network: hint-queue.ts reads hints from it and
// moves its head as the target acks them.
//
// Format (little-endian):
//   header  "DKHINT1\n" (8 bytes), generation (8 random bytes)
//   record  bodyLength u32, crc32(body) u32,
//           body: createdAt f64 (ms), db u32, keyLength u32, key, versions record
// db's top bits flag a collection's element record (bit 31: the key is an
// element key, replica/element-records.ts; bit 30: the collection has left
// its compact encoding), delivered by REPLICA.ELEMENT instead of
// REPLICA.APPLY; a log written before them has both clear.
// The head file holds "<generation hex> <offset>": an offset of another
// generation (the log was rewritten since) counts as the log's start, so a
// stale head can only make hints be sent twice (an APPLY is idempotent),
// never skipped. A log whose hints were all acked, or whose acked part is
// most of it, is rewritten with what is left under a new generation.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const MAGIC = Buffer.from('DKHINT1\n', 'latin1');
export const HEADER_LENGTH = 16;
const RECORD_HEADER = 8;
const BODY_FIXED = 16;
/** A value (512 MiB) with its key and versions fits; a larger length is a corrupt header. */
const MAX_BODY = 640 * 1024 * 1024;
/** A rewrite to drop acked hints while others are left waits until this many acked bytes lead the log. */
const COMPACT_MIN = 1024 * 1024;

const ELEMENT_BIT = 0x80000000;
const CONVERTED_BIT = 0x40000000;
const DB_MASK = 0x3fffffff;

/** A hint of a collection's element record: whether its collection left its compact encoding (Redis converts once). */
export interface ElementFlags {
  readonly converted: boolean;
}

/** One hint: a replica's versions record of a key (or element key) for the target, and where it sits in the log. */
export interface Hint {
  readonly offset: number;
  /** The offset of the next record. */
  readonly end: number;
  readonly createdAt: number;
  readonly db: number;
  /** Null for a key's record; else the key is an element key. */
  readonly element: ElementFlags | null;
  readonly key: Buffer;
  readonly record: Buffer;
}

/** What read() found at an offset. */
export type ReadResult =
  | { readonly kind: 'hint'; readonly hint: Hint }
  /** A record that fails its checksum: skipped (end is the next record). */
  | { readonly kind: 'corrupt'; readonly offset: number; readonly end: number }
  /** Nothing more before the log's end. */
  | { readonly kind: 'end' };

/** The file name of a target's log, without extension: its id with every character a file name may not hold escaped. */
export function targetFileName(target: string): string {
  return encodeURIComponent(target).replace(/[!'()*~.]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export class HintLog {
  private fd: number;
  private generation: Buffer;
  private size: number;
  private headOffset: number;
  private persistedHead: number;
  /** Valid hints from the head to the end. */
  private count: number;
  /** Offsets of records found corrupt by the open scan: already counted, skipped silently. */
  private readonly knownCorrupt = new Set<number>();
  private dirty = false;

  private constructor(
    readonly target: string,
    readonly file: string,
    private readonly headFile: string,
    private readonly warn: (message: string) => void,
    /** Hints the open dropped: corrupt records and unreadable tails. */
    readonly droppedAtOpen: number,
    state: { fd: number; generation: Buffer; size: number; head: number; count: number; corrupt: number[] },
  ) {
    this.fd = state.fd;
    this.generation = state.generation;
    this.size = state.size;
    this.headOffset = state.head;
    this.persistedHead = state.head;
    this.count = state.count;
    for (const offset of state.corrupt) this.knownCorrupt.add(offset);
  }

  /** Opens (or creates) the target's log in dir, checking every record. */
  static open(dir: string, target: string, warn: (message: string) => void): HintLog {
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, targetFileName(target));
    const file = `${base}.log`;
    const headFile = `${base}.head`;
    let fd: number;
    try {
      fd = fs.openSync(file, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return new HintLog(target, file, headFile, warn, 0, { ...freshLog(file), head: HEADER_LENGTH, count: 0, corrupt: [] });
    }
    const header = Buffer.alloc(HEADER_LENGTH);
    const got = fs.readSync(fd, header, 0, HEADER_LENGTH, 0);
    if (got < HEADER_LENGTH || !header.subarray(0, 8).equals(MAGIC)) {
      fs.closeSync(fd);
      const aside = `${file}.bad`;
      fs.renameSync(file, aside);
      warn(`hint log ${file}: no hint log header (${got} bytes read); moved to ${aside}, its hints are dropped`);
      return new HintLog(target, file, headFile, warn, got < HEADER_LENGTH ? 0 : 1, { ...freshLog(file), head: HEADER_LENGTH, count: 0, corrupt: [] });
    }
    const generation = Buffer.from(header.subarray(8, 16));
    const scan = scanLog(fd, file, warn);
    const head = readHead(headFile, generation, scan.boundaries, scan.size);
    const corrupt = new Set(scan.corrupt);
    const count = scan.boundaries.filter((b) => b >= head && !corrupt.has(b)).length;
    return new HintLog(target, file, headFile, warn, scan.dropped, { fd, generation, size: scan.size, head, count, corrupt: scan.corrupt.filter((c) => c >= head) });
  }

  /** Hints not yet acked (nor dropped). */
  get queued(): number {
    return this.count;
  }

  /** Bytes of hints not yet acked. */
  get bytes(): number {
    return this.size - this.headOffset;
  }

  /** The offset of the first hint not acked. */
  get head(): number {
    return this.headOffset;
  }

  /** The offset past the last hint. */
  get end(): number {
    return this.size;
  }

  /** Appends a hint; false, with nothing written, when it would take the log's unacked bytes past maxBytes. */
  append(createdAt: number, db: number, key: Buffer, record: Buffer, maxBytes: number, element: ElementFlags | null = null): boolean {
    const bodyLength = BODY_FIXED + key.length + record.length;
    const length = RECORD_HEADER + bodyLength;
    if (this.bytes + length > maxBytes) return false;
    const buf = Buffer.allocUnsafe(length);
    buf.writeUInt32LE(bodyLength, 0);
    buf.writeDoubleLE(createdAt, 8);
    buf.writeUInt32LE((db | (element === null ? 0 : ELEMENT_BIT) | (element?.converted === true ? CONVERTED_BIT : 0)) >>> 0, 16);
    buf.writeUInt32LE(key.length, 20);
    key.copy(buf, 24);
    record.copy(buf, 24 + key.length);
    buf.writeUInt32LE(zlib.crc32(buf.subarray(RECORD_HEADER)), 4);
    writeAll(this.fd, buf, this.size);
    this.size += length;
    this.count++;
    this.dirty = true;
    return true;
  }

  /** The record at offset (a record boundary at or past the head). */
  read(offset: number): ReadResult {
    if (offset >= this.size) return { kind: 'end' };
    const header = Buffer.allocUnsafe(RECORD_HEADER);
    readAll(this.fd, header, offset);
    const bodyLength = header.readUInt32LE(0);
    const end = offset + RECORD_HEADER + bodyLength;
    if (bodyLength < BODY_FIXED || end > this.size) {
      // The open checked every length: this one changed on disk since. Nothing after it can be found.
      this.warn(`hint log ${this.file}: corrupt record at offset ${offset} (length ${bodyLength}); the rest of the log, ${this.size - offset} bytes, is dropped`);
      return { kind: 'corrupt', offset, end: this.size };
    }
    const body = Buffer.allocUnsafe(bodyLength);
    readAll(this.fd, body, offset + RECORD_HEADER);
    const keyLength = body.readUInt32LE(12);
    if (zlib.crc32(body) !== header.readUInt32LE(4) || BODY_FIXED + keyLength > bodyLength) {
      if (!this.knownCorrupt.has(offset)) this.warn(`hint log ${this.file}: corrupt record at offset ${offset} (checksum mismatch); skipped`);
      return { kind: 'corrupt', offset, end };
    }
    const dbField = body.readUInt32LE(8);
    const hint: Hint = {
      offset,
      end,
      createdAt: body.readDoubleLE(0),
      db: dbField & DB_MASK,
      element: (dbField & ELEMENT_BIT) === 0 ? null : { converted: (dbField & CONVERTED_BIT) !== 0 },
      key: body.subarray(BODY_FIXED, BODY_FIXED + keyLength),
      record: body.subarray(BODY_FIXED + keyLength),
    };
    return { kind: 'hint', hint };
  }

  /**
   * Moves the head past the records up to `offset` (acked, expired or
   * corrupt); `hints` of them were counted in queued (a corrupt record the
   * open found was not).
   */
  advance(offset: number, hints: number): void {
    if (offset < this.headOffset || offset > this.size) throw new RangeError(`hint log ${this.file}: head ${offset} is outside ${this.headOffset}..${this.size}`);
    this.headOffset = offset;
    this.count -= hints;
    for (const c of this.knownCorrupt) if (c < offset) this.knownCorrupt.delete(c);
  }

  /** Whether the open scan found the record at offset corrupt (and counted it dropped already). */
  foundCorrupt(offset: number): boolean {
    return this.knownCorrupt.has(offset);
  }

  /** Makes every append durable (fdatasync), when any is not. */
  sync(): void {
    if (!this.dirty) return;
    fs.fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /** Saves the head (at most once per change): a restart resends from there. */
  saveHead(): void {
    if (this.headOffset === this.persistedHead) return;
    const tmp = `${this.headFile}.tmp`;
    fs.writeFileSync(tmp, `${this.generation.toString('hex')} ${this.headOffset}\n`);
    fs.renameSync(tmp, this.headFile);
    this.persistedHead = this.headOffset;
  }

  /**
   * Rewrites the log when the acked hints are all of it, or most of a large
   * one; true when it did (offsets changed: call only with no hint in flight).
   */
  compact(): boolean {
    const acked = this.headOffset - HEADER_LENGTH;
    if (acked === 0 || (this.headOffset !== this.size && (acked < COMPACT_MIN || acked <= this.size - this.headOffset))) return false;
    this.rewrite();
    return true;
  }

  /** A new generation holding only the unacked hints, put in place atomically (a crash leaves the old or the new log). */
  private rewrite(): void {
    const tmp = `${this.file}.tmp`;
    const fresh = freshLog(tmp);
    let from = this.headOffset;
    let to = HEADER_LENGTH;
    const chunk = Buffer.allocUnsafe(Math.min(COMPACT_MIN, Math.max(1, this.size - from)));
    while (from < this.size) {
      const n = Math.min(chunk.length, this.size - from);
      readAll(this.fd, chunk.subarray(0, n), from);
      writeAll(fresh.fd, chunk.subarray(0, n), to);
      from += n;
      to += n;
    }
    fs.fdatasyncSync(fresh.fd);
    fs.renameSync(tmp, this.file);
    syncDir(path.dirname(this.file));
    fs.closeSync(this.fd);
    const shift = this.headOffset - HEADER_LENGTH;
    const corrupt = [...this.knownCorrupt].map((c) => c - shift);
    this.knownCorrupt.clear();
    for (const c of corrupt) this.knownCorrupt.add(c);
    this.fd = fresh.fd;
    this.generation = fresh.generation;
    this.size = to;
    this.headOffset = HEADER_LENGTH;
    this.persistedHead = HEADER_LENGTH;
    this.dirty = false;
  }

  close(): void {
    this.sync();
    fs.closeSync(this.fd);
  }
}

/** A new, empty log file (truncating any at that path), synced with its directory. */
function freshLog(file: string): { fd: number; generation: Buffer; size: number } {
  const fd = fs.openSync(file, 'w+');
  const generation = crypto.randomBytes(8);
  writeAll(fd, Buffer.concat([MAGIC, generation]), 0);
  fs.fdatasyncSync(fd);
  syncDir(path.dirname(file));
  return { fd, generation, size: HEADER_LENGTH };
}

/**
 * Checks every record of an open log: its record boundaries, the offsets of
 * corrupt records (checksum mismatch with more records after), and the size
 * left once a torn tail (an incomplete record, or a bad last one) or an
 * unreadable length is truncated. Warns for each.
 */
function scanLog(fd: number, file: string, warn: (message: string) => void): { size: number; boundaries: number[]; corrupt: number[]; dropped: number } {
  const fileSize = fs.fstatSync(fd).size;
  const boundaries: number[] = [];
  const corrupt: number[] = [];
  let dropped = 0;
  let offset = HEADER_LENGTH;
  const header = Buffer.allocUnsafe(RECORD_HEADER);
  let size = fileSize;
  while (offset < fileSize) {
    const left = fileSize - offset;
    if (left < RECORD_HEADER) {
      warn(`hint log ${file}: torn tail at offset ${offset} (${left} bytes of a record header); truncated`);
      size = offset;
      break;
    }
    readAll(fd, header, offset);
    const bodyLength = header.readUInt32LE(0);
    const end = offset + RECORD_HEADER + bodyLength;
    if (bodyLength < BODY_FIXED || bodyLength > MAX_BODY) {
      warn(`hint log ${file}: corrupt record at offset ${offset} (length ${bodyLength}); the rest of the log, ${left} bytes, is dropped`);
      dropped++;
      size = offset;
      break;
    }
    if (end > fileSize) {
      warn(`hint log ${file}: torn tail at offset ${offset} (a record of ${RECORD_HEADER + bodyLength} bytes, ${left} written); truncated`);
      size = offset;
      break;
    }
    const body = Buffer.allocUnsafe(bodyLength);
    readAll(fd, body, offset + RECORD_HEADER);
    if (zlib.crc32(body) !== header.readUInt32LE(4) || BODY_FIXED + body.readUInt32LE(12) > bodyLength) {
      if (end === fileSize) {
        warn(`hint log ${file}: torn tail at offset ${offset} (the last record fails its checksum); truncated`);
        size = offset;
        break;
      }
      warn(`hint log ${file}: corrupt record at offset ${offset} (checksum mismatch); skipped`);
      corrupt.push(offset);
      dropped++;
    }
    boundaries.push(offset);
    offset = end;
  }
  if (size < fileSize) {
    fs.ftruncateSync(fd, size);
    fs.fdatasyncSync(fd);
  }
  return { size, boundaries, corrupt, dropped };
}

/** The saved head when it is of this generation and on a record boundary (or the end); else the log's start. */
function readHead(headFile: string, generation: Buffer, boundaries: number[], size: number): number {
  let text: string;
  try {
    text = fs.readFileSync(headFile, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return HEADER_LENGTH;
    throw err;
  }
  const m = /^([0-9a-f]{16}) (\d+)\n$/.exec(text);
  if (m === null || m[1] !== generation.toString('hex')) return HEADER_LENGTH;
  const offset = Number(m[2]);
  return offset === size || boundaries.includes(offset) ? offset : HEADER_LENGTH;
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

function readAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error(`short read at ${position + done}`);
    done += n;
  }
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
