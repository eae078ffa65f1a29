// cluster/quorum/sloppy-write.ts — Dynamo's sloppy quorum for one write, as a
// pure state machine over a WriteRound (rounds.ts): the coordinator feeds in
// what each replica did and is told what to send next. A primary believed
// down, or that fails or does not answer while the round still needs acks,
// is stood in for by the next unused fallback (the members after the N
// primaries in ring order, those believed up first), which keeps the record
// as a hint naming the primary; its ack counts toward W for that primary.
// A primary that fails once the round is decided (W met, or no longer
// possible), or for which no fallback is left, gets its hint kept by the
// coordinator itself ('keep'), so every replica converges without a read.
//
// Reads stay over the primaries (quorum/read.ts): as in Dynamo, a fallback
// keeps a hinted record apart from its own replicas (hint-log.ts) and never
// serves it; R counts primaries only. A read with too few primaries up is
// -DYNUNAVAILABLE rather than an answer from nodes that hold only hints.
import { WriteRound } from './rounds';

/** What the coordinator does for a primary it cannot send the record to. */
export type WriteStep =
  /** REPLICA.HINT to a fallback, standing in for owner. */
  | { readonly kind: 'hint'; readonly node: string; readonly owner: string }
  /** Keep the hint for owner on the coordinator. */
  | { readonly kind: 'keep'; readonly owner: string };

export class SloppyWrite {
  readonly round: WriteRound;
  /** Fallbacks already standing in (made when the first one is needed: a healthy write allocates nothing more). */
  private used: Set<string> | null = null;

  constructor(
    primaries: readonly string[],
    private readonly fallbacks: readonly string[],
    w: number,
    deadline: number,
    private readonly self: string,
    private readonly isUp: (node: string) => boolean,
  ) {
    this.round = new WriteRound(primaries, w, deadline);
  }

  /** The coordinator's own replica wrote the record. */
  start(): void {
    this.round.ack(this.self);
  }

  /** The first step for another primary: null to send it the record (REPLICA.APPLY), else a stand-in's step as it is believed down. */
  first(node: string): WriteStep | null {
    return this.isUp(node) ? null : this.standIn(node, 'believed down');
  }

  /** A primary acked. */
  applied(node: string): void {
    this.round.ack(node);
  }

  /** A primary failed or timed out. */
  applyFailed(node: string, reason: string): WriteStep {
    return this.standIn(node, reason);
  }

  /** A fallback kept the hint for owner. */
  hinted(owner: string): void {
    this.round.ack(owner);
  }

  /** A fallback did not keep the hint for owner: the next one is asked. */
  hintFailed(owner: string, reason: string): WriteStep {
    return this.standIn(owner, reason);
  }

  /** The next fallback for owner while the round needs acks, up ones first; else the coordinator keeps the hint. */
  private standIn(owner: string, reason: string): WriteStep {
    if (this.round.state === 'pending') {
      const used = (this.used ??= new Set());
      const next = this.fallbacks.find((f) => !used.has(f) && this.isUp(f)) ?? this.fallbacks.find((f) => !used.has(f));
      if (next !== undefined) {
        used.add(next);
        return { kind: 'hint', node: next, owner };
      }
    }
    this.round.fail(owner, reason);
    return { kind: 'keep', owner };
  }
}
