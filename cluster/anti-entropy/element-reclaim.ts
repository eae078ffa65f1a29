// cluster/anti-entropy/element-reclaim.ts — the background reclaim of the
// element records (and summary) of a collection whose header is gone: DEL,
// UNLINK or expiry remove the header only (O(1)); what the collection held
// stays in the elements engine, invisible, until the key is made again
// (which clears it) or this pass reclaims it. A pass walks each database's
// elements engine for summaries (one per collection this replica holds
// elements of) and looks at the header, whatever the collection's type.
//
// When it is safe:
//   - on a cluster of one (reap mode), as soon as the header is gone: no
//     other replica can bring the header or an element back, and commands
//     run one at a time (a re-creation clears what it finds anyway);
//   - with other replicas, once (1) the header has held nothing live here
//     for cluster-tombstone-grace (its tombstone or expiry is that old), or
//     it is absent here (reaped, which itself waited for grace); (2) every
//     replica of the key answers REPLICA.DEAD that it holds no live header
//     (one that does not answer blocks the reclaim: it may hold anything);
//     and then (3) each replica, on REPLICA.ERECLAIM, still finds no live
//     header and drops only the element records whose every version was
//     written at or before the horizon, now - grace; this replica drops its
//     own last, once every other one acked.
// Why each: a field write concurrent with the DEL (the other side of a
// partition) always rewrites the header too (hash-sync.ts), so it leaves a
// live header sibling somewhere, which (2) sees, and the collection stays
// whole as a live header shows it. Hints and requests in flight are bounded
// by the hint age, which must stay below the grace (server/cluster-
// config.ts's checkHintAge), so after grace no hint can bring back an
// element of the dead collection (an element arriving after the reclaim
// would show again under a re-created key: resurrection). Dropping on every
// replica before the initiator is what keeps a replica that still held the
// old elements from showing them under a header made again later. The
// horizon keeps what a re-creation racing the reclaim wrote (younger than
// grace) even on a replica its new header has not reached yet; and since it
// moves with the clock, an element stamped by a clock ahead is reclaimed by
// a later pass.
import type { TimerHandle } from '../clock';
import { parseElementKey, SUMMARY_KIND } from '../replica/element-records';
import { decodeVersions } from '../versions/codec';
import { deadSince, holdsNothingLive } from '../versions/lifetimes';
import type { KeyVersions } from '../versions/versions';
import type { MaintenanceHost } from './host';
import { isCorruption } from './reaper';
import type { MaintenanceCounters, MaintenanceSettings } from './types';

/** Element keys looked at per step (keys only: a summary is found by its kind byte), and the steps' spacing. */
const KEYS_PER_STEP = 2000;
const STEP_MS = 1000;

export class ElementReclaim {
  private db = 0;
  private cursor = 0n;
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly host: MaintenanceHost,
    private readonly settings: MaintenanceSettings,
    private readonly counters: MaintenanceCounters,
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
          console.error(`dynkv: reclaiming the elements of deleted collections of db ${this.db} failed: ${err.message}`);
          this.later();
        },
      );
    });
  }

  /** One step: the next summaries of the current database whose header is gone, reclaimed where it is safe. */
  async step(): Promise<void> {
    const { replicas, clock } = this.host;
    const db = this.db;
    const page = replicas.elementRecords.scanAll(db, this.cursor, KEYS_PER_STEP);
    this.cursor = page.cursor;
    if (page.cursor === 0n) this.db = (db + 1) % this.host.databases;
    const now = clock.now();
    const horizon = now - this.settings.tombstoneGraceMs;
    const groups = new Map<string, { list: readonly string[]; keys: Buffer[] }>();
    for (const elementKey of page.keys) {
      const parsed = parseElementKey(elementKey);
      if (parsed === null || parsed.kind !== SUMMARY_KIND) continue;
      const key = Buffer.from(parsed.key);
      const header = this.header(db, key);
      if (header === 'corrupt' || !holdsNothingLive(header, now)) continue;
      if (replicas.reap) {
        this.reclaimHere(db, key, Infinity);
        continue;
      }
      if (header !== null && deadSince(header, now) > horizon) continue;
      const list = this.host.preferenceList(key);
      if (!list.includes(this.host.selfId)) continue;
      const id = list.join(',');
      let group = groups.get(id);
      if (group === undefined) groups.set(id, (group = { list, keys: [] }));
      group.keys.push(key);
    }
    for (const { list, keys } of groups.values()) await this.reclaim(db, list, keys, horizon);
  }

  /** The check round (REPLICA.DEAD of the headers), then REPLICA.ERECLAIM on every other replica, then here. */
  private async reclaim(db: number, list: readonly string[], keys: Buffer[], horizon: number): Promise<void> {
    const others = list.filter((id) => id !== this.host.selfId);
    const dbText = String(db);
    const answers = await Promise.all(
      others.map((node) =>
        this.host.request(node, ['REPLICA.DEAD', dbText, ...keys]).then(
          (reply) => (Array.isArray(reply) && reply.length === keys.length ? (reply as number[]) : null),
          () => null,
        ),
      ),
    );
    if (answers.some((a) => a === null)) return;
    const agreed = keys.filter((_, i) => answers.every((a) => (a as number[])[i] === 1));
    if (agreed.length === 0) return;
    const argv = ['REPLICA.ERECLAIM', dbText, String(horizon), ...agreed];
    const acks = await Promise.all(others.map((node) => this.host.request(node, argv).then(() => true, () => false)));
    if (acks.includes(false)) return;
    for (const key of agreed) this.reclaimIfDead(db, key, horizon);
  }

  /** REPLICA.ERECLAIM db horizon key...: reclaims each collection whose header is still not live here; how many element records went. */
  answerReclaim(db: number, horizonArg: Buffer, keys: Buffer[]): number {
    const horizon = Number(horizonArg.toString('latin1'));
    if (!Number.isSafeInteger(horizon)) throw new Error(`horizon '${horizonArg.toString('latin1')}' is not an integer`);
    let dropped = 0;
    for (const key of keys) dropped += this.reclaimIfDead(db, key, horizon);
    return dropped;
  }

  private reclaimIfDead(db: number, key: Buffer, horizon: number): number {
    const header = this.header(db, key);
    if (header === 'corrupt' || !holdsNothingLive(header, this.host.clock.now())) return 0;
    return this.reclaimHere(db, key, horizon);
  }

  /** Drops the collection's element records written at or before horizon (its summary with the last); the summary's count follows what went live. */
  private reclaimHere(db: number, key: Buffer, horizon: number): number {
    const { dropped, live, left } = this.host.replicas.elementRecords.reclaim(db, key, horizon);
    // Elements written after the horizon stay (a re-creation racing this): the summary keeps counting only those.
    // (Hashes' summary: the only collection type with element records yet.)
    if (left > 0 && live > 0) this.host.replicas.hashes.uncount(db, key, live);
    this.counters.elementsReclaimed += dropped;
    return dropped;
  }

  /** The header's versions here; 'corrupt' when its record fails its checksum (it may hold anything: nothing is reclaimed). */
  private header(db: number, key: Buffer): KeyVersions | null | 'corrupt' {
    try {
      const record = this.host.replicas.checkedRecord(db, key, false);
      return record === null ? null : decodeVersions(record);
    } catch (err) {
      if (isCorruption(err)) return 'corrupt';
      throw err;
    }
  }
}
