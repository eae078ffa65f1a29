// cluster/versions/versions.ts — a key's versions on one replica, as a dotted version
// vector set (Preguiça et al.; Riak 2.0 dvv_enabled): a causal context (the
// clock: actor -> highest counter seen) plus the siblings, each named by the
// dot (actor, counter) of the write that made it. Pure functions, inputs never
// mutated, no clocks or I/O: the coordinator passes wall-clock time in, so
// replication, read repair and anti-entropy are tested without sockets.
//
// Invariants of every KeyVersions made here (update, merge, the codec):
// - every sibling's dot is covered by the clock, and a dot names one write;
// - the clock's actors are in ascending order, without zero entries;
// - the siblings are in winner order (newest first), so siblings[0] is what
//   GET shows and the oldest are at the end, where pruning cuts.
//
// The type seam: each sibling carries its value's type tag (datatypes/
// types.ts, Redis's redisObject.type; absent or 0 = a string, as in every
// record written before tags). A type whose concurrent updates merge (a
// CRDT, datatypes/merge.ts) keeps its concurrent writes as siblings like any
// value, so the dotted version vectors decide causality exactly in every
// merge (replication, read repair, apply), and the merge hook does the
// rest: such siblings are never cut by the sibling bound (cutting one would
// lose the writes it holds), a read sees their join (joinedWinner), and a
// coordinated write supersedes them with the join plus its change (the
// writer reads joinedWinner first), so they collapse at the next write.
// Their count stays at most the number of writers concurrent with each
// other, as DVV siblings do (Riak's CRDT values: tagged siblings merged by
// type). Strings and tombstones are not mergeable: the winner order decides.
import { isMergeable, joinValues } from '../../datatypes/merge';

/**
 * A writer of dots: node id + incarnation, `${node}#${incarnation}`. The
 * incarnation is persisted in the data dir and bumped when the dir is new, so
 * a node that lost its data never reuses a dot (Riak's KV679 data loss).
 */
export type Actor = string;

/** Actor -> highest counter seen; a missing actor is 0. */
export type VersionVector = ReadonlyMap<Actor, number>;

/** The name of one write: the actor's counter when it wrote. */
export interface Dot {
  readonly actor: Actor;
  readonly counter: number;
}

/** What a coordinator writes: the data of a new sibling. */
export interface VersionWrite {
  /** The value; null for a tombstone (DEL). Kept by reference, never copied. */
  readonly value: Buffer | null;
  /** Wall-clock ms of the write, the first key of the winner order. */
  readonly timestamp: number;
  /** Absolute expiry in ms since the epoch, 0 = none. */
  readonly expireAt: number;
  /** The value's type tag (datatypes/types.ts); absent or 0: a string. A tombstone has none. */
  readonly type?: number;
}

export interface Sibling extends VersionWrite {
  readonly dot: Dot;
  /** The writing node: always the node part of dot.actor. */
  readonly node: string;
}

export interface KeyVersions {
  readonly clock: VersionVector;
  /** In winner order: siblings[0] is the winner. */
  readonly siblings: readonly Sibling[];
}

export interface VersionsResult {
  readonly versions: KeyVersions;
  /** Siblings dropped by the sibling bound (INFO counts them). */
  readonly pruned: number;
}

export const DEFAULT_MAX_SIBLINGS = 32;

export const EMPTY_VERSIONS: KeyVersions = Object.freeze({ clock: new Map<Actor, number>(), siblings: Object.freeze([]) });

const ACTOR_PATTERN = /^.+#(0|[1-9][0-9]*)$/s;

export function actorId(node: string, incarnation: number): Actor {
  if (node.length === 0) throw new RangeError('node id is empty');
  if (!Number.isSafeInteger(incarnation) || incarnation < 0) throw new RangeError(`incarnation ${incarnation} is not a non-negative integer`);
  return `${node}#${incarnation}`;
}

export function isActor(text: string): boolean {
  return ACTOR_PATTERN.test(text);
}

export function actorNode(actor: Actor): string {
  return actor.slice(0, actor.lastIndexOf('#'));
}

export function covers(clock: VersionVector, dot: Dot): boolean {
  return (clock.get(dot.actor) ?? 0) >= dot.counter;
}

/** Pointwise max, actors in ascending order. */
export function joinClocks(a: VersionVector, b: VersionVector): VersionVector {
  const actors = new Set([...a.keys(), ...b.keys()]);
  const joined = new Map<Actor, number>();
  for (const actor of [...actors].sort()) joined.set(actor, Math.max(a.get(actor) ?? 0, b.get(actor) ?? 0));
  return joined;
}

/** True when a has seen everything b has (a >= b pointwise). */
export function descends(a: VersionVector, b: VersionVector): boolean {
  for (const [actor, counter] of b) if ((a.get(actor) ?? 0) < counter) return false;
  return true;
}

export function equalClocks(a: VersionVector, b: VersionVector): boolean {
  return a.size === b.size && descends(a, b) && descends(b, a);
}

/**
 * Equal clocks and the same siblings. A dot names one write, so comparing
 * dots compares siblings: this is the read-repair staleness test.
 */
export function equalVersions(a: KeyVersions, b: KeyVersions): boolean {
  if (a.siblings.length !== b.siblings.length || !equalClocks(a.clock, b.clock)) return false;
  return a.siblings.every((s, i) => sameDot(s.dot, b.siblings[i].dot));
}

function sameDot(a: Dot, b: Dot): boolean {
  return a.counter === b.counter && a.actor === b.actor;
}

/**
 * The winner order, a total order: negative when a wins over b. Latest
 * timestamp first, then the greater node id, then the greater dot.
 */
