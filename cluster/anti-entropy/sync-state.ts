// cluster/anti-entropy/sync-state.ts — which partitions this replica has synced
// since it last lost data (safe rejoin). A node whose data directory is new
// or wiped (no dir/anti-entropy-synced: it went with the data), or that was
// away longer than `resyncAfterMs` (the writes it missed may be in no hint
// any more), holds only part of what was acknowledged: until a partition has
// exchanged with every other replica of it, this replica's not-found for a
// key of that partition is not an answer (quorum/read.ts). Synced partitions
// are kept in the file, so restarting a synced node does not resync it; the
// file also says when the node was last alive (rewritten every ALIVE_EVERY_MS).
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock';

const SYNC_FILE = 'anti-entropy-synced';
/** How often a running node notes that it is alive. */
export const ALIVE_EVERY_MS = 10_000;

interface SyncFile {
  partitions: number;
  /** One bit per partition, base64: 1 = synced. */
  synced: string;
  /** When the node was last alive, ms since the epoch. */
  aliveAt: number;
}

export class SyncState {
  private readonly synced: Uint8Array;
  /** Per partition not yet synced: the peers it has exchanged with since. */
  private readonly exchanged = new Map<number, Set<string>>();
  /** Why the node started syncing (for the log); null when every partition was synced. */
  readonly reason: string | null;
  private dirty = false;
  private savedAt = -Infinity;
  private readonly file: string;

  constructor(
    dir: string,
    private readonly partitionCount: number,
    /** The partitions this node replicates, each with its other replicas. */
    private readonly peersOf: ReadonlyMap<number, readonly string[]>,
    private readonly clock: Clock,
    resyncAfterMs: number,
  ) {
    this.file = path.join(dir, SYNC_FILE);
    this.synced = new Uint8Array(Math.ceil(partitionCount / 8));
    const saved = this.load();
    if (saved === null) this.reason = 'its data directory is new';
    else if (saved.partitions !== partitionCount) this.reason = `the ring changed from ${saved.partitions} to ${partitionCount} partitions`;
    else if (clock.now() - saved.aliveAt > resyncAfterMs) this.reason = `it was away for ${Math.round((clock.now() - saved.aliveAt) / 1000)} s (more than ${resyncAfterMs / 1000} s)`;
    else {
      this.synced.set(Buffer.from(saved.synced, 'base64').subarray(0, this.synced.length));
      this.reason = this.left > 0 ? 'it had not synced every partition' : null;
    }
    this.dirty = true;
  }

  private load(): SyncFile | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const parsed = JSON.parse(text) as SyncFile;
    if (!Number.isInteger(parsed.partitions) || typeof parsed.synced !== 'string' || !Number.isFinite(parsed.aliveAt)) {
      throw new Error(`${this.file} is not an anti-entropy sync file: ${text.slice(0, 80)}`);
    }
    return parsed;
  }

  syncing(partition: number): boolean {
    return this.peersOf.has(partition) && (this.synced[partition >> 3] & (1 << (partition & 7))) === 0;
  }

  /** Partitions this node replicates and has not synced. */
  get left(): number {
    let left = 0;
    for (const p of this.peersOf.keys()) if (this.syncing(p)) left++;
    return left;
  }

  /** An exchange of the partition with this peer completed: synced once it did with every other replica. True when that synced it. */
  exchangedWith(partition: number, peer: string): boolean {
    if (!this.syncing(partition)) return false;
    let done = this.exchanged.get(partition);
    if (done === undefined) this.exchanged.set(partition, (done = new Set()));
    done.add(peer);
    if (!(this.peersOf.get(partition) ?? []).every((id) => (done as Set<string>).has(id))) return false;
    this.exchanged.delete(partition);
    this.synced[partition >> 3] |= 1 << (partition & 7);
    this.dirty = true;
    return true;
  }

  /** Writes the file when something changed, or to note that the node is alive; fsync and rename, so a crash leaves the old or the new. */
  save(): void {
    const now = this.clock.now();
    if (!this.dirty && now - this.savedAt < ALIVE_EVERY_MS) return;
    const content: SyncFile = { partitions: this.partitionCount, synced: Buffer.from(this.synced).toString('base64'), aliveAt: now };
    const temporary = `${this.file}.tmp`;
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify(content)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.file);
    this.dirty = false;
    this.savedAt = now;
  }
}
