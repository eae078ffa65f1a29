// cluster/handoff/delivery.ts — hinted handoff on this node: the hint queues
// by target (hint-queue.ts, one durable log each under DIR/hints), what
// takes hints in (a fallback standing in for a down primary, or this
// coordinator for a primary that did not ack), and their delivery: each
// tick, and at each ack, a queue whose target membership says is up sends
// its next hints as REPLICA.APPLY (REPLICA.ELEMENT for a collection's
// element record, applied through its collection), at most `window` in flight and about
// `rateBytes` per second over all targets (a token bucket), so a returning
// node is not flooded; a failure backs the queue off and it resends from the
// first unacked hint. Hints become durable as the engine's writes do:
// fsynced before a REPLICA.HINT ack under appendfsync always, each second
// under everysec.
import fs from 'node:fs';
import path from 'node:path';
import type { BusReply } from '../bus/bus';
import type { Clock, TimerHandle } from '../clock';
import type { FsyncMode } from '../../engine/index';
import { HintLog, type ElementFlags, type Hint } from './hint-log';
import { HintQueue } from './hint-queue';

const TICK_MS = 100;
const RETRY_MS = 1000;
const SYNC_MS = 1000;

export interface HandoffSettings {
  /** Unacked hint bytes per target; a hint past it is dropped (and counted). */
  readonly maxBytes: number;
  /** A hint older than this (ms) is dropped (and counted). */
  readonly maxAgeMs: number;
  /** Hints in flight per target. */
  readonly window: number;
  /** Hint bytes sent per second over all targets; 0: no cap. */
  readonly rateBytes: number;
}

export const DEFAULT_HANDOFF: HandoffSettings = {
  maxBytes: 256 * 1024 * 1024,
  maxAgeMs: 3 * 3600 * 1000,
  window: 64,
  rateBytes: 16 * 1024 * 1024,
};

/** What hinted handoff needs of the coordinator. */
export interface HandoffHost {
  readonly clock: Clock;
  /** Whether membership believes the target up (or it is not a member any more: false). */
  isUp(target: string): boolean;
  send(target: string, argv: readonly (Buffer | string)[], onReply: (reply: BusReply) => void, onError: (err: Error) => void): void;
  /** The engine's fsync policy now. */
  fsync(): FsyncMode;
}

/** One target's figures, for INFO. */
export interface HintTargetStats {
  readonly target: string;
  readonly queued: number;
  readonly bytes: number;
  readonly delivered: number;
  readonly dropped: number;
}

export class HintedHandoff {
  private readonly queues = new Map<string, HintQueue>();
  private readonly dir: string;
  private timer: TimerHandle | null = null;
  private tokens = 0;
  private refilledAt: number;
  private lastSync: number;
  /** Waiters for the next fsync of the logs (appendfsync always), and its timer. */
  private syncWaiters: (() => void)[] = [];
  private syncTimer: TimerHandle | null = null;

  constructor(
    dataDir: string,
    private readonly host: HandoffHost,
    public settings: HandoffSettings,
    private readonly warn: (message: string) => void,
  ) {
    this.dir = path.join(dataDir, 'hints');
    this.refilledAt = host.clock.now();
    this.lastSync = this.refilledAt;
  }

