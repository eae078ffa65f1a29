// server/commands/transactions.ts — MULTI/EXEC/DISCARD/WATCH/UNWATCH. On one
// node a transaction is atomic: EXEC runs the queued commands back to back
// in one turn of the event loop, where nothing else can interleave.
import { CommandError, ERR } from '../errors';
import type { CommandFlag, CommandHandler, CommandSpec } from './types';

function spec(name: string, arity: number, flags: readonly CommandFlag[], categories: readonly string[], handler: CommandHandler, keys: [number, number, number] = [0, 0, 0]): CommandSpec {
  const keySpecFlags = keys[0] > 0 ? ['RO'] : undefined;
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], categories, keySpecFlags, handler };
}

const exec: CommandHandler = (ctx) => {
  const c = ctx.client;
  const queued = c.multi;
  if (queued === null) throw new CommandError(ERR.execWithoutMulti);
  const failed = c.multiFailed;
  // As Redis 7.0: a watched key that expired since WATCH fails the transaction too.
  let dirty = c.watchDirty;
  for (const w of c.watched.values()) if (!dirty && w.existed && ctx.store.meta(w.db, w.key) === null) dirty = true;
  c.multi = null;
  c.multiFailed = false;
  ctx.server.unwatchAll(c);
  if (failed) throw new CommandError(ERR.execAbort);
  if (dirty) {
    ctx.reply.nullArray();
    return;
  }
  ctx.reply.arrayHeader(queued.length);
  for (const argv of queued) ctx.execute(argv);
};

export const transactionCommands: CommandSpec[] = [
  spec('multi', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ['fast', 'transaction'], (ctx) => {
    if (ctx.client.multi !== null) throw new CommandError(ERR.multiNested);
    ctx.client.multi = [];
    ctx.reply.ok();
  }),
  spec('exec', 1, ['noscript', 'loading', 'stale', 'skip_slowlog'], ['slow', 'transaction'], exec),
  spec('discard', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ['fast', 'transaction'], (ctx) => {
    if (ctx.client.multi === null) throw new CommandError(ERR.discardWithoutMulti);
    ctx.client.multi = null;
    ctx.client.multiFailed = false;
    ctx.server.unwatchAll(ctx.client);
    ctx.reply.ok();
  }),
  spec('watch', -2, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ['fast', 'transaction'], (ctx, argv) => {
    if (ctx.client.multi !== null) throw new CommandError(ERR.watchInMulti);
    const db = ctx.client.db;
    for (let i = 1; i < argv.length; i++) ctx.server.watch(ctx.client, db, argv[i], ctx.store.meta(db, argv[i]) !== null);
    ctx.reply.ok();
  }, [1, -1, 1]),
  spec('unwatch', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ['fast', 'transaction'], (ctx) => {
    ctx.server.unwatchAll(ctx.client);
    ctx.reply.ok();
  }),
];
