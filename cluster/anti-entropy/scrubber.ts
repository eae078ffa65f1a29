// cluster/anti-entropy/scrubber.ts — reads every data file of every database
// in the background at cluster-scrub-rate bytes a second, checking each
// record's crc (Engine.scrub), so corruption is found before a client reads
// it. Each bad run of bytes is logged by file and offset and counted; the
// keys whose records sat in it go to CorruptRepair, which rebuilds them
// from the other replicas (on a cluster of one nothing can: they are
// reported). Steps of about 1 MiB, spaced so the average rate is the
// setting; at rate 0 it only looks every second whether it was turned on.
// Each database's elements engine (collections' element records) is
// scrubbed after its keyspace; the element records in its bad runs are
// rebuilt the same way.
import type { ScrubCursor } from '../../engine/index';
import type { TimerHandle } from '../clock';
import type { CorruptRepair } from './corrupt-repair';
import type { MaintenanceHost } from './host';
import type { MaintenanceCounters, MaintenanceSettings } from './types';

const STEP_BYTES = 1024 * 1024;
const IDLE_MS = 1000;

export class Scrubber {
  private db = 0;
  /** Scrubbing db's elements engine (after its keyspace). */
  private element = false;
  private cursor: ScrubCursor = { segment: 0, offset: 0 };
  private timer: TimerHandle | null = null;
  /** Bad runs already logged and counted (file:offset): each pass meets them again until a merge rewrites the file. */
  private readonly reported = new Set<string>();
  private stopped = false;

  constructor(
    private readonly host: MaintenanceHost,
    private readonly settings: MaintenanceSettings,
    private readonly counters: MaintenanceCounters,
    /** Null on a cluster of one: no other replica to repair from. */
    private readonly repair: CorruptRepair | null,
  ) {}

  start(): void {
    this.later(IDLE_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.host.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private later(ms: number): void {
    if (this.stopped) return;
    this.timer = this.host.clock.setTimer(ms, () => {
      this.timer = null;
      let next = IDLE_MS;
      try {
        next = this.step();
      } catch (err) {
        console.error(`dynkv: scrubbing db ${this.db} failed: ${(err as Error).message}`);
      }
      this.later(next);
    });
  }

  /** Verifies up to STEP_BYTES; returns the ms to wait before the next step. */
  step(): number {
    const rate = this.settings.scrubBytesPerSecond;
    if (rate <= 0) return IDLE_MS;
    for (let tried = 0; tried < this.host.databases; ) {
      const { db, element } = this;
      const step = element ? this.host.replicas.elementRecords.scrub(db, this.cursor, STEP_BYTES) : this.host.replicas.scrub(db, this.cursor, STEP_BYTES);
      if (step === null || (step.bytes === 0 && step.cursor.segment === 0)) {
        // This engine is done (or holds nothing): the elements of this database, or the next one.
        this.cursor = { segment: 0, offset: 0 };
        this.element = !element;
        if (element) {
          this.db = (db + 1) % this.host.databases;
          tried++;
        }
        continue;
      }
      this.cursor = step.cursor;
      this.counters.scrubbedBytes += step.bytes;
      for (const f of step.found) {
        for (const key of f.keys) this.repair?.report(db, key, true, element);
        const id = `${f.file}:${f.offset}`;
        if (this.reported.has(id)) continue;
        this.reported.add(id);
        this.counters.corruptRecords++;
        console.error(`dynkv: scrubber: corrupt record in ${f.file} at offset ${f.offset} (${f.length} bytes; ${f.keys.length} live ${element ? 'element record(s)' : 'key(s)'} of db ${db} in it)`);
      }
      if (step.bytes > 0) return Math.max(1, (step.bytes / rate) * 1000);
    }
    return IDLE_MS;
  }
}
