// test/redis-compat.test.ts — the compatibility suite under ava: each script
// of redis-compat/scripts runs against a real redis-server and dynkv, in RESP2
// and RESP3, and must show no mismatch (intended differences are written in
// the scripts as dynkv's expected reply). Serial: the scripts have TTL and
// sleep steps that a loaded machine would make flaky.
import test from 'ava';
import { formatMismatch, runScript, type Mismatch } from '../redis-compat/harness';
import { scripts } from '../redis-compat/scripts';
import { redisServerAvailable } from '../redis-compat/servers';

test.before(() => {
  if (!redisServerAvailable()) throw new Error('redis-server is not on PATH (apt-get install redis-server; .ci/run does it)');
});

for (const script of scripts) {
  test.serial(`redis-compat: ${script.name}`, async (t) => {
    const found: Mismatch[] = [];
    for (const proto of script.protos ?? [2, 3]) found.push(...(await runScript(script, proto)));
    for (const m of found) t.log(formatMismatch(m));
    t.is(found.length, 0, `${found.length} mismatches with redis-server in script '${script.name}'`);
  });
}
