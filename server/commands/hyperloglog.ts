// server/commands/hyperloglog.ts — the HyperLogLog family on string values,
// as Redis's hyperloglog.c: PFADD, PFCOUNT (one key: the cached cardinality,
// refreshed and written back when stale; many keys: the union's estimate),
// PFMERGE, PFDEBUG (GETREG DECODE ENCODING TODENSE) and PFSELFTEST. The
// value format and its algorithms are datatypes/hyperloglog*.ts. Writes
// change the value in place as Redis does, so the TTL stays. PFCOUNT of one
// key may write (the cache), so in a cluster it runs where the key's writes
// run. Every write goes through writeHll: in a cluster the value is tagged
// hll, so concurrent PFADDs and PFMERGEs merge register-wise
// (datatypes/hyperloglog-join.ts).
import { HLL_DENSE, HLL_DENSE_SIZE, HLL_ENCODING_AT, HLL_HDR_SIZE, HLL_REGISTERS, HLL_SPARSE, cacheValid, cardReply, denseGet, denseSet, invalidateCache, isHll, readCache, writeCache } from '../../datatypes/hyperloglog';
import { hllCount, hllMerge, rawCount } from '../../datatypes/hyperloglog-count';
import { HllValue, hllAdd, sparseDecode, sparseSet, sparseToDense } from '../../datatypes/hyperloglog-sparse';
import { hllSelfTest } from '../../datatypes/hyperloglog-selftest';
import { WRONG_TYPE } from '../../cluster/index';
import { CommandError, ERR, HLL_ERR, quoted } from '../errors';
import { isToken } from './string-args';
import type { CommandContext, CommandSpec } from './types';

/**
 * Values are read into one shared scratch buffer (valid until the next
 * read): a PFADD that changes nothing and a PFCOUNT answered from the cache
 * allocate nothing, and a value is copied only to be changed or stored.
 */
let scratch = Buffer.allocUnsafe(HLL_DENSE_SIZE + 64);

/** The key's string value into scratch: its length, or -1 when absent; WRONGTYPE for another type. */
function readScratch(ctx: CommandContext, key: Buffer): number {
  for (;;) {
    const len = ctx.store.getInto(ctx.client.db, key, scratch, 0);
    if (len === WRONG_TYPE) throw new CommandError(ERR.wrongType);
    if (len <= scratch.length) return len;
    scratch = Buffer.allocUnsafe(len); // a long string that is no HLL: read it whole all the same
  }
}

/** lookupKeyRead + isHLLObjectOrReply: the length read into scratch, -1 when absent (counted as a hit or miss). */
function readHll(ctx: CommandContext, key: Buffer): number {
  const len = readScratch(ctx, key);
  if (len < 0) {
    ctx.server.stats.keyspaceMisses++;
    return -1;
  }
  ctx.server.stats.keyspaceHits++;
  if (!isHll(scratch, len)) throw new CommandError(HLL_ERR.notHll);
  return len;
}

/** lookupKeyWrite + isHLLObjectOrReply: the length read into scratch and the key's expiry, or null when absent. */
function readHllForWrite(ctx: CommandContext, key: Buffer): { len: number; expireAt: number } | null {
  const meta = ctx.store.meta(ctx.client.db, key); // before the value: a key expiring in between is absent
  const len = meta === null ? -1 : readScratch(ctx, key);
  if (meta === null || len < 0) return null;
  if (!isHll(scratch, len)) throw new CommandError(HLL_ERR.notHll);
  return { len, expireAt: meta.expireAt };
}

/** The stored bytes for a value that may still be the scratch buffer. */
function bytesOf(hll: HllValue): Buffer {
  return hll.buf === scratch ? Buffer.from(scratch.subarray(0, hll.len)) : hll.bytes();
}

