// test/sim/sim-network.ts — the simulation's cluster bus: an in-memory network
// giving each node a Transport (cluster/bus/transport.ts), every message
// delivered by a timer of the one ManualClock after a seeded delay. Links
// are FIFO per direction (the real bus is one TCP connection per peer)
// unless `reorder` is on; a message can be lost (`loss`), a link cut one way
// or both (a partition), a node crashed: its in-flight messages are lost,
// requests to it time out through the clock (a halted machine) or, killed
// (its host still answers), fail ECONNLOST / ECONNFAILED as a refused TCP
// connection does. A node can be made to answer a kind of request with an
// error (a full disk). Replies on a link go back in request order, as the
// bus's inbound connection writes them. Nothing here reads real time or
// Math.random: a run is a function of the seed.
import { createHash, type Hash } from 'node:crypto';
import { BusError, BusTimeoutError, type BusPeer, type BusReply, type Transport, type TransportFactory, type TransportHandlers } from '../../cluster/bus/bus';
import type { Clock, ManualClock, TimerHandle } from '../../cluster/clock';
import { ReplyError } from '../../protocol/reply-parser';

export interface NetworkFaults {
  /** Probability that one message (request or reply) is lost. */
  loss: number;
  /** A message takes minDelayMs..maxDelayMs (whole ms, uniform). */
  minDelayMs: number;
  maxDelayMs: number;
  /** Messages of one link may overtake each other; off: FIFO per link. */
  reorder: boolean;
}

export const NO_FAULTS: NetworkFaults = { loss: 0, minDelayMs: 1, maxDelayMs: 1, reorder: false };

/** halt: the machine stops (silence, timeouts); kill: the process dies, its host refuses connections. */
export type CrashKind = 'halt' | 'kill';

export interface NetworkCounters {
  sent: number;
  delivered: number;
  lost: number;
}

interface Pending {
  readonly to: string;
  readonly resolve: (reply: BusReply) => void;
  readonly reject: (err: Error) => void;
  readonly timer: TimerHandle;
}

/** A request received from one peer, in arrival order; its reply leaves once it and those before it are done. */
interface ReplySlot {
  readonly id: number;
  done: boolean;
  reply: BusReply;
}

const link = (from: string, to: string): string => `${from}>${to}`;

export class SimNetwork {
  readonly counters: NetworkCounters = { sent: 0, delivered: 0, lost: 0 };
  /** Every message's bytes and fate, in order: two runs of one seed hash alike. */
  private readonly hash: Hash = createHash('sha256');
  private readonly nodes = new Map<string, SimTransport>();
  /** Bumped when a node crashes or restarts: what was in flight to or from its old self is lost. */
  private readonly epochs = new Map<string, number>();
  private readonly down = new Map<string, CrashKind>();
  private readonly cut = new Set<string>();
  /** When the last message of each link is delivered (FIFO). */
  private readonly tails = new Map<string, number>();
  /** Links whose connection's handshake has happened. */
  private readonly connected = new Set<string>();
  private lastRequestId = 0;
  /** Injected error replies, by "node COMMAND". */
  private readonly failing = new Map<string, string>();

  constructor(
    readonly clock: ManualClock,
    private readonly rand: () => number,
    public faults: NetworkFaults,
    private readonly trace: (line: string) => void,
    /** The default request timeout (the cluster's timeoutMs). */
    readonly requestTimeoutMs: number,
  ) {}

  /** The transport factory of a node, whose timers run on `clock` (its own, maybe skewed, view of the manual clock). */
  transport(nodeId: string, clock: Clock): TransportFactory {
    return (handlers) => new SimTransport(this, nodeId, clock, handlers);
  }

  /** The node stops: everything in flight to or from it is lost; later requests to it time out (halt) or are refused (kill). */
  crash(nodeId: string, kind: CrashKind): void {
    this.bump(nodeId);
    this.down.set(nodeId, kind);
    this.nodes.get(nodeId)?.crashed();
    this.nodes.delete(nodeId);
    if (kind === 'kill') for (const node of this.nodes.values()) node.connectionLost(nodeId);
    this.trace(`crash ${nodeId} (${kind})`);
  }

