// test/sim/checker.ts — what the simulation promises, checked against the
// history of a run: every client command with when it was sent and when and
// how it was answered, and for each acknowledged SET the dot its value got
// (and every dot the value was ever stored under). After the schedule
// healed everything and the clock ran on:
//  (a) every acknowledged write is readable: a quorum read's versions hold
//      its value, or the key's clock covers one of its dots (a later write
//      saw it and replaced it) and another command on the key could have
//      been that write (it ran while or after the write ran, not entirely
//      before);
//  (c) (opt-in) every replica of every key holds the same versions after
//      convergence, without any read (hinted handoff, anti-entropy).
// Always: a read answers a value some SET wrote to that key. Opt-in
// (quorumReads: strict quorums, R + W > N with no sloppy quorum or wiped
// disk): (b) no acknowledged delete comes back: no version whose SET was
// acknowledged before the delete was sent is live after it; and a
// DYN.VERSIONS sent after a write was acknowledged sees its value or one
// that could supersede it. With sloppy quorum a delete may not see a write
// its fallbacks hold: the two are concurrent, and both stay (siblings).
import { CRASHED, showReply, type SimOutcome } from './sim-cluster';
import type { SimOp } from './schedule';
import { decodeVersions } from '../../cluster/versions/codec';
import type { Dot, KeyVersions } from '../../cluster/versions/versions';
import { ReplyError } from '../../protocol/reply-parser';

export interface CheckOptions {
  /** (c): every replica equal after convergence. */
  convergence: boolean;
  /** Strict quorums: (b), and every DYN.VERSIONS sees what was acknowledged before it was sent. */
  quorumReads: boolean;
}

export interface Command {
  readonly id: number;
  readonly node: number;
  readonly op: SimOp;
  readonly key: string;
  readonly value: string | undefined;
  readonly sentAt: number;
  /** When it was answered; Infinity while it was not (or its node crashed under it). */
  endAt: number;
  outcome: SimOutcome | undefined;
  /** An acknowledged SET's dot, found on a replica at the acknowledgement (null: already superseded everywhere). */
  dot: Dot | null;
  /** Every dot its value was stored under on any replica during the run (a forward retried makes it twice). */
  dots?: readonly Dot[];
}

/** One key's state after the run: the versions a quorum read found, and each replica's record bytes (null: none). */
export interface FinalKey {
  readonly versions: KeyVersions | null;
  readonly replicas: readonly (Buffer | null)[];
  /** The nodes those replicas are on (the key's preference list), for the report. */
  readonly replicaNodes?: readonly string[];
}

export interface CheckResult {
  violations: string[];
  /** Keys written during the run whose replicas were not all equal before the final reads. */
  underReplicated: number;
  keys: number;
}

const acked = (c: Command): boolean => c.endAt !== Infinity && c.outcome !== CRASHED && c.outcome !== undefined && !(c.outcome instanceof ReplyError);
const valueOf = (c: Command): string => c.value as string;
const covers = (versions: KeyVersions, dot: Dot): boolean => (versions.clock.get(dot.actor) ?? 0) >= dot.counter;
const liveValues = (versions: KeyVersions | null): string[] =>
  (versions?.siblings ?? []).filter((s) => s.value !== null).map((s) => (s.value as Buffer).toString('latin1'));

/**
 * Whether the version an acknowledged SET made is live: its dot, when
 * known; else its value. (One SET can make its value twice, under two dots:
 * a forward retried after a timeout. The copy its first coordinator made
 * without W acks was never acknowledged, and may stay concurrent with a
 * later delete as a sibling, as any failed write may.)
 */
function liveVersion(versions: KeyVersions | null, c: Command): boolean {
  const dot = c.dot;
  return (versions?.siblings ?? []).some((s) =>
    s.value !== null && (dot === null ? s.value.toString('latin1') === c.value : s.dot.actor === dot.actor && s.dot.counter === dot.counter),
  );
}

