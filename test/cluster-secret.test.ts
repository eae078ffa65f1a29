// cluster-secret.test.ts — where the cluster secret may and may not be
// seen, with real processes: never in CONFIG GET (by name or pattern) nor
// on a node's command line (/proc/PID/cmdline, what ps shows); read from
// cluster-secret-file or a config file; a secret file that cannot be read
// stops the start naming it, one others may read is warned about.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import Redis from 'ioredis';
import { SERVER_SCRIPT, exited, nodeArgs, planLocalCluster, spawnNode, waitUntilAnswering } from '../bin/cluster-launch';
import { reservePorts } from '../redis-compat/ports';
import { killOnExit } from '../redis-compat/servers';
import { startCluster } from './helpers/cluster';
import { serverClient, startServer } from './helpers/server';
import { tmpDir } from './helpers/tmpdir';

async function configGet(r: Redis, pattern: string): Promise<Map<string, string>> {
  const flat = (await r.call('CONFIG', 'GET', pattern)) as string[];
  const map = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
  return map;
}

async function pidOf(r: Redis): Promise<number> {
  return Number(/^process_id:(\d+)\r$/m.exec(await r.info('server'))?.[1]);
}

test('the secret is not in CONFIG GET, by name or pattern, nor on the command line of a node', async (t) => {
  const cluster = await startCluster(t, { nodes: 2 });
  for (const node of cluster.nodes) {
    const r = serverClient(t, node.port);
    t.deepEqual(await configGet(r, 'cluster-secret'), new Map());
    t.deepEqual(await configGet(r, 'CLUSTER-SECRET'), new Map());
    for (const pattern of ['*', 'cluster-*', '*secret*', 'cluster-secre?']) {
      const shown = await configGet(r, pattern);
      t.false(shown.has('cluster-secret'), pattern);
      t.false([...shown.values()].some((v) => v.includes(cluster.secret)), pattern);
    }
    const cmdline = fs.readFileSync(`/proc/${await pidOf(r)}/cmdline`, 'latin1');
    t.false(cmdline.includes(cluster.secret), cmdline.replace(/\0/g, ' '));
    const file = (await configGet(r, 'cluster-secret-file')).get('cluster-secret-file') as string;
    t.true(cmdline.includes(`--cluster-secret-file\0${file}\0`));
    t.is(fs.readFileSync(file, 'utf8'), `${cluster.secret}\n`, 'CONFIG GET shows the file the secret was read from');
    t.is(fs.statSync(file).mode & 0o777, 0o600);
  }
  // The nodes did authenticate each other with it: a write needs both (N=2, W=2).
  t.is(await serverClient(t, cluster.nodes[0].port).set('k', 'v'), 'OK');
});

test('cluster-secret in a config file works; CONFIG GET does not show it', async (t) => {
  const dir = tmpDir(t);
  const ports = await reservePorts(2);
  const cluster = planLocalCluster({ ports, secret: 'secret from the file' });
  const withFile = path.join(dir, 'secret');
  fs.writeFileSync(withFile, 'secret from the file\n', { mode: 0o600 });
  const conf = path.join(dir, 'dynkv.conf');
  fs.writeFileSync(conf, '# the other node reads the same secret from its secret file\ncluster-secret "secret from the file"\n');
  // Node 0: the config file first, and its flags without --cluster-secret-file.
  const args0 = nodeArgs(cluster, cluster.members[0], path.join(dir, 'n0'), withFile);
  const at = args0.indexOf('--cluster-secret-file');
  args0.splice(at, 2);
  const children = [spawnNode([conf, ...args0]), spawnNode(nodeArgs(cluster, cluster.members[1], path.join(dir, 'n1'), withFile))];
  for (const child of children) killOnExit(child);
  t.teardown(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map((c) => exited(c)));
  });
  t.is(await waitUntilAnswering(cluster.members, children, 30_000), null);
  const r = serverClient(t, ports[0]);
  t.is((await configGet(r, 'cluster-secret-file')).get('cluster-secret-file'), '');
  t.false([...(await configGet(r, '*')).values()].some((v) => v.includes('secret from the file')));
  t.is(await r.set('k', 'v'), 'OK', 'W=2: node 1 accepted node 0\'s secret');
  t.is(await serverClient(t, ports[1]).get('k'), 'v');
});

test('a secret file that cannot be read stops the start, naming it; one others may read is warned about', async (t) => {
  const dir = tmpDir(t);
  const missing = path.join(dir, 'missing');
  const run = spawnSync(process.execPath, [SERVER_SCRIPT, '--port', '0', '--dir', dir, '--cluster-secret-file', missing], { encoding: 'utf8', timeout: 60_000 });
  t.is(run.status, 1);
  t.regex(run.stderr, new RegExp(`^dynkv-server: option --cluster-secret-file: can't read cluster-secret-file '${missing}': ENOENT`));
  const empty = path.join(dir, 'empty');
  fs.writeFileSync(empty, '', { mode: 0o600 });
  const none = spawnSync(process.execPath, [SERVER_SCRIPT, '--port', '0', '--dir', dir, '--cluster-secret-file', empty], { encoding: 'utf8', timeout: 60_000 });
  t.is(none.status, 1);
  t.regex(none.stderr, new RegExp(`^dynkv-server: option --cluster-secret-file: cluster-secret-file '${empty}' is empty`));

  const shared = path.join(dir, 'shared');
  fs.writeFileSync(shared, 's3cret\n');
  fs.chmodSync(shared, 0o644);
  const loose = await startServer(t, ['--cluster-secret-file', shared]);
  t.regex(loose.output(), new RegExp(`warning: cluster-secret-file '${shared}' has mode 0644: users other than its owner may read the cluster secret`));
  fs.chmodSync(shared, 0o600);
  const tight = await startServer(t, ['--cluster-secret-file', shared]);
  t.notRegex(tight.output(), /warning/);
});
