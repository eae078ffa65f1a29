// cluster/anti-entropy/reaper.ts — tombstone reaping: reclaims records that
// show nothing (every sibling a tombstone or expired: versions/lifetimes.ts)
// once the grace period (cluster-tombstone-grace) has passed and every
// replica of the key is known to hold nothing live, so a deleted key never
// comes back.
//
// Why a check round and not a mark on the delete: with N > 1 a tombstone is
// what keeps an old version, still held by a replica that missed the delete,
// from being merged back. It may go only when no replica of the key holds a
// live version it shadows. A background pass over this node's records (a
// few hundred keys a second) takes the dead ones past grace and asks all N
// replicas (REPLICA.DEAD): each answers 1 when it holds nothing live for the
// key (no record, or a dead one). A replica that answers 0 still has the old
// value: it gets this node's dead record (REPLICA.APPLY, the merge drops
// what the tombstone covers) and the key waits for the next pass. Only when
// every replica answered 1 does this node send REPLICA.REAP (each drops its
// record if it is still dead and no newer than the clock checked) and then
// drop its own, last: if a REAP was lost, the record kept here is found again
// next pass. A replica that does not answer (down, cut off) blocks reaping:
// it may hold anything. Any node holding a dead record may start the round;
// absence counting as "nothing live" is what keeps two rounds for one key
// from handing tombstones back and forth.
//
// The grace period covers what the check cannot see: versions in flight or
// queued as hints for a replica (a hint older than the grace period must be
// dropped, not delivered: the hint queue's age bound must stay below it,
// which server/cluster-config.ts's checkHintAge enforces at start and at
// CONFIG SET),
// and clock skew between the nodes that stamp tombstones. Cassandra's
// gc_grace is 10 days because its repairs run weekly; here the check round
// replaces that repair, so one day (86400 s) is the default.
//
// KV679: a reaped key's clock is gone, and the replicas do not all drop
// it at the same instant (one that missed REAP keeps its tombstone until
// the next round). A write of the key through a replica that already
// dropped it must not reuse a dot the lingering tombstone covers, or that
// replica would take the new write for one it has seen and drop it. So
// every replica keeps the highest counter of its own actor in any record it
// reaped (reaped-counter.ts) and starts a key it has no record of above it.
// Incarnations keep covering the wiped-node case as before.
//
// Collections' element records (a hash field's HDEL tombstone) are reaped
// the same way, in their own pass over each database's elements engine
// (replica/element-records.ts): REPLICA.EDEAD / REPLICA.EREAP ask and reap
// by element key, a replica still holding the element live gets the
// tombstone by REPLICA.ELEMENT, and element writes start above the same
// reaped counter. A dead element does not count in its collection's summary,
// so dropping it leaves the summary as it is.
import type { TimerHandle } from '../clock';
import { EngineError } from '../../engine/index';
import { CorruptVersionsError, decodeContext, decodeVersions, encodeContext } from '../versions/codec';
import { deadSince, holdsNothingLive } from '../versions/lifetimes';
import { descends, type KeyVersions, type VersionVector } from '../versions/versions';
import type { MaintenanceHost } from './host';
import type { MaintenanceCounters, MaintenanceSettings } from './types';
import type { ReapedCounter } from './reaped-counter';

/** Keys of this node's records looked at per pass step, and steps' spacing. */
const KEYS_PER_STEP = 500;
const STEP_MS = 1000;

interface Candidate {
  key: Buffer;
  versions: KeyVersions;
}