export function compareSiblings(a: Sibling, b: Sibling): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  if (a.node !== b.node) return a.node < b.node ? 1 : -1;
  if (a.dot.actor !== b.dot.actor) return a.dot.actor < b.dot.actor ? 1 : -1;
  return b.dot.counter - a.dot.counter;
}

/** The sibling GET shows, tombstone or expired included; null when there is none. */
export function winner(versions: KeyVersions): Sibling | null {
  return versions.siblings[0] ?? null;
}

/**
 * The winner when it reads as a value at `now`: null when the winner is a
 * tombstone or expired. Older siblings never show through (no resurrection).
 */
export function liveWinner(versions: KeyVersions, now: number): Sibling | null {
  const top = winner(versions);
  if (top === null || top.value === null || (top.expireAt !== 0 && top.expireAt <= now)) return null;
  return top;
}

/** A value sibling of a mergeable type. */
function merges(s: Sibling): boolean {
  return s.type !== undefined && s.type !== 0 && s.value !== null && isMergeable(s.type);
}

/**
 * liveWinner, with the merge hook: when the winner is of a mergeable type,
 * its value is the join of every live sibling of that type (the concurrent
 * writes it merges with), in a new object; otherwise the winner itself.
 */
export function joinedWinner(versions: KeyVersions, now: number): Sibling | null {
  const top = liveWinner(versions, now);
  if (top === null || !merges(top)) return top;
  let value = top.value as Buffer;
  for (let i = 1; i < versions.siblings.length; i++) {
    const s = versions.siblings[i];
    if (s.type !== top.type || s.value === null || (s.expireAt !== 0 && s.expireAt <= now)) continue;
    value = joinValues(top.type as number, value, s.value);
  }
  return value === top.value ? top : { ...top, value };
}

/**
 * A coordinator's write. `context` is what the client has seen: the
 * coordinating replica's own clock for a plain SET/DEL (it supersedes every
 * sibling this replica has), or the context from DYN.VERSIONS for DYN.SET.
 * Siblings the context covers are dropped; the others stay as siblings. The
 * new dot is the actor's highest counter + 1, and the clock joins the context.
 */
export function update(
  versions: KeyVersions,
  context: VersionVector,
  actor: Actor,
  write: VersionWrite,
  maxSiblings = DEFAULT_MAX_SIBLINGS,
): VersionsResult {
  if (!isActor(actor)) throw new RangeError(`actor ${JSON.stringify(actor)} is not node#incarnation`);
  checkMs('timestamp', write.timestamp);
  checkExpireAt(write.expireAt);
  const counter = Math.max(versions.clock.get(actor) ?? 0, context.get(actor) ?? 0) + 1;
  const clock = joinClocks(joinClocks(versions.clock, context), new Map([[actor, counter]]));
  const type = write.value === null ? 0 : (write.type ?? 0);
  const added: Sibling = { dot: { actor, counter }, node: actorNode(actor), value: write.value, timestamp: write.timestamp, expireAt: write.expireAt, type };
  const siblings = versions.siblings.filter((s) => !covers(context, s.dot));
  siblings.push(added);
  return bounded(clock, siblings, maxSiblings);
}

/**
 * Joins two replicas' versions (replication, read repair, anti-entropy). A
 * sibling survives unless the other side has seen its dot and dropped it;
 * clocks join pointwise. Commutative, associative and idempotent while no
 * pruning happens; with pruning, replicas that keep syncing still converge.
 */
export function merge(a: KeyVersions, b: KeyVersions, maxSiblings = DEFAULT_MAX_SIBLINGS): VersionsResult {
  const siblings: Sibling[] = [];
  for (const s of a.siblings) if (hasDot(b, s.dot) || !covers(b.clock, s.dot)) siblings.push(s);
  // a's clock covers every sibling a has, so this also skips the ones already taken.
  for (const s of b.siblings) if (!covers(a.clock, s.dot)) siblings.push(s);
  return bounded(joinClocks(a.clock, b.clock), siblings, maxSiblings);
}

function hasDot(versions: KeyVersions, dot: Dot): boolean {
  return versions.siblings.some((s) => sameDot(s.dot, dot));
}

/**
 * Sorts into winner order and keeps the first maxSiblings: the oldest go, the
 * winner always stays, and so does every mergeable sibling (the merge hook:
 * it holds writes that merge; the bound counts only the others). The clock
 * keeps the pruned dots, so a replica that still holds one drops it on its
 * next merge instead of reviving it.
 */
function bounded(clock: VersionVector, siblings: Sibling[], maxSiblings: number): VersionsResult {
  if (!Number.isSafeInteger(maxSiblings) || maxSiblings < 1) throw new RangeError(`maxSiblings ${maxSiblings} is not a positive integer`);
  siblings.sort(compareSiblings);
  if (siblings.length <= maxSiblings) return { versions: { clock, siblings }, pruned: 0 };
  let kept = 1;
  let bounded = 1; // the winner counts, whatever its type
  for (let i = 1; i < siblings.length; i++) {
    const s = siblings[i];
    if (merges(s)) siblings[kept++] = s;
    else if (bounded < maxSiblings) {
      siblings[kept++] = s;
      bounded++;
    }
  }
  const pruned = siblings.length - kept;
  siblings.length = kept;
  return { versions: { clock, siblings }, pruned };
}

/** Redis takes expiry times up to int64's largest, which a double rounds to 2^63. */
function checkExpireAt(ms: number): void {
  if (!Number.isInteger(ms) || ms < 0 || ms > 2 ** 63) throw new RangeError(`expireAt ${ms} is not an integer of ms from 0 to 2^63`);
}

function checkMs(name: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`${name} ${ms} is not a non-negative integer of ms`);
}
