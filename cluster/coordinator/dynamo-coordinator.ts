// cluster/coordinator/dynamo-coordinator.ts — the Coordinator (coordinator.ts),
// the thin orchestrator of a command's cluster half, in the order it runs:
//   route()   -> routing.ts: the node to forward the command to, or null
//   forward() -> routing.ts: the command run there, its raw reply back
//   prepare() -> quorum-reads.ts: quorum reads of its keys; the merge goes
//                into the local replica when this node is one (the handler
//                then reads it), else into the command's view; read repair
//   begin()   -> command-scope.ts: the handler runs on that view
//   end()     -> command-scope.ts: its writes (write-driver.ts) and their W acks
// What this node's replica answers alone is local-replica.ts; requests to
// peers and failure detection peer-requests.ts; the requests peers send here
// replica-service.ts; the collection types hashes.ts, sets.ts, zsets.ts,
// lists.ts; the failure half handoff/ and anti-entropy/. Flushes reach
// every member.
import { AntiEntropy } from '../anti-entropy/scheduler';
import { DEFAULT_ANTI_ENTROPY, type AntiEntropyStatus } from '../anti-entropy/types';
import { Maintenance } from '../anti-entropy/maintenance';
import type { MaintenanceCounters, MaintenanceSettings } from '../anti-entropy/types';
import type { BusReply, TransportFactory } from '../bus/bus';
import type { Clock } from '../clock';
import type { ClusterNodeState, CommandAccess, Coordinator, PreparedView } from './coordinator';
import type { EngineOptions } from '../../engine/index';
import { Membership, type ClusterOptions } from '../membership/membership';
import { DEFAULT_HANDOFF, HintedHandoff, type HandoffSettings, type HintTargetStats } from '../handoff/delivery';
import { ReplicaService } from './replica-service';
import { Hashes } from './hashes';
import { HashSync } from './hash-sync';
import { Sets } from './sets';
import { Zsets } from './zsets';
import { ElementSync } from './element-sync';
import { FIELD_KIND } from '../replica/element-records';
import { Lists } from './lists';
import { incarnation } from '../replica/incarnation';
import { ReplicaStore } from '../replica/store';
import { actorId, joinedWinner, type Actor, type VersionVector, type VersionWrite } from '../versions/versions';
import { counterValue, encodeCounter, incrementCounter, type Counter } from '../../datatypes/counter';
import { DataType } from '../../datatypes/types';
import { LocalReplica, type CoordinatorHooks } from './local-replica';
import { PeerRequests } from './peer-requests';
import { forward, route } from './routing';
import { prepare } from './quorum-reads';
import { WriteDriver } from './write-driver';

export type { CoordinatorHooks } from './local-replica';

export class DynamoCoordinator extends LocalReplica implements Coordinator {
  readonly single: boolean;
  readonly selfId: string;
  readonly r: number;
  readonly w: number;
  readonly actor: Actor;
  onForward: ((db: number, resp: number, argv: Buffer[], from: string) => Promise<Buffer>) | null = null;
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
  /** Requests to the other members, the heartbeat, fault injection. */
  private readonly requests: PeerRequests;
  private readonly writes: WriteDriver;
  readonly timeoutMs: number;
  /** Hints this node keeps for other replicas, and their delivery (handoff/). */
  readonly handoff: HintedHandoff;
  /** Merkle-tree exchanges with the other replicas (none when N = 1). */
  readonly antiEntropy: AntiEntropy | null;

  constructor(
    options: ClusterOptions,
    dir: string,
    engineOptions: EngineOptions,
    databases: number,
    hooks: CoordinatorHooks,
    /** Where time comes from: realClock in a server, a ManualClock in tests. */
    clock: Clock,
    /** How this node reaches its peers: a ClusterBus on options.self's bus port unless given (the simulation's in-memory network). */
    transport?: TransportFactory,
  ) {
    const membership = new Membership(options, clock);
    super(new ReplicaStore(dir, engineOptions, databases, membership.n === 1, clock), databases, membership.n, hooks, clock);
    this.membership = membership;
    this.single = this.membership.single;
    this.selfId = options.self.id;
    this.r = options.r;
    this.w = options.w;
    this.timeoutMs = options.timeoutMs;
    this.actor = actorId(this.selfId, incarnation(dir));
    this.writes = new WriteDriver(this, this.scope);
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
    this.requests = new PeerRequests(this.membership, options, clock, (from, argv) => service.handle(from, argv), () => this.antiEntropy?.peerUp(), transport);
  }

  async start(): Promise<void> {
    if (!this.single) {
      this.antiEntropy?.start();
      await this.requests.listen();
      this.handoff.open((id) => this.membership.member(id) !== undefined);
      this.handoff.start();
      await this.requests.startHeartbeat();
    }
    await this.maintenance.start();
  }

  async close(): Promise<void> {
    this.requests.stopHeartbeat();
    this.antiEntropy?.close();
    this.maintenance.stop();
    await this.requests.close();
    this.handoff.close();
    this.replicas.close();
  }

  // ---- a command's cluster half, in order ----

  route(keys: readonly Buffer[], access: CommandAccess, forwarded: boolean): string | null {
    return route(this, keys, access, forwarded);
  }

  forward(node: string, db: number, resp: number, argv: readonly Buffer[]): Promise<Buffer | null> {
    return forward(this, node, db, resp, argv);
  }

  prepare(db: number, keys: readonly Buffer[], r: number | null): Promise<PreparedView> {
    return prepare(this, db, keys, r);
  }

