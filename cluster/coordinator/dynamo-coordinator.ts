// cluster/coordinator/dynamo-coordinator.ts — the Coordinator (coordinator.ts): this
// node's replicas (replica/store.ts) plus, when there are other members,
// quorum reads (quorum/read.ts) and writes (quorum/rounds.ts's WriteRound) over the
// cluster bus, read repair, forwarding, and the requests peers send here
// (replica-service.ts).
//
// Writes: a key written here while this node is one of its N replicas is
// coordinated here: the local replica makes the new version, which goes to
// the other replicas; end() waits for W acks in all (the local write is
// one). A key this node holds no replica of is written by one of its
// replicas (REPLICA.PUT). A command another node forwarded also waits for
// that node's ack when it is a replica, so the client reading back through
// it sees its write.
// Reads: prepare() asks all N replicas and waits for R; the merged versions
// go into the local replica when this node is one (the handler then reads
// it), else into the command's view. Replicas that answered with less get
// the merge once every replica answered or timed out (read repair).
// Flushes reach every member.
import { AntiEntropy } from '../anti-entropy/scheduler';
import { DEFAULT_ANTI_ENTROPY, type AntiEntropyStatus } from '../anti-entropy/types';
import { Maintenance } from '../anti-entropy/maintenance';
import type { MaintenanceCounters, MaintenanceSettings } from '../anti-entropy/types';
import { ClusterBus, type BusReply, type Transport, type TransportFactory } from '../bus/bus';
import type { Clock } from '../clock';
import { WRONG_TYPE, type ClusterCounters, type ClusterNodeState, type CommandAccess, type Coordinator, type KeyMeta, type PreparedView, type ScanPage } from './coordinator';
import type { EngineOptions, EngineStats, ExpirySweep, FsyncMode } from '../../engine/index';
import { Heartbeat } from '../membership/heartbeat';
import { Membership, PeerDownError, type ClusterOptions } from '../membership/membership';
import { DEFAULT_HANDOFF, HintedHandoff, type HandoffSettings, type HintTargetStats } from '../handoff/delivery';
import { replicateSloppy } from '../handoff/sloppy-replicate';
import { quorumRead } from '../quorum/read';
import { ReplicaService } from './replica-service';
import { Hashes } from './hashes';
import { HashSync } from './hash-sync';
import { Sets } from './sets';
import { Zsets } from './zsets';
import { ElementSync } from './element-sync';
import { FIELD_KIND, SUMMARY_KIND } from '../replica/element-records';
import { Lists } from './lists';
import { incarnation } from '../replica/incarnation';
import { ReplicaStore } from '../replica/store';
import { decodeVersions, encodeContext, encodeVersions } from '../versions/codec';
import { afterFlush } from '../versions/lifetimes';
import { DEFAULT_MAX_SIBLINGS, EMPTY_VERSIONS, actorId, joinedWinner, liveWinner, type Actor, type KeyVersions, type VersionVector, type VersionWrite } from '../versions/versions';
import { counterRead, stringRead, type CounterRead } from '../versions/counter-read';
import { NO_ORIGIN, counterValue, encodeCounter, incrementCounter, startCounter, type Counter } from '../../datatypes/counter';
import { DataType, redisType } from '../../datatypes/types';
import { ReplyError } from '../../protocol/reply-parser';

export interface CoordinatorHooks {
  /** Every key a write changed on this replica (WATCH's invalidation). */
  onWrite(db: number, key: Buffer): void;
  /** Every key reclaimed because a read found it expired (INFO's expired_keys). */
  onExpire(db: number, key: Buffer): void;
}

const keyName = (key: Buffer): string => key.toString('latin1');

const ignore = (): void => undefined;