  /** Cuts the links from a to b (and b to a unless oneWay): messages on them are lost, in flight or not. */
  partition(a: readonly string[], b: readonly string[], oneWay = false): void {
    for (const x of a) {
      for (const y of b) {
        this.cut.add(link(x, y));
        if (!oneWay) this.cut.add(link(y, x));
      }
    }
    this.trace(`partition ${a.join(',')} ${oneWay ? '->' : '<->'} ${b.join(',')}`);
  }

  /** Mends every cut link; their connections are made anew (the peers handshake again). */
  heal(): void {
    for (const l of this.cut) this.connected.delete(l);
    this.cut.clear();
    this.trace('heal');
  }

  /** Mends the links between a and b, both ways (a node's own heal() of its drops). */
  mend(a: string, b: string): void {
    for (const l of [link(a, b), link(b, a)]) {
      if (this.cut.delete(l)) this.connected.delete(l);
    }
    this.trace(`mend ${a} <-> ${b}`);
  }

  /** A number for a request, unique in this network (replies name it). */
  requestId(): number {
    return ++this.lastRequestId;
  }

  /** A connection from -> to refused (its host is up, its process dead): fail() after a round trip, unless the link is cut (then silence). */
  refuse(from: string, to: string, id: number, fail: () => void): void {
    const l = link(from, to);
    this.counters.sent++;
    this.hash.update(`@${this.clock.now()} ${l} connect#${id}\n`);
    if (this.cut.has(l)) return this.lost(l, `connect#${id}`, 'cut');
    const epoch = this.epoch(from);
    this.clock.setTimer(2 * this.faults.maxDelayMs, () => {
      if (this.epoch(from) !== epoch) return;
      this.trace(`refused ${l} connect#${id}`);
      fail();
    });
  }

  /** From now on node answers every request named `command` (upper case) with this error instead of running it (a full disk, say); null ends it. */
  failRequests(nodeId: string, command: string, error: string | null): void {
    const key = `${nodeId} ${command}`;
    if (error === null) this.failing.delete(key);
    else this.failing.set(key, error);
    this.trace(error === null ? `${nodeId} runs ${command} again` : `${nodeId} answers ${command} with -${error}`);
  }

  /** The error node answers this request with instead of running it; null: it runs it. */
  failure(nodeId: string, argv: readonly Buffer[]): string | null {
    return this.failing.size === 0 ? null : (this.failing.get(`${nodeId} ${argv[0].toString('latin1').toUpperCase()}`) ?? null);
  }

  isCut(from: string, to: string): boolean {
    return this.cut.has(link(from, to));
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }

  // ---- for SimTransport ----

  attach(node: SimTransport): void {
    if (this.nodes.has(node.id)) throw new Error(`sim network: ${node.id} is attached twice`);
    this.bump(node.id);
    this.down.delete(node.id);
    this.nodes.set(node.id, node);
  }

  detach(node: SimTransport): void {
    if (this.nodes.get(node.id) !== node) return;
    this.bump(node.id);
    this.nodes.delete(node.id);
    this.down.set(node.id, 'kill');
  }

  downKind(nodeId: string): CrashKind | null {
    return this.nodes.has(nodeId) ? null : (this.down.get(nodeId) ?? 'halt');
  }

  epoch(nodeId: string): number {
    return this.epochs.get(nodeId) ?? 0;
  }