  begin(view: PreparedView, origin: string | null): void {
    this.scope.begin(view, origin);
  }

  end(): Promise<string | null> | null {
    return this.scope.end();
  }

  // ---- the handler's writes (write-driver.ts) ----

  set(db: number, key: Buffer, value: Buffer, expireAt: number): void {
    this.writes.write(db, key, value, expireAt, 'local', null);
  }

  delete(db: number, key: Buffer): boolean {
    if (this.meta(db, key) === null) return false;
    this.lists.dropIndex(db, key);
    this.writes.write(db, key, null, 0, 'local', null);
    this.zsets.dropIndex(db, key);
    return true;
  }

  writeWithContext(db: number, key: Buffer, value: Buffer | null, expireAt: number, context: VersionVector | 'local', w: number | null): void {
    this.writes.write(db, key, value, expireAt, context, w);
  }

  writeTyped(db: number, key: Buffer, value: Buffer, expireAt: number, type: number): void {
    this.writes.write(db, key, value, expireAt, 'local', null, type);
  }

  increment(db: number, key: Buffer, counter: Counter, by: bigint, expireAt: number): void {
    const next = incrementCounter(counter, this.actor, by);
    // A write coordinated by another node (REPLICA.PUT) carries no tag: from here, the value as a string.
    if (this.n > 1 && this.holdsReplica(key)) this.writes.write(db, key, encodeCounter(next), expireAt, 'local', null, DataType.counter);
    else this.writes.write(db, key, Buffer.from(String(counterValue(next)), 'latin1'), expireAt, 'local', null);
  }

  /** With N = 1 (no concurrent PFADDs) a plain string, as INCR's counters (increment above). */
  writeHll(db: number, key: Buffer, value: Buffer, expireAt: number): void {
    if (this.n > 1 && this.holdsReplica(key)) this.writes.write(db, key, value, expireAt, 'local', null, DataType.hll);
    else this.writes.write(db, key, value, expireAt, 'local', null);
  }

  setExpiry(db: number, key: Buffer, expireAt: number): boolean {
    const top = joinedWinner(this.versions(db, key), this.clock.now());
    if (top === null) return false;
    this.writes.write(db, key, top.value, expireAt, 'local', null, top.type ?? 0);
    return true;
  }

  pend(write: Promise<string | null>): void {
    this.scope.pend(write);
  }

  holdsReplica(key: Buffer): boolean {
    return this.single || this.membership.preferenceList(key).includes(this.selfId);
  }

  /** Makes the new version on the local replica; returns its record, what the other replicas get. */
  coordinateHere(db: number, key: Buffer, write: VersionWrite, context: VersionVector | 'local'): Buffer {
    return this.writes.coordinateHere(db, key, write, context);
  }

  replicate(db: number, key: Buffer, record: Buffer, list: readonly string[], w: number): Promise<string | null> {
    return this.writes.replicate(db, key, record, list, w);
  }

  replicateElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): Promise<string | null> {
    return this.writes.replicateElement(db, elementKey, record, converted);
  }

  flush(db: number): void {
    this.restartExpirySweep(db);
    this.zsets.dropIndexes(db);
    this.lists.dropIndexes(db);
    if (this.single) {
      this.replicas.flush(db);
      return;
    }
    // A flush epoch (anti-entropy/flush-sync.ts): acknowledged by W members, learnt by the others when they are back.
    this.scope.pend(
      this.maintenance.flush(db, Math.min(this.w, this.membership.all().length)).then((error) => {
        if (error !== null) this.counters.unavailable++;
        return error;
      }),
    );
  }

  /** Collections' in-memory indexes of keys expired untouched, freed (up to `limit` of each type). */
  sweepIndexes(limit: number): number {
    return this.zsets.sweepIndexes(limit) + this.lists.sweepIndexes(limit);
  }

  indexCount(): number {
    return this.zsets.indexCount() + this.lists.indexCount();
  }

  /** Merges a peer's element record into the local replica, through its collection type (anti-entropy's pulls, flush purges). */
  applyElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): boolean {
    return this.elementSync.apply(db, elementKey, record, converted);
  }

  // ---- peers (peer-requests.ts) ----

  request(node: string, argv: readonly (Buffer | string)[]): Promise<BusReply> {
    return this.requests.request(node, argv);
  }

  send(node: string, argv: readonly (Buffer | string)[], onReply: (reply: BusReply) => void, onError: (err: Error) => void): void {
    this.requests.send(node, argv, onReply, onError);
  }

  /** A property, not a method: the sloppy write keeps it as a callback. */
  readonly isUp = (node: string): boolean => this.membership.isUp(node);

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

  syncing(key: Buffer): boolean {
    return this.antiEntropy !== null && this.antiEntropy.syncing(key);
  }

  fault(drop: string | null): boolean {
    return this.requests.fault(drop);
  }

  // ---- the ring, the cluster and its upkeep, for DYN.*, INFO and CONFIG SET ----

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

  setFailureDetection(phiThreshold: number, heartbeatMs: number): void {
    this.requests.setFailureDetection(phiThreshold, heartbeatMs);
  }

  antiEntropyStatus(): AntiEntropyStatus | null {
    return this.antiEntropy?.status() ?? null;
  }

  handoffStats(): HintTargetStats[] {
    return this.handoff.stats();
  }

  configureHandoff(settings: HandoffSettings): void {
    this.handoff.settings = settings;
  }

  configure(settings: MaintenanceSettings): void {
    this.maintenance.configure(settings);
  }

  get maintenanceCounters(): MaintenanceCounters {
    return this.maintenance.counters;
  }
}
