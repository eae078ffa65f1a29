// test/redis-compat-cluster.test.ts — the compatibility suite once more, with
// dynkv as a local 3-node cluster (N=3, R=2, W=2, separate processes) seen
// through its first node: every command must answer through a cluster node
// as redis-server answers it, whichever node coordinates the key.
import test from 'ava';
import { formatMismatch, runScript, type Mismatch } from '../redis-compat/harness';
import { scripts } from '../redis-compat/scripts';
import { redisServerAvailable } from '../redis-compat/servers';

process.env.COMPAT_TARGET = 'cluster';

test.before(() => {
  if (!redisServerAvailable()) throw new Error('redis-server is not on PATH (apt-get install redis-server; .ci/run does it)');
});

for (const script of scripts) {
  test.serial(`redis-compat through a cluster node: ${script.name}`, async (t) => {
    const found: Mismatch[] = [];
    for (const proto of script.protos ?? [2, 3]) found.push(...(await runScript(script, proto)));
    for (const m of found) t.log(formatMismatch(m));
    t.is(found.length, 0, `${found.length} mismatches with redis-server in script '${script.name}'`);
  });
}
