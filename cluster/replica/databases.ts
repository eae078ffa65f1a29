// cluster/replica/databases.ts — a node's Redis databases on disk: each one its own
// engine directory (dir/db0 ... dir/db15), opened on first write (those that
// exist are opened at start, so a locked or corrupt directory is found at
// once). Tracks each database's latest write so durable() can wait for the
// fsync that covers everything written so far (appendfsync always).
// ReplicaStore keeps its data here, and collections' element records in a
// second set (dir/db0.elements ..., hash-replica.ts). A database's directory
// is named by its physical index (db-map.ts: SWAPDB exchanges two).
import fs from 'node:fs';
import path from 'node:path';
import { Engine, type EngineOptions, type EngineStats, type FsyncMode } from '../../engine/index';
import { prepareDataDir } from './data-dir';
import type { DbMap } from './db-map';

export class Databases {
  readonly count: number;
  private readonly engines: (Engine | null)[];
  /** Per database, the sequence number of the latest write not yet known durable (0 = none). */
  private readonly written: number[];

  constructor(
    private readonly dir: string,
    private readonly options: EngineOptions,
    count: number,
    /** Logical database -> the index its directory is named by. */
    private readonly map: DbMap,
    /** Appended to each database's directory name ('.elements'). */
    private readonly suffix = '',
  ) {
    this.count = count;
    this.engines = new Array<Engine | null>(count).fill(null);
    this.written = new Array<number>(count).fill(0);
    prepareDataDir(dir);
    for (let db = 0; db < count; db++) if (fs.existsSync(this.dbDir(db))) this.open(db);
  }

  private dbDir(db: number): string {
    return path.join(this.dir, `db${this.map.of(db)}${this.suffix}`);
  }

  /** SWAPDB, once the map has swapped: each database's open engine and pending write go with it. */
  swap(a: number, b: number): void {
    [this.engines[a], this.engines[b]] = [this.engines[b], this.engines[a]];
    [this.written[a], this.written[b]] = [this.written[b], this.written[a]];
  }

  /** db's engine, opened (and its directory made) if it is not yet. */
  open(db: number): Engine {
    return (this.engines[db] ??= Engine.open(this.dbDir(db), this.options));
  }

  /** db's engine, or null when db holds nothing yet. */
  existing(db: number): Engine | null {
    return this.engines[db];
  }

  /** Records that db was written up to its engine's latest sequence number (see durable). */
  wrote(db: number, seq: number): void {
    this.written[db] = seq;
  }

  /** Drops db's whole directory (FLUSHDB): no tombstone per key. */
  flush(db: number): void {
    const e = this.engines[db];
    if (e === null) return;
    e.close();
    this.engines[db] = null;
    this.written[db] = 0;
    fs.rmSync(this.dbDir(db), { recursive: true, force: true });
  }

  /**
   * Resolves once every write made so far is durable under the fsync policy;
   * null when already. A write stays awaited until its engine says it is
   * durable, so a second caller (a replica's ack of a record another request
   * wrote) waits for the same fsync; a failed wait drops it (its writes got
   * errors) so reads do not wait for a disk that is full.
   */
  durable(): Promise<void> | null {
    let waits: Promise<void>[] | null = null;
    for (let db = 0; db < this.count; db++) {
      const seq = this.written[db];
      const e = this.engines[db];
      if (seq === 0 || e === null) continue;
      if (e.isDurable(seq)) {
        this.written[db] = 0;
        continue;
      }
      const wait = e.waitDurable(seq);
      wait.then(undefined, () => {
        if (this.written[db] === seq) this.written[db] = 0;
      });
      (waits ??= []).push(wait);
    }
    if (waits === null) return null;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** The fsync policy: under 'always' a write is acknowledged once durable. */
  get fsync(): FsyncMode {
    return this.options.fsync ?? 'everysec';
  }

  /** CONFIG SET appendfsync: the new policy for every database, open or not yet. */
  setFsync(mode: FsyncMode): void {
    this.options.fsync = mode;
    for (const e of this.engines) if (e !== null) e.fsync = mode;
  }

  stats(): EngineStats[] {
    return this.engines.map((e) => (e === null ? emptyStats() : e.stats()));
  }

  close(): void {
    for (let db = 0; db < this.count; db++) {
      this.engines[db]?.close();
      this.engines[db] = null;
    }
  }
}

function emptyStats(): EngineStats {
  return { keys: 0, expiring: 0, liveBytes: 0, deadBytes: 0, segments: 0, pendingBytes: 0, keydirBytes: 0, keydirMoves: 0, merges: 0, writeError: null, fsyncs: 0, merging: false, lastMergeFailed: false, openedFromHints: 0, openedByScan: 0 };
}
