// server/dispatch.ts — runs one command for one client, as Redis's
// processCommand: table lookup, arity, authentication, MULTI queueing, the
// handler, and per-command stats. (WATCH hears of written keys from the store.)
// On a cluster of more than one node a command with keys, or a write, goes
// through the coordinator first (cluster-plan.ts): forwarded to the node
// that must coordinate it, or run here after a quorum read, its reply held
// until its writes have their W acks. Such a command answers later: execute
// returns its reply bytes as a promise, and the connection keeps order.
import { performance } from 'node:perf_hooks';
import { DynUnavailableError, type Coordinator } from '../cluster/coordinator';
import { EngineError } from '../engine/index';
import type { ReplyWriter } from '../protocol/writer';
import type { Client } from './client';
import { clusterPlan, type ClusterPlan } from './cluster-plan';
import { CommandLookup } from './command-lookup';
import { commandTable } from './commands/index';
import type { CommandContext, CommandSpec } from './commands/types';
import { CommandError, ERR, unknownCommand, wrongArity } from './errors';
import type { CommandStat, ServerState } from './state';

/** Commands that run at once inside MULTI instead of being queued. */
const NOT_QUEUED = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

export class Dispatcher {
  private readonly lookup = new CommandLookup(commandTable);
  /**
   * When the last command ended, or when the current batch of input began:
   * a command's time runs from there to its end (one clock read per command;
   * it includes parsing the command, a few hundred nanoseconds at most).
   */
  private lastEnd = 0;
  private readonly prefetchKeys = Buffer.allocUnsafe(16 * 1024);
  private readonly prefetchLens = new Uint32Array(256);

  constructor(
    private readonly state: ServerState,
    private readonly store: Coordinator,
  ) {}

  /**
   * Before running a batch of pipelined commands: hands the keys they name
   * (by their specs' key positions) to the store in one call, to bring them
   * into the cache together (Coordinator.prefetch).
   */
  prefetch(client: Client, batch: readonly Buffer[][]): void {
    const keys = this.prefetchKeys;
    const lens = this.prefetchLens;
    let n = 0;
    let at = 0;
    for (let i = 0; i < batch.length && n < lens.length; i++) {
      const argv = batch[i];
      const spec = this.lookup.find(argv[0]);
      if (spec === undefined || spec.firstKey <= 0) continue;
      const last = spec.lastKey < 0 ? argv.length + spec.lastKey : Math.min(spec.lastKey, argv.length - 1);
      for (let k = spec.firstKey; k <= last && n < lens.length; k += spec.step) {
        const key = argv[k];
        if (at + key.length > keys.length) break;
        at += key.copy(keys, at);
        lens[n++] = key.length;
      }
    }
    if (n > 1) this.store.prefetch(client.db, keys, lens, n);
  }

  /** AUTH, HELLO and RESET: what follows them is parsed under limits they may change. */
  mayChangeAuth(argv: Buffer[]): boolean {
    const len = argv[0].length;
    if (len !== 4 && len !== 5) return false;
    const name = this.lookup.find(argv[0])?.name;
    return name === 'auth' || name === 'hello' || name === 'reset';
  }

  /** Call before running a batch of commands parsed from one read. */
  startBatch(): void {
    this.lastEnd = performance.now();
  }

  /** The context a connection passes to every command it runs. */
  context(client: Client, reply: ReplyWriter): CommandContext {
    const ctx: CommandContext = {
      client,
      reply,
      store: this.store,
      server: this.state,
      execute: (argv) => void this.execute(ctx, argv, false),
    };
    return ctx;
  }

