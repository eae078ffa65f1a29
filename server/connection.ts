// server/connection.ts — one client socket: bytes in through the request
// parser, commands through the dispatcher, and the replies of everything
// parsed from one read written back in one socket write, at the end of the
// event-loop turn (reply-flush.ts).
//
// A reply may come later: a cluster command's (quorum reads, write acks,
// forwarding) or, under appendfsync always, one waiting for the fsync that
// covers its write. From then on, until every awaited reply has gone out,
// the connection's commands are chained: each runs when the one before it
// ran (its quorum read may go out sooner), and replies go out in order as
// they come. A pipelining client keeps many cluster commands in flight.
//
// An authenticated client's commands from one read are gathered first, so
// the store can bring all their keys into the cache at once (see
// Dispatcher.prefetch); a command that may change authentication runs at
// once, as the parser's limits for what follows depend on it (while replies
// are awaited, parsing stops until it ran).
//
// Output backpressure: once a client's replies not yet taken by the kernel
// (written this pass, held for the turn's end, pending in the native socket)
// pass OUTPUT_PAUSE, its commands stop running — the rest of the batch is
// kept, the parser and the socket pause — until the socket has drained;
// so a client that does not read costs about one reply, not all of them,
// and other clients are not held up by copying them. The same check, one
// integer compare per command, enforces client-output-buffer-limit: over
// the hard limit the client is closed at once, over the soft one once it
// stayed there for soft-seconds.
import type net from 'node:net';
import type { Coordinator } from '../cluster/index';
import { RequestParser } from '../protocol/parser';
import type { ReplyWriter } from '../protocol/writer';
import { Client } from './client';
import { ClientSocket } from './client-socket';
import { queueReply } from './reply-flush';
import { RAN, type Dispatcher, type LaterReply } from './dispatch';
import type { OutputLimits } from './output-limits';
import type { ServerState } from './state';

/** Most commands gathered before they run (a read of small pipelined commands holds a few hundred). */
const MAX_BATCH = 64;
/** Replies awaited at once before the socket stops being read. */
const MAX_AWAITED = 1024;
/** Output bytes queued for a client past which its commands wait for the socket to drain. */
const OUTPUT_PAUSE = 256 * 1024;
/**
 * Redis's per-client reply buffer (PROTO_REPLY_CHUNK_BYTES): the limits count
 * only output past it, so a limit of a few bytes spares small replies.
 */
const REPLY_BUFFER = 16 * 1024;

/** A reply in the order it must go out; `ready` once its bytes are known. */
interface Awaited {
  ready: boolean;
  out: Buffer | null;
  /** The connection closes after it (a protocol error). */
  closes: boolean;
}

/**
 * Serves an accepted socket that Node has not read from (see ClientSocket).
 * `reply` is one writer shared by every connection of the server: replies
 * are written and taken within one synchronous pass, so a connection needs
 * no buffer of its own while idle (a 64 KiB slab each made connecting slow
 * and 10,000 idle clients heavy).
 */
