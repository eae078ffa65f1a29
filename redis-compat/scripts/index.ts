// redis-compat/scripts/index.ts — every compatibility script, in the order the
// suite runs them (test/redis-compat.test.ts and redis-compat/run.ts).
import type { Script } from '../harness';
import { auth, connection } from './connection';
import { dump } from './dump';
import { geo } from './geo';
import { bitfield, bitop } from './bitfield';
import { hashes } from './hashes';
import { keyTransfer } from './key-transfer';
import { hyperloglog, hyperloglogSparse } from './hyperloglog';
import { keys } from './keys';
import { lists } from './lists';
import { memory } from './memory';
import { protocol } from './protocol';
import { server } from './server';
import { sets } from './sets';
import { sort } from './sort';
import { swapdb } from './swapdb';
import { strings } from './strings';
import { bits, counterStrings, counters, lcs } from './strings-more';
import { transactions } from './transactions';
import { zsets } from './zsets';

export const scripts: Script[] = [connection, auth, strings, counters, counterStrings, lcs, bits, bitop, bitfield, hyperloglog, hyperloglogSparse, hashes, sets, zsets, geo, lists, sort, memory, dump, swapdb, keyTransfer, keys, transactions, server, protocol];
