// cluster/anti-entropy/corrupt-repair.ts — keys whose record on this
// replica failed its checksum (found by a read, or by the scrubber) are
// rebuilt from the other replicas: REPLICA.READ from each, their versions
// merged, and the result written over the lost record; when every other
// replica answers that it has no record either, the lost one is dropped.
// Until then a read here takes the key as missing (ReplicaStore.onCorrupt)
// and the quorum answers from the others. A key no other replica answered
// for is tried again later. A collection's element record found corrupt by
// the scrubber is rebuilt the same way (REPLICA.ELEMENTS from each other
// replica), written over the lost one, and its collection's summary counted
// again (whether the lost record was live is unknown).
import type { TimerHandle } from '../clock';
import { parseElementKey } from '../replica/element-records';
import { decodeVersions, encodeVersions } from '../versions/codec';
import { merge, type KeyVersions } from '../versions/versions';
import type { MaintenanceHost } from './host';
import type { MaintenanceCounters } from './types';
import { isCorruption } from './reaper';

const RETRY_MS = 1000;

export class CorruptRepair {
  /** Keys (and element keys) waiting for repair, by db:key (latin1), or e db:key. */
  private readonly queue = new Map<string, { db: number; key: Buffer; element: boolean }>();
  private running = false;
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly host: MaintenanceHost,
    private readonly counters: MaintenanceCounters,
    private readonly maxSiblings: number,
  ) {}

  /** A key (element: an element key) whose record failed its checksum here; `counted`: the finding was counted already (the scrubber counts runs of bad bytes). */
  report(db: number, key: Buffer, counted: boolean, element = false): void {
    const id = `${element ? 'e ' : ''}${db}:${key.toString('latin1')}`;
    if (this.queue.has(id)) return;
    if (!counted) this.counters.corruptRecords++;
    this.queue.set(id, { db, key: Buffer.from(key), element });
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
    for (const [id, { db, key, element }] of [...this.queue]) {
      if (this.stopped) return;
      if (await this.repair(db, key, element)) this.queue.delete(id);
    }
  }

  /** True when the key is settled: repaired here, or found readable again (a write or read repair replaced it). */
  private async repair(db: number, key: Buffer, element: boolean): Promise<boolean> {
    if (this.readable(db, key, element)) {
      this.counters.corruptRepaired++;
      return true;
    }
    const others = this.host.preferenceList(key).filter((id) => id !== this.host.selfId);
    const request = element ? ['REPLICA.ELEMENTS', String(db), key] : ['REPLICA.READ', String(db), key];
    const replies = await Promise.all(
      others.map((node) =>
        this.host.request(node, request).then(
          (reply) => {
            const record = element && Array.isArray(reply) ? reply[0] : reply;
            return { ok: true as const, record: Buffer.isBuffer(record) ? record : null };
          },
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
    if (this.readable(db, key, element)) {
      this.counters.corruptRepaired++;
      return true;
    }
    if (merged === null && replies.some((r) => !r.ok)) {
      // Not every replica answered: one that did not may hold the key.
      return false;
    }
    if (element) this.replaceElement(db, key, merged);
    else if (merged === null) this.host.replicas.drop(db, key);
    else this.host.replicas.replace(db, key, merged);
    this.counters.corruptRepaired++;
    console.log(`dynkv: repaired a corrupt record of db ${db} from ${replies.filter((r) => r.ok).length} other replica(s)`);
    return true;
  }

  /** An element record rebuilt (or dropped: no other replica holds it), then its collection's summary counted again (hashes: the only type yet). */
  private replaceElement(db: number, elementKey: Buffer, merged: KeyVersions | null): void {
    const records = this.host.replicas.elementRecords;
    if (merged === null) records.drop(db, elementKey, null);
    else records.replace(db, elementKey, encodeVersions(merged));
    const parsed = parseElementKey(elementKey);
    if (parsed !== null) this.host.replicas.hashes.recount(db, parsed.key);
  }

  /** Whether the key's (or element's) record now reads (or is gone): someone wrote it since. */
  private readable(db: number, key: Buffer, element: boolean): boolean {
    try {
      if (element) this.host.replicas.elementRecords.checkedRecord(db, key);
      else this.host.replicas.checkedRecord(db, key);
      return true;
    } catch (err) {
      if (isCorruption(err)) return false;
      throw err;
    }
  }
}
