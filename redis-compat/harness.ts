// redis-compat/harness.ts — runs a command script against a real redis-server
// and against dynkv, step by step on both at once, and compares the replies
// byte for byte (as decoded trees, see raw-client.ts) after per-step
// normalizers for values that legitimately differ (ids, addresses, times).
// Each script runs once per protocol (RESP2, and RESP3 after HELLO 3) on a
// fresh pair of servers. Where dynkv differs from redis 7.0 on purpose, the
// step names dynkv's expected reply itself (`dynkv` + `why`).
import { RawClient, ReplyTimeout, encodeCommand, render, type Reply } from './raw-client';
import { startDynkv, startDynkvCluster, startRedis, type ServerProcess } from './servers';

export type Arg = string | number | Buffer;
export type Proto = 2 | 3;
export type Normalizer = (reply: Reply, proto: Proto) => Reply;

export interface Step {
  /** A command, sent as a multibulk. */
  cmd?: Arg[];
  /** Bytes sent as they are (inline commands, pipelines, protocol errors). */
  raw?: string | Buffer;
  /** A custom exchange (e.g. a full SCAN iteration) returning one reply to compare. */
  run?: (c: RawClient, proto: Proto) => Promise<Reply>;
  /** Replies to read (default 1). */
  replies?: number;
  /** Connection name (default 'main'); connections open on first use (RESP3: HELLO 3 first). */
  conn?: string;
  /** Then wait for the server to close the connection; the outcome says <closed> or <open>. */
  closes?: boolean;
  /** Applied to each reply of both servers before comparing. */
  norm?: Normalizer;
  /** Intentional difference: dynkv's expected outcome (rendered) in place of redis-server's. */
  dynkv?: string | ((proto: Proto) => string);
  /** Why dynkv differs (required with `dynkv`). */
  why?: string;
  /** Only run in this protocol. */
  proto?: Proto;
  /** Why the step holds for a single dynkv node only (a per-node setting the key's coordinator may not share): skipped through a cluster node. */
  singleNode?: string;
  /** Wait this long (ms) before the step. */
  sleep?: number;
  /** Reply timeout in ms (default 3000). */
  timeout?: number;
}

export interface Script {
  name: string;
  steps: Step[];
  /** Extra flags for both servers (e.g. --requirepass). */
  serverArgs?: string[];
  /** Connections skip the automatic HELLO 3 (the script does its own). */
  noAutoHello?: boolean;
  protos?: Proto[];
}

export interface Mismatch {
  script: string;
  proto: Proto;
  step: number;
  command: string;
  expected: string;
  got: string;
  why?: string;
}

/** Shows a command the way a person would type it. */
export function showCommand(step: Step): string {
  if (step.cmd) return step.cmd.map((a) => (Buffer.isBuffer(a) ? JSON.stringify(a.toString('latin1')) : /^[\x21-\x7e]+$/.test(String(a)) ? String(a) : JSON.stringify(String(a)))).join(' ');
  if (step.raw !== undefined) return `raw ${JSON.stringify(Buffer.from(step.raw).toString('latin1').slice(0, 120))}`;
  return 'custom';
}

/**
 * The pair of servers a run compares; COMPAT_TARGET=redis compares redis
 * with a second redis (checks the scripts), COMPAT_TARGET=cluster with the
 * first node of a local 3-node dynkv cluster.
 */
export interface Pair {
  redis: ServerProcess;
  dynkv: ServerProcess;
}

/**
 * The compared cluster's bus timeout: replies are compared, not latencies, and a busy machine
 * (a 2,000-key MSET is thousands of bus requests) must not turn a slow ack into DYNUNAVAILABLE.
 */
const COMPAT_CLUSTER_TIMEOUT = ['--cluster-timeout', '30000'];

export async function startPair(args: string[] = []): Promise<Pair> {
  const target = process.env.COMPAT_TARGET;
  const [redis, dynkv] = await Promise.all([
    startRedis(args),
    target === 'redis' ? startRedis(args) : target === 'cluster' ? startDynkvCluster([...COMPAT_CLUSTER_TIMEOUT, ...args]) : startDynkv(args),
  ]);
  return { redis, dynkv };
}

export async function stopPair(p: Pair): Promise<void> {
  await Promise.all([p.redis.stop(), p.dynkv.stop()]);
}

