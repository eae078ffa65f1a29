// cluster/anti-entropy/exchange.ts — one replica comparing its Merkle trees
// with a peer's over the cluster bus, and pulling what it lacks:
//   1. REPLICA.ROOTS: the peer's root of every partition, and which of them
//      it is still syncing after data loss, compared with ours for the
//      partitions both replicate. Equal replicas stop here; so do partitions
//      the peer holds nothing of or is syncing (it pulls; nothing to take).
//   2. REPLICA.TREE p level node...: the children of differing nodes, level
//      by level, only into the subtrees that differ.
//   3. REPLICA.LEAF p leaf...: the keys of the differing leaves with their
//      hashes; keys the peer holds and we lack or hold otherwise are read
//      (REPLICA.READS db key..., REPLICA.READ for many keys at once) and
//      merged here (applyRecord: the normal version merge). A leaf holds
//      collections' element records too (partition-trees.ts; db -1-d on
//      the wire for an element record of database d): those differing are
//      read with REPLICA.ELEMENTS db elementKey... and merged through the
//      collection's own apply (applyElement: the path REPLICA.ELEMENT takes,
//      which keeps the per-replica summary right).
// Pulling only: each replica repairs itself from the others, at a pace it
// sets (a returning node is never flooded), and a replica that exchanged
// with every other one holds everything they held then. The peer's side of
// these requests is answer() below, on PartitionTrees.
import { ReplyError } from '../../protocol/reply-parser';
import type { BusReply } from '../bus/bus';
import { differingChildren, emptyNode, NODE_BYTES } from './merkle-tree';
import type { LeafEntry, PartitionTrees } from './partition-trees';
import type { ExchangeMeter } from './types';

/** What an exchange needs of the coordinator. */
export interface ExchangeHost {
  /** A bus request to a member. */
  request(node: string, argv: readonly (Buffer | string)[]): Promise<BusReply>;
  /** Merges a peer's record into the local replica; true when that changed it. */
  applyRecord(db: number, key: Buffer, record: Buffer): boolean;
  /** Merges a peer's element record into the local replica (its collection's summary kept); true when that changed it. */
  applyElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): boolean;
}

/** Leaves per REPLICA.LEAF request, keys per REPLICA.READS request, and READS requests in flight at once. */
const LEAVES_PER_REQUEST = 64;
const KEYS_PER_READ = 64;
const READS_AT_ONCE = 4;

/** A key (or element key) to read from the peer. */
interface KeyRef {
  db: number;
  element: boolean;
  key: Buffer;
}

export class Exchange {
  constructor(
    private readonly host: ExchangeHost,
    private readonly trees: PartitionTrees,
    readonly peer: string,
    private readonly meter: ExchangeMeter,
    /** Resolves when `keys` more keys may be read (the rate limit). */
    private readonly pace: (keys: number) => Promise<void>,
  ) {}

  /**
   * Step 1: of the partitions both replicate, those whose roots differ,
   * but not those the peer holds nothing of: there is nothing to pull (a
   * wiped peer costs the others only this, while it pulls from them).
   */
  async differingPartitions(shared: readonly number[]): Promise<number[]> {
    const count = this.trees.partitionCount;
    const theirs = bulk(await this.ask(['REPLICA.ROOTS']), count * NODE_BYTES + Math.ceil(count / 8));
    const mine = this.trees.roots();
    const syncing = (p: number): boolean => (theirs[count * NODE_BYTES + (p >> 3)] & (1 << (p & 7))) !== 0;
    return shared.filter((p) => !syncing(p) && !emptyNode(theirs, p * NODE_BYTES) && mine.compare(theirs, p * NODE_BYTES, (p + 1) * NODE_BYTES, p * NODE_BYTES, (p + 1) * NODE_BYTES) !== 0);
  }

  /** Steps 2 and 3 for a partition whose roots differ: the differing leaves, then their keys. */
  async partition(p: number): Promise<void> {
    const tree = this.trees.tree(p);
    let nodes = [0];
    for (let level = 0; level < tree.depth - 1 && nodes.length > 0; level++) {
      const theirs = bulk(await this.ask(['REPLICA.TREE', String(p), String(level), ...nodes.map(String)]), -1);
      // Ours after the reply: a write here meanwhile only makes one more leaf differ, read again later.
      nodes = differingChildren(tree, level, nodes, tree.children(level, nodes), theirs);
    }
    await this.repairLeaves(p, nodes);
  }

