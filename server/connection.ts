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
import type net from 'node:net';
import type { Coordinator } from '../cluster/coordinator';
import { RequestParser } from '../protocol/parser';
import type { ReplyWriter } from '../protocol/writer';
import { Client } from './client';
import { ClientSocket } from './client-socket';
import { queueReply } from './reply-flush';
import { RAN, type Dispatcher, type LaterReply } from './dispatch';
import type { ServerState } from './state';

/** Most commands gathered before they run (a read of small pipelined commands holds a few hundred). */
const MAX_BATCH = 64;
/** Replies awaited at once before the socket stops being read. */
const MAX_AWAITED = 1024;

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
    if (changesAuth) parser.pause();
    const later = dispatcher.executeAfter(ctx, argv, lastRan);
    if (changesAuth) {
      later.handled.then(() => {
        parser.setAuthRequired(!client.authenticated);
        reply.resp = client.resp;
        parser.resume();
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
    if (awaited.length < MAX_AWAITED && socketPaused && !parser.isPaused) {
      socketPaused = false;
      if (conn.isOpen && !broken && !client.closing) conn.resume();
      feedBacklog();
    }
  };

  const pauseSocket = (): void => {
    if (socketPaused) return;
    socketPaused = true;
    conn.pause();
  };

  const feedBacklog = (): void => {
    while (backlog.length > 0 && !parser.isPaused && !socketPaused && !broken && !client.closing) consume(backlog.shift() as Buffer);
  };

  const runBatch = (): void => {
    if (batch.length === 0) return;
    if (batch.length > 1 && awaited.length === 0) dispatcher.prefetch(client, batch);
    for (let i = 0; i < batch.length; i++) run(batch[i]);
    batch.length = 0;
  };
  const parser = new RequestParser({
    maxBulkLen: state.config.protoMaxBulkLen,
    onCommand: (argv) => {
      if (!gathering) {
        run(argv);
        return;
      }
      batch.push(argv);
      if (batch.length === MAX_BATCH || dispatcher.mayChangeAuth(argv)) runBatch();
    },
    onError: (message) => {
      runBatch();
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
      state.unwatchAll(client);
      state.clients.delete(client.id);
    },
  );
  client.disconnect = () => conn.destroy();

  const send = (out: Buffer | null, last = true): void => {
    if (out !== null) state.stats.netOutputBytes += out.length;
    const end = (broken || client.closing) && last;
    if (out !== null || end) queueReply(conn, out, end);
  };

  const consume = (chunk: Buffer): void => {
    state.stats.netInputBytes += chunk.length;
    client.lastActive = Date.now();
    if (maxBulkLen !== state.config.protoMaxBulkLen) parser.setMaxBulkLen((maxBulkLen = state.config.protoMaxBulkLen));
    reply.resp = client.resp;
    dispatcher.startBatch();
    gathering = client.authenticated;
    parser.feed(chunk);
    runBatch();
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
