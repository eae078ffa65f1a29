// cluster/coordinator/replica-service.ts — the requests other nodes send this one over
// the cluster bus (never the client port), as a replica and as a
// coordinator of keys it holds:
//   REPLICA.READ db key            -> this replica's versions record, or nil
//   REPLICA.READS db key...        -> an array of them (anti-entropy's pulls; nil for none, syncing or not)
//   REPLICA.APPLY db key record    -> merge the versions in (replication, read repair), +OK
//   REPLICA.PUT db key expireAt context w [value]
//                                  -> coordinate a plain write (no value: a DEL) here, +OK once W acked
//   REPLICA.HINT db key record owner [ELEMENT converted]
//                                  -> keep the record as a hint for owner, a primary of the key
//                                     this fallback stands in for (handoff/), +OK; ELEMENT: key is
//                                     an element key, the record a collection's element record
//   REPLICA.FWD db resp argv...    -> run a client's command here, its raw reply as a bulk
//   REPLICA.ELEMENT db elementKey record converted
//                                  -> merge a collection's element record in through its type
//                                     (element-sync.ts; converted: the collection left its compact
//                                     encoding), +OK
//   REPLICA.ELEMENTS db elementKey...
//                                  -> an array of this replica's element records (anti-entropy's pulls)
//   REPLICA.HFIELDS db key         -> every field record of the hash here, [field, record, ...]
//   REPLICA.PING                   -> +PONG
//   REPLICA.ROOTS, REPLICA.TREE p level node..., REPLICA.LEAF p leaf...
//                                  -> anti-entropy's Merkle trees (anti-entropy/exchange.ts)
// A replica syncing after data loss refuses REPLICA.READ of a key it has no
// record of (-ERR SYNCING): its not-found is no answer.
//   REPLICA.DEAD, REPLICA.REAP, REPLICA.FLUSH, REPLICA.EPOCHS
//                                  -> anti-entropy/maintenance.ts
// Under appendfsync always a replica acks only what its disk holds.
// The service sees the coordinator only through ReplicaHost, the part of it
// these requests need (the coordinator makes the service, not the reverse).
import { ReplyError } from '../../protocol/reply-parser';
import type { Maintenance } from '../anti-entropy/maintenance';
import type { BusReply } from '../bus/bus';
import type { Clock } from '../clock';
import type { HintedHandoff } from '../handoff/delivery';
import type { ReplicaStore } from '../replica/store';
import { decodeContext } from '../versions/codec';
import type { VersionVector, VersionWrite } from '../versions/versions';
import type { ClusterCounters } from './coordinator';
import { SYNCING_ERROR } from '../anti-entropy/exchange';
import type { AntiEntropy } from '../anti-entropy/scheduler';
import type { HashSync } from './hash-sync';
import type { ElementSync } from './element-sync';

/** What the replica service needs of the coordinator (DynamoCoordinator). */
export interface ReplicaHost {
  readonly selfId: string;
  readonly databases: number;
  readonly w: number;
  readonly counters: ClusterCounters;
  readonly clock: Clock;
  readonly replicas: ReplicaStore;
  readonly handoff: HintedHandoff;
  readonly maintenance: Maintenance;
  /** Runs a command another node forwards here; null when this node does not run them. */
  readonly onForward: ((db: number, resp: number, argv: Buffer[], from: string) => Promise<Buffer>) | null;
  preferenceList(key: Buffer): readonly string[];
  /** Makes the new version on the local replica; returns its record. */
  coordinateHere(db: number, key: Buffer, write: VersionWrite, context: VersionVector | 'local'): Buffer;
  /** Sends the record to the other replicas; resolves with an error reply, or null once W acked. */
  replicate(db: number, key: Buffer, record: Buffer, list: readonly string[], w: number): Promise<string | null>;
  /** Merges a peer's record into the local replica. */
  applyRecord(db: number, key: Buffer, record: Buffer): boolean;
  /** Hash field records between replicas; null on a cluster of one. */
  readonly hashSync: HashSync | null;
  /** Element records of every collection type between replicas. */
  readonly elementSync: ElementSync;
  durable(): Promise<void> | null;
  /** Anti-entropy, when there are other replicas. */
  readonly antiEntropy: AntiEntropy | null;
  /** This replica has not synced the key's partition since it lost data. */
  syncing(key: Buffer): boolean;
}

export class ReplicaService {
  constructor(private readonly coordinator: ReplicaHost) {}