  /** Opens the logs a previous run left, for the targets still members: their hints are delivered as any others. */
  open(isMember: (target: string) => boolean): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      if (!name.endsWith('.log')) continue;
      const target = targetOf(name.slice(0, -'.log'.length));
      if (target === null || !isMember(target)) {
        this.warn(`hint log ${path.join(this.dir, name)} is not for a cluster member: kept, not delivered`);
        continue;
      }
      const queue = this.queue(target);
      if (queue.log.queued > 0) this.warn(`${queue.log.queued} hints for ${target} wait in ${queue.log.file}`);
    }
  }

  start(): void {
    this.tickLater();
  }

  /** Keeps a hint for the target (element: a collection's element record, under its element key); false when its log is full (the hint is dropped and counted). */
  add(target: string, db: number, key: Buffer, record: Buffer, element: ElementFlags | null = null): boolean {
    return this.queue(target).add(this.host.clock.now(), db, key, record, this.settings.maxBytes, element);
  }

  /** Resolves once every hint added so far is on disk under appendfsync always (one fsync per log for all waiters); null otherwise. */
  durable(): Promise<void> | null {
    if (this.host.fsync() !== 'always') return null;
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
      this.syncTimer ??= this.host.clock.setTimer(0, () => {
        this.syncTimer = null;
        const waiters = this.syncWaiters;
        this.syncWaiters = [];
        this.syncAll();
        for (const w of waiters) w();
      });
    });
  }

  stats(): HintTargetStats[] {
    return [...this.queues.values()].map((q) => ({ target: q.target, queued: q.log.queued, bytes: q.log.bytes, delivered: q.delivered, dropped: q.dropped }));
  }

  close(): void {
    if (this.timer !== null) this.host.clock.clearTimer(this.timer);
    if (this.syncTimer !== null) this.host.clock.clearTimer(this.syncTimer);
    this.timer = null;
    this.syncTimer = null;
    for (const q of this.queues.values()) q.log.close();
    for (const w of this.syncWaiters) w();
    this.syncWaiters = [];
    this.queues.clear();
  }

  private queue(target: string): HintQueue {
    let queue = this.queues.get(target);
    if (queue === undefined) {
      queue = new HintQueue(HintLog.open(this.dir, target, this.warn));
      this.queues.set(target, queue);
    }
    return queue;
  }

  private tickLater(): void {
    this.timer = this.host.clock.setTimer(TICK_MS, () => {
      this.tick();
      this.tickLater();
    });
  }

  private tick(): void {
    const now = this.host.clock.now();
    if (now - this.lastSync >= SYNC_MS) {
      this.lastSync = now;
      if (this.host.fsync() === 'everysec') this.syncAll();
    }
    for (const q of this.queues.values()) {
      q.checkpoint();
      if (!this.host.isUp(q.target)) q.expire(now, this.settings.maxAgeMs);
      else this.pump(q);
    }
  }

  /** Sends the queue's next hints while its window and the byte budget allow. */
  private pump(queue: HintQueue): void {
    const now = this.host.clock.now();
    if (!queue.pending || now < queue.retryAt || !this.host.isUp(queue.target)) return;
    const room = this.settings.window - queue.sending;
    if (room <= 0) return;
    const budget = this.refill(now);
    if (budget <= 0) return;
    const hints = queue.take(now, this.settings.maxAgeMs, room, budget);
    for (const hint of hints) {
      this.tokens -= hint.record.length + hint.key.length;
      this.host.send(
        queue.target,
        deliveryOf(hint),
        () => {
          queue.acked(hint);
          this.pump(queue);
        },
        (err) => {
          if (queue.sending === 1) this.warn(`handing hints off to ${queue.target} failed (${err.message}); retrying in ${RETRY_MS} ms`);
          queue.failedSend(hint, this.host.clock.now() + RETRY_MS);
        },
      );
    }
  }

  /** The bytes that may be sent now: the token bucket refilled for the time passed, at most a tenth of a second's worth ahead. */
  private refill(now: number): number {
    const rate = this.settings.rateBytes;
    if (rate === 0) {
      this.tokens = 0;
      this.refilledAt = now;
      return Number.MAX_SAFE_INTEGER;
    }
    this.tokens = Math.min(rate / 10, this.tokens + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
    return this.tokens;
  }

  private syncAll(): void {
    for (const q of this.queues.values()) q.log.sync();
  }
}

/** The request that delivers a hint: REPLICA.APPLY of a key's record, REPLICA.ELEMENT of an element record. */
function deliveryOf(hint: Hint): (Buffer | string)[] {
  if (hint.element === null) return ['REPLICA.APPLY', String(hint.db), hint.key, hint.record];
  return ['REPLICA.ELEMENT', String(hint.db), hint.key, hint.record, hint.element.converted ? '1' : '0'];
}

/** The target a log file is named for (targetFileName's inverse); null for a name it cannot have made. */
function targetOf(name: string): string | null {
  try {
    return decodeURIComponent(name);
  } catch (err) {
    if (err instanceof URIError) return null;
    throw err;
  }
}
