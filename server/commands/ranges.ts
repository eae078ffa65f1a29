// server/commands/ranges.ts — the string family's byte ranges, as Redis's
// t_string.c: GETRANGE (and its old name SUBSTR), SETRANGE (zero padding,
// size capped by proto-max-bulk-len, TTL kept) and LCS (the longest common
// subsequence by Redis's dynamic programming table, so that ties resolve and
// IDX ranges come out exactly as redis-server's).
import { CommandError, ERR, STRING_ERR } from '../errors';
import { checkStringLength, clampToSafe, int64Arg, isToken, readValue, stringMeta } from './string-args';
import type { CommandContext, CommandSpec } from './types';

const EMPTY = Buffer.alloc(0);

function getrange(ctx: CommandContext, argv: Buffer[]): void {
  const start = int64Arg(argv[2]);
  const end = int64Arg(argv[3]);
  const value = readValue(ctx, argv[1]);
  if (value === null || (start < 0 && end < 0 && start > end)) {
    ctx.reply.bulk(EMPTY);
    return;
  }
  const len = value.length;
  let s = clampToSafe(start);
  let e = clampToSafe(end);
  if (s < 0) s = Math.max(len + s, 0);
  if (e < 0) e = Math.max(len + e, 0);
  if (e >= len) e = len - 1;
  ctx.reply.bulk(s > e || len === 0 ? EMPTY : value.subarray(s, e + 1));
}

function setrange(ctx: CommandContext, argv: Buffer[]): void {
  const db = ctx.client.db;
  const key = argv[1];
  const patch = argv[3];
  const offsetArg = int64Arg(argv[2]);
  if (offsetArg < 0) throw new CommandError(ERR.offsetOutOfRange);
  const meta = stringMeta(ctx, key);
  if (patch.length === 0) {
    ctx.reply.integer(meta === null ? 0 : meta.length); // nothing to write, not even a new key
    return;
  }
  const offset = clampToSafe(offsetArg);
  checkStringLength(ctx, offset, patch.length);
  const old = meta === null ? null : ctx.store.get(db, key);
  const end = offset + patch.length;
  let value: Buffer;
  if (old !== null && old.length >= end) {
    value = old; // the coordinator hands out a fresh copy: patch it in place
  } else {
    value = Buffer.alloc(end); // zero padding between the old end and offset
    if (old !== null) old.copy(value, 0);
  }
  patch.copy(value, offset);
  ctx.store.set(db, key, value, old === null || meta === null ? 0 : meta.expireAt);
  ctx.reply.integer(value.length);
}

function lcs(ctx: CommandContext, argv: Buffer[]): void {
  const a = readValue(ctx, argv[1]) ?? EMPTY;
  const b = readValue(ctx, argv[2]) ?? EMPTY;
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (isToken(opt, 'idx')) getIdx = true;
    else if (isToken(opt, 'len')) getLen = true;
    else if (isToken(opt, 'withmatchlen')) withMatchLen = true;
    else if (isToken(opt, 'minmatchlen') && j < argv.length - 1) minMatchLen = Math.max(0, clampToSafe(int64Arg(argv[++j])));
    else throw new CommandError(ERR.syntax);
  }
  if (getIdx && getLen) throw new CommandError(STRING_ERR.lcsLenAndIdx);
  const alen = a.length;
  const blen = b.length;
  if (alen >= 0xfffffffe || blen >= 0xfffffffe) throw new CommandError(STRING_ERR.lcsTooLong);
  if ((alen + 1) * (blen + 1) * 4 > ctx.server.config.protoMaxBulkLen) throw new CommandError(STRING_ERR.lcsMemory);

  // dp[i*(blen+1)+j] = length of the LCS of a[0..i) and b[0..j).
  const width = blen + 1;
  const dp = new Uint32Array((alen + 1) * width);
  for (let i = 1; i <= alen; i++) {
    const row = i * width;
    const up = row - width;
    const ca = a[i - 1];
    for (let j = 1; j <= blen; j++) {
      if (ca === b[j - 1]) dp[row + j] = dp[up + j - 1] + 1;
      else {
        const l1 = dp[up + j];
        const l2 = dp[row + j - 1];
        dp[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = dp[alen * width + blen];
  if (getLen && !getIdx) {
    ctx.reply.integer(total);
    return;
  }

  // Walk back from the end, as Redis: the LCS bytes, and the matching ranges
  // (aStart, aEnd, bStart, bEnd per range) when IDX asks for them.
  const result = getIdx ? EMPTY : Buffer.allocUnsafe(total);
  const ranges: number[] = [];
  let idx = total;
  let aStart = alen; // alen: no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      if (!getIdx) result[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * width + j] > dp[i * width + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      if (getIdx && (minMatchLen === 0 || aEnd - aStart + 1 >= minMatchLen)) ranges.push(aStart, aEnd, bStart, bEnd);
      aStart = alen;
    }
  }
  if (!getIdx) {
    ctx.reply.bulk(result);
    return;
  }
  const reply = ctx.reply;
  reply.mapHeader(2);
  reply.bulk('matches');
  reply.arrayHeader(ranges.length / 4);
  for (let r = 0; r < ranges.length; r += 4) {
    reply.arrayHeader(withMatchLen ? 3 : 2);
    reply.arrayHeader(2);
    reply.integer(ranges[r]);
    reply.integer(ranges[r + 1]);
    reply.arrayHeader(2);
    reply.integer(ranges[r + 2]);
    reply.integer(ranges[r + 3]);
    if (withMatchLen) reply.integer(ranges[r + 1] - ranges[r] + 1);
  }
  reply.bulk('len');
  reply.integer(total);
}

export const rangeCommands: CommandSpec[] = [
  {
    name: 'getrange', arity: 4, flags: ['readonly'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'string', 'slow'],
    keySpecFlags: ['RO', 'access'],
    handler: getrange,
  },
  {
    name: 'substr', arity: 4, flags: ['readonly'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['read', 'string', 'slow'],
    keySpecFlags: ['RO', 'access'],
    handler: getrange,
  },
  {
    name: 'setrange', arity: 4, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['write', 'string', 'slow'],
    keySpecFlags: ['RW', 'update'],
    handler: setrange,
  },
  {
    name: 'lcs', arity: -3, flags: ['readonly'], firstKey: 1, lastKey: 2, step: 1,
    categories: ['read', 'string', 'slow'],
    keySpecFlags: ['RO', 'access'],
    handler: lcs,
  },
];
