// cluster/coordinator/write-driver.ts — the writes a command makes, as Dynamo
// coordinates them. A key written here while this node is one of its N
// replicas is coordinated here: the local replica makes the new version,
// which goes to the other replicas under a sloppy quorum
// (handoff/sloppy-replicate.ts); the command's end() waits for W acks in all
// (the local write is one). A key this node holds no replica of is written
// by one of its replicas (REPLICA.PUT), the command's later reads seeing the
// write in its view. A command another node forwarded also waits for that
// node's ack when it is a replica, so the client reading back through it
// sees its write.
import type { BusReply } from '../bus/bus';
import type { Clock } from '../clock';
import { replicateSloppy, type ReplicateHost } from '../handoff/sloppy-replicate';
import type { Membership } from '../membership/membership';
import type { ReplicaStore } from '../replica/store';
import { encodeContext, encodeVersions } from '../versions/codec';
import type { Actor, VersionVector, VersionWrite } from '../versions/versions';
import { ReplyError } from '../../protocol/reply-parser';
import type { CommandScope } from './command-scope';

/** What the write driver needs of the coordinator. */
export interface WriteHost extends ReplicateHost {
  readonly single: boolean;
  readonly w: number;
  readonly timeoutMs: number;
  readonly actor: Actor;
  readonly maxSiblings: number;
  readonly clock: Clock;
  readonly replicas: ReplicaStore;
  readonly membership: Membership;
  readonly hooks: { onWrite(db: number, key: Buffer): void };
  request(node: string, argv: readonly (Buffer | string)[]): Promise<BusReply>;
}

export class WriteDriver {
  constructor(
    private readonly host: WriteHost,
    private readonly scope: CommandScope,
  ) {}

  /** A write of the key by the running command (value null: a tombstone); `w` overrides W. */
  write(db: number, key: Buffer, value: Buffer | null, expireAt: number, context: VersionVector | 'local', w: number | null, type = 0): void {
    const host = this.host;
    const write: VersionWrite = type === 0 ? { value, timestamp: host.clock.now(), expireAt } : { value, timestamp: host.clock.now(), expireAt, type };
    if (host.single) {
      this.coordinateHere(db, key, write, context);
      return;
    }
    const list = host.membership.preferenceList(key);
    if (list.includes(host.selfId)) {
      const record = this.coordinateHere(db, key, write, context);
      if (list.length > 1) this.scope.pend(this.replicate(db, key, record, list, w ?? host.w));
      return;
    }
    this.scope.pend(this.remotePut(db, key, write, context, list, w));
    // Later reads by the same command see the write.
    this.scope.see(key, { clock: new Map([[host.actor, 1]]), siblings: [{ dot: { actor: host.actor, counter: 1 }, node: host.selfId, ...write }] });
  }

  /** Makes the new version on the local replica; returns its record, what the other replicas get. */
  coordinateHere(db: number, key: Buffer, write: VersionWrite, context: VersionVector | 'local'): Buffer {
    const host = this.host;
    let record: Buffer;
    if (context === 'local') {
      record = host.replicas.localWrite(db, key, host.actor, write);
    } else {
      const { versions, pruned } = host.replicas.coordinate(db, key, context, host.actor, write, host.maxSiblings);
      host.counters.siblingsPruned += pruned;
      record = encodeVersions(versions);
    }
    host.hooks.onWrite(db, key);
    return record;
  }

  /** Sends the coordinated record to the other replicas, standing in fallbacks for primaries down (handoff/sloppy-replicate.ts); resolves once W acked (the local write is one), and the origin, if a replica, answered. */
  replicate(db: number, key: Buffer, record: Buffer, list: readonly string[], w: number): Promise<string | null> {
    const host = this.host;
    const origin = this.scope.originIn(list, host.selfId);
    const fallbacks = host.membership.fallbacks(key);
    return replicateSloppy(host, { db, key, record, element: null, primaries: list, fallbacks, w: Math.min(w, list.length), deadline: host.clock.now() + host.timeoutMs, origin });
  }

  /** replicate() of a collection's element record made here: the same sloppy quorum and hints, under its element key (its parent's preference list). */
  replicateElement(db: number, elementKey: Buffer, record: Buffer, converted: boolean): Promise<string | null> {
    const host = this.host;
    const list = host.membership.preferenceList(elementKey);
    const origin = this.scope.originIn(list, host.selfId);
    const fallbacks = host.membership.fallbacks(elementKey);
    return replicateSloppy(host, { db, key: elementKey, record, element: { converted }, primaries: list, fallbacks, w: Math.min(host.w, list.length), deadline: host.clock.now() + host.timeoutMs, origin });
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
        await this.host.request(node, argv);
        return null;
      } catch (err) {
        if (err instanceof ReplyError) return err.message;
        lastError = (err as Error).message;
      }
    }
    this.host.counters.unavailable++;
    return `DYNUNAVAILABLE no replica of the key answered: ${lastError}`;
  }

  /** The list, nodes believed up first (in preference order), then the others. */
  private candidates(list: readonly string[]): string[] {
    const membership = this.host.membership;
    const up = list.filter((id) => membership.isUp(id));
    return [...up, ...list.filter((id) => !membership.isUp(id))];
  }
}
