// cluster/handoff/sloppy-replicate.ts — sends a coordinated write to the key's
// other replicas as quorum/sloppy-write.ts says: REPLICA.APPLY to the
// primaries, REPLICA.HINT to a fallback standing in for one that is down or
// failed, and a hint kept here (delivery.ts) for a primary nothing else
// covers. Resolves once W acked (the local write is one) and the command's
// origin, when one of the primaries, answered; the error reply when W can
// no longer be met.
import type { BusReply } from '../bus/bus';
import type { ClusterCounters } from '../coordinator/coordinator';
import { SloppyWrite, type WriteStep } from '../quorum/sloppy-write';
import type { HintedHandoff } from './delivery';

/** What a sloppy write needs of the coordinator. */
export interface ReplicateHost {
  readonly selfId: string;
  readonly counters: ClusterCounters;
  readonly handoff: HintedHandoff;
  /** Whether membership believes the node up (a function made once: a write allocates no closure for it). */
  readonly isUp: (node: string) => boolean;
  send(node: string, argv: readonly (Buffer | string)[], onReply: (reply: BusReply) => void, onError: (err: Error) => void): void;
}

export interface ReplicateRequest {
  readonly db: number;
  readonly key: Buffer;
  readonly record: Buffer;
  readonly primaries: readonly string[];
  readonly fallbacks: readonly string[];
  readonly w: number;
  readonly deadline: number;
  /** The node that forwarded the command, when a primary: its ack is awaited too (it reads its own write next). */
  readonly origin: string | null;
}

export function replicateSloppy(host: ReplicateHost, request: ReplicateRequest): Promise<string | null> {
  const { db, key, record, origin } = request;
  const write = new SloppyWrite(request.primaries, request.fallbacks, request.w, request.deadline, host.selfId, host.isUp);
  const round = write.round;
  const dbText = String(db);
  let originAnswered = origin === null;
  return new Promise((resolve) => {
    let resolved = false;
    const check = (): void => {
      if (resolved || round.state === 'pending' || !originAnswered) return;
      resolved = true;
      if (round.state === 'unavailable') host.counters.unavailable++;
      resolve(round.error);
    };
    const apply = (node: string): void => {
      host.send(
        node,
        ['REPLICA.APPLY', dbText, key, record],
        () => {
          write.applied(node);
          if (node === origin) originAnswered = true;
          check();
        },
        (err) => {
          if (node === origin) originAnswered = true;
          run(write.applyFailed(node, err.message));
          check();
        },
      );
    };
    const run = (step: WriteStep): void => {
      if (step.kind === 'keep') {
        host.handoff.add(step.owner, db, key, record);
        return;
      }
      const owner = step.owner;
      host.send(
        step.node,
        ['REPLICA.HINT', dbText, key, record, owner],
        () => {
          write.hinted(owner);
          check();
        },
        (err) => {
          run(write.hintFailed(owner, err.message));
          check();
        },
      );
    };
    write.start();
    for (const node of request.primaries) {
      if (node === host.selfId) continue;
      const standIn = write.first(node);
      if (standIn === null) apply(node);
      else run(standIn);
    }
    check();
  });
}
