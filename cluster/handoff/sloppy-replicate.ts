// cluster/handoff/sloppy-replicate.ts — sends a coordinated write to the key's
// other replicas as quorum/sloppy-write.ts says: REPLICA.APPLY to the
// primaries, REPLICA.HINT to a fallback standing in for one that is down or
// failed, and a hint kept here (delivery.ts) for a primary nothing else
// covers. A collection's element record goes the same way (REPLICA.ELEMENT
// to the primaries, REPLICA.HINT ... ELEMENT to a fallback): its element key
// is in its parent's slot, so it has the parent's preference list. Resolves once W acked (the local write is one) and the command's
// origin, when one of the primaries, answered; the error reply when W can
// no longer be met.
import type { BusReply } from '../bus/bus';
import type { ClusterCounters } from '../coordinator/coordinator';
import { SloppyWrite, type WriteStep } from '../quorum/sloppy-write';
import type { HintedHandoff } from './delivery';
import type { ElementFlags } from './hint-log';

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
  /** Null for a key's record; else `key` is an element key and record its element record. */
  readonly element: ElementFlags | null;
  readonly primaries: readonly string[];
  readonly fallbacks: readonly string[];
  readonly w: number;
  readonly deadline: number;
  /** The node that forwarded the command, when a primary: its ack is awaited too (it reads its own write next). */
  readonly origin: string | null;
}

export function replicateSloppy(host: ReplicateHost, request: ReplicateRequest): Promise<string | null> {
  const { db, key, record, origin, element } = request;
  const write = new SloppyWrite(request.primaries, request.fallbacks, request.w, request.deadline, host.selfId, host.isUp);
  const round = write.round;
  const dbText = String(db);
  const applyArgv = element === null ? ['REPLICA.APPLY', dbText, key, record] : ['REPLICA.ELEMENT', dbText, key, record, element.converted ? '1' : '0'];
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
        applyArgv,
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
        host.handoff.add(step.owner, db, key, record, element);
        return;
      }
      const owner = step.owner;
      host.send(
        step.node,
        element === null ? ['REPLICA.HINT', dbText, key, record, owner] : ['REPLICA.HINT', dbText, key, record, owner, 'ELEMENT', element.converted ? '1' : '0'],
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
      if (standIn === null) {
        apply(node);
        continue;
      }
      // The origin is down here: it is sent nothing, so no answer of its can be awaited (the command would wait for good).
      if (node === origin) originAnswered = true;
      run(standIn);
    }
    check();
  });
}
