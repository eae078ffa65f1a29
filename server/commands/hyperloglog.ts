// server/commands/hyperloglog.ts — the HyperLogLog family on string values,
// as Redis's hyperloglog.c: PFADD, PFCOUNT (one key: the cached cardinality,
// refreshed and written back when stale; many keys: the union's estimate),
// PFMERGE, PFDEBUG (GETREG DECODE ENCODING TODENSE) and PFSELFTEST. The
// value format and its algorithms are datatypes/hyperloglog*.ts. Writes
// change the value in place as Redis does, so the TTL stays. PFCOUNT of one
// key may write (the cache), so in a cluster it runs where the key's writes
// run.
import { HLL_DENSE, HLL_ENCODING_AT, HLL_HDR_SIZE, HLL_REGISTERS, HLL_SPARSE, cacheValid, cardReply, denseGet, denseSet, invalidateCache, isHll, readCache, writeCache } from '../../datatypes/hyperloglog';
import { hllCount, hllMerge, rawCount } from '../../datatypes/hyperloglog-count';
import { HllValue, hllAdd, sparseDecode, sparseSet, sparseToDense } from '../../datatypes/hyperloglog-sparse';
import { hllSelfTest } from '../../datatypes/hyperloglog-selftest';
import { CommandError, HLL_ERR, quoted } from '../errors';
import { isToken, readValue } from './string-args';
import type { CommandContext, CommandSpec } from './types';

/** lookupKeyWrite + isHLLObjectOrReply: the key's HLL value and expiry, or null when absent. */
function hllForWrite(ctx: CommandContext, key: Buffer): { value: Buffer; expireAt: number } | null {
  const meta = ctx.store.meta(ctx.client.db, key);
  const value = meta === null ? null : ctx.store.get(ctx.client.db, key); // WRONGTYPE for another type
  if (meta === null || value === null) return null;
  if (!isHll(value)) throw new CommandError(HLL_ERR.notHll);
  return { value, expireAt: meta.expireAt };
}

function pfadd(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const key = argv[1];
  const found = hllForWrite(ctx, key);
  const hll = found === null ? HllValue.empty() : HllValue.of(found.value);
  const expireAt = found === null ? 0 : found.expireAt;
  const sparseMax = ctx.server.config.hllSparseMaxBytes;
  let updated = found === null ? 1 : 0;
  for (let j = 2; j < argv.length; j++) {
    const r = hllAdd(hll, argv[j], sparseMax);
    if (r === 1) updated++;
    else if (r === -1) {
      // Redis has changed its value in place by then: the earlier elements stay added (the cache untouched).
      if (updated !== 0) ctx.store.set(db, key, hll.bytes(), expireAt);
      throw new CommandError(HLL_ERR.corrupt);
    }
  }
  if (updated !== 0) {
    invalidateCache(hll.buf);
    ctx.store.set(db, key, hll.bytes(), expireAt);
  }
  ctx.reply.integer(updated !== 0 ? 1 : 0);
}

function pfcount(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const value = readValue(ctx, argv[j]);
      if (value === null) continue; // a missing key is an empty HLL
      if (!isHll(value)) throw new CommandError(HLL_ERR.notHll);
      if (!hllMerge(max, value)) throw new CommandError(HLL_ERR.corrupt);
    }
    ctx.reply.integer(cardReply(rawCount(max)));
    return;
  }
  const db = ctx.client.db;
  const key = argv[1];
  const meta = ctx.store.meta(db, key);
  const value = meta === null ? null : readValue(ctx, key);
  if (meta === null || value === null) {
    if (meta === null) ctx.server.stats.keyspaceMisses++;
    ctx.reply.integer(0);
    return;
  }
  if (!isHll(value)) throw new CommandError(HLL_ERR.notHll);
  if (cacheValid(value)) {
    ctx.reply.integer(readCache(value));
    return;
  }
  const card = hllCount(value, value.length);
  if (card < 0) throw new CommandError(HLL_ERR.corrupt);
  writeCache(value, card); // a fresh copy: the cache is written back, as Redis does in place
  ctx.store.set(db, key, value, meta.expireAt);
  ctx.reply.integer(cardReply(card));
}