export class Reaper {
  private db = 0;
  /** The pass over db's elements engine, after its keyspace. */
  private element = false;
  private cursor = 0n;
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly host: MaintenanceHost,
    private readonly settings: MaintenanceSettings,
    private readonly counters: MaintenanceCounters,
    private readonly reapedCounter: ReapedCounter,
  ) {}

  start(): void {
    this.later();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.host.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private later(): void {
    if (this.stopped) return;
    this.timer = this.host.clock.setTimer(STEP_MS, () => {
      this.timer = null;
      this.step().then(
        () => this.later(),
        (err: Error) => {
          console.error(`dynkv: tombstone reaping of db ${this.db} failed: ${err.message}`);
          this.later();
        },
      );
    });
  }

  /** One step of the pass: the next keys (or element keys) of the current database, their dead records past grace reaped where every replica agrees. */
  async step(): Promise<void> {
    const { replicas, clock } = this.host;
    const { db, element } = this;
    const whole = this.cursor === 0n;
    const page = element ? replicas.elementRecords.scan(db, this.cursor, KEYS_PER_STEP) : replicas.scanRecords(db, this.cursor, KEYS_PER_STEP);
    this.cursor = page.cursor;
    if (page.cursor === 0n) {
      if (element) this.db = (db + 1) % this.host.databases;
      this.element = !element;
    }
    // A database without element records costs the keyspace's pace no step.
    if (element && whole && page.cursor === 0n && page.keys.length === 0) return this.step();
    const horizon = clock.now() - this.settings.tombstoneGraceMs;
    const groups = new Map<string, { list: readonly string[]; keys: Candidate[] }>();
    for (const key of page.keys) {
      const versions = this.readChecked(db, key, element);
      if (versions === null || versions === 'corrupt') continue;
      const since = deadSince(versions, clock.now());
      if (since < 0 || since > horizon) continue;
      const list = this.host.preferenceList(key);
      if (!list.includes(this.host.selfId)) continue;
      const id = list.join(',');
      let group = groups.get(id);
      if (group === undefined) groups.set(id, (group = { list, keys: [] }));
      group.keys.push({ key, versions });
    }
    for (const { list, keys } of groups.values()) await this.reap(db, element, list, keys);
  }

  /** The check round, then the reap round, for keys (or element keys) sharing one preference list. */
  private async reap(db: number, element: boolean, list: readonly string[], candidates: Candidate[]): Promise<void> {
    const others = list.filter((id) => id !== this.host.selfId);
    const dbText = String(db);
    const answers = await Promise.all(
      others.map((node) =>
        this.host.request(node, [element ? 'REPLICA.EDEAD' : 'REPLICA.DEAD', dbText, ...candidates.map((c) => c.key)]).then(
          (reply) => (Array.isArray(reply) && reply.length === candidates.length ? (reply as number[]) : null),
          () => null,
        ),
      ),
    );
    if (answers.some((a) => a === null)) return;
    const agreed: Candidate[] = [];
    candidates.forEach((c, i) => {
      const holding = others.filter((_, n) => (answers[n] as number[])[i] !== 1);
      if (holding.length === 0) agreed.push(c);
      for (const node of holding) this.push(db, element, node, c);
    });
    if (agreed.length === 0) return;
    const argv: (Buffer | string)[] = [element ? 'REPLICA.EREAP' : 'REPLICA.REAP', dbText];
    for (const c of agreed) argv.push(c.key, encodeContext(c.versions.clock));
    const acks = await Promise.all(others.map((node) => this.host.request(node, argv).then(() => true, () => false)));
    if (acks.includes(false)) return;
    for (const c of agreed) this.reapHere(db, c.key, c.versions.clock, element);
  }

  /** A replica that still holds a live version gets this node's dead record; the key is checked again next pass. */
  private push(db: number, element: boolean, node: string, c: Candidate): void {
    const record = this.raw(db, c.key, element);
    if (record === null) return;
    this.counters.tombstonesPushed++;
    const argv = element ? ['REPLICA.ELEMENT', String(db), c.key, record, '0'] : ['REPLICA.APPLY', String(db), c.key, record];
    this.host.request(node, argv).catch((err: Error) => {
      console.error(`dynkv: sending a tombstone to ${node} failed: ${err.message}`);
    });
  }

  /** Drops this replica's record of the key (element: of the element key) when it is still dead and no newer than `checked`; true when it did. */
  reapHere(db: number, key: Buffer, checked: VersionVector, element = false): boolean {
    const current = this.readChecked(db, key, element);
    if (current === null || current === 'corrupt' || !holdsNothingLive(current, this.host.clock.now()) || !descends(checked, current.clock)) return false;
    // Saved before the record goes: a crash in between leaves the record, never a floor too low.
    this.reapedCounter.raise(current.clock.get(this.host.actor) ?? 0);
    if (element) this.host.replicas.elementRecords.drop(db, key, this.raw(db, key, true));
    else this.host.replicas.drop(db, key);
    this.counters.tombstonesReaped++;
    return true;
  }

  /** REPLICA.DEAD db key... (REPLICA.EDEAD db elementKey...): per key, 1 when this replica holds nothing live for it (no record, or only dead siblings). */
  answerDead(db: number, keys: Buffer[], element = false): number[] {
    const now = this.host.clock.now();
    return keys.map((key) => {
      // A record that fails its checksum may hold anything: not dead.
      const versions = this.readChecked(db, key, element);
      return versions !== 'corrupt' && holdsNothingLive(versions, now) ? 1 : 0;
    });
  }

  /** This replica's versions of the key (or element key); 'corrupt' for a record that fails its checksum (left to reads and the scrubber to report). */
  private readChecked(db: number, key: Buffer, element: boolean): KeyVersions | null | 'corrupt' {
    try {
      const record = element ? this.host.replicas.elementRecords.checkedRecord(db, key, false) : this.host.replicas.checkedRecord(db, key, false);
      return record === null ? null : decodeVersions(record);
    } catch (err) {
      if (isCorruption(err)) return 'corrupt';
      throw err;
    }
  }

  /** The stored record of the key (or element key), null when absent or unreadable. */
  private raw(db: number, key: Buffer, element: boolean): Buffer | null {
    return element ? this.host.replicas.elementRecords.record(db, key, false) : this.host.replicas.record(db, key);
  }

  /** REPLICA.REAP db key context ... (REPLICA.EREAP for element keys): drops each record still dead and no newer than its context; how many it dropped. */
  answerReap(db: number, args: Buffer[], element = false): number {
    if (args.length % 2 !== 0) throw new Error('REPLICA.REAP takes key context pairs');
    let dropped = 0;
    for (let i = 0; i < args.length; i += 2) if (this.reapHere(db, args[i], decodeContext(args[i + 1]), element)) dropped++;
    return dropped;
  }
}

/** A record that fails its checksum in the engine, or does not decode. */
export function isCorruption(err: unknown): boolean {
  return (err instanceof EngineError && err.code === 'ECORRUPT') || err instanceof CorruptVersionsError;
}