export class DynamoCoordinator implements Coordinator {
  readonly databases: number;
  readonly single: boolean;
  readonly selfId: string;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly actor: Actor;
  readonly maxSiblings = DEFAULT_MAX_SIBLINGS;
  readonly counters: ClusterCounters = { readRepairs: 0, readRepairsFailed: 0, siblingsPruned: 0, forwarded: 0, forwardsServed: 0, unavailable: 0, typeClashes: 0 };
  onForward: ((db: number, resp: number, argv: Buffer[], from: string) => Promise<Buffer>) | null = null;
  readonly replicas: ReplicaStore;
  readonly hashSync: HashSync | null;
  /** Collections' element records from the other replicas, merged through their types (element-sync.ts). */
  readonly elementSync: ElementSync;
  readonly hashes: Hashes;
  readonly sets: Sets;
  readonly zsets: Zsets;
  readonly lists: Lists;
  readonly membership: Membership;
  /** Tombstone reaping, flush epochs, scrubbing and repair of corrupt records (anti-entropy/maintenance.ts). */
  readonly maintenance: Maintenance;
  private readonly bus: Transport | null;
  readonly timeoutMs: number;
  private readonly faultInjection: boolean;
  private readonly expiryCursor: bigint[];
  /** The running command's view and origin (begin/end). */
  private view: PreparedView = null;
  private origin: string | null = null;
  /** Writes of the running command awaiting their acks; each resolves with an error reply or null. */
  private pending: Promise<string | null>[] = [];
  private heartbeat: Heartbeat | null = null;
  /** Hints this node keeps for other replicas, and their delivery (handoff/). */
  readonly handoff: HintedHandoff;
  /** Merkle-tree exchanges with the other replicas (none when N = 1). */
  readonly antiEntropy: AntiEntropy | null;

  constructor(
    options: ClusterOptions,
    dir: string,
    engineOptions: EngineOptions,
    databases: number,
    readonly hooks: CoordinatorHooks,
    /** Where time comes from: realClock in a server, a ManualClock in tests. */
    readonly clock: Clock,
    /** How this node reaches its peers: a ClusterBus on options.self's bus port unless given (the simulation's in-memory network). */
    transport?: TransportFactory,
  ) {
    this.membership = new Membership(options, clock);
    this.databases = databases;
    this.single = this.membership.single;
    this.selfId = options.self.id;
    this.n = this.membership.n;
    this.r = options.r;
    this.w = options.w;
    this.timeoutMs = options.timeoutMs;
    this.faultInjection = options.faultInjection;
    this.replicas = new ReplicaStore(dir, engineOptions, databases, this.n === 1, clock);
    this.actor = actorId(this.selfId, incarnation(dir));
    this.expiryCursor = new Array<bigint>(databases).fill(0n);
    this.handoff = new HintedHandoff(
      dir,
      { clock, isUp: (id) => this.membership.member(id) !== undefined && this.membership.isUp(id), send: (id, argv, ok, fail) => this.send(id, argv, ok, fail), fsync: () => this.replicas.fsync },
      options.handoff ?? DEFAULT_HANDOFF,
      (message) => console.error(`dynkv: ${message}`),
    );
    this.antiEntropy = this.n > 1 ? new AntiEntropy(this, dir, this.membership.ring, this.n, options.antiEntropy ?? DEFAULT_ANTI_ENTROPY) : null;
    this.hashSync = this.single ? null : new HashSync(this);
    this.elementSync = new ElementSync(this.replicas);
    const hashSync = this.hashSync;
    if (hashSync !== null) this.elementSync.register(FIELD_KIND, (db, key, field, record, converted) => hashSync.apply(db, key, field, record, converted));
    // After the element sync: resuming an unfinished flush purge puts element records back through it.
    this.maintenance = new Maintenance(this, dir, this.single, this.maxSiblings);
    this.hashes = new Hashes(this, this.hashSync);
    this.sets = new Sets(this, this.hashSync);
    this.zsets = new Zsets(this, this.hashSync);
    this.lists = new Lists(this, this.hashSync);
    // Each keeps an index only of its own type's keys: the one that has one for the key follows the change.
    if (this.hashSync !== null) {
      this.hashSync.onElement = (db, key, element, wasLive, isLive) => {
        this.zsets.applied(db, key, element);
        this.lists.elementChanged(db, key, element, wasLive, isLive);
      };
    }
    const service = new ReplicaService(this);
    const handlers = {
      onRequest: (from: string, argv: Buffer[]) => service.handle(from, argv),
      onInboundHandshake: (peer: string, ok: boolean) => this.inboundHandshake(peer, ok),
    };
    this.bus = this.single
      ? null
      : (transport?.(handlers) ??
        new ClusterBus({
          nodeId: this.selfId,
          host: options.self.host,
          port: options.self.busPort,
          secret: options.secret,
          requestTimeoutMs: options.timeoutMs,
          clock,
          ...handlers,
        }));
  }