  /** Pulls the keys of these leaves of partition p that the peer holds otherwise (one range of the ring). */
  async repairLeaves(p: number, leaves: readonly number[]): Promise<void> {
    for (let i = 0; i < leaves.length; i += LEAVES_PER_REQUEST) {
      const batch = leaves.slice(i, i + LEAVES_PER_REQUEST);
      const theirs = leafEntries(await this.ask(['REPLICA.LEAF', String(p), ...batch.map(String)]));
      const mine = new Map<string, Buffer>();
      for (const e of this.trees.leafEntries(p, batch)) mine.set(entryName(e), e.hash);
      const wanted = theirs.filter((e) => !mine.get(entryName(e))?.equals(e.hash));
      const reads: LeafEntry[][] = [];
      for (let j = 0; j < wanted.length; j += KEYS_PER_READ) reads.push(wanted.slice(j, j + KEYS_PER_READ));
      for (let j = 0; j < reads.length; j += READS_AT_ONCE) {
        const group = reads.slice(j, j + READS_AT_ONCE);
        await this.pace(group.reduce((sum, batch) => sum + batch.length, 0));
        await Promise.all(group.map((batch) => this.repairKeys(batch)));
      }
    }
  }

  /**
   * Reads these records from the peer, one request per database and space
   * (REPLICA.READS db key... for keys, REPLICA.ELEMENTS db elementKey... for
   * element records), and merges each here.
   */
  private async repairKeys(refs: readonly KeyRef[]): Promise<void> {
    const groups = new Map<number, Buffer[]>();
    for (const { db, element, key } of refs) {
      const id = element ? -1 - db : db;
      let keys = groups.get(id);
      if (keys === undefined) groups.set(id, (keys = []));
      keys.push(key);
    }
    for (const [id, keys] of groups) {
      const element = id < 0;
      const db = element ? -1 - id : id;
      const name = element ? 'REPLICA.ELEMENTS' : 'REPLICA.READS';
      const records = await this.ask([name, String(db), ...keys]);
      if (!Array.isArray(records) || records.length !== keys.length) throw new Error(`${this.peer} answered ${name} of ${keys.length} keys with something else than ${keys.length} records`);
      keys.forEach((key, i) => {
        const record = records[i];
        if (record === null) return;
        if (!Buffer.isBuffer(record)) throw new Error(`${this.peer} answered ${name} with ${typeof record} for a record`);
        if (!element) {
          if (this.host.applyRecord(db, key, record)) this.meter.keysRepaired++;
        } else if (this.host.applyElement(db, key, record, false)) this.meter.elementsRepaired++;
      });
    }
  }

  /** Reads the key's record from the peer and merges it here; true when that changed this replica. */
  async repairKey(db: number, key: Buffer): Promise<boolean> {
    let reply: BusReply;
    try {
      reply = await this.ask(['REPLICA.READ', String(db), key]);
    } catch (err) {
      // A peer still syncing refuses a key it has no record of: nothing to pull.
      if (err instanceof ReplyError && err.message.startsWith(`ERR ${SYNCING_ERROR}`)) return false;
      throw err;
    }
    if (reply === null) return false;
    if (!Buffer.isBuffer(reply)) throw new Error(`${this.peer} answered REPLICA.READ with ${typeof reply}`);
    const changed = this.host.applyRecord(db, key, reply);
    if (changed) this.meter.keysRepaired++;
    return changed;
  }

  private async ask(argv: (Buffer | string)[]): Promise<BusReply> {
    this.meter.bytesSent += requestSize(argv);
    const reply = await this.host.request(this.peer, argv);
    this.meter.bytesReceived += replySize(reply);
    if (reply instanceof ReplyError) throw reply;
    return reply;
  }
}

/** How a replica that has not synced since it lost its data refuses to call a key missing (replica-service.ts). */
export const SYNCING_ERROR = 'SYNCING';