function pfadd(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const key = argv[1];
  const len = readScratch(ctx, key); // lookupKeyWrite: no hit or miss counted
  if (len >= 0 && !isHll(scratch, len)) throw new CommandError(HLL_ERR.notHll);
  let hll: HllValue;
  if (len < 0) hll = HllValue.empty();
  else if (scratch[HLL_ENCODING_AT] === HLL_DENSE) hll = new HllValue(scratch, len); // changed in place, copied only to store
  else hll = HllValue.of(scratch, len); // may grow
  const sparseMax = ctx.server.config.hllSparseMaxBytes;
  let updated = len < 0 ? 1 : 0;
  let corrupt = false;
  for (let j = 2; j < argv.length && !corrupt; j++) {
    const r = hllAdd(hll, argv[j], sparseMax);
    if (r === 1) updated++;
    else if (r === -1) corrupt = true; // Redis has changed its value in place by then: the earlier elements stay added
  }
  if (updated !== 0) {
    // The expiry, read only for a write (the value was read first: a key that expired in between is absent, and the command runs again).
    const meta = len < 0 ? null : ctx.store.meta(db, key);
    if (len >= 0 && meta === null) {
      pfadd(ctx, argv);
      return;
    }
    if (!corrupt) invalidateCache(hll.buf);
    ctx.store.writeHll(db, key, bytesOf(hll), meta === null ? 0 : meta.expireAt);
  }
  if (corrupt) throw new CommandError(HLL_ERR.corrupt);
  ctx.reply.integer(updated !== 0 ? 1 : 0);
}

function pfcount(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const len = readHll(ctx, argv[j]);
      if (len < 0) continue; // a missing key is an empty HLL
      if (!hllMerge(max, scratch, len)) throw new CommandError(HLL_ERR.corrupt);
    }
    ctx.reply.integer(cardReply(rawCount(max)));
    return;
  }
  const db = ctx.client.db;
  const key = argv[1];
  const len = readHll(ctx, key);
  if (len < 0) {
    ctx.reply.integer(0);
    return;
  }
  if (cacheValid(scratch)) {
    ctx.reply.integer(readCache(scratch));
    return;
  }
  const card = hllCount(scratch, len);
  if (card < 0) throw new CommandError(HLL_ERR.corrupt);
  const value = Buffer.from(scratch.subarray(0, len));
  const meta = ctx.store.meta(db, key); // the expiry, read only to write the cache back
  if (meta === null) {
    ctx.reply.integer(0); // expired since the read: absent
    return;
  }
  writeCache(value, card); // the cache written back, as Redis does in place
  ctx.store.writeHll(db, key, value, meta.expireAt);
  ctx.reply.integer(cardReply(card));
}

function pfmerge(ctx: CommandContext, argv: Buffer[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const len = readHll(ctx, argv[j]);
    if (len < 0) continue;
    if (scratch[HLL_ENCODING_AT] === HLL_DENSE) useDense = true;
    if (!hllMerge(max, scratch, len)) throw new CommandError(HLL_ERR.corrupt);
  }
  const found = readHllForWrite(ctx, argv[1]);
  const hll = found === null ? HllValue.empty() : HllValue.of(scratch, found.len);
  if (useDense && !sparseToDense(hll)) throw new CommandError(HLL_ERR.corrupt);
  const sparseMax = ctx.server.config.hllSparseMaxBytes;
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] === 0) continue;
    if (hll.encoding === HLL_DENSE) denseSet(hll.buf, j, max[j]);
    else sparseSet(hll, j, max[j], sparseMax);
  }
  invalidateCache(hll.buf);
  ctx.store.writeHll(ctx.client.db, argv[1], hll.bytes(), found === null ? 0 : found.expireAt);
  ctx.reply.ok();
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. */
function pfdebug(ctx: CommandContext, argv: Buffer[]): void {
  const sub = argv[1];
  const key = argv[2];
  const found = readHllForWrite(ctx, key);
  if (found === null) throw new CommandError(HLL_ERR.noKey);
  const { len, expireAt } = found;
  const sparse = scratch[HLL_ENCODING_AT] === HLL_SPARSE;
  if (isToken(sub, 'getreg') || isToken(sub, 'todense')) {
    const hll = HllValue.of(scratch, len);
    if (sparse) {
      if (!sparseToDense(hll)) throw new CommandError(HLL_ERR.corrupt);
      ctx.store.writeHll(ctx.client.db, key, hll.bytes(), expireAt);
    }
    if (isToken(sub, 'todense')) {
      ctx.reply.integer(sparse ? 1 : 0);
      return;
    }
    ctx.reply.arrayHeader(HLL_REGISTERS);
    for (let j = 0; j < HLL_REGISTERS; j++) ctx.reply.integer(denseGet(hll.buf, HLL_HDR_SIZE, j));
  } else if (isToken(sub, 'decode')) {
    if (!sparse) throw new CommandError(HLL_ERR.notSparse);
    ctx.reply.bulk(sparseDecode(scratch, len));
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