  /**
   * Sends one message from -> to: lost at once (cut link, bad luck) or
   * delivered after its delay unless by then the link is cut or either end
   * crashed or restarted.
   */
  send(from: string, to: string, what: string, bytes: readonly (Buffer | string)[], deliver: (target: SimTransport) => void): void {
    this.counters.sent++;
    const l = link(from, to);
    this.record(`${l} ${what}`, bytes);
    if (this.cut.has(l) || this.rand() < this.faults.loss) {
      this.lost(l, what, this.cut.has(l) ? 'cut' : 'loss');
      return;
    }
    const { minDelayMs, maxDelayMs } = this.faults;
    const delay = minDelayMs + Math.floor(this.rand() * (maxDelayMs - minDelayMs + 1));
    let at = this.clock.now() + delay;
    if (!this.faults.reorder) at = Math.max(at, this.tails.get(l) ?? 0);
    this.tails.set(l, at);
    const fromEpoch = this.epoch(from);
    const toEpoch = this.epoch(to);
    this.clock.setTimer(at - this.clock.now(), () => {
      const target = this.nodes.get(to);
      if (this.cut.has(l)) return this.lost(l, what, 'cut in flight');
      if (target === undefined || this.epoch(to) !== toEpoch || this.epoch(from) !== fromEpoch) return this.lost(l, what, 'crash');
      this.counters.delivered++;
      this.hash.update(`@${this.clock.now()} ${l} ${what}\n`);
      this.trace(`${l} ${what}`);
      if (!this.connected.has(l)) {
        this.connected.add(l);
        if (what.startsWith('req')) target.handlers.onInboundHandshake(from, true);
      }
      deliver(target);
    });
  }

  private lost(l: string, what: string, why: string): void {
    this.counters.lost++;
    this.trace(`lost ${l} ${what} (${why})`);
    this.hash.update(`lost ${l} ${what}\n`);
  }

  private record(head: string, bytes: readonly (Buffer | string)[]): void {
    this.hash.update(`@${this.clock.now()} ${head}`);
    for (const b of bytes) this.hash.update(b);
  }

  private bump(nodeId: string): void {
    this.epochs.set(nodeId, this.epoch(nodeId) + 1);
    for (const l of [...this.connected]) if (l.startsWith(`${nodeId}>`) || l.endsWith(`>${nodeId}`)) this.connected.delete(l);
  }
}

/** One node's end of the network: a Transport. */
export class SimTransport implements Transport {
  private readonly pending = new Map<number, Pending>();
  /** Requests received, by sender, awaiting their turn to reply. */
  private readonly slots = new Map<string, ReplySlot[]>();
  /** Peers this node's drop() cut it from. */
  private readonly dropped = new Set<string>();
  private closed = false;

  constructor(
    private readonly net: SimNetwork,
    readonly id: string,
    private readonly clock: Clock,
    readonly handlers: TransportHandlers,
  ) {}

  listen(): Promise<number> {
    this.net.attach(this);
    return Promise.resolve(0);
  }