/**
 * The peer's side: answers REPLICA.ROOTS (every partition's root, then a
 * bit per partition, set while `syncing` it), REPLICA.TREE p level node...
 * and REPLICA.LEAF p leaf... from this replica's trees. Throws, for an error
 * reply, on a request that does not parse.
 */
export function answer(trees: PartitionTrees, argv: readonly Buffer[], syncing: (partition: number) => boolean): BusReply {
  const name = argv[0].toString('latin1').toUpperCase();
  if (name === 'REPLICA.ROOTS') {
    if (argv.length !== 1) throw new Error('wrong number of arguments for REPLICA.ROOTS');
    const count = trees.partitionCount;
    const bits = Buffer.alloc(Math.ceil(count / 8));
    for (let p = 0; p < count; p++) if (syncing(p)) bits[p >> 3] |= 1 << (p & 7);
    return Buffer.concat([trees.roots(), bits]);
  }
  if (argv.length < 3 || (name === 'REPLICA.TREE' && argv.length < 4)) throw new Error(`wrong number of arguments for ${name}`);
  const tree = trees.tree(index(argv[1]));
  if (name === 'REPLICA.TREE') return tree.children(index(argv[2]), argv.slice(3).map(index));
  if (name !== 'REPLICA.LEAF') throw new Error(`unknown anti-entropy request '${name}'`);
  const reply: BusReply[] = [];
  for (const e of trees.leafEntries(index(argv[1]), argv.slice(2).map(index))) reply.push(e.element ? -1 - e.db : e.db, e.key, e.hash);
  return reply;
}

function index(arg: Buffer): number {
  const text = arg.toString('latin1');
  if (!/^(0|[1-9][0-9]{0,8})$/.test(text)) throw new Error(`'${text}' is not an index`);
  return Number(text);
}

function entryName(e: KeyRef): string {
  return `${e.element ? -1 - e.db : e.db} ${e.key.toString('latin1')}`;
}

/** A bulk reply of `length` bytes (-1: any length, a whole number of node hashes). */
function bulk(reply: BusReply, length: number): Buffer {
  if (!Buffer.isBuffer(reply) || (length >= 0 ? reply.length !== length : reply.length % NODE_BYTES !== 0)) {
    throw new Error(`the peer answered with ${Buffer.isBuffer(reply) ? `${reply.length} bytes` : typeof reply}, not node hashes`);
  }
  return reply;
}

function leafEntries(reply: BusReply): LeafEntry[] {
  if (!Array.isArray(reply) || reply.length % 3 !== 0) throw new Error('the peer answered REPLICA.LEAF with something else than db, key, hash triples');
  const entries: LeafEntry[] = [];
  for (let i = 0; i < reply.length; i += 3) {
    const [db, key, hash] = [reply[i], reply[i + 1], reply[i + 2]];
    if (typeof db !== 'number' || !Number.isInteger(db) || !Buffer.isBuffer(key) || !Buffer.isBuffer(hash) || hash.length !== NODE_BYTES) throw new Error('the peer answered REPLICA.LEAF with a malformed entry');
    entries.push(db < 0 ? { db: -1 - db, element: true, key, hash } : { db, element: false, key, hash });
  }
  return entries;
}

/** A request's size as RESP: *n, then $len and the bytes of each argument. */
export function requestSize(argv: readonly (Buffer | string)[]): number {
  let size = String(argv.length).length + 3;
  for (const arg of argv) {
    const len = typeof arg === 'string' ? Buffer.byteLength(arg) : arg.length;
    size += String(len).length + 5 + len;
  }
  return size;
}

/** A reply's size as RESP2. */
export function replySize(reply: BusReply): number {
  if (reply === null) return 5;
  if (Buffer.isBuffer(reply)) return String(reply.length).length + 5 + reply.length;
  if (Array.isArray(reply)) return reply.reduce((sum: number, item) => sum + replySize(item), String(reply.length).length + 3);
  if (reply instanceof ReplyError) return Buffer.byteLength(reply.message) + 3;
  return Buffer.byteLength(String(reply)) + 3;
}