export function serveConnection(
  socket: net.Socket,
  state: ServerState,
  store: Coordinator,
  dispatcher: Dispatcher,
  reply: ReplyWriter,
): { client: Client; conn: ClientSocket } {
  const client = new Client(
    state.newClientId(),
    `${socket.remoteAddress}:${socket.remotePort}`,
    `${socket.localAddress}:${socket.localPort}`,
    state.config.requirepass !== '',
  );
  const ctx = dispatcher.context(client, reply);
  let broken = false;
  /** Replies still awaited, in order; empty when commands run at once. */
  const awaited: Awaited[] = [];
  /** Resolves once the last chained command ran; the next one runs after it. */
  let lastRan: Promise<void> = RAN;
  /** Chunks read while the parser or the socket waits. */
  const backlog: Buffer[] = [];
  let socketPaused = false;
  let maxBulkLen = state.config.protoMaxBulkLen;
  let gathering = false;
  const batch: Buffer[][] = [];
  /** Commands run at once whose replies are in `reply`, not yet taken (see endPass). */
  let passReplies = 0;
  /** Commands stop running while the client's output drains (OUTPUT_PAUSE): the rest of the batch, from deferredAt. */
  let outputBlocked = false;
  let deferred: Buffer[][] | null = null;
  let deferredAt = 0;
  /** AUTH, HELLO or RESET awaited: parsing waits for it (see run). */
  let authWait = false;
  /** Output size at which the limits and the pause are checked: the least of OUTPUT_PAUSE and the limits set. */
  let limits = state.config.clientOutputBufferLimit;
  let checkAt = outputCheckAt(limits);
  let softTimer: NodeJS.Timeout | null = null;

  const run = (argv: Buffer[]): void => {
    if (client.closing || broken) return;
    if (awaited.length === 0) {
      const later = dispatcher.execute(ctx, argv);
      if (later === null) {
        passReplies++;
        parser.setAuthRequired(!client.authenticated); // AUTH, HELLO and RESET change it
        return;
      }
      // The replies written before this one go first.
      endPass();
      awaitReply(later);
      return;
    }
    // What follows AUTH, HELLO or RESET is parsed under the limits they set: wait for them.
    const changesAuth = dispatcher.mayChangeAuth(argv);
    if (changesAuth) {
      authWait = true;
      parser.pause();
    }
    const later = dispatcher.executeAfter(ctx, argv, lastRan);
    if (changesAuth) {
      later.handled.then(() => {
        parser.setAuthRequired(!client.authenticated);
        reply.resp = client.resp;
        authWait = false;
        if (!outputBlocked) parser.resume();
        if (awaited.length === 0) endPass();
        flush();
        feedBacklog();
      }, fail);
    }
    awaitReply(later);
  };

  /** Chains a reply that comes later. */
  const awaitReply = (later: LaterReply): void => {
    const slot: Awaited = { ready: false, out: null, closes: false };
    awaited.push(slot);
    lastRan = later.handled;
    // A command whose turn failed (a bug) drops the client; the next one never runs.
    later.handled.then(undefined, fail);
    later.reply.then((out) => {
      slot.out = out;
      slot.ready = true;
      flush();
    }, fail);
    if (awaited.length >= MAX_AWAITED) pauseSocket();
  };

  /** A failure no reply may hide (a bug): the client is dropped. A write not made durable gets error replies (endPass). */
  const fail = (err: Error): void => {
    console.error(`dynkv: closing client ${client.addr}: ${err.message}`);
    conn.destroy();
  };

  /** Sends the replies that are ready, in order; once none is awaited, commands run at once again. */
  const flush = (): void => {
    while (awaited.length > 0 && awaited[0].ready) {
      const slot = awaited.shift() as Awaited;
      if (slot.closes) broken = true;
      // QUIT may have run while earlier replies were awaited: the connection ends after the last of them.
      send(slot.out, awaited.length === 0);
    }
    if (conn.queued > checkAt) outputFull();
    resumeReading();
  };

  const resumeReading = (): void => {
    if (awaited.length < MAX_AWAITED && socketPaused && !parser.isPaused) {
      socketPaused = false;
      if (conn.isOpen && !broken && !client.closing) conn.resume();
      feedBacklog();
    }
  };

  /**
   * The client's output reached checkAt: closes it past a limit of its
   * class, or, past OUTPUT_PAUSE, stops running its commands until the
   * socket drains. True when its commands must stop.
   */
  const outputFull = (): boolean => {
    const used = reply.length + conn.queued;
    const counted = used - REPLY_BUFFER; // as Redis, which counts only what overflows a client's 16 KiB reply buffer
    const limit = limits.normal; // the class of every client dynkv has (no replicas, no pub/sub)
    if (limit.hard > 0n && counted >= Number(limit.hard)) {
      closeOverLimit('hard', used);
      return true;
    }
    if (limit.soft > 0n && counted >= Number(limit.soft) && softTimer === null) {
      softTimer = setTimeout(checkSoftLimit, (limit.softSeconds + 1) * 1000);
    }
    if (used <= OUTPUT_PAUSE) return false;
    if (!outputBlocked) {
      outputBlocked = true;
      parser.pause();
      pauseSocket();
      conn.wantDrain();
    }
    return true;
  };

  /** Over the soft limit for longer than its seconds (counted in whole seconds, as Redis): closed if still over it. */
  const checkSoftLimit = (): void => {
    softTimer = null;
    const soft = limits.normal.soft;
    const { held, pending } = conn.info();
    if (soft > 0n && held + pending - REPLY_BUFFER >= Number(soft)) closeOverLimit('soft', held + pending);
  };

  const closeOverLimit = (which: 'hard' | 'soft', used: number): void => {
    if (broken) return;
    broken = true;
    state.stats.outputBufferLimitDisconnections++;
    console.warn(`dynkv: closing client id=${client.id} addr=${client.addr}: ${used} bytes of output are over the ${which} client-output-buffer-limit`);
    conn.destroy();
  };

  /** The socket took all the output: the client's commands run again. */
  const outputDrained = (): void => {
    if (softTimer !== null) {
      clearTimeout(softTimer);
      softTimer = null;
    }
    if (!outputBlocked || broken || client.closing) return;
    outputBlocked = false;
    consume(null);
    if (!outputBlocked) resumeReading();
  };

  const pauseSocket = (): void => {
    if (socketPaused) return;
    socketPaused = true;
    conn.pause();
  };

  const feedBacklog = (): void => {
    while (backlog.length > 0 && !parser.isPaused && !socketPaused && !broken && !client.closing) consume(backlog.shift() as Buffer);
  };

  /** Runs the gathered commands; `mayStop`: the rest waits in `deferred` once the output is full. */
  const runBatch = (mayStop: boolean): void => {
    if (batch.length === 0) return;
    if (batch.length > 1 && awaited.length === 0) dispatcher.prefetch(client, batch);
    for (let i = 0; i < batch.length; i++) {
      run(batch[i]);
      if (mayStop && reply.length + conn.queued > checkAt && outputFull() && i + 1 < batch.length) {
        deferred = batch.slice(i + 1);
        deferredAt = 0;
        break;
      }
    }
    batch.length = 0;
  };

  /** Runs what was deferred while the output drained, until it is full again. */
  const runDeferred = (): void => {
    const rest = deferred as Buffer[][];
    while (deferredAt < rest.length) {
      run(rest[deferredAt++]);
      if (reply.length + conn.queued > checkAt && outputFull()) return;
    }
    deferred = null;
  };
  const parser = new RequestParser({
    maxBulkLen: state.config.protoMaxBulkLen,
    onCommand: (argv) => {
      if (!gathering) {
        run(argv);
        if (reply.length + conn.queued > checkAt) outputFull();
        return;
      }
      batch.push(argv);
      if (batch.length === MAX_BATCH || dispatcher.mayChangeAuth(argv)) runBatch(true);
    },
    onError: (message) => {
      runBatch(false); // the error follows every command before it
      state.stats.errorReplies++;
      if (awaited.length > 0) {
        // Answered after the replies still awaited, as it was sent; then the connection closes.
        reply.resp = client.resp;
        reply.error(message);
        awaited.push({ ready: true, out: reply.take(), closes: true });
        return;
      }
      broken = true;
      passReplies++;
      reply.error(message);
    },
  });

  parser.setAuthRequired(!client.authenticated);
  state.clients.set(client.id, client);
  state.stats.connectionsReceived++;
  socket.setNoDelay(true);
  const conn = new ClientSocket(
    socket,
    (chunk) => {
      if (broken || client.closing) return;
      if (parser.isPaused || socketPaused) {
        backlog.push(chunk);
        pauseSocket();
      } else {
        consume(chunk);
      }
    },
    () => {
      if (softTimer !== null) clearTimeout(softTimer);
      state.unwatchAll(client);
      state.clients.delete(client.id);
    },
    outputDrained,
  );
  client.disconnect = () => conn.destroy();
  client.buffers = () => {
    const out = conn.info();
    let queryBuffer = parser.bufferedBytes;
    for (const chunk of backlog) queryBuffer += chunk.length;
    return {
      fd: out.fd,
      queryBuffer,
      partialArgv: parser.partialArgvBytes,
      heldOutput: out.held,
      heldBuffers: out.heldBuffers,
      pendingOutput: out.pending,
      pendingBuffers: out.pendingBuffers,
      reading: conn.isOpen && !socketPaused,
      writing: out.writable,
    };
  };

  const send = (out: Buffer | null, last = true): void => {
    if (out !== null) state.stats.netOutputBytes += out.length;
    const end = (broken || client.closing) && last;
    if (out !== null || end) queueReply(conn, out, end);
  };

  /** Runs the commands of a chunk read, or (null) those that waited for the output to drain. */
  const consume = (chunk: Buffer | null): void => {
    if (chunk !== null) {
      state.stats.netInputBytes += chunk.length;
      client.lastActive = Date.now();
    }
    if (maxBulkLen !== state.config.protoMaxBulkLen) parser.setMaxBulkLen((maxBulkLen = state.config.protoMaxBulkLen));
    if (limits !== state.config.clientOutputBufferLimit) checkAt = outputCheckAt((limits = state.config.clientOutputBufferLimit));
    reply.resp = client.resp;
    dispatcher.startBatch();
    gathering = client.authenticated;
    if (chunk !== null) parser.feed(chunk);
    else {
      if (deferred !== null) runDeferred();
      if (!outputBlocked && !authWait) parser.resume();
    }
    runBatch(true);
    gathering = false;
    if (awaited.length === 0) endPass();
    else flush();
  };

  /** Sends what the commands run at once wrote; under appendfsync always, once the fsync covering their writes is done. */
  const endPass = (): void => {
    const out = reply.take();
    const count = passReplies;
    passReplies = 0;
    const durable = state.config.appendfsync === 'always' ? store.durable() : null;
    if (durable === null) {
      send(out);
      return;
    }
    const slot: Awaited = { ready: false, out, closes: false };
    awaited.push(slot);
    lastRan = RAN;
    durable.then(
      () => {
        slot.ready = true;
        flush();
      },
      (err) => {
        // The pass's writes are not durable: each of its commands gets an error instead of its reply.
        slot.out = dispatcher.notDurable(ctx, count, err);
        slot.ready = true;
        flush();
      },
    );
  };

  return { client, conn };
}

/** The least of OUTPUT_PAUSE and the normal class's limits that are set (past the uncounted reply buffer). */
function outputCheckAt(limits: OutputLimits): number {
  let at = OUTPUT_PAUSE;
  const { hard, soft } = limits.normal;
  if (hard > 0n && Number(hard) + REPLY_BUFFER - 1 < at) at = Number(hard) + REPLY_BUFFER - 1;
  if (soft > 0n && Number(soft) + REPLY_BUFFER - 1 < at) at = Number(soft) + REPLY_BUFFER - 1;
  return at;
}
