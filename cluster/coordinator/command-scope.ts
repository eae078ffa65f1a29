// cluster/coordinator/command-scope.ts — the running command's scope, from
// begin() to end(): the view prepare() gathered of keys held elsewhere (and
// the command's own writes of them), the node that forwarded it, and the
// writes awaiting their acks. Commands run one at a time (the handler is
// synchronous), so the coordinator keeps one scope and reuses it.
import type { KeyVersions } from '../versions/versions';
import type { PreparedView } from './coordinator';

export const keyName = (key: Buffer): string => key.toString('latin1');

export class CommandScope {
  /** What the handler reads of keys this node holds no replica of (null: nothing). */
  private view: PreparedView = null;
  /** The node that forwarded the command; null when a client sent it here. */
  private origin: string | null = null;
  /** Writes of the running command awaiting their acks; each resolves with an error reply or null. */
  private pending: Promise<string | null>[] = [];

  begin(view: PreparedView, origin: string | null): void {
    this.view = view;
    this.origin = origin;
  }

  /** Ends the command: resolves once its writes have their acks (null: nothing to wait for), with the first error reply. */
  end(): Promise<string | null> | null {
    this.view = null;
    this.origin = null;
    const pending = this.pending;
    if (pending.length === 0) return null;
    this.pending = [];
    if (pending.length === 1) return pending[0];
    return Promise.all(pending).then((errors) => errors.find((e) => e !== null) ?? null);
  }

  /** The running command also waits for this write. */
  pend(write: Promise<string | null>): void {
    this.pending.push(write);
  }

  /** The key's versions in the view; undefined when the handler reads this node's replica. */
  viewed(key: Buffer): KeyVersions | undefined {
    return this.view === null ? undefined : this.view.get(keyName(key));
  }

  /** Puts the command's own write of a key held elsewhere in the view: its later reads see it. */
  see(key: Buffer, versions: KeyVersions): void {
    this.view ??= new Map();
    this.view.set(keyName(key), versions);
  }

  /** The origin when it is one of these replicas (and not this node): its ack is awaited too, as it reads its own write next. */
  originIn(list: readonly string[], selfId: string): string | null {
    const origin = this.origin;
    return origin !== null && origin !== selfId && list.includes(origin) ? origin : null;
  }
}
