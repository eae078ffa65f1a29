// cluster/anti-entropy/flush-epochs.ts — each database's latest flush, as
// this node knows it, kept in dir/flush-epochs (written with fsync and
// rename), and the purge that applies one to this node's replicas.
//
// A flush epoch is (counter, at, actor): the counter orders the flushes of a
// database (a new flush takes the highest known + 1; ties, two flushes made
// at once on both sides of a partition, go to the greater `at`, then actor).
// `at` defines what the flush removes, precisely: every sibling whose
// timestamp is below `at` was written before the flush and is dropped;
// siblings from `at` on survive. That is the order GET already uses to pick
// a winner (timestamp first), so a flush is a tombstone for the whole
// database at time `at`. Two rules make it causal where it can be: the
// flushing node takes `at` = its clock + 1 (a write it made before the flush,
// in the same millisecond, is older), and a node that knows a flush stamps
// every write it coordinates in that database with at least `at`
// (ReplicaStore.flushFloor), so no write made after it learned of the flush
// is ever dropped by it. Only a write coordinated by a node that had not yet
// heard of the flush (cut off, or down with it queued) and stamped by a clock
// behind `at` is dropped: it was concurrent with the flush, and the
// timestamp order decides, as it does between concurrent writes of one key.
//
// The file also says, per database, whether the purge of its latest epoch
// finished, so a crash in between purges again at the next start.
//
// A purge covers collections' element records (dir/dbN.elements) as it
// covers keys: the elements written from `at` on are kept and put back
// through their collection's apply, which rebuilds its summary.
import fs from 'node:fs';
import path from 'node:path';
import type { ReplicaStore } from '../replica/store';
import { decodeVersions, encodeVersions } from '../versions/codec';
import { afterFlush } from '../versions/lifetimes';
import type { KeyVersions } from '../versions/versions';

export interface FlushEpoch {
  readonly counter: number;
  /** ms since the epoch: siblings with a timestamp below it are dropped. */
  readonly at: number;
  /** node#incarnation of the node that flushed. */
  readonly actor: string;
}

const FILE = 'flush-epochs';

/** Negative when a is older than b (b supersedes it). */
export function compareEpochs(a: FlushEpoch | null, b: FlushEpoch | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a.counter !== b.counter) return a.counter - b.counter;
  if (a.at !== b.at) return a.at - b.at;
  return a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0;
}

/** An epoch from a peer or the file; throws on anything else. */
export function parseEpoch(value: unknown): FlushEpoch {
  const e = value as FlushEpoch;
  if (typeof e !== 'object' || e === null || !Number.isSafeInteger(e.counter) || e.counter < 1 || !Number.isSafeInteger(e.at) || e.at < 1 || typeof e.actor !== 'string') {
    throw new Error(`not a flush epoch: ${JSON.stringify(value)}`);
  }
  return { counter: e.counter, at: e.at, actor: e.actor };
}

/** What a purge works on: the replica store, and the element apply that keeps collections' summaries (the coordinator). */
export interface PurgeTarget {
  readonly replicas: ReplicaStore;
  applyElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): boolean;
}

interface Entry {
  epoch: FlushEpoch;
  purged: boolean;
}

export class FlushEpochs {
  private readonly entries: (Entry | null)[];
  private readonly file: string;

  constructor(dir: string, private readonly databases: number) {
    this.file = path.join(dir, FILE);
    this.entries = new Array<Entry | null>(databases).fill(null);
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const saved = JSON.parse(text) as { db: number; epoch: unknown; purged: boolean }[];
    for (const { db, epoch, purged } of saved) {
      if (Number.isInteger(db) && db >= 0 && db < databases) this.entries[db] = { epoch: parseEpoch(epoch), purged: purged === true };
    }
  }

  get(db: number): FlushEpoch | null {
    return this.entries[db]?.epoch ?? null;
  }

