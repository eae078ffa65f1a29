// server/dispatch.ts — runs one command for one client, as Redis's
// processCommand: table lookup, arity, authentication, MULTI queueing, the
// handler, and per-command stats. (WATCH hears of written keys from the store.)
// On a cluster of more than one node a command with keys, or a write, goes
// through the coordinator first (cluster-plan.ts): forwarded to the node
// that must coordinate it, or run here after a quorum read, its reply held
// until its writes have their W acks. Such a command answers later: execute
// returns its reply bytes as a promise, and the connection keeps order.
import { performance } from 'node:perf_hooks';
import { DynUnavailableError, WrongTypeError, type Coordinator } from '../cluster/index';
import { EngineError } from '../engine/index';
import type { ReplyWriter } from '../protocol/writer';
import type { Client } from './client';
import { clusterPlan, lastKeyIndex, type ClusterPlan } from './cluster-plan';
import { CommandLookup } from './command-lookup';
import { commandTable } from './commands/index';
import { findSubcommand } from './commands/subcommands';
import type { CommandContext, CommandSpec } from './commands/types';
import { binary, CommandError, ERR, unknownCommand, unknownSubcommand, wrongArity } from './errors';
import type { CommandStat, ServerState } from './state';

/** A command that answers later (it went through the cluster, or waits behind one that did). */
export interface LaterReply {
  /** Resolves once its handler ran (or its forward was answered): the connection's next command may run. */
  readonly handled: Promise<void>;
  /** Its reply bytes (null for none), once its writes have their acks. */
  readonly reply: Promise<Buffer | null>;
}

/** A quorum read started ahead of the command's turn: true when it merged everything into this replica. */
interface EarlyRead {
  readonly db: number;
  readonly result: Promise<boolean>;
}

