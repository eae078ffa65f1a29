// test/sim/sim-cluster.ts — N real DynamoCoordinators in one process, each on
// its own data dir (the native engine, appendfsync no), all on one
// ManualClock (each node seeing it through its own skew) and one
// SimNetwork. A node can crash (its coordinator closed without anything
// flushed on purpose, its in-flight messages lost) and restart from its dir
// (the process died, not the disk), or be wiped (its dir deleted, a new
// incarnation) and restarted. Clients run SET, GET, DEL and DYN.VERSIONS
// through any node (sim-command.ts). Time moves only in settle(): the clock
// jumps to the next due timer, then every promise the timers started is
// left to settle, so a run is exact. The coordinators are built as the
// server builds them; the transport is the only difference.
import fs from 'node:fs';
import path from 'node:path';
import { DynamoCoordinator, type ClusterMember, type ClusterOptions } from '../../cluster/index';
import { ManualClock, type Clock, type TimerHandle } from '../../cluster/clock';
import type { Dot } from '../../cluster/versions/versions';
import { ReplyError } from '../../protocol/reply-parser';
import { runCommand, encodeReply, type SimCommand, type SimReply } from './sim-command';
import { SimNetwork, type CrashKind, type NetworkFaults } from './sim-network';

export interface SimClusterOptions {
  nodes: number;
  n: number;
  r: number;
  w: number;
  /** Bus request timeout, ms (the server's --cluster-timeout). */
  timeoutMs: number;
  faults: NetworkFaults;
  /** Each node's clock offset from the manual clock, ms (clock skew); zeros unless set. */
  skewMs?: readonly number[];
  /** Directory the nodes' data dirs go in (it must exist). */
  root: string;
  rand: () => number;
  /** Where the run's events go, one line each. */
  trace: (line: string) => void;
}

/** A command that did not answer because its node crashed under it: neither acked nor refused. */
export const CRASHED = Symbol('crashed');
export type SimOutcome = SimReply | typeof CRASHED;

/** The epoch the manual clock starts at (a plausible wall-clock time: versions carry it). */
export const SIM_EPOCH = 1_800_000_000_000;

/** A node's view of the manual clock: shifted by its skew, timers as long as anyone's. */
class SkewedClock implements Clock {
  constructor(
    private readonly base: ManualClock,
    readonly offset: number,
  ) {}

  now(): number {
    return this.base.now() + this.offset;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.base.setTimer(ms, fn);
  }

  clearTimer(timer: TimerHandle): void {
    this.base.clearTimer(timer);
  }
}

interface SimNode {
  readonly member: ClusterMember;
  readonly dir: string;
  readonly clock: Clock;
  coordinator: DynamoCoordinator | null;
  /** Ends the commands running on this node when it crashes. */
  crashed: (() => void)[];
  /** Incarnations handed out to its data dir, for the trace. */
  lives: number;
}

export class SimCluster {
  readonly clock = new ManualClock(SIM_EPOCH);
  readonly network: SimNetwork;
  readonly ids: string[];
  private readonly nodes: SimNode[];
  private readonly members: ClusterMember[];

  private constructor(private readonly opts: SimClusterOptions) {
    this.network = new SimNetwork(this.clock, opts.rand, opts.faults, opts.trace, opts.timeoutMs);
    this.members = [];
    for (let i = 0; i < opts.nodes; i++) {
      const port = 7001 + i;
      this.members.push({ id: `10.0.0.${i + 1}:${port}`, host: `10.0.0.${i + 1}`, port, busPort: port + 10000, weight: 1 });
    }
    this.ids = this.members.map((m) => m.id);
    this.nodes = this.members.map((member, i) => ({
      member,
      dir: path.join(opts.root, `node${i + 1}`),
      clock: new SkewedClock(this.clock, opts.skewMs?.[i] ?? 0),
      coordinator: null,
      crashed: [],
      lives: 0,
    }));
  }

  static async start(opts: SimClusterOptions): Promise<SimCluster> {
    const cluster = new SimCluster(opts);
    for (let i = 0; i < opts.nodes; i++) await cluster.open(i);
    return cluster;
  }

  get size(): number {
    return this.nodes.length;
  }

  isUp(i: number): boolean {
    return this.nodes[i].coordinator !== null;
  }

  /** Node i's coordinator; throws when it is down. */
  coordinator(i: number): DynamoCoordinator {
    const c = this.nodes[i].coordinator;
    if (c === null) throw new Error(`sim: node ${i + 1} is down`);
    return c;
  }

  /** Opens node i from its data dir, as a server starts. */
  private async open(i: number): Promise<void> {
    const node = this.nodes[i];
    const o = this.opts;
    if (!fs.existsSync(path.join(node.dir, 'incarnation'))) {
      // A new data dir gets a fresh incarnation; drawn from the seed, not the CSPRNG, so the run repeats.
      fs.mkdirSync(node.dir, { recursive: true });
      fs.writeFileSync(path.join(node.dir, 'incarnation'), `${1 + Math.floor(o.rand() * 2 ** 40)}\n`);
    }
    const options: ClusterOptions = {
      self: node.member,
      members: this.members,
      n: o.n,
      r: o.r,
      w: o.w,
      partitions: 64,
      secret: 'sim',
      timeoutMs: o.timeoutMs,
      faultInjection: true,
      // Anti-entropy rounds every 500 ms of simulated time, pulls uncapped: a healed cluster converges within the runner's CONVERGE_MS.
      antiEntropy: { intervalMs: 500, keysPerSec: 1_000_000, resyncAfterMs: 3 * 3600_000 },
    };
    const hooks = { onWrite: (db: number, key: Buffer) => this.noteVersions(c, db, key), onExpire: () => undefined };
    const c: DynamoCoordinator = new DynamoCoordinator(options, node.dir, { fsync: 'no', inlineValueMax: 128, mergeIntervalMs: 0 }, 1, hooks, node.clock, this.network.transport(node.member.id, node.clock));
    c.onForward = async (_db, _resp, argv, from) => encodeReply(await runCommand(c, argv, from));
    // start() waits for a first heartbeat round and the flush epochs' swap: time must move meanwhile.
    let started = false;
    const starting = c.start().then(() => {
      started = true;
    });
    await this.quiesce();
    for (let next = this.clock.nextAt(); !started && next !== null; next = this.clock.nextAt()) {
      this.clock.advance(next - this.clock.now());
      await this.quiesce();
    }
    await starting;
    node.coordinator = c;
    node.lives++;
    this.opts.trace(`open ${node.member.id} (life ${node.lives}, actor ${c.actor})`);
  }

