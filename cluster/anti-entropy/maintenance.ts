// cluster/anti-entropy/maintenance.ts — the background upkeep of this node's
// replicas, wired to the coordinator (MaintenanceHost): tombstone reaping
// (reaper.ts), flush epochs (flush-epochs.ts, flush-sync.ts), the scrubber
// (scrubber.ts), the repair of corrupt records (corrupt-repair.ts) and the
// reclaim of deleted collections' elements (element-reclaim.ts); the bus
// requests they answer; their settings and INFO counters. On a cluster of
// one only the scrubber and the reclaim run: a deleted key's record goes at
// once (reap mode), a flush is local, and there is no replica to repair from.
import type { BusReply } from '../bus/bus';
import { CorruptRepair } from './corrupt-repair';
import { ElementReclaim } from './element-reclaim';
import { FlushEpochs } from './flush-epochs';
import { FlushSync } from './flush-sync';
import type { MaintenanceHost } from './host';
import { DEFAULT_SCRUB_RATE, DEFAULT_TOMBSTONE_GRACE_S, type MaintenanceCounters, type MaintenanceSettings } from './types';
import { ReapedCounter } from './reaped-counter';
import { Reaper } from './reaper';
import { Scrubber } from './scrubber';

export class Maintenance {
  readonly counters: MaintenanceCounters = { tombstonesReaped: 0, elementsReclaimed: 0, tombstonesPushed: 0, flushesLearned: 0, scrubbedBytes: 0, corruptRecords: 0, corruptRepaired: 0 };
  readonly settings: MaintenanceSettings = { tombstoneGraceMs: DEFAULT_TOMBSTONE_GRACE_S * 1000, scrubBytesPerSecond: DEFAULT_SCRUB_RATE };
  private readonly reaper: Reaper | null;
  private readonly flushes: FlushSync | null;
  private readonly repair: CorruptRepair | null;
  private readonly scrubber: Scrubber;
  private readonly reclaim: ElementReclaim;

  constructor(host: MaintenanceHost, dir: string, single: boolean, maxSiblings: number) {
    if (single) {
      this.reaper = null;
      this.flushes = null;
      this.repair = null;
    } else {
      this.reaper = new Reaper(host, this.settings, this.counters, new ReapedCounter(dir, host.actor, host.replicas));
      const epochs = new FlushEpochs(dir, host.databases);
      epochs.resume(host);
      this.flushes = new FlushSync(host, epochs, this.counters);
      const repair = new CorruptRepair(host, this.counters, maxSiblings);
      this.repair = repair;
      host.replicas.onCorrupt = (db, key) => repair.report(db, key, false);
      host.replicas.elementRecords.onCorrupt = (db, elementKey) => repair.report(db, elementKey, false, true);
    }
    this.scrubber = new Scrubber(host, this.settings, this.counters, this.repair);
    this.reclaim = new ElementReclaim(host, this.settings, this.counters);
  }

  /** Once the bus listens: flush epochs swapped with the peers that answer (before clients are served), then the background work. */
  async start(): Promise<void> {
    await this.flushes?.start();
    this.reaper?.start();
    this.scrubber.start();
    this.reclaim.start();
  }

  stop(): void {
    this.flushes?.stop();
    this.reaper?.stop();
    this.repair?.stop();
    this.scrubber.stop();
    this.reclaim.stop();
  }

  /** CONFIG SET cluster-tombstone-grace / cluster-scrub-rate: taken at the next step. */
  configure(settings: MaintenanceSettings): void {
    Object.assign(this.settings, settings);
  }

  /** FLUSHDB of db on a cluster of many (flush-sync.ts): resolves with the error reply, or null once `needed` members hold it. */
  flush(db: number, needed: number): Promise<string | null> {
    return (this.flushes as FlushSync).flush(db, needed);
  }

  /**
   * The bus requests of this upkeep; undefined for any other:
   *   REPLICA.DEAD db key...         -> per key 1 when this replica holds nothing live for it, else 0
   *   REPLICA.REAP db key context... -> drops each still-dead record no newer than its context; how many
   *   REPLICA.EDEAD, REPLICA.EREAP   -> the same for collections' element records (by element key)
   *   REPLICA.ERECLAIM db horizon key... -> reclaims the elements of each collection whose header is not live here
   *   REPLICA.FLUSH db epoch         -> applies a flush made elsewhere, +OK
   *   REPLICA.EPOCHS epochs          -> adopts the newer ones; this node's epochs
   */
  handle(from: string, name: string, argv: Buffer[], db: (arg: Buffer) => number): BusReply | undefined {
    switch (name) {
      case 'REPLICA.DEAD':
      case 'REPLICA.EDEAD':
        arity(argv, 3, Infinity);
        return (this.reaper as Reaper).answerDead(db(argv[1]), argv.slice(2), name === 'REPLICA.EDEAD');
      case 'REPLICA.REAP':
      case 'REPLICA.EREAP':
        arity(argv, 4, Infinity);
        return (this.reaper as Reaper).answerReap(db(argv[1]), argv.slice(2), name === 'REPLICA.EREAP');
      case 'REPLICA.ERECLAIM':
        arity(argv, 4, Infinity);
        return this.reclaim.answerReclaim(db(argv[1]), argv[2], argv.slice(3));
      case 'REPLICA.FLUSH':
        arity(argv, 3, 3);
        return (this.flushes as FlushSync).answerFlush(db(argv[1]), argv[2]);
      case 'REPLICA.EPOCHS':
        arity(argv, 2, 2);
        return (this.flushes as FlushSync).answerEpochs(from, argv[1]);
      default:
        return undefined;
    }
  }
}

function arity(argv: Buffer[], min: number, max: number): void {
  if (argv.length < min || argv.length > max) throw new Error(`wrong number of arguments for ${argv[0].toString('latin1')}`);
}