  request(peer: BusPeer, argv: readonly (Buffer | string)[], timeoutMs = this.net.requestTimeoutMs): Promise<BusReply> {
    if (this.closed) return Promise.reject(new BusError('ECLOSED', peer.id, 'the bus is closed'));
    const to = peer.id;
    const id = this.net.requestId();
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(timeoutMs, () => {
        if (!this.pending.delete(id)) return;
        reject(new BusTimeoutError(to, timeoutMs));
      });
      this.pending.set(id, { to, resolve, reject, timer });
      const copy = argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : Buffer.from(a)));
      const what = `req#${id} ${describe(copy)}`;
      if (this.net.downKind(to) === 'kill') {
        this.net.refuse(this.id, to, id, () => this.fail(id, new BusError('ECONNFAILED', to, `connection to ${to} refused`)));
        return;
      }
      this.net.send(this.id, to, what, copy, (target) => target.receive(this.id, id, copy));
    });
  }

  /** DYN.FAULT's drop: the links with this peer cut both ways, as the bus drops its traffic either way. */
  drop(peerId: string): void {
    this.dropped.add(peerId);
    this.net.partition([this.id], [peerId]);
  }

  /** Ends this node's drops (partitions the schedule made stay). */
  heal(): void {
    for (const peerId of this.dropped) this.net.mend(this.id, peerId);
    this.dropped.clear();
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.net.detach(this);
      for (const [id, p] of this.pending) this.fail(id, new BusError('ECLOSED', p.to, 'the bus is closed'));
    }
    return Promise.resolve();
  }

  /** The network crashed this node: its requests never settle (the process is gone). */
  crashed(): void {
    this.closed = true;
    for (const p of this.pending.values()) this.clock.clearTimer(p.timer);
    this.pending.clear();
    this.slots.clear();
  }

  /** A peer was killed: requests to it fail as a broken connection does. */
  connectionLost(peerId: string): void {
    for (const [id, p] of this.pending) if (p.to === peerId) this.fail(id, new BusError('ECONNLOST', peerId, `the connection to ${peerId} was lost`));
  }

  /** A peer's request arrives: the handler runs at once; the reply leaves in request order. */
  receive(from: string, id: number, argv: Buffer[]): void {
    let queue = this.slots.get(from);
    if (queue === undefined) this.slots.set(from, (queue = []));
    const q = queue;
    const slot: ReplySlot = { id, done: false, reply: null };
    queue.push(slot);
    const complete = (reply: BusReply): void => {
      slot.reply = reply;
      slot.done = true;
      this.flush(from, q);
    };
    const injected = this.net.failure(this.id, argv);
    if (injected !== null) {
      complete(new ReplyError(injected));
      return;
    }
    let result: BusReply | Promise<BusReply>;
    try {
      result = this.handlers.onRequest(from, argv);
    } catch (err) {
      complete(handlerError(err));
      return;
    }
    if (result instanceof Promise) result.then(complete, (err: unknown) => complete(handlerError(err)));
    else complete(result);
  }

  /** Sends the replies ready at the head of from's queue (none once this node crashed: its queues are gone). */
  private flush(from: string, queue: ReplySlot[]): void {
    if (this.slots.get(from) !== queue) return;
    while (queue.length > 0 && queue[0].done) {
      const slot = queue.shift() as ReplySlot;
      const reply = copyReply(slot.reply);
      this.net.send(this.id, from, `rep#${slot.id} ${showBusReply(reply)}`, replyBytes(reply), (target) => target.answer(slot.id, reply));
    }
  }

  /** A reply arrives. */
  answer(id: number, reply: BusReply): void {
    const p = this.pending.get(id);
    if (p === undefined) return; // late: the request timed out
    this.pending.delete(id);
    this.clock.clearTimer(p.timer);
    p.resolve(reply);
  }

  private fail(id: number, err: Error): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    this.clock.clearTimer(p.timer);
    p.reject(err);
  }
}

/** What a handler that threw or rejected answers (as the bus's inbound side). */
function handlerError(err: unknown): ReplyError {
  return new ReplyError(`ERR ${err instanceof Error ? err.message : String(err)}`);
}

/** A reply as the wire would carry it: no Buffer shared with the node that made it. */
function copyReply(reply: BusReply): BusReply {
  if (Buffer.isBuffer(reply)) return Buffer.from(reply);
  if (Array.isArray(reply)) return reply.map(copyReply);
  return reply;
}

function replyBytes(reply: BusReply): (Buffer | string)[] {
  if (Buffer.isBuffer(reply)) return [reply];
  if (reply instanceof ReplyError) return [`-${reply.message}`];
  if (Array.isArray(reply)) return reply.flatMap(replyBytes);
  return [String(reply)];
}

/** A reply for the trace: its kind and size. */
function showBusReply(reply: BusReply): string {
  if (reply === null) return 'nil';
  if (Buffer.isBuffer(reply)) return `${reply.length} bytes`;
  if (reply instanceof ReplyError) return `-${reply.message.slice(0, 60)}`;
  if (Array.isArray(reply)) return `[${reply.length}]`;
  return String(reply);
}

/** A request for the trace: its name and its key. */
function describe(argv: readonly Buffer[]): string {
  const name = argv[0].toString('latin1');
  return argv.length > 2 ? `${name} ${argv[2].toString('latin1').slice(0, 40)}` : name;
}
