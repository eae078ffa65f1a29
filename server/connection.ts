// server/connection.ts — one client socket: bytes in through the request
// parser, commands through the dispatcher, and the replies of everything
// parsed from one read written back in one socket write. With appendfsync
// always, those replies wait for the fsync that covers the batch's writes,
// and the socket is paused meanwhile so replies keep their order.
import type net from 'node:net';
import type { Coordinator } from '../cluster/coordinator';
import { RequestParser } from '../protocol/parser';
import { ReplyWriter } from '../protocol/writer';
import { Client } from './client';
import type { Dispatcher } from './dispatch';
import type { ServerState } from './state';

export function serveConnection(socket: net.Socket, state: ServerState, store: Coordinator, dispatcher: Dispatcher): Client {
  const client = new Client(
    state.newClientId(),
    `${socket.remoteAddress}:${socket.remotePort}`,
    `${socket.localAddress}:${socket.localPort}`,
    state.config.requirepass !== '',
  );
  const reply = new ReplyWriter();
  const ctx = dispatcher.context(client, reply);
  let broken = false;
  let waiting = false;
  const backlog: Buffer[] = [];
  let maxBulkLen = state.config.protoMaxBulkLen;
  const parser = new RequestParser({
    maxBulkLen: state.config.protoMaxBulkLen,
    onCommand: (argv) => {
      if (client.closing || broken) return;
      dispatcher.execute(ctx, argv);
      reply.resp = client.resp;
      parser.setAuthRequired(!client.authenticated); // AUTH, HELLO and RESET change it
    },
    onError: (message) => {
      broken = true;
      state.stats.errorReplies++;
      reply.error(message);
    },
  });

  parser.setAuthRequired(!client.authenticated);
  state.clients.set(client.id, client);
  state.stats.connectionsReceived++;
  socket.setNoDelay(true);
  client.disconnect = () => socket.destroy();

  const send = (out: Buffer | null): void => {
    if (out !== null) {
      state.stats.netOutputBytes += out.length;
      socket.write(out);
    }
    if (broken || client.closing) socket.end();
  };

  const consume = (chunk: Buffer): void => {
    state.stats.netInputBytes += chunk.length;
    client.lastActive = Date.now();
    if (maxBulkLen !== state.config.protoMaxBulkLen) parser.setMaxBulkLen((maxBulkLen = state.config.protoMaxBulkLen));
    dispatcher.startBatch();
    parser.feed(chunk);
    const out = reply.take();
    const durable = state.config.appendfsync === 'always' ? store.durable() : null;
    if (durable === null) {
      send(out);
      return;
    }
    waiting = true;
    socket.pause();
    durable.then(
      () => {
        waiting = false;
        send(out);
        if (socket.destroyed || broken || client.closing) return;
        socket.resume();
        while (!waiting && backlog.length > 0) consume(backlog.shift() as Buffer);
      },
      (err: Error) => {
        // The writes these replies acknowledge did not reach the disk: no reply may say OK.
        console.error(`dynkv: closing client ${client.addr}: ${err.message}`);
        socket.destroy();
      },
    );
  };

  socket.on('data', (chunk: Buffer) => {
    if (broken || client.closing) return;
    if (waiting) backlog.push(chunk);
    else consume(chunk);
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    state.unwatchAll(client);
    state.clients.delete(client.id);
  });
  return client;
}