  /** Every database's epoch (null: never flushed), for REPLICA.EPOCHS. */
  all(): (FlushEpoch | null)[] {
    return this.entries.map((e) => e?.epoch ?? null);
  }

  /** A new epoch of db for a flush made here now. */
  next(db: number, actor: string, now: number): FlushEpoch {
    const current = this.get(db);
    return { counter: (current?.counter ?? 0) + 1, at: Math.max(now + 1, (current?.at ?? 0) + 1), actor };
  }

  /**
   * Applies an epoch of db to the replicas when it is newer than the one
   * known: saved first (unpurged), then purged, then saved as purged. True
   * when it was newer.
   */
  adopt(db: number, epoch: FlushEpoch, target: PurgeTarget): boolean {
    if (compareEpochs(epoch, this.get(db)) <= 0) return false;
    const { replicas } = target;
    // A database without records has nothing to purge: one save (FLUSHALL touches every database).
    const empty = replicas.scanRecords(db, 0n, 1).keys.length === 0 && replicas.elementRecords.scanAll(db, 0n, 1).keys.length === 0;
    this.entries[db] = { epoch, purged: empty };
    this.save();
    if (empty) replicas.flushFloor[db] = Math.max(replicas.flushFloor[db], epoch.at);
    else this.purge(db, target);
    return true;
  }

  /** At start: every database whose latest purge did not finish is purged again; the replicas learn each flush's floor. */
  resume(target: PurgeTarget): void {
    for (let db = 0; db < this.databases; db++) {
      const entry = this.entries[db];
      if (entry === null) continue;
      target.replicas.flushFloor[db] = entry.epoch.at;
      if (!entry.purged) this.purge(db, target);
    }
  }

  private purge(db: number, target: PurgeTarget): void {
    const entry = this.entries[db] as Entry;
    purgeBefore(target, db, entry.epoch.at);
    entry.purged = true;
    this.save();
  }

  private save(): void {
    const saved = this.entries.flatMap((e, db) => (e === null ? [] : [{ db, epoch: e.epoch, purged: e.purged }]));
    const temporary = `${this.file}.tmp`;
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify(saved)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.file);
    const dirFd = fs.openSync(path.dirname(this.file), 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}

/**
 * Drops from db every sibling written before `at`: the database's records
 * (keys and element records) are read once, the few that hold a sibling
 * from `at` on (a write that raced the flush here) are kept in memory, the
 * directories are dropped whole, and they are written back (element records
 * through their collection, so its summary counts them). From then on the
 * store drops such siblings as they arrive (flushFloor).
 */
export function purgeBefore(target: PurgeTarget, db: number, at: number): void {
  const { replicas } = target;
  replicas.flushFloor[db] = Math.max(replicas.flushFloor[db], at);
  const survivors: [Buffer, KeyVersions][] = [];
  let cursor = 0n;
  do {
    const page = replicas.scanRecords(db, cursor, 1000);
    for (const key of page.keys) {
      const versions = replicas.read(db, key);
      if (versions === null) continue;
      const kept = afterFlush(versions, at);
      if (kept.siblings.length > 0) survivors.push([key, kept]);
    }
    cursor = page.cursor;
  } while (cursor !== 0n);
  const elements: [Buffer, Buffer][] = [];
  do {
    const page = replicas.elementRecords.scan(db, cursor, 1000);
    for (const elementKey of page.keys) {
      const record = replicas.elementRecords.record(db, elementKey, false);
      if (record === null) continue;
      const kept = afterFlush(decodeVersions(record), at);
      if (kept.siblings.length > 0) elements.push([elementKey, encodeVersions(kept)]);
    }
    cursor = page.cursor;
  } while (cursor !== 0n);
  replicas.flush(db);
  for (const [key, versions] of survivors) replicas.replace(db, key, versions);
  for (const [elementKey, record] of elements) target.applyElement(db, elementKey, record, false);
}
