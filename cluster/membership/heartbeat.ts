// cluster/membership/heartbeat.ts — the driver of failure detection: every
// period (cluster-heartbeat-ms), on the Clock it is given, it pings each
// peer, down ones included (that is how they come back up), and tells
// membership what came of it: an answer is a heartbeat, a failure counts
// against the peer (Membership.heard), and a ping still unanswered when the
// next is due is a missed answer (suspect). Then membership rechecks every
// peer's phi. One ping per peer is in flight at a time: a paused peer
// collects no pile of them. A round that runs more than a period late says
// this node itself was paused (a stopped process, a long GC, a starved
// event loop): the silence it saw is its own, so that round judges nobody
// (Cassandra's local pause check) and only pings.
import type { Clock, TimerHandle } from '../clock';
import type { Membership } from './membership';

/** Sends one heartbeat request to a peer; settles with its answer or the failure. */
export type Ping = (id: string) => Promise<unknown>;

export class Heartbeat {
  private timer: TimerHandle | null = null;
  /** When the round set is due. */
  private due = 0;
  /** Peers whose ping is not answered yet. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly membership: Membership,
    private readonly clock: Clock,
    private readonly ping: Ping,
    private periodMs: number,
  ) {}

  /**
   * The first round of pings goes out now, so that a node starting (or
   * restarting) is heard by the others at once (its handshakes make it up
   * on their side), not only at their next heartbeat. Resolves once that
   * round's pings settled, or after a period if some peer does not answer.
   */
  start(): Promise<void> {
    let cap: TimerHandle | null = null;
    const waited = new Promise<void>((resolve) => (cap = this.clock.setTimer(this.periodMs, resolve)));
    const settled = Promise.allSettled(this.round()).then(() => this.clock.clearTimer(cap as unknown as TimerHandle));
    return Promise.race([settled, waited]);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  /** A new period: the next round comes one new period from now (a round set for later would leave a silence the new rhythm reads as missed beats). */
  setPeriod(ms: number): void {
    this.periodMs = ms;
    if (this.timer === null) return;
    this.clock.clearTimer(this.timer);
    this.schedule();
  }

  private schedule(): void {
    this.due = this.clock.now() + this.periodMs;
    this.timer = this.clock.setTimer(this.periodMs, () => this.round());
  }

  /** One round; returns its pings, settled once each peer's outcome is told to membership. */
  private round(): Promise<void>[] {
    const pings: Promise<void>[] = [];
    if (this.clock.now() - this.due <= this.periodMs) {
      for (const id of this.membership.peerIds()) {
        if (this.inFlight.has(id)) this.membership.missed(id, `no answer to a heartbeat within ${this.periodMs} ms`);
      }
      this.membership.check();
    }
    for (const id of this.membership.peerIds()) {
      if (this.inFlight.has(id)) continue;
      this.inFlight.add(id);
      const ping = this.ping(id).then(
        () => {
          this.inFlight.delete(id);
          this.membership.heartbeat(id);
        },
        (err: unknown) => {
          this.inFlight.delete(id);
          this.membership.heard(id, err);
        },
      );
      pings.push(ping);
    }
    this.schedule();
    return pings;
  }
}