  /** Every dot each value of each key had on any replica, ever (a value can be made under more than one dot). */
  private readonly dots = new Map<string, Map<string, Dot[]>>();

  /** A replica changed a key: the dots of its values are noted. */
  private noteVersions(c: DynamoCoordinator, db: number, key: Buffer): void {
    const name = key.toString('latin1');
    let byValue = this.dots.get(name);
    if (byValue === undefined) this.dots.set(name, (byValue = new Map()));
    for (const s of c.replicas.read(db, key)?.siblings ?? []) {
      if (s.value === null) continue;
      const value = s.value.toString('latin1');
      const known = byValue.get(value) ?? [];
      if (!known.some((d) => d.actor === s.dot.actor && d.counter === s.dot.counter)) known.push(s.dot);
      byValue.set(value, known);
    }
  }

  /** The dots a value of a key was ever stored under, on any replica. */
  dotsOf(key: string, value: string): readonly Dot[] {
    return this.dots.get(key)?.get(value) ?? [];
  }

  /** Node i's process dies: messages in flight to and from it are lost, its commands never answer. */
  async crash(i: number, kind: CrashKind): Promise<void> {
    const node = this.nodes[i];
    const c = node.coordinator;
    if (c === null) return;
    node.coordinator = null;
    this.network.crash(node.member.id, kind);
    for (const end of node.crashed.splice(0)) end();
    await c.close();
  }

  /** Restarts node i from what its data dir holds. */
  async restart(i: number): Promise<void> {
    if (this.nodes[i].coordinator === null) await this.open(i);
  }

  /** Node i loses its disk: its data dir is deleted (crashing it first) and it starts again, empty. */
  async wipe(i: number): Promise<void> {
    await this.crash(i, 'halt');
    fs.rmSync(this.nodes[i].dir, { recursive: true, force: true });
    this.opts.trace(`wipe ${this.nodes[i].member.id}`);
    await this.open(i);
  }

  /** A client command through node i; CRASHED when the node crashed before it answered. */
  command(i: number, name: SimCommand, ...args: (Buffer | string)[]): Promise<SimOutcome> {
    const argv = [Buffer.from(name), ...args.map((a) => Buffer.from(a))];
    return this.guard(i, runCommand(this.coordinator(i), argv, null));
  }

  /** The command's outcome, or CRASHED as soon as node i crashes. */
  private guard<T>(i: number, run: Promise<T>): Promise<T | typeof CRASHED> {
    const node = this.nodes[i];
    return new Promise((resolve, reject) => {
      const end = (): void => resolve(CRASHED);
      node.crashed.push(end);
      run.then(
        (value) => {
          const at = node.crashed.indexOf(end);
          if (at >= 0) node.crashed.splice(at, 1);
          resolve(value);
        },
        reject,
      );
    });
  }

  /**
   * Lets everything the last step started settle: event-loop turns until one
   * sends no message and sets or runs no timer. (The engine is synchronous
   * under appendfsync no, so the first turn, which runs every microtask
   * queued, is almost always the last.)
   */
  async quiesce(): Promise<void> {
    for (;;) {
      const sent = this.network.counters.sent;
      const timers = this.clock.pending;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.network.counters.sent === sent && this.clock.pending === timers) return;
    }
  }

  /** Moves the clock ms forward, one due timer time at a time, settling after each (ms <= 0: settles only; a restart's start may have moved time past a step's planned time). */
  async settle(ms: number): Promise<void> {
    const end = this.clock.now() + Math.max(0, ms);
    await this.quiesce();
    for (let next = this.clock.nextAt(); next !== null && next <= end; next = this.clock.nextAt()) {
      this.clock.advance(next - this.clock.now());
      await this.quiesce();
    }
    this.clock.advance(end - this.clock.now());
    await this.quiesce();
  }

  /** Closes every node (the data dirs stay for the caller to remove). */
  async close(): Promise<void> {
    for (const node of this.nodes) {
      const c = node.coordinator;
      node.coordinator = null;
      await c?.close();
    }
  }
}

/** A reply for the trace. */
export function showReply(reply: SimOutcome): string {
  if (reply === CRASHED) return 'crashed';
  if (reply === null) return 'nil';
  if (reply instanceof ReplyError) return `-${reply.message}`;
  if (Buffer.isBuffer(reply)) return reply.toString('latin1');
  if (typeof reply === 'string') return `+${reply}`;
  if (typeof reply === 'number') return `:${reply}`;
  if (Array.isArray(reply)) return `[${reply.length}]`;
  const versions = reply as { siblings: readonly { value: Buffer | null }[] };
  return `{${versions.siblings.map((s) => (s.value === null ? '(deleted)' : s.value.toString('latin1'))).join(',')}}`;
}
