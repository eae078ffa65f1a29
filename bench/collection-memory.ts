// bench/collection-memory.ts — resident bytes per element of one collection
// of 1M elements (`npm run bench:collection-memory`): a hash, a set, a sorted
// set and a list, each loaded into a fresh dynkv and a fresh redis-server
// (AOF, appendfsync everysec, the durability dynkv runs with). Figures are
// the growth of the process's anonymous resident memory (RssAnon: dynkv's
// mapped log segments are page cache, as redis-server's AOF is, and left
// out) at its lowest over the 30 s after the load (V8 returns the load's
// garbage in idle collections), divided by the elements; and each server's own count
// (INFO used_memory growth; dynkv's keydir apart). Elements are 16-byte
// names (a hash's values 16 bytes too, a sorted set's scores their index). Flags:
// --elements N (default 1000000), --types hash,set,zset,list.
import { RawClient, encodeCommand } from '../redis-compat/raw-client';
import fs from 'node:fs';
import { startDynkv, startRedis, type ServerProcess } from '../redis-compat/servers';
import { loadElements, type ElementCommand } from './collection-load';
import { pad } from './redis-benchmark';
import { flag, formatRate, numberFlag } from './util';

const name = (i: number): string => `member:${String(i).padStart(9, '0')}`;

const COMMANDS: Record<string, ElementCommand> = {
  hash: (from, to) => ['HSET', 'big', ...range(from, to).flatMap((i) => [name(i), `value:${String(i).padStart(10, '0')}`])],
  set: (from, to) => ['SADD', 'big', ...range(from, to).map(name)],
  zset: (from, to) => ['ZADD', 'big', ...range(from, to).flatMap((i) => [String(i), name(i)])],
  list: (from, to) => ['RPUSH', 'big', ...range(from, to).map(name)],
};

/** RssAnon of a process, bytes. */
function rssAnon(pid: number): number {
  const m = /^RssAnon:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no RssAnon for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** The lowest RssAnon over 30 s after the load, read every 2 s (V8's memory reducer returns the load's garbage after some idle seconds). */
async function settledRss(pid: number): Promise<number> {
  let lowest = rssAnon(pid);
  for (let waited = 0; waited < 30_000; waited += 2000) {
    await new Promise((r) => setTimeout(r, 2000));
    lowest = Math.min(lowest, rssAnon(pid));
  }
  return lowest;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function info(port: number, field: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    c.write(encodeCommand(['INFO', 'memory']));
    const r = await c.read(10_000);
    const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(r?.data?.toString('latin1') ?? '');
    if (m === null) throw new Error(`INFO memory has no ${field}`);
    return Number(m[1]);
  } finally {
    c.close();
  }
}

interface Figures {
  rss: number;
  used: number;
  keydir: number | null;
}

async function measure(start: () => Promise<ServerProcess>, type: string, elements: number): Promise<Figures> {
  const s = await start();
  try {
    const dynkv = s.name === 'dynkv';
    const rss0 = rssAnon(s.pid);
    const used0 = await info(s.port, 'used_memory');
    const keydir0 = dynkv ? await info(s.port, 'keydir_memory') : 0;
    await loadElements(s.port, elements, COMMANDS[type]);
    const rss = await settledRss(s.pid);
    return {
      rss: (rss - rss0) / elements,
      used: ((await info(s.port, 'used_memory')) - used0) / elements,
      keydir: dynkv ? ((await info(s.port, 'keydir_memory')) - keydir0) / elements : null,
    };
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const elements = numberFlag(argv, '--elements', 1_000_000);
  const types = (flag(argv, '--types') ?? 'hash,set,zset,list').split(',');
  for (const t of types) if (!(t in COMMANDS)) throw new Error(`--types: unknown type ${t}`);
  console.log(`bytes per element of one collection of ${formatRate(elements)} elements (16-byte names; RssAnon growth once settled / elements, INFO used_memory growth / elements)\n`);
  console.log('| type | redis RSS | dynkv RSS | dynkv / redis | redis used_memory | dynkv used_memory (keydir) |');
  console.log('|------|-----------|-----------|---------------|-------------------|----------------------------|');
  for (const type of types) {
    const redis = await measure(() => startRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']), type, elements);
    const dynkv = await measure(() => startDynkv(['--appendfsync', 'everysec']), type, elements);
    console.log(
      `| ${pad(type, 4, true)} | ${pad(redis.rss.toFixed(1), 9)} | ${pad(dynkv.rss.toFixed(1), 9)} | ${pad((dynkv.rss / redis.rss).toFixed(2), 13)} | ${pad(redis.used.toFixed(1), 17)} | ${pad(`${dynkv.used.toFixed(1)} (${(dynkv.keydir ?? 0).toFixed(1)})`, 26)} |`,
    );
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