/** One server's side of a run: its named connections. */
class Side {
  private readonly conns = new Map<string, RawClient>();
  constructor(
    private readonly port: number,
    private readonly proto: Proto,
    private readonly autoHello: boolean,
  ) {}

  async conn(name: string): Promise<RawClient> {
    const have = this.conns.get(name);
    if (have && !have.closed) return have;
    const c = await RawClient.connect(this.port);
    if (this.proto === 3 && this.autoHello) {
      const r = await c.call(['HELLO', '3']);
      // Before AUTH (requirepass set at run time) HELLO fails with NOAUTH on both servers: the connection stays RESP2.
      if (r === null || (r.type === '-' && !r.text?.startsWith('NOAUTH'))) throw new Error(`HELLO 3 failed on port ${this.port}: ${r ? render(r) : 'closed'}`);
    }
    this.conns.set(name, c);
    return c;
  }

  /** Runs one step; the outcome is a canonical string. */
  async step(step: Step): Promise<string> {
    const c = await this.conn(step.conn ?? 'main');
    const parts: string[] = [];
    const norm = (r: Reply): string => render(step.norm ? step.norm(r, this.proto) : r);
    if (c.pending() > 0) {
      const stray: string[] = [];
      while (c.pending() > 0) {
        const r = await c.read(0);
        if (r) stray.push(render(r));
      }
      parts.push(`<unexpected earlier replies: ${stray.join(' | ')}>`);
    }
    try {
      if (step.run) {
        parts.push(norm(await step.run(c, this.proto)));
      } else {
        c.write(step.cmd ? encodeCommand(step.cmd) : Buffer.from(step.raw ?? ''));
        const n = step.replies ?? 1;
        for (let i = 0; i < n; i++) {
          const r = await c.read(step.timeout ?? 3000);
          if (r === null) {
            parts.push('<closed before reply>');
            break;
          }
          parts.push(norm(r));
        }
      }
    } catch (err) {
      if (!(err instanceof ReplyTimeout)) throw err;
      parts.push('<timeout>');
      c.close();
    }
    if (step.closes) parts.push((await c.waitClosed(1500)) ? '<closed>' : '<open>');
    return parts.join(' | ');
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
  }
}

/** Runs a script in one protocol against a fresh pair of servers. */
export async function runScript(script: Script, proto: Proto): Promise<Mismatch[]> {
  const pair = await startPair(script.serverArgs);
  const redis = new Side(pair.redis.port, proto, !script.noAutoHello);
  const dynkv = new Side(pair.dynkv.port, proto, !script.noAutoHello);
  const mismatches: Mismatch[] = [];
  try {
    for (let i = 0; i < script.steps.length; i++) {
      const step = script.steps[i];
      if (step.proto !== undefined && step.proto !== proto) continue;
      if (step.singleNode !== undefined && process.env.COMPAT_TARGET === 'cluster') continue;
      if (step.sleep) await new Promise((r) => setTimeout(r, step.sleep));
      const [want, got] = await Promise.all([redis.step(step), dynkv.step(step)]);
      const expected = step.dynkv === undefined || process.env.COMPAT_TARGET === 'redis' ? want : typeof step.dynkv === 'function' ? step.dynkv(proto) : step.dynkv;
      if (process.env.COMPAT_VERBOSE) console.log(`  ${script.name}/${proto} #${i} ${showCommand(step)}\n    redis: ${want}\n    dynkv: ${got}`);
      if (expected !== got) mismatches.push({ script: script.name, proto, step: i, command: showCommand(step), expected, got, why: step.why });
    }
  } finally {
    redis.close();
    dynkv.close();
    await stopPair(pair);
  }
  return mismatches;
}

