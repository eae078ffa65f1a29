// cluster/anti-entropy/scheduler.ts — anti-entropy in the background: every
// `intervalMs`, one exchange at a time, this replica compares its trees with
// each other replica of its partitions (exchange.ts) and pulls what it
// lacks, reading at most `keysPerSec` keys a second. While some partition is
// not synced (sync-state.ts: a new or wiped data directory, or a long
// absence) rounds follow each other every SYNC_RETRY_MS instead. Time and
// timers come from the coordinator's Clock. Owns the trees (built at start,
// then told of every write by the replica store) and INFO's figures.
import type { BusReply } from '../bus/bus';
import { BusError } from '../bus/bus';
import { PeerDownError } from '../membership/membership';
import type { Clock, TimerHandle } from '../clock';
import type { RecordObserver } from '../replica/record-observer';
import type { Ring } from '../ring/ring';
import { keySlot } from '../ring/slot';
import { answer, Exchange, type ExchangeHost } from './exchange';
import { PartitionTrees, type RecordSource } from './partition-trees';
import { SyncState } from './sync-state';
import type { AntiEntropyOptions, AntiEntropyStatus, ExchangeMeter } from './types';
import { ReplyError } from '../../protocol/reply-parser';

/** What anti-entropy needs of the coordinator. */
export interface AntiEntropyHost extends ExchangeHost {
  readonly selfId: string;
  readonly clock: Clock;
  readonly replicas: RecordSource & { observer: RecordObserver | null };
}

/** Rounds follow each other this often while a partition is not synced. */
const SYNC_RETRY_MS = 200;

interface PeerState {
  /** Partitions both this node and the peer replicate. */
  shared: number[];
  lastExchangeAt: number;
  exchanges: number;
}

