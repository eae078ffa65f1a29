// cluster-config.test.ts — the cluster settings: their flags and config-file
// lines (server/config.ts), and this node's view of the cluster built from
// them once the port is bound (server/cluster-config.ts): self, members,
// bus ports, weights, N/R/W defaults, and the ConfigErrors that name what
// is wrong; cluster-hint-max-age below cluster-tombstone-grace, at start and
// at CONFIG SET on a real server.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import Redis from 'ioredis';
import { SERVER_SCRIPT } from '../bin/cluster-launch';
import { ConfigError, parseArgs, settings } from '../server/config';
import { clusterSetup } from '../server/cluster-config';
import { startServer } from './helpers/server';
import { tmpDir } from './helpers/tmpdir';

const THREE = '127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002';

function setup(args: string[], port: number) {
  return clusterSetup(parseArgs(args), port);
}

function fails(t: import('ava').ExecutionContext, args: string[], port: number, message: RegExp): void {
  t.throws(() => setup(args, port), { instanceOf: ConfigError, message });
}

test('defaults: a cluster of one', (t) => {
  const c = parseArgs([]);
  t.is(c.clusterNodes, '');
  t.deepEqual([c.clusterN, c.clusterR, c.clusterW, c.clusterPort, c.clusterWeight], [0, 0, 0, 0, 1]);
  t.is(c.clusterSecret, '');
  t.is(c.clusterPartitions, 256);
  t.is(c.clusterTimeout, 1000);
  t.false(c.enableFaultInjection);
  const s = clusterSetup(c, 6379);
  const self = { id: '127.0.0.1:6379', host: '127.0.0.1', port: 6379, busPort: 16379, weight: 1 };
  const handoff = { maxBytes: 256 * 1024 * 1024, maxAgeMs: 10_800_000, window: 64, rateBytes: 16 * 1024 * 1024 };
  const antiEntropy = { intervalMs: 10_000, keysPerSec: 5000, resyncAfterMs: 3 * 3600_000 };
  t.deepEqual(s, { self, members: [self], n: 1, r: 1, w: 1, partitions: 256, secret: '', timeoutMs: 1000, faultInjection: false, phiThreshold: 8, heartbeatMs: 1000, handoff, antiEntropy });
});

test('flags are parsed, shown by CONFIG GET and immutable (failure detection, hinted handoff and background upkeep settings apart)', (t) => {
  const args = ['--cluster-nodes', THREE, '--cluster-n', '3', '--cluster-r', '1', '--cluster-w', '3', '--cluster-port', '17000', '--cluster-secret', 's3cret', '--cluster-weight', '4', '--cluster-partitions', '1024', '--cluster-timeout', '250', '--enable-fault-injection', 'yes', '--cluster-phi-threshold', '2.5', '--cluster-heartbeat-ms', '300'];
  args.push('--cluster-anti-entropy-interval-ms', '500', '--cluster-anti-entropy-keys-per-sec', '200', '--cluster-hint-max-age', '60', '--cluster-tombstone-grace', '120', '--cluster-scrub-rate', '2mb');
  const c = parseArgs(args);
  const shown: Record<string, string> = {};
  const mutable = ['cluster-phi-threshold', 'cluster-heartbeat-ms', 'cluster-tombstone-grace', 'cluster-scrub-rate'];
  for (const name of Object.keys(settings).filter((n) => (n.startsWith('cluster-') && !n.startsWith('cluster-hint-')) || n === 'enable-fault-injection')) {
    t.is(settings[name].mutable, mutable.includes(name), name);
    const get = settings[name].get;
    if (get !== undefined) shown[name] = get(c);
  }
  t.is(c.clusterSecret, 's3cret');
  t.deepEqual(shown, {
    'cluster-nodes': THREE,
    'cluster-n': '3',
    'cluster-r': '1',
    'cluster-w': '3',
    'cluster-port': '17000',
    'cluster-secret-file': '',
    'cluster-weight': '4',
    'cluster-partitions': '1024',
    'cluster-timeout': '250',
    'cluster-phi-threshold': '2.5',
    'cluster-heartbeat-ms': '300',
    'cluster-anti-entropy-interval-ms': '500',
    'cluster-anti-entropy-keys-per-sec': '200',
    'enable-fault-injection': 'yes',
    'cluster-tombstone-grace': '120',
    'cluster-scrub-rate': String(2 * 1024 * 1024),
  });
  const s = clusterSetup({ ...c, clusterPort: 0 }, 7001);
  t.is(s.phiThreshold, 2.5);
  t.is(s.heartbeatMs, 300);
  t.deepEqual(s.antiEntropy, { intervalMs: 500, keysPerSec: 200, resyncAfterMs: 60_000 }, 'a node away longer than hints are kept resyncs');
  t.throws(() => parseArgs(['--cluster-tombstone-grace', '-1']), { message: "option --cluster-tombstone-grace: argument must be between 0 and 315360000 inclusive for 'cluster-tombstone-grace'" });
  t.throws(() => parseArgs(['--cluster-scrub-rate', 'fast']), { message: "option --cluster-scrub-rate: argument must be a memory value for 'cluster-scrub-rate'" });
});

