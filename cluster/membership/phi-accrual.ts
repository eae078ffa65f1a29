// cluster/membership/phi-accrual.ts — the phi-accrual failure detector of
// Hayashibara et al., as Cassandra's FailureDetector computes it: for one
// peer, a bounded window of the intervals between its heartbeats, and
// phi(now) = -log10(P(the next heartbeat comes later than now)) under an
// exponential distribution of that window's mean, i.e.
//   phi = (now - last) / mean * log10(e)
// phi 1 says "silent for 2.3 mean intervals: 90% sure it is gone", phi 8
// "18.4 intervals: 1 - 1e-8". Pure: the time is passed in, nothing is read.
//
// Two kinds of arrival: heartbeat(now) is an answer to a periodic ping,
// whose interval since the previous one goes into the window (so the
// window measures the heartbeat's rhythm, not the request load); heard(now)
// is any other answer, which only moves `last` (the peer was alive then).
// As in Cassandra, an interval longer than maxInterval (a pause, a restart)
// is left out of the window: it would make the next detection slower, and a
// peer never heard from has phi 0: it is unknown, not silent (a peer that
// never answers is caught by its connections failing, or its missed
// heartbeats).

export interface PhiAccrualOptions {
  /** Intervals kept (Cassandra keeps 1000); the oldest goes first. */
  readonly windowSize: number;
  /** The interval the window starts with: the heartbeat's period, ms. */
  readonly firstInterval: number;
  /** Longer intervals are not added to the window, ms. */
  readonly maxInterval: number;
}

export class PhiAccrual {
  private readonly intervals: Float64Array;
  /** Intervals held (at most windowSize) and where the next goes. */
  private count = 0;
  private next = 0;
  private sum = 0;
  private heardAt: number | null;
  /** The last heartbeat, from which the next interval is measured; null before the first. */
  private lastHeartbeat: number | null = null;
  private readonly maxInterval: number;

  /** `heardAt`: when the peer was last heard from, if ever (a detector that replaces another keeps its time). */
  constructor(options: PhiAccrualOptions, heardAt: number | null) {
    if (!(Number.isInteger(options.windowSize) && options.windowSize >= 1)) throw new RangeError(`window size ${options.windowSize} is not a positive integer`);
    if (!(options.firstInterval > 0)) throw new RangeError(`first interval ${options.firstInterval} is not positive`);
    this.intervals = new Float64Array(options.windowSize);
    this.maxInterval = options.maxInterval;
    this.heardAt = heardAt;
    this.add(options.firstInterval);
  }

  /** A heartbeat's answer arrived at `now`. */
  heartbeat(now: number): void {
    if (this.lastHeartbeat !== null) {
      const interval = now - this.lastHeartbeat;
      if (interval > 0 && interval <= this.maxInterval) this.add(interval);
    }
    this.lastHeartbeat = now;
    this.heard(now);
  }

  /** Another answer arrived at `now`: alive then, no interval measured. */
  heard(now: number): void {
    if (this.heardAt === null || now > this.heardAt) this.heardAt = now;
  }

  /** The last arrival of anything: a heartbeat or another answer; null before the first. */
  get lastHeard(): number | null {
    return this.heardAt;
  }

  /** The mean interval of the window, ms. */
  get mean(): number {
    return this.sum / this.count;
  }

  /** Intervals in the window. */
  get size(): number {
    return this.count;
  }

  /** The suspicion at `now`: 0 right after an arrival (and before the first), growing with the silence since. */
  phi(now: number): number {
    if (this.heardAt === null) return 0;
    const silence = now - this.heardAt;
    return silence <= 0 ? 0 : (silence / this.mean) * Math.LOG10E;
  }

  private add(interval: number): void {
    if (this.count === this.intervals.length) this.sum -= this.intervals[this.next];
    else this.count++;
    this.intervals[this.next] = interval;
    this.sum += interval;
    this.next = (this.next + 1) % this.intervals.length;
  }
}
