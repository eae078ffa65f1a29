// cluster/anti-entropy/flush-sync.ts — spreading flush epochs
// (flush-epochs.ts) so a member that was down or cut off during FLUSHDB /
// FLUSHALL does not bring the flushed data back when it returns:
//   - a flush made here takes a new epoch, purges here and sends it to
//     every member (REPLICA.FLUSH db epoch); it is acknowledged once W
//     members hold it (this one counting), as a write;
//   - at start, before clients are served, a node swaps its epochs with
//     every peer (REPLICA.EPOCHS), and then every few seconds with the peers
//     it believes up: whoever is behind adopts the newer epoch and purges
//     what was written before it. A member that missed a flush learns it
//     from the first peer it talks to;
//   - meanwhile nothing it sends can bring old data back: every node drops
//     incoming siblings older than its latest flush (ReplicaStore.flushFloor).
import type { TimerHandle } from '../clock';
import { parseEpoch, type FlushEpoch, type FlushEpochs } from './flush-epochs';
import type { MaintenanceHost } from './host';
import type { MaintenanceCounters } from './types';

const EXCHANGE_MS = 2000;

export class FlushSync {
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly host: MaintenanceHost,
    private readonly epochs: FlushEpochs,
    private readonly counters: MaintenanceCounters,
  ) {}

  /** Swaps epochs with every peer now (those that answer), then every EXCHANGE_MS. */
  async start(): Promise<void> {
    await Promise.all(this.host.peers().map((node) => this.exchange(node)));
    this.later();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.host.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private later(): void {
    if (this.stopped) return;
    this.timer = this.host.clock.setTimer(EXCHANGE_MS, () => {
      this.timer = null;
      // Peers believed up only: a down one is probed already, and swaps epochs at its own start when it returns.
      const up = this.host.peers().filter((node) => this.host.isUp(node));
      void Promise.all(up.map((node) => this.exchange(node))).then(() => this.later());
    });
  }

  /** One swap with a peer; a peer that does not answer is tried again next time. */
  private async exchange(node: string): Promise<void> {
    // A peer down or cut off fails the request: the next exchange tries again.
    const reply = await this.host.request(node, ['REPLICA.EPOCHS', JSON.stringify(this.epochs.all())]).catch(() => undefined);
    if (reply === undefined) return;
    try {
      this.learn(node, reply);
    } catch (err) {
      console.error(`dynkv: the flush epochs ${node} sent were not taken: ${(err as Error).message}`);
    }
  }

  /** REPLICA.FLUSH db epoch: a flush made elsewhere. */
  answerFlush(db: number, epoch: Buffer): string {
    this.adopt(db, parseEpoch(JSON.parse(epoch.toString())));
    return 'OK';
  }

  /** REPLICA.EPOCHS epochs: adopts the peer's newer ones; answers with this node's, so the peer adopts what it lacks. */
  answerEpochs(from: string, theirs: Buffer): Buffer {
    this.learn(from, theirs);
    return Buffer.from(JSON.stringify(this.epochs.all()));
  }

  private learn(from: string, reply: unknown): void {
    if (!Buffer.isBuffer(reply)) throw new Error(`${from} answered REPLICA.EPOCHS with ${typeof reply}`);
    const list = JSON.parse(reply.toString()) as unknown[];
    if (!Array.isArray(list)) throw new Error(`${from} sent epochs that are not a list`);
    list.forEach((value, db) => {
      if (value === null || db >= this.host.databases) return;
      if (this.adopt(db, parseEpoch(value))) {
        this.counters.flushesLearned++;
        console.log(`dynkv: db ${db} was flushed while this node was away (epoch ${JSON.stringify(value)}, from ${from}): its older data is dropped`);
      }
    });
  }

  private adopt(db: number, epoch: FlushEpoch): boolean {
    return this.epochs.adopt(db, epoch, this.host);
  }

  /**
   * FLUSHDB of db made here: a new epoch, purged here, sent to every
   * member. Resolves null once `needed` members hold it (this one
   * counting), else with the error reply; members it did not reach learn
   * it at the next exchange.
   */
  flush(db: number, needed: number): Promise<string | null> {
    const epoch = this.epochs.next(db, this.host.actor, this.host.clock.now());
    this.adopt(db, epoch);
    const peers = this.host.peers();
    const text = JSON.stringify(epoch);
    return Promise.all(
      peers.map((node) =>
        this.host.request(node, ['REPLICA.FLUSH', String(db), text]).then(
          () => null,
          (err: Error) => `${node}: ${err.message}`,
        ),
      ),
    ).then((failures) => {
      const failed = failures.filter((f) => f !== null);
      const reached = peers.length - failed.length + 1;
      if (reached >= needed) return null;
      return `DYNUNAVAILABLE the flush reached ${reached} of ${peers.length + 1} nodes, needed W=${needed} (${failed.join('; ')}); the others get it when they are back`;
    });
  }
}