/** A promise already resolved: a command that has run. */
export const RAN: Promise<void> = Promise.resolve();
const NO_REPLY: Promise<Buffer | null> = Promise.resolve(null);

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
      const last = lastKeyIndex(spec, argv.length);
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
   * otherwise it goes through the cluster and answers later. `routed` false
   * runs it here at once (EXEC's queued commands, whose keys EXEC
   * prepared). `early` is a quorum read started ahead (executeAfter).
   */
  execute(ctx: CommandContext, argv: Buffer[], routed = true, early: EarlyRead | null = null): LaterReply | null {
    const { client, reply } = ctx;
    let spec = this.lookup.find(argv[0]);
    if (spec === undefined) {
      this.reject(client, reply, unknownCommand(argv), null);
      return null;
    }
    // A container runs its subcommand's spec, checked here like any command (before MULTI queues it).
    if (spec.subcommands !== undefined && argv.length > 1) {
      const sub = findSubcommand(spec, argv[1]);
      if (sub === undefined) {
        this.reject(client, reply, unknownSubcommand(spec.name, argv[1]), null);
        return null;
      }
      spec = sub;
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
      if (plan !== null) {
        let handled!: () => void;
        const done = new Promise<void>((resolve) => (handled = resolve));
        return { handled: done, reply: this.runClustered(spec, ctx, argv, plan, early, handled) };
      }
    }
    this.run(spec, ctx, argv);
    return null;
  }

  /**
   * Runs the command once `after` resolves (the connection's previous
   * command ran), for a connection whose earlier replies are still awaited:
   * pipelined commands keep their order, while their quorum reads go out at
   * once, side by side (a read only brings other replicas' versions in, so
   * starting it early is safe; the handler still reads at its turn).
   */
  executeAfter(ctx: CommandContext, argv: Buffer[], after: Promise<void>): LaterReply {
    const early = this.earlyRead(ctx, argv);
    const turn = after.then((): LaterReply => {
      const { client, reply } = ctx;
      if (client.closing) return { handled: RAN, reply: NO_REPLY };
      reply.resp = client.resp;
      this.lastEnd = performance.now();
      const later = this.execute(ctx, argv, true, early);
      if (later !== null) return later;
      const out = reply.take();
      const durable = this.state.config.appendfsync === 'always' ? this.store.durable() : null;
      return { handled: RAN, reply: durable === null ? Promise.resolve(out) : durable.then(() => out, (err) => this.notDurable(ctx, 1, err)) };
    });
    return { handled: turn.then((l) => l.handled), reply: turn.then((l) => l.reply) };
  }

  /** The quorum read a command will need, started now; null when it needs none or will be forwarded. */
  private earlyRead(ctx: CommandContext, argv: Buffer[]): EarlyRead | null {
    const store = this.store;
    const client = ctx.client;
    if (store.single || client.multi !== null) return null;
    const spec = this.lookup.find(argv[0]);
    if (spec === undefined || (spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) return null;
    const plan = clusterPlan(spec, argv, client, this.lookup);
    if (plan === null || plan.access === 'blind-write' || plan.keys.length === 0) return null;
    if (store.route(plan.keys, plan.access, client.forwardedFrom !== null) !== null) return null;
    const db = client.db;
    return {
      db,
      result: store.prepare(db, plan.keys, plan.r).then(
        (view) => view === null,
        () => false,
      ),
    };
  }

  /**
   * A command of a cluster of many: forwarded, or run here between prepare()
   * and end(). `handled` is called once the next command may run: when the
   * handler ran, the forward was answered, or the command failed before.
   */
  private async runClustered(spec: CommandSpec, ctx: CommandContext, argv: Buffer[], plan: ClusterPlan, early: EarlyRead | null, handled: () => void): Promise<Buffer | null> {
    const { client, reply } = ctx;
    const store = this.store;
    const db = client.db;
    let view = null;
    try {
      for (;;) {
        const target = store.route(plan.keys, plan.access, client.forwardedFrom !== null);
        if (target === null) break;
        const forwarded = await store.forward(target, db, client.resp, argv);
        if (forwarded !== null) {
          handled();
          return forwarded;
        }
      }
      // Always a turn of the loop first: the caller takes the replies written before this one.
      if (plan.access === 'blind-write' || plan.keys.length === 0) view = await null;
      // A read started early counts when it merged everything into this replica (no view, no failure).
      else if (early !== null && early.db === db && (await early.result)) view = null;
      else view = await store.prepare(db, plan.keys, plan.r);
    } catch (err) {
      handled();
      return this.errorBytes(reply, client, err instanceof DynUnavailableError ? err.message : errorReply(err), spec);
    }
    store.begin(view, client.forwardedFrom);
    reply.resp = client.resp;
    this.lastEnd = performance.now();
    this.run(spec, ctx, argv);
    let out = reply.take();
    const acked = store.end();
    handled();
    if (acked !== null) {
      const error = await acked;
      if (error !== null) out = this.errorBytes(reply, client, error, spec);
    }
    if (this.state.config.appendfsync === 'always') {
      try {
        await store.durable();
      } catch (err) {
        return this.notDurable(ctx, 1, err);
      }
    }
    return out;
  }

  /**
   * The replies of `count` commands whose writes failed to become durable
   * (appendfsync always: the write or fsync failed): an error each, as Redis
   * refuses writes it cannot log, instead of replies that claimed success.
   * The connection stays open; reads go on, writes fail until the disk heals.
   */
  notDurable(ctx: CommandContext, count: number, err: unknown): Buffer | null {
    const { client, reply } = ctx;
    const message = errorReply(err);
    reply.resp = client.resp;
    for (let i = 0; i < count; i++) reply.error(message);
    this.state.stats.errorReplies += count;
    return reply.take();
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

/** The disk errors that refuse writes, as glibc's strerror() words them. */
const DISK_ERRORS: Record<string, string | undefined> = {
  ENOSPC: 'No space left on device',
  EIO: 'Input/output error',
  EDQUOT: 'Disk quota exceeded',
  EROFS: 'Read-only file system',
};

function errorReply(err: unknown): string {
  if (err instanceof CommandError || err instanceof WrongTypeError || err instanceof DynUnavailableError) return err.message;
  if (err instanceof EngineError) {
    // As Redis when it cannot write its AOF: reads go on, writes are refused.
    // Redis 7.0 names the error by strerror() alone: -MISCONF Errors writing to the AOF file: %s.
    const text = DISK_ERRORS[err.code];
    if (text !== undefined) return `MISCONF Errors writing to the AOF file: ${text}`;
    return `ERR ${binary(err.message)}`;
  }
  // A bug of ours: the client gets an error, the server goes on, the log tells.
  console.error('dynkv: command failed:', err);
  return `ERR internal error: ${binary(err instanceof Error ? err.message : String(err))}`;
}