/** Where two long outcomes first differ, with some context. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 40);
  return `\n    first difference at char ${i}: expected …${a.slice(from, i + 60)}…\n                                   got …${b.slice(from, i + 60)}…`;
}

export function formatMismatch(m: Mismatch): string {
  const why = m.why ? `\n    (intended difference: ${m.why})` : '';
  const diff = m.expected.length > 200 || m.got.length > 200 ? firstDifference(m.expected, m.got) : '';
  return `[${m.script} RESP${m.proto} step ${m.step}] ${m.command}\n    expected: ${m.expected}\n    got:      ${m.got}${diff}${why}`;
}

// ---- normalizers and step builders shared by the scripts ----

function mapText(r: Reply, f: (s: string) => string): Reply {
  const out: Reply = { ...r };
  if (r.text !== undefined && (r.type === '+' || r.type === '-')) out.text = f(r.text);
  if (r.data !== undefined) out.data = Buffer.from(f(r.data.toString('latin1')), 'latin1');
  if (r.items) out.items = r.items.map((x) => mapText(x, f));
  return out;
}

/** Replaces every match of `re` in string replies (bulk, simple, nested) with `to`. */
export function mask(re: RegExp, to: string): Normalizer {
  return (r) => mapText(r, (s) => s.replace(re, to));
}

/** Composes normalizers left to right. */
export function all(...fs: Normalizer[]): Normalizer {
  return (r, p) => fs.reduce((acc, f) => f(acc, p), r);
}

function sortKey(r: Reply): string {
  return render(r);
}

/** Sorts an array/set reply's elements (order is unspecified, e.g. KEYS). */
export const unordered: Normalizer = (r) => (r.items ? { ...r, items: [...r.items].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)) } : r);

/** Sorts a map reply, or a RESP2 flat key/value array, by key (e.g. CONFIG GET with a pattern). */
export const unorderedPairs: Normalizer = (r) => {
  if (!r.items) return r;
  const pairs: Reply[][] = [];
  for (let i = 0; i < r.items.length; i += 2) pairs.push([r.items[i], r.items[i + 1]]);
  pairs.sort((a, b) => (sortKey(a[0]) < sortKey(b[0]) ? -1 : 1));
  return { ...r, items: pairs.flat() };
};

/** An integer within `tol` of `want` (and not above it) shows as ~want: TTLs tick. */
export function near(want: number, tol: number): Normalizer {
  const fix = (r: Reply): Reply => {
    if (r.type === ':' && r.text !== undefined) {
      const v = Number(r.text);
      if (v <= want && v >= want - tol) return { ...r, text: `~${want}` };
    }
    return r.items ? { ...r, items: r.items.map(fix) } : r;
  };
  return fix;
}

/** Replaces a map's value for the given key (RESP3 map or RESP2 flat pairs) with a placeholder. */
export function maskField(key: string, to = '<masked>'): Normalizer {
  return (r) => {
    if (!r.items) return r;
    const items = [...r.items];
    for (let i = 0; i + 1 < items.length; i += 2) {
      const k = items[i];
      const name = k.data?.toString() ?? k.text;
      if (name === key) items[i + 1] = { type: '+', text: to };
    }
    return { ...r, items };
  };
}

/** Replaces any integer reply with a placeholder (client ids, times). */
export const anyInt: Normalizer = (r) => (r.type === ':' ? { ...r, text: '<int>' } : r);

/** A step that iterates SCAN (or another cursor command) to the end and yields the sorted set of keys seen. */
export function fullScan(args: Arg[], conn?: string): Step {
  return {
    conn,
    cmd: ['SCAN', '<cursor>', ...args],
    run: async (c) => {
      const seen = new Set<string>();
      let cursor = '0';
      for (let n = 0; n < 100000; n++) {
        const r = await c.call(['SCAN', cursor, ...args]);
        if (r === null) return { type: '-', text: '<closed>' };
        if (r.type !== '*' || !r.items || r.items.length !== 2 || r.items[0].type !== '$' || r.items[1].type !== '*') return r;
        for (const k of r.items[1].items ?? []) seen.add(k.data?.toString('latin1') ?? render(k));
        cursor = r.items[0].data?.toString() ?? '0';
        if (cursor === '0') break;
      }
      return { type: '*', items: [...seen].sort().map((k) => ({ type: '$', data: Buffer.from(k, 'latin1') })) };
    },
  };
}

/** HELLO <the run's protocol>: puts the connection back after a script switched it. */
export function restoreProto(conn?: string): Step {
  return { conn, cmd: ['HELLO', '<run protocol>'], run: async (c, proto) => (await c.call(['HELLO', String(proto)])) ?? { type: '-', text: '<closed>' }, norm: all(maskField('id'), maskField('version')) };
}

/** Shorthand: a command step. */
export function c(...cmd: Arg[]): Step {
  return { cmd };
}