test('the config file takes the same settings', (t) => {
  const file = path.join(tmpDir(t), 'dynkv.conf');
  fs.writeFileSync(file, `port 7001\ncluster-nodes "${THREE}"\ncluster-secret abc\nenable-fault-injection no\ncluster-partitions 16384\n`);
  const s = setup([file], 7001);
  t.is(s.self.id, '127.0.0.1:7001');
  t.is(s.secret, 'abc');
  t.is(s.partitions, 16384);
});

test('cluster-secret-file: the secret is the one line of the file; an unreadable, empty or multi-line file is refused by name', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'secret');
  fs.writeFileSync(file, 'from a file\r\n', { mode: 0o600 });
  const c = parseArgs(['--cluster-nodes', THREE, '--cluster-secret-file', file]);
  t.is(c.clusterSecret, 'from a file');
  t.is(c.clusterSecretFile, file);
  t.is(clusterSetup(c, 7000).secret, 'from a file');
  // Later settings win, as for every setting.
  t.is(parseArgs(['--cluster-secret-file', file, '--cluster-secret', 'flag']).clusterSecret, 'flag');
  t.is(parseArgs(['--cluster-secret-file', file, '--cluster-secret', 'flag']).clusterSecretFile, '');
  t.is(parseArgs(['--cluster-secret', 'flag', '--cluster-secret-file', file]).clusterSecret, 'from a file');
  const conf = path.join(dir, 'dynkv.conf');
  fs.writeFileSync(conf, `cluster-secret-file ${file}\n`);
  t.is(parseArgs([conf]).clusterSecret, 'from a file');

  const missing = path.join(dir, 'missing');
  t.throws(() => parseArgs(['--cluster-secret-file', missing]), { instanceOf: ConfigError, message: new RegExp(`^option --cluster-secret-file: can't read cluster-secret-file '${missing}': ENOENT`) });
  const empty = path.join(dir, 'empty');
  fs.writeFileSync(empty, '\n');
  t.throws(() => parseArgs(['--cluster-secret-file', empty]), { instanceOf: ConfigError, message: `option --cluster-secret-file: cluster-secret-file '${empty}' is empty` });
  const two = path.join(dir, 'two');
  fs.writeFileSync(two, 'a\nb\n');
  t.throws(() => parseArgs(['--cluster-secret-file', two]), { instanceOf: ConfigError, message: /'.*two' holds more than one line/ });
});