function pfmerge(ctx: CommandContext, argv: Buffer[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const value = readValue(ctx, argv[j]);
    if (value === null) continue;
    if (!isHll(value)) throw new CommandError(HLL_ERR.notHll);
    if (value[HLL_ENCODING_AT] === HLL_DENSE) useDense = true;
    if (!hllMerge(max, value)) throw new CommandError(HLL_ERR.corrupt);
  }
  const found = hllForWrite(ctx, argv[1]);
  const hll = found === null ? HllValue.empty() : HllValue.of(found.value);
  if (useDense && !sparseToDense(hll)) throw new CommandError(HLL_ERR.corrupt);
  const sparseMax = ctx.server.config.hllSparseMaxBytes;
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] === 0) continue;
    if (hll.encoding === HLL_DENSE) denseSet(hll.buf, j, max[j]);
    else sparseSet(hll, j, max[j], sparseMax);
  }
  invalidateCache(hll.buf);
  ctx.store.set(ctx.client.db, argv[1], hll.bytes(), found === null ? 0 : found.expireAt);
  ctx.reply.ok();
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. */
function pfdebug(ctx: CommandContext, argv: Buffer[]): void {
  const sub = argv[1];
  const key = argv[2];
  const found = hllForWrite(ctx, key);
  if (found === null) throw new CommandError(HLL_ERR.noKey);
  const { value, expireAt } = found;
  const sparse = value[HLL_ENCODING_AT] === HLL_SPARSE;
  if (isToken(sub, 'getreg') || isToken(sub, 'todense')) {
    const hll = HllValue.of(value);
    if (sparse) {
      if (!sparseToDense(hll)) throw new CommandError(HLL_ERR.corrupt);
      ctx.store.set(ctx.client.db, key, hll.bytes(), expireAt);
    }
    if (isToken(sub, 'todense')) {
      ctx.reply.integer(sparse ? 1 : 0);
      return;
    }
    ctx.reply.arrayHeader(HLL_REGISTERS);
    for (let j = 0; j < HLL_REGISTERS; j++) ctx.reply.integer(denseGet(hll.buf, HLL_HDR_SIZE, j));
  } else if (isToken(sub, 'decode')) {
    if (!sparse) throw new CommandError(HLL_ERR.notSparse);
    ctx.reply.bulk(sparseDecode(value, value.length));
  } else if (isToken(sub, 'encoding')) {
    ctx.reply.simple(sparse ? 'sparse' : 'dense');
  } else {
    throw new CommandError(`ERR Unknown PFDEBUG subcommand '${quoted(sub)}'`);
  }
}

function pfselftest(ctx: CommandContext): void {
  const failed = hllSelfTest(ctx.server.config.hllSparseMaxBytes);
  if (failed !== null) throw new CommandError(failed);
  ctx.reply.ok();
}

export const hyperloglogCommands: CommandSpec[] = [
  {
    name: 'pfadd', arity: -2, flags: ['write', 'denyoom', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'hyperloglog', 'fast'],
    keySpecFlags: ['RW', 'insert'],
    handler: pfadd,
  },
  {
    name: 'pfcount', arity: -2, flags: ['readonly'], firstKey: 1, lastKey: -1, step: 1,
    categories: ['read', 'hyperloglog', 'slow'],
    keySpecs: [{ notes: 'RW because it may change the internal representation of the key, and propagate to replicas', flags: ['RW', 'access'], index: 1, lastKey: -1, keyStep: 1 }],
    // One key: the stale cache is written back, so it runs where the key's writes run.
    cluster: (argv) => ({ access: argv.length === 2 ? 'read-write' : 'read' }),
    handler: pfcount,
  },
  {
    name: 'pfmerge', arity: -2, flags: ['write', 'denyoom'], firstKey: 1, lastKey: -1, step: 1,
    categories: ['write', 'hyperloglog', 'slow'],
    keySpecs: [
      { flags: ['RW', 'access', 'insert'], index: 1, lastKey: 0, keyStep: 1 },
      { flags: ['RO', 'access'], index: 2, lastKey: -1, keyStep: 1 },
    ],
    handler: pfmerge,
  },
  {
    name: 'pfdebug', arity: 3, flags: ['write', 'denyoom', 'admin'], firstKey: 2, lastKey: 2, step: 1,
    categories: ['write', 'hyperloglog', 'admin', 'slow', 'dangerous'],
    keySpecFlags: ['RW', 'access'],
    handler: pfdebug,
  },
  {
    name: 'pfselftest', arity: 1, flags: ['admin'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['hyperloglog', 'admin', 'slow', 'dangerous'],
    handler: pfselftest,
  },
];