/** Which replicas hold a value now (a quorum read that missed it, or every copy gone). */
function holders(final: FinalKey, value: string): string {
  const nodes = final.replicas.flatMap((record, i) => {
    if (record === null) return [];
    const held = decodeVersions(record).siblings.some((s) => s.value !== null && s.value.toString('latin1') === value);
    return held ? [final.replicaNodes?.[i] ?? `replica ${i + 1}`] : [];
  });
  return nodes.length === 0 ? 'no replica holds it' : `held by ${nodes.join(', ')}`;
}

export function check(history: readonly Command[], finals: ReadonlyMap<string, FinalKey>, options: CheckOptions): CheckResult {
  const violations: string[] = [];
  const byKey = new Map<string, Command[]>();
  for (const c of history) {
    let list = byKey.get(c.key);
    if (list === undefined) byKey.set(c.key, (list = []));
    list.push(c);
  }
  const writes = (key: string): Command[] => (byKey.get(key) ?? []).filter((c) => c.op === 'SET' || c.op === 'DEL');
  /** Another write of the key that was not over before `c` was sent. */
  const mayFollow = (c: Command): boolean => writes(c.key).some((o) => o !== c && o.endAt > c.sentAt);
  const show = (c: Command): string => `#${c.id} n${c.node + 1} ${c.op} ${c.key}${c.value === undefined ? '' : ` ${c.value}`} sent t=${c.sentAt} answered ${c.endAt === Infinity ? 'never' : `t=${c.endAt}`} ${showReply(c.outcome ?? CRASHED)}`;

  for (const c of history) {
    if (!acked(c)) continue;
    // Every read answers something written to its key.
    if (c.op === 'GET' && c.outcome !== null) {
      const value = (c.outcome as Buffer).toString('latin1');
      if (!writes(c.key).some((o) => o.value === value)) violations.push(`read a value never written to ${c.key}: ${show(c)}`);
    }
    if (c.op === 'DYN.VERSIONS' && options.quorumReads) {
      const seen = c.outcome as KeyVersions;
      const values = new Set(liveValues(seen));
      const tombstone = seen.siblings.some((s) => s.value === null);
      for (const a of writes(c.key)) {
        if (a.op !== 'SET' || !acked(a) || a.endAt >= c.sentAt || values.has(valueOf(a))) continue;
        const later = writes(c.key).filter((o) => o !== a && o.endAt > a.sentAt);
        if (later.some((o) => (o.op === 'SET' ? values.has(valueOf(o)) : tombstone))) continue;
        violations.push(`stale read: ${show(c)} does not see ${show(a)}`);
      }
    }
  }

  for (const [key, final] of finals) {
    const values = new Set(liveValues(final.versions));
    for (const a of writes(key)) {
      if (!acked(a)) continue;
      if (a.op === 'SET') {
        // (a)
        if (values.has(valueOf(a))) continue;
        // Superseded: a later write saw the value (under any of its dots) and replaced it.
        const dots = a.dots ?? (a.dot === null ? [] : [a.dot]);
        const versions = final.versions;
        const superseded = versions !== null && (dots.length === 0 || dots.some((d) => covers(versions, d))) && mayFollow(a);
        if (!superseded) violations.push(`acknowledged write lost: ${show(a)}; the final read has ${showReply(final.versions)}; ${holders(final, valueOf(a))}`);
      } else if (a.outcome === 1 && options.quorumReads) {
        // (b), in real-time order: a DEL's quorum read sees what was acknowledged before it only when R + W > N without sloppy quorum
        for (const x of writes(key)) {
          if (x.op === 'SET' && acked(x) && x.endAt < a.sentAt && liveVersion(final.versions, x)) {
            violations.push(`deleted value came back: ${show(x)} was deleted by ${show(a)}; the final read has ${showReply(final.versions)}`);
          }
        }
      }
    }
  }

  let underReplicated = 0;
  for (const [key, final] of finals) {
    const [first, ...rest] = final.replicas;
    const equal = rest.every((r) => (r === null ? first === null : first !== null && r.equals(first)));
    if (equal) continue;
    underReplicated++;
    if (options.convergence) violations.push(`replicas of ${key} differ after convergence: ${final.replicas.map((r) => (r === null ? 'none' : `${r.length} bytes`)).join(', ')}`);
  }
  return { violations, underReplicated, keys: finals.size };
}