  async start(): Promise<void> {
    if (this.bus !== null) {
      this.antiEntropy?.start();
      await this.bus.listen();
      const bus = this.bus;
      this.heartbeat = new Heartbeat(this.membership, this.clock, (id) => bus.request(this.membership.peer(id), ['REPLICA.PING']), this.membership.heartbeatMs);
      this.handoff.open((id) => this.membership.member(id) !== undefined);
      this.handoff.start();
      await this.heartbeat.start();
    }
    await this.maintenance.start();
  }

  /** Failure detection's settings (CONFIG SET cluster-phi-threshold, cluster-heartbeat-ms). */
  setFailureDetection(phiThreshold: number, heartbeatMs: number): void {
    this.membership.configure(phiThreshold, heartbeatMs);
    this.heartbeat?.setPeriod(heartbeatMs);
  }

  /**
   * A peer's handshake on a connection it opened. A success proves it up. A
   * failure names a node id nobody proved, so it is checked with a request
   * of this node's own: its handshake fails too if the secrets differ (the
   * peer is then auth-failed on both sides), and a stranger claiming a
   * member's id changes nothing.
   */
  private inboundHandshake(peer: string, ok: boolean): void {
    if (peer === this.selfId || this.membership.member(peer) === undefined) return;
    if (ok) {
      this.membership.heard(peer, null);
      this.antiEntropy?.peerUp();
    } else if (this.membership.isUp(peer)) this.send(peer, ['REPLICA.PING'], ignore, ignore);
  }

  async close(): Promise<void> {
    this.heartbeat?.stop();
    this.antiEntropy?.close();
    this.maintenance.stop();
    await this.bus?.close();
    this.handoff.close();
    this.replicas.close();
  }

  // ---- reads of what the handler sees ----

  private viewed(key: Buffer): KeyVersions | undefined {
    return this.view === null ? undefined : this.view.get(keyName(key));
  }

  get(db: number, key: Buffer, touch = true): Buffer | null {
    const viewed = this.viewed(key);
    if (viewed !== undefined) return stringRead(viewed, this.clock.now());
    const value = this.replicas.get(db, key, touch);
    if (value === null) this.expireOnAccess(db, key);
    return value;
  }

  getInto(db: number, key: Buffer, target: Buffer, offset: number): number {
    const viewed = this.viewed(key);
    if (viewed !== undefined) {
      const top = liveWinner(viewed, this.clock.now());
      if (top === null) return -1;
      if (redisType(top.type ?? 0) !== DataType.string) return WRONG_TYPE;
      const value = stringRead(viewed, this.clock.now()) as Buffer;
      if (value.length <= target.length - offset) value.copy(target, offset);
      return value.length;
    }
    const len = this.replicas.getInto(db, key, target, offset);
    if (len < 0) this.expireOnAccess(db, key);
    return len;
  }

