// cluster/clock.ts — time, passed in. The cluster's logic reads the time and
// sets its timers through a Clock it is given, never Date.now() or
// setTimeout itself: a server runs on realClock (the wall clock and Node's
// timers); a test, and the deterministic simulation (N nodes in one process),
// runs on a ManualClock that moves only when told, running its due timers in
// order.

declare const timerBrand: unique symbol;

/** A timer setTimer made, for clearTimer; only the clock that made it knows what it is. */
export type TimerHandle = { readonly [timerBrand]: true };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs fn once, ms from now (below 1 ms, or NaN: 1 ms, as Node's setTimeout). */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer that has not run; one that ran or was cleared already is ignored. */
  clearTimer(timer: TimerHandle): void;
}

/** The wall clock and Node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimer: (timer) => clearTimeout(timer as unknown as NodeJS.Timeout),
};

interface ManualTimer {
  /** When it falls due, in the clock's ms. */
  readonly at: number;
  /** Order of setting: timers due at the same time run in it. */
  readonly seq: number;
  readonly fn: () => void;
}

/** A clock that stands still until advance(): then runs the timers that fall due, each at its own time. */
export class ManualClock implements Clock {
  private time: number;
  private nextSeq = 0;
  private readonly timers = new Set<ManualTimer>();

  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new RangeError(`start ${start} is not a finite number of ms`);
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: ManualTimer = { at: this.time + (ms >= 1 ? ms : 1), seq: this.nextSeq++, fn };
    this.timers.add(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimer(timer: TimerHandle): void {
    this.timers.delete(timer as unknown as ManualTimer);
  }

  /** When the earliest pending timer falls due; null when none is set (the simulation jumps there). */
  nextAt(): number | null {
    return this.nextDue(Infinity)?.at ?? null;
  }

  /** Timers set and neither run nor cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Moves the time ms forward. Every timer due by then runs, earliest first
   * (set first, among those due together), with now() at its due time;
   * timers they set run too when due by then. A timer that throws stops the
   * advance there, the time left at its due time.
   */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`cannot advance a clock by ${ms} ms`);
    const end = this.time + ms;
    for (let due = this.nextDue(end); due !== null; due = this.nextDue(end)) {
      this.timers.delete(due);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }

  /** The timer to run next, if one is due by `end`. */
  private nextDue(end: number): ManualTimer | null {
    let next: ManualTimer | null = null;
    for (const t of this.timers) {
      if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
    }
    return next;
  }
}
