// server/cluster-plan.ts — what the cluster needs to know of a command before
// it runs (Redis Cluster asks the same of its key specs): the keys it
// names, and how it uses them.
// - 'read': runs on this node after a quorum read of its keys.
// - 'blind-write': a write that does not depend on what is stored (SET
//   without NX/XX/GET/KEEPTTL, MSET, SETEX, PSETEX, DYN.SET, FLUSHDB): any
//   replica of the key coordinates it, without reading first, so writes
//   made on both sides of a partition become siblings.
// - 'read-write': INCR, APPEND, DEL, SET NX ...: runs at the key's first
//   live replica, so read-modify-write stays atomic at one coordinator.
// EXEC names the keys of the commands it queued and runs here (a
// transaction's writes to keys of other nodes are not atomic across them).
import type { CommandAccess } from '../cluster/index';
import type { Client } from './client';
import type { CommandLookup } from './command-lookup';
import type { CommandSpec, KeySpec } from './commands/types';

export interface ClusterPlan {
  keys: Buffer[];
  access: CommandAccess;
  /** R for the quorum read when the command says (DYN.GET key R n); null = the configured R. */
  r: number | null;
}

/** SET options that read what is stored first. */
const READING_SET_OPTIONS = new Set(['nx', 'xx', 'get', 'keepttl']);
const BLIND_WRITES = new Set(['mset', 'setex', 'psetex', 'flushdb', 'flushall', 'dyn.set', 'dyn.del']);

/** The index of a command's last key in an argv of argc items (its spec's lastKey, from the end when negative). */
export function lastKeyIndex(spec: CommandSpec, argc: number): number {
  return spec.lastKey < 0 ? argc + spec.lastKey : Math.min(spec.lastKey, argc - 1);
}

/** The keys spec's positions name in argv (a subcommand's, for OBJECT ENCODING key and the like). */
export function commandKeys(spec: CommandSpec, argv: readonly Buffer[], into: Buffer[] = []): Buffer[] {
  let s = spec;
  if (s.subcommands !== undefined && argv.length > 1) {
    const name = `${s.name}|${argv[1].toString('latin1').toLowerCase()}`;
    const sub = s.subcommands.find((c) => c.name === name);
    if (sub === undefined) return into;
    s = sub;
  }
  if (s.keys !== undefined) {
    s.keys(argv, into);
    return into;
  }
  if (s.firstKey <= 0) return s.keySpecs === undefined ? into : movableKeys(s.keySpecs, argv, into);
  const last = lastKeyIndex(s, argv.length);
  for (let k = s.firstKey; k <= last; k += s.step) into.push(argv[k]);
  return into;
}

/** The keys of find_keys keynum specs (SINTERCARD numkeys key ...); none when the count is not a positive number (the handler refuses it). */
function movableKeys(specs: readonly KeySpec[], argv: readonly Buffer[], into: Buffer[]): Buffer[] {
  for (const k of specs) {
    if (k.keynum === undefined) continue;
    const at = k.index + k.keynum.keynumIdx;
    const count = at < argv.length ? Number(argv[at].toString('latin1')) : 0;
    if (!Number.isSafeInteger(count) || count < 1) continue;
    const first = at + k.keynum.firstKey;
    for (let i = 0, j = first; i < count && j < argv.length; i++, j += k.keynum.keyStep) into.push(argv[j]);
  }
  return into;
}

/** null: the command runs at once, wherever it was sent (no keys, not a write). */
export function clusterPlan(spec: CommandSpec, argv: readonly Buffer[], client: Client, lookup: CommandLookup): ClusterPlan | null {
  if (spec.cluster !== undefined) {
    const own = spec.cluster(argv);
    if (own === 'local') return null;
    return { keys: own.keys ?? commandKeys(spec, argv), access: own.access ?? accessOf(spec, argv), r: own.r ?? null };
  }
  if (spec.name === 'exec') {
    const keys: Buffer[] = [];
    for (const queued of client.multi ?? []) {
      const queuedSpec = lookup.find(queued[0]);
      if (queuedSpec !== undefined) commandKeys(queuedSpec, queued, keys);
    }
    return keys.length === 0 ? null : { keys, access: 'read', r: null };
  }
  const keys = commandKeys(spec, argv);
  const write = spec.flags.includes('write');
  if (keys.length === 0 && !write) return null;
  return { keys, access: accessOf(spec, argv), r: null };
}

function accessOf(spec: CommandSpec, argv: readonly Buffer[]): CommandAccess {
  if (!spec.flags.includes('write')) return 'read';
  if (BLIND_WRITES.has(spec.name)) return 'blind-write';
  if (spec.name === 'set') {
    for (let i = 3; i < argv.length; i++) if (READING_SET_OPTIONS.has(argv[i].toString('latin1').toLowerCase())) return 'read-write';
    return 'blind-write';
  }
  return 'read-write';
}