test('malformed flag values are refused', (t) => {
  const bad: [string[], RegExp][] = [
    [['--cluster-partitions', '100'], /power of two from 1 to 16384 for 'cluster-partitions'/],
    [['--cluster-partitions', '0'], /between 1 and 16384/],
    [['--cluster-partitions', '32768'], /between 1 and 16384/],
    [['--cluster-weight', '0'], /between 1 and 1048576 inclusive for 'cluster-weight'/],
    [['--cluster-weight', '1048577'], /between 1 and 1048576/],
    [['--cluster-n', '-1'], /cluster-n/],
    [['--cluster-port', '70000'], /cluster-port/],
    [['--cluster-timeout', '0'], /cluster-timeout/],
    [['--cluster-phi-threshold', 'high'], /^option --cluster-phi-threshold: argument couldn't be parsed into a decimal number for 'cluster-phi-threshold'$/],
    [['--cluster-phi-threshold', '-1'], /couldn't be parsed into a decimal number/],
    [['--cluster-phi-threshold', '0'], /argument must be between 0.1 and 100 inclusive for 'cluster-phi-threshold'/],
    [['--cluster-phi-threshold', '100.5'], /between 0.1 and 100/],
    [['--cluster-heartbeat-ms', '9'], /argument must be between 10 and 3600000 inclusive for 'cluster-heartbeat-ms'/],
    [['--enable-fault-injection', 'maybe'], /'yes' or 'no' for 'enable-fault-injection'/],
    [['--cluster-nodes'], /wrong number of arguments for 'cluster-nodes'/],
  ];
  for (const [args, message] of bad) t.throws(() => parseArgs(args), { instanceOf: ConfigError, message }, args.join(' '));
  t.is(parseArgs(['--cluster-partitions', '1']).clusterPartitions, 1);
  t.is(parseArgs(['--cluster-weight', '1048576']).clusterWeight, 1048576);
  t.is(parseArgs(['--cluster-phi-threshold', '0.1']).clusterPhiThreshold, 0.1);
  t.is(parseArgs(['--cluster-heartbeat-ms', '10']).clusterHeartbeatMs, 10);
});

test('a cluster of one: bind, bound port, cluster-port, weight', (t) => {
  const s = setup(['--bind', '-::1', '127.0.0.1', '--cluster-weight', '5', '--port', '0'], 40000);
  t.deepEqual(s.self, { id: '[::1]:40000', host: '::1', port: 40000, busPort: 50000, weight: 5 });
  t.is(setup(['--cluster-port', '9000'], 7000).self.busPort, 9000);
  // No room for port + 10000 and nothing to dial it: any free port.
  t.is(setup([], 60000).self.busPort, 0);
  // Explicit n/r/w of 1 are accepted; more need other nodes.
  t.is(setup(['--cluster-n', '1', '--cluster-r', '1', '--cluster-w', '1'], 7000).n, 1);
  fails(t, ['--cluster-n', '3'], 7000, /cluster-n 3 needs other nodes: without cluster-nodes this node is a cluster of one/);
  fails(t, ['--cluster-w', '2'], 7000, /cluster-w 2 needs other nodes/);
});

test('members: self found by port, sorted by id, defaults for bus port and weight', (t) => {
  const s = setup(['--cluster-nodes', '127.0.0.1:7002, 127.0.0.1:7000=2,127.0.0.1:7001@17101', '--cluster-secret', 'x'], 7001);
  t.deepEqual(s.self, { id: '127.0.0.1:7001', host: '127.0.0.1', port: 7001, busPort: 17101, weight: 1 });
  t.deepEqual(s.members, [
    { id: '127.0.0.1:7000', host: '127.0.0.1', port: 7000, busPort: 17000, weight: 2 },
    { id: '127.0.0.1:7001', host: '127.0.0.1', port: 7001, busPort: 17101, weight: 1 },
    { id: '127.0.0.1:7002', host: '127.0.0.1', port: 7002, busPort: 17002, weight: 1 },
  ]);
  t.deepEqual([s.n, s.r, s.w], [3, 2, 2]);
  t.is(s.secret, 'x');
});

test('N/R/W defaults follow the member count', (t) => {
  const list = (k: number): string => Array.from({ length: k }, (_, i) => `10.0.0.${i + 1}:7000`).join(',');
  const nrw = (k: number, extra: string[] = []): number[] => {
    const s = setup(['--bind', '10.0.0.1', '--cluster-nodes', list(k), '--cluster-secret', 'x', ...extra], 7000);
    return [s.n, s.r, s.w];
  };
  t.deepEqual(nrw(1), [1, 1, 1]);
  t.deepEqual(nrw(2), [2, 2, 2]);
  t.deepEqual(nrw(3), [3, 2, 2]);
  t.deepEqual(nrw(7), [3, 2, 2]);
  t.deepEqual(nrw(7, ['--cluster-n', '5']), [5, 3, 3]);
  t.deepEqual(nrw(7, ['--cluster-n', '4']), [4, 3, 3]);
  t.deepEqual(nrw(3, ['--cluster-r', '1', '--cluster-w', '3']), [3, 1, 3]);
  t.deepEqual(nrw(3, ['--cluster-n', '1']), [1, 1, 1]);
});

test('N/R/W out of range', (t) => {
  const base = ['--cluster-nodes', THREE, '--cluster-secret', 'x'];
  fails(t, [...base, '--cluster-n', '4'], 7000, /cluster-n 4 is more than the 3 nodes of cluster-nodes/);
  fails(t, [...base, '--cluster-r', '4'], 7000, /cluster-r 4 is more than cluster-n 3/);
  fails(t, [...base, '--cluster-n', '2', '--cluster-w', '3'], 7000, /cluster-w 3 is more than cluster-n 2/);
});

test('self among several nodes on the same port: the bound address decides', (t) => {
  const list = ['--cluster-nodes', '10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000', '--cluster-secret', 'x'];
  t.is(setup([...list, '--bind', '10.0.0.2'], 7000).self.id, '10.0.0.2:7000');
  t.is(setup([...list, '--bind', '127.0.0.1', '-10.0.0.3'], 7000).self.id, '10.0.0.3:7000');
  fails(t, [...list, '--bind', '127.0.0.1'], 7000, /none of '10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000' is on a bound address \(bind 127.0.0.1\)/);
  fails(t, [...list, '--bind', '10.0.0.1', '10.0.0.2'], 7000, /'10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000' are all on bound addresses/);
  fails(t, list, 7005, /cluster-nodes names no node with this node's port 7005/);
  // IPv6 members keep their brackets in the id.
  const v6 = setup(['--bind', '::1', '--cluster-nodes', '[::1]:7000,[::1]:7001@17201', '--cluster-secret', 'x'], 7001);
  t.deepEqual(v6.self, { id: '[::1]:7001', host: '::1', port: 7001, busPort: 17201, weight: 1 });
});

test('weights: from the entry, from cluster-weight, or a conflict', (t) => {
  const base = ['--cluster-secret', 'x'];
  t.is(setup([...base, '--cluster-nodes', '127.0.0.1:7000=3,127.0.0.1:7001'], 7000).self.weight, 3);
  const s = setup([...base, '--cluster-nodes', '127.0.0.1:7000,127.0.0.1:7001=7', '--cluster-weight', '3'], 7000);
  t.is(s.self.weight, 3);
  t.deepEqual(s.members.map((m) => m.weight), [3, 7]);
  t.is(setup([...base, '--cluster-nodes', '127.0.0.1:7000=3,127.0.0.1:7001', '--cluster-weight', '3'], 7000).self.weight, 3);
  fails(t, [...base, '--cluster-nodes', '127.0.0.1:7000=3,127.0.0.1:7001', '--cluster-weight', '2'], 7000, /cluster-weight 2 disagrees with this node's cluster-nodes entry '127.0.0.1:7000=3'/);
  fails(t, [...base, '--cluster-nodes', '127.0.0.1:7000=0,127.0.0.1:7001'], 7000, /entry '127.0.0.1:7000=0' has weight 0, not an integer from 1 to 1048576/);
  fails(t, [...base, '--cluster-nodes', '127.0.0.1:7000,127.0.0.1:7001=1048577'], 7000, /entry '127.0.0.1:7001=1048577' has weight 1048577/);
});

test('bus ports: default, @busport, cluster-port', (t) => {
  const base = ['--cluster-secret', 'x'];
  t.is(setup([...base, '--cluster-nodes', '127.0.0.1:7000@9000,127.0.0.1:7001', '--cluster-port', '9000'], 7000).self.busPort, 9000);
  t.is(setup([...base, '--cluster-nodes', THREE, '--cluster-port', '17000'], 7000).self.busPort, 17000);
  fails(t, [...base, '--cluster-nodes', '127.0.0.1:7000@9000,127.0.0.1:7001', '--cluster-port', '9001'], 7000, /cluster-port 9001 disagrees with this node's cluster-nodes entry '127.0.0.1:7000@9000': its @9000/);
  fails(t, [...base, '--cluster-nodes', THREE, '--cluster-port', '9001'], 7000, /cluster-port 9001 disagrees .* bus port 17000 \(port \+ 10000\); write it as '127.0.0.1:7000@9001'/);
  fails(t, [...base, '--cluster-nodes', '127.0.0.1:60000,127.0.0.1:7001'], 7001, /entry '127.0.0.1:60000' has no room for its default bus port 70000/);
  t.is(setup([...base, '--cluster-nodes', '127.0.0.1:60000@6000,127.0.0.1:7001'], 60000).self.busPort, 6000);
  fails(t, [...base, '--cluster-nodes', '127.0.0.1:7000,127.0.0.1:7001@17000'], 7000, /entries '127.0.0.1:7000' and '127.0.0.1:7001@17000' both use 127.0.0.1:17000/);
  fails(t, [...base, '--cluster-nodes', '127.0.0.1:7000@7000'], 7000, /entry '127.0.0.1:7000@7000' uses port 7000 for both clients and the bus/);
  fails(t, [...base, '--cluster-nodes', '127.0.0.1:7000@0,127.0.0.1:7001'], 7000, /entry '127.0.0.1:7000@0' has bus port 0, not from 1 to 65535/);
});

test('member lists that do not parse, duplicates, a missing secret', (t) => {
  const bad: [string, RegExp][] = [
    ['127.0.0.1:7000,,127.0.0.1:7001', /empty entry/],
    ['127.0.0.1:7000,', /empty entry/],
    ['127.0.0.1', /entry '127.0.0.1' is not host:port\[@busport\]\[=weight\]/],
    ['127.0.0.1:7000=x', /entry '127.0.0.1:7000=x' is not host:port/],
    ['127.0.0.1:7000=2@17000', /entry '127.0.0.1:7000=2@17000' is not host:port/],
    ['::1:7000', /entry '::1:7000' is not host:port/],
    ['127.0.0.1:0', /entry '127.0.0.1:0' has port 0, not from 1 to 65535/],
    ['127.0.0.1:7000,127.0.0.1:7000=2', /names node 127.0.0.1:7000 twice: '127.0.0.1:7000' and '127.0.0.1:7000=2'/],
    ['LOCALHOST:7000,localhost:7000', /names node localhost:7000 twice/],
  ];
  for (const [list, message] of bad) fails(t, ['--cluster-nodes', list, '--cluster-secret', 'x'], 7000, message);
  fails(t, ['--cluster-nodes', THREE], 7000, /^cluster-secret or cluster-secret-file is required when cluster-nodes names other nodes$/);
  // A list of one is a cluster of one: no secret needed.
  t.deepEqual(setup(['--cluster-nodes', '127.0.0.1:7000'], 7000).members.map((m) => m.id), ['127.0.0.1:7000']);
});

test("hinted handoff's settings: memory units, seconds, bounds; CONFIG SET may change them; the coordinator takes them", (t) => {
  const c = parseArgs(['--cluster-hint-max-bytes', '1gb', '--cluster-hint-max-age', '60', '--cluster-hint-window', '8', '--cluster-hint-rate', '0']);
  for (const name of ['cluster-hint-max-bytes', 'cluster-hint-max-age', 'cluster-hint-window', 'cluster-hint-rate']) t.true(settings[name].mutable, name);
  t.deepEqual(clusterSetup(c, 6379).handoff, { maxBytes: 1024 ** 3, maxAgeMs: 60_000, window: 8, rateBytes: 0 });
  t.throws(() => parseArgs(['--cluster-hint-max-bytes', '100']), { message: "option --cluster-hint-max-bytes: argument must be between 1024 and 9007199254740991 inclusive for 'cluster-hint-max-bytes'" });
  t.throws(() => parseArgs(['--cluster-hint-max-age', '0']), { message: "option --cluster-hint-max-age: argument must be between 1 and 31536000 inclusive for 'cluster-hint-max-age'" });
  t.throws(() => parseArgs(['--cluster-hint-rate', 'fast']), { message: "option --cluster-hint-rate: argument must be a memory value for 'cluster-hint-rate'" });
});

/** The refusal of a hint age bound not below the grace period, as ConfigError and CONFIG SET give it. */
function hintOutlivesGrace(hintMaxAge: number, grace: number): string {
  return `cluster-hint-max-age ${hintMaxAge} must be less than cluster-tombstone-grace ${grace}: a hint older than the grace period could bring back a key whose tombstone was reaped`;
}

test('cluster-hint-max-age must be less than cluster-tombstone-grace: a start with a hint age bound not below it stops with a ConfigError naming both', (t) => {
  for (const [age, grace] of [['3600', '60'], ['60', '60'], ['1', '0']]) {
    t.throws(() => setup(['--cluster-hint-max-age', age, '--cluster-tombstone-grace', grace], 6379), { instanceOf: ConfigError, message: hintOutlivesGrace(Number(age), Number(grace)) });
  }
  // The defaults alone, or the grace alone below the default hint age of 10800 s.
  t.throws(() => setup(['--cluster-tombstone-grace', '10800'], 6379), { instanceOf: ConfigError, message: hintOutlivesGrace(10800, 10800) });
  t.throws(() => setup(['--cluster-nodes', THREE, '--cluster-secret', 'x', '--cluster-tombstone-grace', '60'], 7000), { instanceOf: ConfigError, message: hintOutlivesGrace(10800, 60) });
  t.is(setup(['--cluster-hint-max-age', '59', '--cluster-tombstone-grace', '60'], 6379).handoff?.maxAgeMs, 59_000);
  t.is(setup(['--cluster-tombstone-grace', '10801'], 6379).handoff?.maxAgeMs, 10_800_000);
  const run = spawnSync(process.execPath, [SERVER_SCRIPT, '--port', '0', '--dir', tmpDir(t), '--cluster-tombstone-grace', '60', '--cluster-hint-max-age', '3600'], { encoding: 'utf8', timeout: 60_000 });
  t.is(run.status, 1, run.stdout + run.stderr);
  t.is(run.stderr, `dynkv-server: ${hintOutlivesGrace(3600, 60)}\n`);
});

test('CONFIG SET of cluster-hint-max-age or cluster-tombstone-grace that would let a hint outlive the grace period fails whole, and changes nothing', async (t) => {
  const server = await startServer(t);
  const r = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => r.disconnect());
  const shown = async (): Promise<string[]> => (await r.config('GET', 'cluster-hint-max-age', 'cluster-tombstone-grace', 'cluster-scrub-rate')) as string[];
  const before = await shown();
  t.deepEqual(before, ['cluster-hint-max-age', '10800', 'cluster-tombstone-grace', '86400', 'cluster-scrub-rate', String(1024 * 1024)]);
  const refused: [string[], string, number, number][] = [
    [['cluster-tombstone-grace', '60'], 'cluster-tombstone-grace', 10800, 60],
    [['cluster-hint-max-age', '86400'], 'cluster-hint-max-age', 86400, 86400],
    [['cluster-scrub-rate', '5mb', 'cluster-hint-max-age', '100000'], 'cluster-hint-max-age', 100000, 86400],
    [['cluster-hint-max-age', '30', 'cluster-tombstone-grace', '30'], 'cluster-hint-max-age', 30, 30],
  ];
  for (const [args, named, age, grace] of refused) {
    await t.throwsAsync(r.config('SET', ...args), { message: `ERR CONFIG SET failed (possibly related to argument '${named}') - ${hintOutlivesGrace(age, grace)}` }, args.join(' '));
    t.deepEqual(await shown(), before, `nothing changed after CONFIG SET ${args.join(' ')}`);
  }
  // Both at once: only the pair they leave counts, whatever their order.
  t.is(await r.config('SET', 'cluster-tombstone-grace', '60', 'cluster-hint-max-age', '30'), 'OK');
  t.deepEqual(await shown(), ['cluster-hint-max-age', '30', 'cluster-tombstone-grace', '60', 'cluster-scrub-rate', String(1024 * 1024)]);
  t.is(await r.config('SET', 'cluster-hint-max-age', '59'), 'OK');
  await t.throwsAsync(r.config('SET', 'cluster-hint-max-age', '60'), { message: `ERR CONFIG SET failed (possibly related to argument 'cluster-hint-max-age') - ${hintOutlivesGrace(60, 60)}` });
  t.deepEqual((await shown()).slice(0, 4), ['cluster-hint-max-age', '59', 'cluster-tombstone-grace', '60']);
});
