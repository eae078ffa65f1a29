// cluster/quorum/read.ts — one key's quorum read: ask every replica of the
// preference list for its versions record, answer once R have replied,
// then read-repair the ones that replied with less (Dynamo's read path).
//
// Replicas almost always agree, so records are first compared as bytes: when
// every reply so far equals the first, nothing is decoded, merged or
// repaired. The first reply that differs turns the read into a ReadRound
// (rounds.ts), which decodes and merges everything received so far and
// whatever comes after, and finds the replicas to repair.
import type { BusReply } from '../bus/bus';
import { ReplyError } from '../../protocol/reply-parser';
import type { Clock } from '../clock';
import type { ClusterCounters } from '../coordinator/coordinator';
import { DynUnavailableError } from '../coordinator/coordinator';
import { ReadRound } from './rounds';
import type { ReplicaStore } from '../replica/store';
import { CorruptVersionsError, decodeVersions, encodeVersions } from '../versions/codec';
import { EMPTY_VERSIONS, type KeyVersions } from '../versions/versions';

const ignore = (): void => undefined;

/** What a quorum read needs of the coordinator. */
export interface ReadContext {
  readonly selfId: string;
  readonly timeoutMs: number;
  readonly maxSiblings: number;
  readonly counters: ClusterCounters;
  readonly clock: Clock;
  readonly replicas: ReplicaStore;
  /** A bus request to a member, answered through the callbacks. */
  send(node: string, argv: readonly (Buffer | string)[], onReply: (reply: BusReply) => void, onError: (err: Error) => void): void;
  /** Merges versions into this node's replica. */
  applyHere(db: number, key: Buffer, versions: KeyVersions): boolean;
  /** This replica has not synced the key's partition since it lost data: its not-found is no answer (anti-entropy). */
  syncing(key: Buffer): boolean;
}

/**
 * Reads the key from R of its replicas (r capped at the list's length).
 * Resolves null when this node is a replica (the merge is in its replica
 * now, for the handler to read), else with the merged versions; rejects
 * with DynUnavailableError when R replies cannot come.
 */
export function quorumRead(c: ReadContext, db: number, key: Buffer, list: readonly string[], r: number): Promise<KeyVersions | null> {
  const needed = Math.min(r, list.length);
  const here = list.includes(c.selfId);
  /** Replies (records, null for none) while they all equal the first; null once they differ (round takes over). */
  let same: Map<string, Buffer | null> | null = new Map();
  const failed = new Map<string, string>();
  let round: ReadRound | null = null;
  let reference: Buffer | null = null;
  if (here) {
    reference = c.replicas.record(db, key);
    if (reference === null && c.syncing(key)) failed.set(c.selfId, 'syncing');
    else same.set(c.selfId, reference);
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    let finished = false;
    const succeed = (versions: KeyVersions): void => {
      answered = true;
      if (!here) {
        resolve(versions);
        return;
      }
      try {
        c.applyHere(db, key, versions);
      } catch (err) {
        // This replica cannot take the merge (disk full, a corrupt record): the read fails with why.
        reject(err);
        return;
      }
      resolve(null);
    };
    const unavailable = (error: string): void => {
      answered = true;
      c.counters.unavailable++;
      reject(new DynUnavailableError(error));
    };
    /** From bytes to a ReadRound, with everything received so far. */
    const toRound = (): ReadRound => {
      const slow = new ReadRound(list, needed, c.clock.now() + c.timeoutMs, c.maxSiblings);
      for (const [node, record] of same as Map<string, Buffer | null>) slow.reply(node, record === null ? null : decodeVersions(record));
      for (const [node, reason] of failed) slow.fail(node, reason);
      same = null;
      return slow;
    };
    const check = (): void => {
      if (round !== null) {
        if (!answered && round.state === 'ok') succeed(round.versions);
        else if (!answered && round.state === 'unavailable') unavailable(round.error as string);
        if (round.finished && !finished) {
          finished = true;
          repair(c, db, key, round, here);
        }
        return;
      }
      const replied = (same as Map<string, Buffer | null>).size;
      if (!answered && replied >= needed) {
        // All alike: this replica, if it answered, already holds what they hold; a syncing one takes it.
        if (here && !(same as Map<string, Buffer | null>).has(c.selfId)) succeed(reference === null ? EMPTY_VERSIONS : decodeVersions(reference));
        else {
          answered = true;
          resolve(here ? null : reference === null ? EMPTY_VERSIONS : decodeVersions(reference));
        }
      }
      else if (!answered && failed.size > list.length - needed) unavailable(`DYNUNAVAILABLE needed R=${needed}, got ${replied}`);
    };
    const dbText = String(db);
    for (const node of list) {
      if (node === c.selfId) continue;
      c.send(
        node,
        ['REPLICA.READ', dbText, key],
        (reply) => {
          // A refusal (a replica syncing after data loss has no answer for a key it lacks) is no reply.
          if (reply instanceof ReplyError) {
            refused(node, reply.message);
            return;
          }
          try {
            answer(node, reply as Buffer | null);
          } catch (err) {
            // A corrupt record of this node's own (decodeVersions names it): the read fails with it.
            if (answered) throw err;
            answered = true;
            reject(err);
          }
        },
        (err: Error) => refused(node, err.message),
      );
    }
    check();

    function refused(node: string, reason: string): void {
      if (round !== null) round.fail(node, reason);
      else failed.set(node, reason);
      check();
    }

    function answer(node: string, record: Buffer | null): void {
      if (same !== null) {
        const first = same.size === 0;
        if (first && record !== null) {
          // A peer's record is checked once, here; equal ones after it are the same bytes.
          const problem = corruption(record);
          if (problem !== null) {
            failed.set(node, problem);
            check();
            return;
          }
        }
        if (first) reference = record;
        if (first || (record === null ? reference === null : reference !== null && record.equals(reference))) {
          same.set(node, record);
          check();
          return;
        }
        round = toRound();
      }
      const slow = round as ReadRound;
      const problem = record === null ? null : corruption(record);
      if (problem !== null) slow.fail(node, problem);
      else slow.reply(node, record === null ? null : decodeVersions(record));
      check();
    }
  });
}

/** Why a peer's record does not decode; null when it does. */
function corruption(record: Buffer): string | null {
  try {
    decodeVersions(record);
    return null;
  } catch (err) {
    if (err instanceof CorruptVersionsError) return err.message;
    throw err;
  }
}

/** Read repair, once every replica answered or timed out: the merge goes to those that lacked some of it. */
function repair(c: ReadContext, db: number, key: Buffer, round: ReadRound, here: boolean): void {
  if (here) {
    try {
      c.applyHere(db, key, round.versions);
    } catch (err) {
      // The read was answered already; this replica catches up on a later read.
      c.counters.readRepairsFailed++;
      console.error(`dynkv: read repair of db ${db} on this node failed: ${(err as Error).message}`);
    }
  }
  const targets = round.repairTargets().filter((t) => t.node !== c.selfId);
  if (targets.length === 0) return;
  const record = encodeVersions(round.versions);
  for (const target of targets) {
    c.counters.readRepairs++;
    c.send(target.node, ['REPLICA.APPLY', String(db), key, record], ignore, () => c.counters.readRepairsFailed++);
  }
}