  meta(db: number, key: Buffer): KeyMeta | null {
    const viewed = this.viewed(key);
    if (viewed !== undefined) {
      const top = liveWinner(viewed, this.clock.now());
      if (top === null) return null;
      if (top.type === DataType.counter || top.type === DataType.hll) return { expireAt: top.expireAt, length: (stringRead(viewed, this.clock.now()) as Buffer).length, type: DataType.string, tag: top.type };
      return { expireAt: top.expireAt, length: (top.value as Buffer).length, type: top.type ?? 0 };
    }
    const meta = this.replicas.meta(db, key);
    if (meta === null) this.expireOnAccess(db, key);
    return meta;
  }

  idle(db: number, key: Buffer): number | null {
    const seconds = this.replicas.idle(db, key);
    return seconds < 0 ? null : seconds;
  }

  touch(db: number, key: Buffer, idleSeconds = 0): void {
    this.replicas.touch(db, key, idleSeconds);
  }

  /** Reap mode (N = 1): a miss may be an expired key, reclaimed now as Redis does on access. */
  private expireOnAccess(db: number, key: Buffer): void {
    if (this.replicas.reap && this.replicas.expireIfDue(db, key)) this.hooks.onExpire(db, key);
  }

  localElements(db: number, key: Buffer): { count: number | null; records: { member: Buffer; kind: number; versions: KeyVersions }[] } {
    const records: { member: Buffer; kind: number; versions: KeyVersions }[] = [];
    for (const { elementKey, kind, member } of this.replicas.elementRecords.collection(db, key)) {
      const record = kind === SUMMARY_KIND ? null : this.replicas.elementRecords.record(db, elementKey);
      if (record !== null) records.push({ member, kind, versions: decodeVersions(record) });
    }
    return { count: this.replicas.hashes.summary(db, key)?.count ?? null, records };
  }

  versions(db: number, key: Buffer): KeyVersions {
    return this.viewed(key) ?? this.replicas.read(db, key) ?? EMPTY_VERSIONS;
  }

  prefetch(db: number, keys: Buffer, lens: Uint32Array, count: number): void {
    this.replicas.prefetch(db, keys, lens, count);
  }

  scan(db: number, cursor: bigint, count: number): ScanPage {
    return this.replicas.scan(db, cursor, count);
  }

  size(db: number): number {
    return this.replicas.size(db);
  }

  expiring(db: number): number {
    return this.replicas.expiring(db);
  }

  reclaimExpired(db: number, limit: number): ExpirySweep {
    const sweep = this.replicas.reclaimExpired(db, this.expiryCursor[db], limit);
    this.expiryCursor[db] = sweep.cursor;
    return sweep;
  }

  sweepIndexes(limit: number): number {
    return this.zsets.sweepIndexes(limit) + this.lists.sweepIndexes(limit);
  }

  indexCount(): number {
    return this.zsets.indexCount() + this.lists.indexCount();
  }

  durable(): Promise<void> | null {
    return this.replicas.durable();
  }

  setFsync(mode: FsyncMode): void {
    this.replicas.setFsync(mode);
  }

  stats(): EngineStats[] {
    return this.replicas.stats();
  }

  // ---- writes ----

  set(db: number, key: Buffer, value: Buffer, expireAt: number): void {
    this.write(db, key, value, expireAt, 'local', null);
  }

  delete(db: number, key: Buffer): boolean {
    if (this.meta(db, key) === null) return false;
    this.lists.dropIndex(db, key);
    this.write(db, key, null, 0, 'local', null);
    this.zsets.dropIndex(db, key);
    return true;
  }

  writeWithContext(db: number, key: Buffer, value: Buffer | null, expireAt: number, context: VersionVector | 'local', w: number | null): void {
    this.write(db, key, value, expireAt, context, w);
  }

  writeTyped(db: number, key: Buffer, value: Buffer, expireAt: number, type: number): void {
    this.write(db, key, value, expireAt, 'local', null, type);
  }