  handle(from: string, argv: Buffer[]): BusReply | Promise<BusReply> {
    const name = argv[0].toString('latin1').toUpperCase();
    switch (name) {
      case 'REPLICA.READ': {
        this.arity(argv, 3);
        const record = this.coordinator.replicas.record(this.db(argv[1]), argv[2]);
        if (record === null && this.coordinator.syncing(argv[2])) throw new Error(`${SYNCING_ERROR} this replica has not synced the key's partition since it lost its data`);
        return record;
      }
      case 'REPLICA.READS': {
        if (argv.length < 3) throw new Error('wrong number of arguments for REPLICA.READS');
        const db = this.db(argv[1]);
        return argv.slice(2).map((key) => this.coordinator.replicas.record(db, key));
      }
      case 'REPLICA.ROOTS':
      case 'REPLICA.TREE':
      case 'REPLICA.LEAF':
        if (this.coordinator.antiEntropy === null) throw new Error('this node runs no anti-entropy');
        return this.coordinator.antiEntropy.answer(argv);
      case 'REPLICA.APPLY': {
        this.arity(argv, 4);
        const db = this.db(argv[1]);
        this.coordinator.applyRecord(db, argv[2], argv[3]);
        return this.acked();
      }
      case 'REPLICA.HINT':
        return this.hint(argv);
      case 'REPLICA.PUT':
        return this.put(argv);
      case 'REPLICA.FWD':
        return this.forwarded(from, argv);
      case 'REPLICA.ELEMENT': {
        this.arity(argv, 5);
        this.coordinator.elementSync.apply(this.db(argv[1]), argv[2], argv[3], argv[4].toString('latin1') === '1');
        return this.acked();
      }
      case 'REPLICA.ELEMENTS':
        if (argv.length < 3) throw new Error('wrong number of arguments for REPLICA.ELEMENTS');
        return this.coordinator.elementSync.records(this.db(argv[1]), argv.slice(2));
      case 'REPLICA.HFIELDS':
        this.arity(argv, 3);
        return this.hashSync().records(this.db(argv[1]), argv[2]);
      case 'REPLICA.PING':
        return 'PONG';
      default: {
        const reply = this.coordinator.maintenance.handle(from, name, argv, (arg) => this.db(arg));
        if (reply === undefined) throw new Error(`unknown cluster request '${name}'`);
        return reply;
      }
    }
  }

  private async put(argv: Buffer[]): Promise<BusReply> {
    if (argv.length !== 6 && argv.length !== 7) throw new Error('wrong number of arguments for REPLICA.PUT');
    const c = this.coordinator;
    const db = this.db(argv[1]);
    const key = argv[2];
    const expireAt = this.integer(argv[3], 'expireAt');
    const context = argv[4].length === 0 ? 'local' : decodeContext(argv[4]);
    const w = argv[5].length === 0 ? null : this.integer(argv[5], 'W');
    const list = c.preferenceList(key);
    if (!list.includes(c.selfId)) throw new Error(`${c.selfId} holds no replica of this key`);
    const write = { value: argv.length === 7 ? argv[6] : null, timestamp: c.clock.now(), expireAt };
    const record = c.coordinateHere(db, key, write, context);
    const error = list.length > 1 ? await c.replicate(db, key, record, list, w ?? c.w) : null;
    if (error !== null) return new ReplyError(error);
    return this.acked();
  }

  private hint(argv: Buffer[]): BusReply | Promise<BusReply> {
    if (argv.length !== 5 && !(argv.length === 7 && argv[5].toString('latin1').toUpperCase() === 'ELEMENT')) throw new Error('wrong number of arguments for REPLICA.HINT');
    const db = this.db(argv[1]);
    const owner = argv[4].toString('latin1');
    const element = argv.length === 7 ? { converted: argv[6].toString('latin1') === '1' } : null;
    if (!this.coordinator.preferenceList(argv[2]).includes(owner)) throw new Error(`${owner} is not a replica of this key`);
    if (!this.coordinator.handoff.add(owner, db, argv[2], argv[3], element)) throw new Error(`the hint log for ${owner} is full`);
    return this.coordinator.handoff.durable()?.then(() => 'OK') ?? 'OK';
  }

  private async forwarded(from: string, argv: Buffer[]): Promise<BusReply> {
    if (argv.length < 4) throw new Error('wrong number of arguments for REPLICA.FWD');
    const run = this.coordinator.onForward;
    if (run === null) throw new Error('this node does not run forwarded commands');
    this.coordinator.counters.forwardsServed++;
    const resp = this.integer(argv[2], 'protocol');
    return run(this.db(argv[1]), resp === 3 ? 3 : 2, argv.slice(3), from);
  }

  private hashSync(): HashSync {
    const sync = this.coordinator.hashSync;
    if (sync === null) throw new Error('a cluster of one has no hash replicas to sync');
    return sync;
  }

  /** +OK, once durable when appendfsync is always. */
  private acked(): BusReply | Promise<BusReply> {
    if (this.coordinator.replicas.fsync !== 'always') return 'OK';
    const durable = this.coordinator.durable();
    return durable === null ? 'OK' : durable.then(() => 'OK');
  }

  private db(arg: Buffer): number {
    const db = this.integer(arg, 'db');
    if (db >= this.coordinator.databases) throw new Error(`db ${db} is out of range`);
    return db;
  }

  private integer(arg: Buffer, what: string): number {
    const text = arg.toString('latin1');
    if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) throw new Error(`${what} '${text}' is not a non-negative integer`);
    return Number(text);
  }

  private arity(argv: Buffer[], n: number): void {
    if (argv.length !== n) throw new Error(`wrong number of arguments for ${argv[0].toString('latin1')}`);
  }
}
