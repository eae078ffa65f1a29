// server/commands/swapdb.ts — SWAPDB index1 index2, as Redis 7.0's
// swapdbCommand: both indexes read as ints (their own error each), then the
// range check, then the swap (a no-op for one index), which fails the
// transactions watching a key that exists in either database. On a cluster
// of one the store swaps the two databases' directories through a persisted
// map (cluster/replica/db-map.ts): atomic and durable before the reply, no
// key copied. A cluster of several nodes refuses it with Redis Cluster's
// error: the swap would have to happen on every node at one instant (README,
// "SWAPDB").
import { CommandError, ERR } from '../errors';
import { string2ll } from './string-args';
import type { CommandContext, CommandSpec } from './types';

const SWAPDB_ERR = {
  cluster: 'ERR SWAPDB is not allowed in cluster mode',
  first: 'ERR invalid first DB index',
  second: 'ERR invalid second DB index',
} as const;

/** getIntFromObjectOrReply: an int (32-bit), else `message`. */
function intArg(arg: Buffer, message: string): number {
  const v = string2ll(arg);
  if (typeof v !== 'number' || v < -2147483648 || v > 2147483647) throw new CommandError(message);
  return v;
}

function swapdb(ctx: CommandContext, argv: Buffer[]): void {
  if (!ctx.store.single) throw new CommandError(SWAPDB_ERR.cluster);
  const a = intArg(argv[1], SWAPDB_ERR.first);
  const b = intArg(argv[2], SWAPDB_ERR.second);
  const count = ctx.store.databases;
  if (a < 0 || a >= count || b < 0 || b >= count) throw new CommandError(ERR.dbIndexOutOfRange);
  if (a !== b) {
    ctx.server.databasesSwapped(a, b, (db, key) => ctx.store.meta(db, key) !== null);
    ctx.store.swapDatabases(a, b);
  }
  ctx.reply.ok();
}

// Metadata as redis-server 7.0.15's COMMAND INFO reports it.
export const swapdbCommands: CommandSpec[] = [
  {
    name: 'swapdb', arity: 3, flags: ['write', 'fast'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['keyspace', 'write', 'fast', 'dangerous'],
    // Runs where it is sent: there is no key to route by (a cluster of several nodes refuses it).
    cluster: () => 'local',
    handler: swapdb,
  },
];