  /**
   * With N = 1 a key has one replica, so no two INCRs of it are ever
   * concurrent: the value stays a string, read and written by GET's and
   * SET's fast paths (a counter costs INCR 2-3x its time, measured).
   */
  counter(db: number, key: Buffer, parse: (value: Buffer) => bigint | null): CounterRead {
    if (this.n > 1) return counterRead(this.versions(db, key), this.clock.now(), parse);
    const meta = this.meta(db, key);
    const value = meta === null ? null : this.get(db, key);
    if (meta === null || value === null) return { counter: startCounter(0n, NO_ORIGIN), expireAt: 0 };
    const base = parse(value);
    return { counter: base === null ? null : startCounter(base, NO_ORIGIN), expireAt: meta.expireAt };
  }

  increment(db: number, key: Buffer, counter: Counter, by: bigint, expireAt: number): void {
    const next = incrementCounter(counter, this.actor, by);
    // A write coordinated by another node (REPLICA.PUT) carries no tag: from here, the value as a string.
    if (this.n > 1 && this.holdsReplica(key)) this.write(db, key, encodeCounter(next), expireAt, 'local', null, DataType.counter);
    else this.write(db, key, Buffer.from(String(counterValue(next)), 'latin1'), expireAt, 'local', null);
  }

  /** With N = 1 (no concurrent PFADDs) a plain string, as INCR's counters (increment above). */
  writeHll(db: number, key: Buffer, value: Buffer, expireAt: number): void {
    if (this.n > 1 && this.holdsReplica(key)) this.write(db, key, value, expireAt, 'local', null, DataType.hll);
    else this.write(db, key, value, expireAt, 'local', null);
  }

  setExpiry(db: number, key: Buffer, expireAt: number): boolean {
    const top = joinedWinner(this.versions(db, key), this.clock.now());
    if (top === null) return false;
    this.write(db, key, top.value, expireAt, 'local', null, top.type ?? 0);
    return true;
  }

  pend(write: Promise<string | null>): void {
    this.pending.push(write);
  }

  holdsReplica(key: Buffer): boolean {
    return this.single || this.membership.preferenceList(key).includes(this.selfId);
  }

  private write(db: number, key: Buffer, value: Buffer | null, expireAt: number, context: VersionVector | 'local', w: number | null, type = 0): void {
    const write: VersionWrite = type === 0 ? { value, timestamp: this.clock.now(), expireAt } : { value, timestamp: this.clock.now(), expireAt, type };
    if (this.single) {
      this.coordinateHere(db, key, write, context);
      return;
    }
    const list = this.membership.preferenceList(key);
    if (list.includes(this.selfId)) {
      const record = this.coordinateHere(db, key, write, context);
      if (list.length > 1) this.pending.push(this.replicate(db, key, record, list, w ?? this.w));
      return;
    }
    this.pending.push(this.remotePut(db, key, write, context, list, w));
    // Later reads by the same command see the write.
    this.view ??= new Map();
    this.view.set(keyName(key), { clock: new Map([[this.actor, 1]]), siblings: [{ dot: { actor: this.actor, counter: 1 }, node: this.selfId, ...write }] });
  }

  /** Makes the new version on the local replica; returns its record, what the other replicas get. */
  coordinateHere(db: number, key: Buffer, write: VersionWrite, context: VersionVector | 'local'): Buffer {
    let record: Buffer;
    if (context === 'local') {
      record = this.replicas.localWrite(db, key, this.actor, write);
    } else {
      const { versions, pruned } = this.replicas.coordinate(db, key, context, this.actor, write, this.maxSiblings);
      this.counters.siblingsPruned += pruned;
      record = encodeVersions(versions);
    }
    this.hooks.onWrite(db, key);
    return record;
  }

  /** Sends the coordinated record to the other replicas, standing in fallbacks for primaries down (handoff/sloppy-replicate.ts); resolves once W acked (the local write is one), and the origin, if a replica, answered. */
  replicate(db: number, key: Buffer, record: Buffer, list: readonly string[], w: number): Promise<string | null> {
    const origin = this.origin !== null && this.origin !== this.selfId && list.includes(this.origin) ? this.origin : null;
    const fallbacks = this.membership.fallbacks(key);
    return replicateSloppy(this, { db, key, record, element: null, primaries: list, fallbacks, w: Math.min(w, list.length), deadline: this.clock.now() + this.timeoutMs, origin });
  }

