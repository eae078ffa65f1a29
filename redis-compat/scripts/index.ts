// redis-compat/scripts/index.ts — every compatibility script, in the order the
// suite runs them (test/redis-compat.test.ts and redis-compat/run.ts).
import type { Script } from '../harness';
import { auth, connection } from './connection';
import { hashes } from './hashes';
import { keys } from './keys';
import { lists } from './lists';
import { protocol } from './protocol';
import { server } from './server';
import { strings } from './strings';
import { bits, counters, lcs } from './strings-more';
import { transactions } from './transactions';

export const scripts: Script[] = [connection, auth, strings, counters, lcs, bits, hashes, lists, keys, transactions, server, protocol];
