// server/connection.ts — one client socket: bytes in through the request
// parser, commands through the dispatcher, and the replies of everything
// parsed from one read written back in one socket write, at the end of the
// event-loop turn (reply-flush.ts). With appendfsync
// always, those replies wait for the fsync that covers the batch's writes,
// and the socket is paused meanwhile so replies keep their order.
// An authenticated client's commands from one read are gathered first, so
// the store can bring all their keys into the cache at once (see
// Dispatcher.prefetch); a command that may change authentication runs at
// once, as the parser's limits for what follows depend on it.
import type net from 'node:net';
import type { Coordinator } from '../cluster/coordinator';
import { RequestParser } from '../protocol/parser';
import type { ReplyWriter } from '../protocol/writer';
import { Client } from './client';
import { ClientSocket } from './client-socket';
import { queueReply } from './reply-flush';
import type { Dispatcher } from './dispatch';
import type { ServerState } from './state';

/** Stands in the deferred queue for a protocol error met while waiting. */
const PROTOCOL_ERROR = Buffer.from('protocol error');

/** Most commands gathered before they run (a read of small pipelined commands holds a few hundred). */
const MAX_BATCH = 64;

/** Serves an accepted socket that Node has not read from (see ClientSocket). */
/**
 * `reply` is one writer shared by every connection of the server: replies
 * are written and taken within one synchronous pass over a read, so a
 * connection needs no buffer of its own while idle (a 64 KiB slab each made
 * connecting slow and 10,000 idle clients heavy).
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
  /** A reply is awaited (a cluster command's, or the fsync of appendfsync always): what comes meanwhile waits, in order. */
  let waiting = false;
  const backlog: Buffer[] = [];
  /** Commands parsed while waiting, run in order once the wait is over. */
  const deferred: Buffer[][] = [];
  let maxBulkLen = state.config.protoMaxBulkLen;
  let gathering = false;
  const batch: Buffer[][] = [];
  const run = (argv: Buffer[]): void => {
    if (client.closing || broken) return;
    if (waiting) {
      deferred.push(argv);
      // What follows AUTH, HELLO or RESET is parsed under the limits they set: wait for them.
      if (dispatcher.mayChangeAuth(argv)) parser.pause();
      return;
    }
    const later = dispatcher.execute(ctx, argv);
    if (later !== null) answerLater(later);
    reply.resp = client.resp;
    parser.setAuthRequired(!client.authenticated); // AUTH, HELLO and RESET change it
  };
  const runBatch = (): void => {
    if (batch.length === 0) return;
    if (batch.length > 1 && !waiting) dispatcher.prefetch(client, batch);
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
      if (waiting) {
        // Answered after the replies still awaited, as it was sent.
        deferred.push([PROTOCOL_ERROR, Buffer.from(message)]);
        return;
      }
      broken = true;
      state.stats.errorReplies++;
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
      if (waiting) backlog.push(chunk);
      else consume(chunk);
    },
    () => {
      state.unwatchAll(client);
      state.clients.delete(client.id);
    },
  );
  client.disconnect = () => conn.destroy();

  const send = (out: Buffer | null): void => {
    if (out !== null) state.stats.netOutputBytes += out.length;
    const end = broken || client.closing;
    if (out !== null || end) queueReply(conn, out, end);
  };

  /** Sends what this pass wrote, once durable under appendfsync always; false when that wait began. */
  const finishPass = (): boolean => {
    const out = reply.take();
    const durable = state.config.appendfsync === 'always' ? store.durable() : null;
    if (durable === null) {
      send(out);
      return true;
    }
    startWait(durable.then(() => out));
    return false;
  };

  /** Holds everything after this point until `later` brings the reply due now. */
  const startWait = (later: Promise<Buffer | null>): void => {
    waiting = true;
    conn.pause();
    later.then(
      (out) => {
        waiting = false;
        send(out);
        if (!conn.isOpen || broken || client.closing) return;
        resumeAfterWait();
      },
      (err: Error) => {
        // The writes these replies acknowledge did not reach the disk, or a bug: no reply may say OK.
        console.error(`dynkv: closing client ${client.addr}: ${err.message}`);
        conn.destroy();
      },
    );
  };

  /** A command answers later: the replies before it go now, everything after it waits. */
  const answerLater = (later: Promise<Buffer | null>): void => {
    send(reply.take());
    startWait(later);
  };

  const resumeAfterWait = (): void => {
    reply.resp = client.resp;
    while (!waiting && deferred.length > 0) {
      const argv = deferred.shift() as Buffer[];
      if (argv[0] === PROTOCOL_ERROR) {
        broken = true;
        state.stats.errorReplies++;
        reply.error(argv[1].toString());
        break;
      }
      run(argv);
    }
    if (waiting) return;
    if (parser.isPaused) {
      parser.resume();
      if (waiting) return;
    }
    if (!finishPass()) return;
    if (broken || client.closing) return;
    conn.resume();
    while (!waiting && backlog.length > 0) consume(backlog.shift() as Buffer);
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
    if (waiting) return;
    finishPass();
  };

  return { client, conn };
}