  /** replicate() of a collection's element record made here: the same sloppy quorum and hints, under its element key (its parent's preference list). */
  replicateElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): Promise<string | null> {
    const list = this.membership.preferenceList(elementKey);
    const origin = this.origin !== null && this.origin !== this.selfId && list.includes(this.origin) ? this.origin : null;
    const fallbacks = this.membership.fallbacks(elementKey);
    return replicateSloppy(this, { db, key: elementKey, record, element: { converted }, primaries: list, fallbacks, w: Math.min(this.w, list.length), deadline: this.clock.now() + this.timeoutMs, origin });
  }

  handoffStats(): HintTargetStats[] {
    return this.handoff.stats();
  }

  configureHandoff(settings: HandoffSettings): void {
    this.handoff.settings = settings;
  }

  /** A write of a key this node holds no replica of: one of its replicas coordinates it (the first that answers). */
  private async remotePut(db: number, key: Buffer, write: VersionWrite, context: VersionVector | 'local', list: readonly string[], w: number | null): Promise<string | null> {
    const argv: (Buffer | string)[] = [
      'REPLICA.PUT',
      String(db),
      key,
      String(write.expireAt),
      context === 'local' ? '' : encodeContext(context),
      w === null ? '' : String(w),
    ];
    if (write.value !== null) argv.push(write.value);
    let lastError = '';
    for (const node of this.candidates(list)) {
      try {
        await this.request(node, argv);
        return null;
      } catch (err) {
        if (err instanceof ReplyError) return err.message;
        lastError = (err as Error).message;
      }
    }
    this.counters.unavailable++;
    return `DYNUNAVAILABLE no replica of the key answered: ${lastError}`;
  }

  /** The list, nodes believed up first (in preference order), then the others. */
  private candidates(list: readonly string[]): string[] {
    const up = list.filter((id) => this.membership.isUp(id));
    return [...up, ...list.filter((id) => !this.membership.isUp(id))];
  }

  flush(db: number): void {
    this.expiryCursor[db] = 0n;
    this.zsets.dropIndexes(db);
    this.lists.dropIndexes(db);
    if (this.single) {
      this.replicas.flush(db);
      return;
    }
    // A flush epoch (anti-entropy/flush-sync.ts): acknowledged by W members, learnt by the others when they are back.
    this.pending.push(
      this.maintenance.flush(db, Math.min(this.w, this.membership.all().length)).then((error) => {
        if (error !== null) this.counters.unavailable++;
        return error;
      }),
    );
  }

  swapDatabases(a: number, b: number): void {
    if (!this.single) throw new Error('SWAPDB swaps the databases of a cluster of one only');
    this.replicas.swap(a, b);
    [this.expiryCursor[a], this.expiryCursor[b]] = [this.expiryCursor[b], this.expiryCursor[a]];
    // The in-memory indexes are rebuilt from the records when next read.
    for (const db of [a, b]) {
      this.zsets.dropIndexes(db);
      this.lists.dropIndexes(db);
    }
  }

  /** The other members, up or not. */
  peers(): string[] {
    return this.membership.all().flatMap((m) => (m.id === this.selfId ? [] : [m.id]));
  }

  /** A property, not a method: the sloppy write keeps it as a callback. */
  readonly isUp = (node: string): boolean => this.membership.isUp(node);

  configure(settings: MaintenanceSettings): void {
    this.maintenance.configure(settings);
  }

  get maintenanceCounters(): MaintenanceCounters {
    return this.maintenance.counters;
  }

  // ---- routing, quorum reads, the command's scope ----

  route(keys: readonly Buffer[], access: CommandAccess, forwarded: boolean): string | null {
    if (this.single || forwarded || keys.length === 0 || access === 'read') return null;
    const list = this.membership.preferenceList(keys[0]);
    let target: string;
    if (access === 'blind-write' && list.includes(this.selfId)) target = this.selfId;
    else target = this.membership.firstUp(list);
    // Nobody of the list is up: the command runs here, where its quorum fails at once (forwarding would loop).
    if (target === this.selfId || !this.membership.isUp(target)) return null;
    for (let i = 1; i < keys.length; i++) {
      const other = this.membership.preferenceList(keys[i]);
      if (other === list) continue;
      if (access === 'blind-write' ? !other.includes(target) : this.membership.firstUp(other) !== target) return access === 'read-write' ? this.holderOfAll(keys) : null;
    }
    return target;
  }

  /**
   * A read-write command whose keys have different coordinators
   * (SUNIONSTORE, LMOVE ... across partitions): it runs where replicas of
   * every key are, so a collection's elements can be read and written
   * there: this node if it holds them all, else the first up node that
   * does; here when none does (strings still work through quorums; a
   * collection answers NotAReplicaError). Blind writes (MSET) run where
   * they were sent, as before: each key's write goes to its replicas.
   */
  private holderOfAll(keys: readonly Buffer[]): string | null {
    const lists = keys.map((key) => this.membership.preferenceList(key));
    if (lists.every((list) => list.includes(this.selfId))) return null;
    // Up, not suspect: a forward that failed makes its target suspect, and the caller asks again (no loop on it).
    for (const node of lists[0]) if (node !== this.selfId && this.membership.state(node) === 'up' && lists.every((list) => list.includes(node))) return node;
    return null;
  }

  async forward(node: string, db: number, resp: number, argv: readonly Buffer[]): Promise<Buffer | null> {
    this.counters.forwarded++;
    try {
      const reply = await this.request(node, ['REPLICA.FWD', String(db), String(resp), ...argv]);
      if (!Buffer.isBuffer(reply)) throw new Error(`${node} answered a forwarded command with ${typeof reply}`);
      return reply;
    } catch (err) {
      if (err instanceof ReplyError) return Buffer.from(`-${err.message}\r\n`);
      // No longer the one to route to (suspect or down now): route() picks another.
      if (this.membership.state(node) !== 'up') return null;
      throw err;
    }
  }

  /** Quorum reads of the keys, then (a hash's) catch-up of the fields this replica missed (hash-sync.ts). */
  prepare(db: number, keys: readonly Buffer[], r: number | null): Promise<PreparedView> {
    const sync = this.hashSync;
    if (sync === null) return this.readKeys(db, keys, r);
    return this.readKeys(db, keys, r).then((view) => sync.catchUp(db, keys)?.then(() => view) ?? view);
  }

  private readKeys(db: number, keys: readonly Buffer[], r: number | null): Promise<PreparedView> {
    if (keys.length === 1) {
      const key = keys[0];
      return quorumRead(this, db, key, this.membership.preferenceList(key), r ?? this.r).then((versions) => (versions === null ? null : new Map([[keyName(key), this.afterFlush(db, versions)]])));
    }
    const seen = new Set<string>();
    const reads: Promise<void>[] = [];
    const view = new Map<string, KeyVersions>();
    for (const key of keys) {
      const name = keyName(key);
      if (seen.has(name)) continue;
      seen.add(name);
      reads.push(
        quorumRead(this, db, key, this.membership.preferenceList(key), r ?? this.r).then((versions) => {
          if (versions !== null) view.set(name, this.afterFlush(db, versions));
        }),
      );
    }
    return Promise.all(reads).then(() => (view.size === 0 ? null : view));
  }

  /** A view of a key held elsewhere without what a flush this node knows removed (a stale replica may still send it). */
  private afterFlush(db: number, versions: KeyVersions): KeyVersions {
    const floor = this.replicas.flushFloor[db];
    return floor === 0 ? versions : afterFlush(versions, floor);
  }

  /** Merges a peer's record into the local replica (replication, read repair). */
  applyRecord(db: number, key: Buffer, record: Buffer): boolean {
    const { changed, pruned, clashed } = this.replicas.applyRecord(db, key, record, this.maxSiblings);
    this.counters.siblingsPruned += pruned;
    if (clashed) this.counters.typeClashes++;
    if (changed) this.hooks.onWrite(db, key);
    return changed;
  }

  /** Merges a peer's element record into the local replica, through its collection type (anti-entropy's pulls, flush purges). */
  applyElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): boolean {
    return this.elementSync.apply(db, elementKey, record, converted);
  }

  /** Merges versions into the local replica. */
  applyHere(db: number, key: Buffer, versions: KeyVersions): boolean {
    const { changed, pruned, clashed } = this.replicas.apply(db, key, versions, this.maxSiblings);
    this.counters.siblingsPruned += pruned;
    if (clashed) this.counters.typeClashes++;
    if (changed) this.hooks.onWrite(db, key);
    return changed;
  }

  syncing(key: Buffer): boolean {
    return this.antiEntropy !== null && this.antiEntropy.syncing(key);
  }

  antiEntropyStatus(): AntiEntropyStatus | null {
    return this.antiEntropy?.status() ?? null;
  }

  begin(view: PreparedView, origin: string | null): void {
    this.view = view;
    this.origin = origin;
  }

  end(): Promise<string | null> | null {
    this.view = null;
    this.origin = null;
    const pending = this.pending;
    if (pending.length === 0) return null;
    this.pending = [];
    if (pending.length === 1) return pending[0];
    return Promise.all(pending).then((errors) => errors.find((e) => e !== null) ?? null);
  }

  /** A bus request to a member; its outcome updates that member's liveness. An error reply rejects: the peer is up, but refused (it is no ack). */
  request(node: string, argv: readonly (Buffer | string)[]): Promise<BusReply> {
    return new Promise((resolve, reject) => this.send(node, argv, resolve, reject));
  }

  /** request() with callbacks, for the hot paths (one promise less per request). A peer known to be down fails at once: nothing waits on it. */
  send(node: string, argv: readonly (Buffer | string)[], onReply: (reply: BusReply) => void, onError: (err: Error) => void): void {
    if (this.bus === null) {
      onError(new Error('a cluster of one has no peers'));
      return;
    }
    if (!this.membership.isUp(node)) {
      onError(new PeerDownError(node, this.membership.state(node)));
      return;
    }
    this.bus
      .request(this.membership.peer(node), argv)
      .then(
        (reply) => {
          this.membership.heard(node, null);
          if (reply instanceof ReplyError) onError(reply);
          else onReply(reply);
        },
        (err: Error) => {
          this.membership.heard(node, err);
          onError(err);
        },
      )
      // A callback that throws is a bug of ours: said, and the server goes on.
      .catch((err: Error) => console.error(`dynkv: handling ${node}'s answer failed:`, err));
  }

  // ---- the ring and the cluster, for DYN.* and INFO ----

  preferenceList(key: Buffer): readonly string[] {
    return this.membership.preferenceList(key);
  }

  nodes(): ClusterNodeState[] {
    return this.membership.all().map((m) => ({ ...m, state: this.membership.state(m.id), phi: this.membership.phi(m.id) }));
  }

  ring(): { partitions: number; slotsPerPartition: number; owners: string[] } {
    const ring = this.membership.ring;
    return { partitions: ring.partitionCount, slotsPerPartition: ring.slotsPerPartition, owners: ring.partitions() };
  }

  fault(drop: string | null): boolean {
    if (!this.faultInjection) return false;
    if (this.bus === null) return true;
    if (drop === null) this.bus.heal();
    else this.bus.drop(drop);
    return true;
  }
}