export class AntiEntropy {
  readonly trees: PartitionTrees;
  private readonly sync: SyncState;
  private readonly meter: ExchangeMeter = { bytesSent: 0, bytesReceived: 0, keysRepaired: 0, elementsRepaired: 0 };
  private exchanges = 0;
  private exchangesEqual = 0;
  private exchangeFailures = 0;
  private readonly peers = new Map<string, PeerState>();
  private readonly slotsPerPartition: number;
  private timer: TimerHandle | null = null;
  /** A pause of the rate limit, and how to end it early (close). */
  private pause: { timer: TimerHandle; resolve: () => void } | null = null;
  private closed = false;
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly host: AntiEntropyHost,
    dir: string,
    ring: Ring,
    n: number,
    private readonly options: AntiEntropyOptions,
  ) {
    const peersOf = new Map<number, string[]>();
    for (let p = 0; p < ring.partitionCount; p++) {
      const list = ring.preferenceList(p, n);
      if (!list.includes(host.selfId)) continue;
      const others = list.filter((id) => id !== host.selfId);
      peersOf.set(p, others);
      for (const id of others) {
        let peer = this.peers.get(id);
        if (peer === undefined) this.peers.set(id, (peer = { shared: [], lastExchangeAt: 0, exchanges: 0 }));
        peer.shared.push(p);
      }
    }
    this.slotsPerPartition = ring.slotsPerPartition;
    this.trees = new PartitionTrees(host.replicas, ring.partitionCount, [...peersOf.keys()]);
    this.sync = new SyncState(dir, ring.partitionCount, peersOf, host.clock, options.resyncAfterMs);
    this.tokens = options.keysPerSec;
    this.refilledAt = host.clock.now();
  }

  /** Builds the trees from the replica store, then follows its writes; the first round starts at once. */
  start(): void {
    this.trees.build();
    this.host.replicas.observer = this.trees;
    if (this.sync.reason !== null) console.error(`dynkv: anti-entropy: syncing ${this.sync.left} partitions with the other replicas: ${this.sync.reason}`);
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.host.clock.clearTimer(this.timer);
    this.timer = null;
    if (this.pause !== null) {
      this.host.clock.clearTimer(this.pause.timer);
      this.pause.resolve();
    }
    this.host.replicas.observer = null;
  }

  /** A peer connected: while syncing, the next round starts now instead of after its pause (a new cluster syncs as soon as all are up). */
  peerUp(): void {
    if (this.timer === null || this.sync.left === 0) return;
    this.host.clock.clearTimer(this.timer);
    this.schedule(0);
  }

  /** Whether this replica's not-found for the key is no answer yet: its partition has not synced since the replica lost data. */
  syncing(key: Buffer): boolean {
    return this.sync.syncing(Math.floor(keySlot(key) / this.slotsPerPartition));
  }

  /** A peer's REPLICA.ROOTS, REPLICA.TREE or REPLICA.LEAF. */
  answer(argv: readonly Buffer[]): BusReply {
    return answer(this.trees, argv, (p) => this.sync.syncing(p));
  }

  status(): AntiEntropyStatus {
    return {
      ...this.meter,
      syncingPartitions: this.sync.left,
      exchanges: this.exchanges,
      exchangesEqual: this.exchangesEqual,
      exchangeFailures: this.exchangeFailures,
      peers: [...this.peers].map(([id, p]) => ({ id, lastExchangeAt: p.lastExchangeAt, exchanges: p.exchanges })),
    };
  }

  /** Pulls the key from every other replica of it (a record found corrupt, a scrubber's find); resolves with how many changed it here. */
  async repairKey(db: number, key: Buffer): Promise<number> {
    const p = Math.floor(keySlot(key) / this.slotsPerPartition);
    let changed = 0;
    for (const [id, peer] of this.peers) {
      if (!peer.shared.includes(p)) continue;
      if (await this.exchange(id).repairKey(db, key)) changed++;
    }
    return changed;
  }

  /** Pulls a whole partition from every other replica of it: a full exchange of that partition only. */
  async repairPartition(p: number): Promise<void> {
    for (const [id, peer] of this.peers) {
      if (!peer.shared.includes(p)) continue;
      const exchange = this.exchange(id);
      if ((await exchange.differingPartitions([p])).length > 0) await exchange.partition(p);
    }
  }

  private exchange(peer: string): Exchange {
    return new Exchange(this.host, this.trees, peer, this.meter, (keys) => this.pace(keys));
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = this.host.clock.setTimer(ms, () => {
      this.timer = null;
      this.round().then(
        () => this.schedule(this.sync.left > 0 ? SYNC_RETRY_MS : this.options.intervalMs),
        (err: Error) => {
          console.error('dynkv: anti-entropy: a round failed:', err);
          this.schedule(this.options.intervalMs);
        },
      );
    });
  }

  /** One exchange with each peer in turn. */
  private async round(): Promise<void> {
    for (const [id, peer] of this.peers) {
      if (this.closed) return;
      try {
        await this.exchangeWith(id, peer);
      } catch (err) {
        this.exchangeFailures++;
        // A peer down or refusing is expected and counted; anything else is a bug of ours, said.
        if (!(err instanceof BusError || err instanceof ReplyError || err instanceof PeerDownError)) console.error(`dynkv: anti-entropy: the exchange with ${id} failed:`, err);
      }
    }
    if (!this.closed) this.sync.save();
  }

  private async exchangeWith(id: string, peer: PeerState): Promise<void> {
    const exchange = this.exchange(id);
    const differing = await exchange.differingPartitions(peer.shared);
    const wasLeft = this.sync.left;
    const todo = new Set(differing);
    for (const p of peer.shared) if (!todo.has(p)) this.sync.exchangedWith(p, id);
    for (const p of differing) {
      if (this.closed) return;
      await exchange.partition(p);
      this.sync.exchangedWith(p, id);
    }
    this.exchanges++;
    if (differing.length === 0) this.exchangesEqual++;
    peer.exchanges++;
    peer.lastExchangeAt = this.host.clock.now();
    if (wasLeft > 0 && this.sync.left === 0) console.error('dynkv: anti-entropy: every partition is synced with the other replicas');
  }

  /** The rate limit: resolves once `keys` more keys may be read (a token bucket of one second's worth). */
  private async pace(keys: number): Promise<void> {
    const rate = this.options.keysPerSec;
    for (;;) {
      if (this.closed) throw new Error('anti-entropy is closed');
      const now = this.host.clock.now();
      this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) * rate) / 1000);
      this.refilledAt = now;
      if (this.tokens >= Math.min(keys, rate)) {
        this.tokens -= keys;
        return;
      }
      const wait = Math.ceil(((Math.min(keys, rate) - this.tokens) * 1000) / rate);
      await new Promise<void>((resolve) => {
        this.pause = { timer: this.host.clock.setTimer(wait, resolve), resolve };
      });
      this.pause = null;
    }
  }
}
