// cluster/coordinator/routing.ts — where a command runs: route() picks the
// node a command on these keys must run at (a write that reads first runs
// at one coordinator per key, the first of its preference list that is up;
// a blind write runs at any replica; reads run anywhere), forward() sends
// the whole command there (REPLICA.FWD) and brings its raw reply back.
import type { BusReply } from '../bus/bus';
import type { Membership } from '../membership/membership';
import { ReplyError } from '../../protocol/reply-parser';
import type { ClusterCounters, CommandAccess } from './coordinator';

/** What routing needs of the coordinator. */
export interface RouteHost {
  readonly selfId: string;
  readonly single: boolean;
  readonly membership: Membership;
  readonly counters: ClusterCounters;
  request(node: string, argv: readonly (Buffer | string)[]): Promise<BusReply>;
}

/** The node a command on these keys must run at, or null for this one. `forwarded`: it came from another node (never forward again). */
export function route(host: RouteHost, keys: readonly Buffer[], access: CommandAccess, forwarded: boolean): string | null {
  if (host.single || forwarded || keys.length === 0 || access === 'read') return null;
  const membership = host.membership;
  const list = membership.preferenceList(keys[0]);
  let target: string;
  if (access === 'blind-write' && list.includes(host.selfId)) target = host.selfId;
  else target = membership.firstUp(list);
  // Nobody of the list is up: the command runs here, where its quorum fails at once (forwarding would loop).
  if (target === host.selfId || !membership.isUp(target)) return null;
  for (let i = 1; i < keys.length; i++) {
    const other = membership.preferenceList(keys[i]);
    if (other === list) continue;
    if (access === 'blind-write' ? !other.includes(target) : membership.firstUp(other) !== target) return access === 'read-write' ? holderOfAll(host, keys) : null;
  }
  return target;
}

/**
 * A read-write command whose keys have different coordinators
 * (SUNIONSTORE, LMOVE ... across partitions): it runs where replicas of
 * every key are, so a collection's elements can be read and written
 * there: this node if it holds them all, else the first up node that
 * does; here when none does (strings still work through quorums; a
 * collection answers NotAReplicaError). Blind writes (MSET) run where
 * they were sent, as before: each key's write goes to its replicas.
 */
function holderOfAll(host: RouteHost, keys: readonly Buffer[]): string | null {
  const lists = keys.map((key) => host.membership.preferenceList(key));
  if (lists.every((list) => list.includes(host.selfId))) return null;
  // Up, not suspect: a forward that failed makes its target suspect, and the caller asks again (no loop on it).
  for (const node of lists[0]) if (node !== host.selfId && host.membership.state(node) === 'up' && lists.every((list) => list.includes(node))) return node;
  return null;
}

/** Runs the command at that node; resolves with its raw reply, or null when the node did not answer (route again). */
export async function forward(host: RouteHost, node: string, db: number, resp: number, argv: readonly Buffer[]): Promise<Buffer | null> {
  host.counters.forwarded++;
  try {
    const reply = await host.request(node, ['REPLICA.FWD', String(db), String(resp), ...argv]);
    if (!Buffer.isBuffer(reply)) throw new Error(`${node} answered a forwarded command with ${typeof reply}`);
    return reply;
  } catch (err) {
    if (err instanceof ReplyError) return Buffer.from(`-${err.message}\r\n`);
    // No longer the one to route to (suspect or down now): route() picks another.
    if (host.membership.state(node) !== 'up') return null;
    throw err;
  }
}