  /**
   * Runs the command: null when its reply is written to ctx.reply now;
   * otherwise it goes through the cluster and the promise brings its reply
   * bytes (null for none). `routed` false runs it here at once (EXEC's
   * queued commands, whose keys EXEC prepared).
   */
  execute(ctx: CommandContext, argv: Buffer[], routed = true): Promise<Buffer | null> | null {
    const { client, reply } = ctx;
    const spec = this.lookup.find(argv[0]);
    if (spec === undefined) {
      this.reject(client, reply, unknownCommand(argv), null);
      return null;
    }
    if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) {
      this.reject(client, reply, wrongArity(spec.name), spec);
      return null;
    }
    if (!client.authenticated && !spec.flags.includes('no_auth')) {
      this.reject(client, reply, ERR.noAuth, spec);
      return null;
    }
    if (client.multi !== null && spec.flags.includes('no_multi')) {
      this.reject(client, reply, 'ERR Command not allowed inside a transaction', spec);
      return null;
    }
    if (client.multi !== null && !NOT_QUEUED.has(spec.name)) {
      client.multi.push(argv);
      reply.simple('QUEUED');
      return null;
    }
    if (routed && !this.store.single) {
      const plan = clusterPlan(spec, argv, client, this.lookup);
      if (plan !== null) return this.runClustered(spec, ctx, argv, plan);
    }
    this.run(spec, ctx, argv);
    return null;
  }

  /** A command of a cluster of many: forwarded, or run here between prepare() and end(). */
  private async runClustered(spec: CommandSpec, ctx: CommandContext, argv: Buffer[], plan: ClusterPlan): Promise<Buffer | null> {
    const { client, reply } = ctx;
    const store = this.store;
    const db = client.db;
    let view = null;
    try {
      for (;;) {
        const target = store.route(plan.keys, plan.access, client.forwardedFrom !== null);
        if (target === null) break;
        const forwarded = await store.forward(target, db, client.resp, argv);
        if (forwarded !== null) return forwarded;
      }
      // Always a turn of the loop first: the caller takes the replies written before this one.
      view = await (plan.access === 'blind-write' || plan.keys.length === 0 ? null : store.prepare(db, plan.keys, plan.r));
    } catch (err) {
      return this.errorBytes(reply, client, err instanceof DynUnavailableError ? err.message : errorReply(err), spec);
    }
    store.begin(view, client.forwardedFrom);
    reply.resp = client.resp;
    this.lastEnd = performance.now();
    this.run(spec, ctx, argv);
    let out = reply.take();
    const acked = store.end();
    if (acked !== null) {
      const error = await acked;
      if (error !== null) out = this.errorBytes(reply, client, error, spec);
    }
    if (this.state.config.appendfsync === 'always') await store.durable();
    return out;
  }

  /** An error reply as bytes, written and taken in one go (the writer is shared). */
  private errorBytes(reply: ReplyWriter, client: Client, message: string, spec: CommandSpec): Buffer | null {
    this.stat(spec.name).failedCalls++;
    this.state.stats.errorReplies++;
    reply.resp = client.resp;
    reply.error(message);
    return reply.take();
  }

  /**
   * An error before the command ran: counted as rejected; it fails an open
   * MULTI. A rejected EXEC discards the transaction, as Redis 7.0 says it.
   */
  private reject(client: Client, reply: ReplyWriter, message: string, spec: CommandSpec | null): void {
    if (spec !== null) this.stat(spec.name).rejectedCalls++;
    this.state.stats.errorReplies++;
    if (spec?.name === 'exec') {
      client.multi = null;
      client.multiFailed = false;
      this.state.unwatchAll(client);
      reply.error(`EXECABORT Transaction discarded because of: ${message.replace(/^ERR /, '')}`);
      return;
    }
    if (client.multi !== null) client.multiFailed = true;
    reply.error(message);
  }

  private stat(name: string): CommandStat {
    let stat = this.state.commandStats.get(name);
    if (stat === undefined) this.state.commandStats.set(name, (stat = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 }));
    return stat;
  }

  private run(spec: CommandSpec, ctx: CommandContext, argv: Buffer[]): void {
    const { client, reply } = ctx;
    const started = this.lastEnd;
    client.command = spec.name;
    let failed = false;
    try {
      spec.handler(ctx, argv);
    } catch (err) {
      failed = true;
      reply.error(errorReply(err));
      this.state.stats.errorReplies++;
    }
    const stat = this.stat(client.command);
    stat.calls++;
    const ended = (this.lastEnd = performance.now());
    stat.usec += (ended - started) * 1000;
    if (failed) stat.failedCalls++;
    this.state.stats.commandsProcessed++;
  }
}

function errorReply(err: unknown): string {
  if (err instanceof CommandError) return err.message;
  if (err instanceof EngineError) {
    // As Redis when it cannot write its AOF: reads go on, writes are refused.
    if (err.code === 'ENOSPC' || err.code === 'EIO' || err.code === 'EDQUOT' || err.code === 'EROFS')
      return `MISCONF Errors writing to the AOF file: ${err.message}`;
    return `ERR ${err.message}`;
  }
  // A bug of ours: the client gets an error, the server goes on, the log tells.
  console.error('dynkv: command failed:', err);
  return `ERR internal error: ${err instanceof Error ? err.message : String(err)}`;
}
