// cluster/replica-store.ts — this node's replicas of keys: each key's versions
// (versions.ts), encoded by version-codec.ts, stored as the key's value in the
// local engine. As LocalCoordinator, each Redis database is its own engine
// directory (dir/db0 ... dir/db15), opened on first write. Synchronous, as the
// engine is: the quorum coordinator calls coordinate() for the write it
// coordinates and apply() for the versions other replicas send (their writes,
// read repair), then sends or acks.
//
// Tombstones and expiry are versions: a DEL is a sibling without a value and
// an expired sibling stays a sibling, so neither an older sibling nor a stale
// replica's copy can come back (no resurrection). So the engine record always
// has expireAt 0 and is never deleted: the engine must not reclaim a key on
// its own, the versions decide. Reaping tombstones and expired versions needs
// to know that every replica has them: it waits for the anti-entropy issue.
//
// The incarnation (dir/incarnation) makes this node's actor, node#incarnation:
// a data dir that is new gets a fresh one, so a node that lost its data never
// reuses a dot it wrote before (Riak's KV679).
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EngineOptions } from '../engine/index';
import type { ScanPage } from './coordinator';
import { Databases } from './databases';
import { CorruptVersionsError, decodeVersions, decodeWinner, encodeVersions } from './version-codec';
import { EMPTY_VERSIONS, equalVersions, merge, update, type Actor, type KeyVersions, type VersionVector, type VersionWrite } from './versions';

export interface CoordinatedWrite {
  /** The key's versions after the write: what the coordinator sends to the other replicas. */
  versions: KeyVersions;
  /** Siblings dropped by the sibling bound (INFO counts them). */
  pruned: number;
}

export interface AppliedVersions extends CoordinatedWrite {
  /** False when this replica already had everything incoming brings: nothing was written. */
  changed: boolean;
}

/** A dir/incarnation file that is not what incarnation() writes. */
export class InvalidIncarnationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIncarnationError';
  }
}

const INCARNATION_FILE = 'incarnation';
/** crypto.randomInt's widest range: 2^48 values. */
const INCARNATION_LIMIT = 2 ** 48;

/**
 * This data dir's incarnation number, from dir/incarnation; a dir without
 * that file (new, wiped, or the file lost) gets a fresh one, written with
 * fsync and rename so a crash leaves either no file or the whole number.
 *
 * A fresh incarnation is a random number in 1..2^48-1 from the CSPRNG, not
 * the wall clock: a wiped dir cannot know its old number, and a node whose
 * disk was replaced often starts on a clock that is not yet right, which
 * would silently reuse an old millisecond. Two incarnations of one node
 * collide with probability 2^-48 per pair, whatever the clock does. Giving a
 * data dir that still holds data a new incarnation is always safe: its old
 * dots keep the old actor.
 */
export function incarnation(dir: string): number {
  const file = path.join(dir, INCARNATION_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return createIncarnation(dir, file);
  }
  const match = /^([1-9][0-9]*)\n$/.exec(text);
  const number = match === null ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(number) || number >= INCARNATION_LIMIT) {
    throw new InvalidIncarnationError(`${file} holds ${JSON.stringify(text.slice(0, 40))}, not an incarnation number (1..2^48-1 and a newline)`);
  }
  return number;
}

function createIncarnation(dir: string, file: string): number {
  const number = randomInt(1, INCARNATION_LIMIT);
  fs.mkdirSync(dir, { recursive: true });
  const temporary = `${file}.tmp`;
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeSync(fd, `${number}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
  return number;
}

/** A key for an error message, as redis-cli quotes it: printable ASCII as is, other bytes as \xNN, long keys cut. */
function quotedKey(key: Buffer): string {
  const shown = 64;
  let text = '"';
  for (const byte of key.subarray(0, shown)) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return key.length > shown ? `${text}..." (${key.length} bytes)` : `${text}"`;
}

export class ReplicaStore {
  readonly databases: number;
  private readonly dbs: Databases;

  constructor(dir: string, options: EngineOptions, databases = 16) {
    this.databases = databases;
    this.dbs = new Databases(dir, options, databases);
  }

  /** This replica's versions of the key, tombstones and expired siblings included; null when it has none. */
  read(db: number, key: Buffer): KeyVersions | null {
    const record = this.dbs.existing(db)?.get(key) ?? null;
    return record === null ? null : this.decode(db, key, record, decodeVersions);
  }

  /**
   * The coordinator's write. context 'local' is a plain Redis SET/DEL: it
   * supersedes every sibling this replica has seen (the context is its own
   * clock); otherwise it is the client's context (DYN.SET), and the siblings
   * it does not cover stay.
   */
  coordinate(db: number, key: Buffer, context: VersionVector | 'local', actor: Actor, write: VersionWrite, maxSiblings: number): CoordinatedWrite {
    const current = this.read(db, key) ?? EMPTY_VERSIONS;
    const result = update(current, context === 'local' ? current.clock : context, actor, write, maxSiblings);
    this.store(db, key, result.versions);
    return result;
  }

  /** Versions from another replica (its coordinated write, or read repair): merged in, stored only when that changed something. */
  apply(db: number, key: Buffer, incoming: KeyVersions, maxSiblings: number): AppliedVersions {
    const current = this.read(db, key) ?? EMPTY_VERSIONS;
    const { versions, pruned } = merge(current, incoming, maxSiblings);
    const changed = !equalVersions(versions, current);
    if (changed) this.store(db, key, versions);
    return { versions, changed, pruned };
  }

  private store(db: number, key: Buffer, versions: KeyVersions): void {
    // expireAt 0: the engine never drops a version record on its own.
    this.dbs.wrote(db, this.dbs.open(db).put(key, encodeVersions(versions), { expireAt: 0 }));
  }

  /**
   * Keys of db whose winner is live at `now` (neither a tombstone nor
   * expired), in ring-hash order from cursor (0n to start; 0n back when
   * done). A page may hold fewer than `count` keys, as Redis's SCAN may.
   */
  scan(db: number, cursor: bigint, count: number, now: number): ScanPage {
    const e = this.dbs.existing(db);
    if (e === null) return { cursor: 0n, keys: [] };
    const page = e.scan(cursor, count);
    const keys = page.keys.filter((key) => {
      const record = e.get(key);
      if (record === null) return false;
      const top = this.decode(db, key, record, decodeWinner);
      return top !== null && top.value !== null && (top.expireAt === 0 || top.expireAt > now);
    });
    return { cursor: page.cursor, keys };
  }

  /** Drops db's whole engine directory (FLUSHDB on this replica). */
  flush(db: number): void {
    this.dbs.flush(db);
  }

  /** Resolves once every write made so far is durable under the fsync policy; null when already. */
  durable(): Promise<void> | null {
    return this.dbs.durable();
  }

  close(): void {
    this.dbs.close();
  }

  /** Decodes a stored record; a corrupt one throws CorruptVersionsError naming the db and key. */
  private decode<T>(db: number, key: Buffer, record: Buffer, decoder: (record: Buffer) => T): T {
    try {
      return decoder(record);
    } catch (err) {
      if (err instanceof CorruptVersionsError) throw new CorruptVersionsError(`db ${db} key ${quotedKey(key)}: ${err.message}`);
      throw err;
    }
  }
}
