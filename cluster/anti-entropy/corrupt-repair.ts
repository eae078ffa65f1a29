// cluster/anti-entropy/corrupt-repair.ts — keys whose record on this
// replica failed its checksum (found by a read, or by the scrubber) are
// rebuilt from the other replicas: REPLICA.READ from each, their versions
// merged, and the result written over the lost record; when every other
// replica answers that it has no record either, the lost one is dropped.
// Until then a read here takes the key as missing (ReplicaStore.onCorrupt)
// and the quorum answers from the others. A key no other replica answered
// for is tried again later.
import type { TimerHandle } from '../clock';
import { decodeVersions } from '../versions/codec';
import { merge, type KeyVersions } from '../versions/versions';
import type { MaintenanceHost } from './host';
import type { MaintenanceCounters } from './types';
import { isCorruption } from './reaper';

const RETRY_MS = 1000;

export class CorruptRepair {
  /** Keys waiting for repair, by db:key (latin1). */
  private readonly queue = new Map<string, { db: number; key: Buffer }>();
  private running = false;
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly host: MaintenanceHost,
    private readonly counters: MaintenanceCounters,
    private readonly maxSiblings: number,
  ) {}

  /** A key whose record failed its checksum here; `counted`: the finding was counted already (the scrubber counts runs of bad bytes). */
  report(db: number, key: Buffer, counted: boolean): void {
    const id = `${db}:${key.toString('latin1')}`;
    if (this.queue.has(id)) return;
    if (!counted) this.counters.corruptRecords++;
    this.queue.set(id, { db, key: Buffer.from(key) });
    this.kick(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.host.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private kick(ms: number): void {
    if (this.running || this.timer !== null || this.stopped) return;
    this.timer = this.host.clock.setTimer(ms, () => {
      this.timer = null;
      this.running = true;
      this.run()
        .catch((err: Error) => console.error(`dynkv: repairing corrupt records failed: ${err.message}`))
        .finally(() => {
          this.running = false;
          if (this.queue.size > 0) this.kick(RETRY_MS);
        });
    });
  }

  private async run(): Promise<void> {
    for (const [id, { db, key }] of [...this.queue]) {
      if (this.stopped) return;
      if (await this.repair(db, key)) this.queue.delete(id);
    }
  }

  /** True when the key is settled: repaired here, or found readable again (a write or read repair replaced it). */
  private async repair(db: number, key: Buffer): Promise<boolean> {
    if (this.readable(db, key)) {
      this.counters.corruptRepaired++;
      return true;
    }
    const others = this.host.preferenceList(key).filter((id) => id !== this.host.selfId);
    const replies = await Promise.all(
      others.map((node) =>
        this.host.request(node, ['REPLICA.READ', String(db), key]).then(
          (reply) => ({ ok: true as const, record: Buffer.isBuffer(reply) ? reply : null }),
          () => ({ ok: false as const, record: null }),
        ),
      ),
    );
    if (!replies.some((r) => r.ok)) return false;
    let merged: KeyVersions | null = null;
    for (const { record } of replies) {
      if (record === null) continue;
      let versions: KeyVersions;
      try {
        versions = decodeVersions(record);
      } catch (err) {
        console.error(`dynkv: a peer's copy of a corrupt key of db ${db} does not decode either: ${(err as Error).message}`);
        continue;
      }
      merged = merged === null ? versions : merge(merged, versions, this.maxSiblings).versions;
    }
    // Nothing awaited from here on: the record is checked and replaced in one go.
    if (this.readable(db, key)) {
      this.counters.corruptRepaired++;
      return true;
    }
    if (merged === null) {
      // Not every replica answered: one that did not may hold the key.
      if (replies.some((r) => !r.ok)) return false;
      this.host.replicas.drop(db, key);
    } else {
      this.host.replicas.replace(db, key, merged);
    }
    this.counters.corruptRepaired++;
    console.log(`dynkv: repaired a corrupt record of db ${db} from ${replies.filter((r) => r.ok).length} other replica(s)`);
    return true;
  }

  /** Whether the key's record now reads (or is gone): someone wrote it since. */
  private readable(db: number, key: Buffer): boolean {
    try {
      this.host.replicas.checkedRecord(db, key);
      return true;
    } catch (err) {
      if (isCorruption(err)) return false;
      throw err;
    }
  }
}
