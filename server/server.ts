// server/server.ts — the listening side: opens the store, accepts
// connections (refusing them past maxclients, and from outside the
// loopback in protected mode as Redis does), runs active expiry, and shuts
// down cleanly: stop accepting, close clients, flush, fsync, close.
import net from 'node:net';
import { DynamoCoordinator, realClock, type Coordinator } from '../cluster/index';
import { ReplyWriter } from '../protocol/writer';
import type { ClientSocket } from './client-socket';
import { Client } from './client';
import { clusterSetup, maintenanceSettings } from './cluster-config';
import { serveConnection } from './connection';
import { Dispatcher } from './dispatch';
import { startActiveExpiry } from './expiry';
import { startIdleMemoryRelease } from './idle-memory';
import { ServerState, type ServerConfig } from './state';

const PROTECTED_MODE_ERROR =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export interface RunningServer {
  readonly state: ServerState;
  readonly store: Coordinator;
  /** The port bound (the configured one, or the one picked for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const state = new ServerState(config);
  // A value is stored with its version (~45 bytes: clock, dot, timestamp), so
  // records up to 128 bytes, values up to ~80, stay in the keydir.
  const store = new DynamoCoordinator(clusterSetup(config, config.port), config.dir, { fsync: config.appendfsync, inlineValueMax: 128 }, config.databases, {
    onWrite: (db, key) => state.keyModified(db, key),
    onExpire: () => state.stats.expiredKeys++,
  }, realClock);
  store.configure(maintenanceSettings(config));
  const dispatcher = new Dispatcher(state, store);
  const reply = new ReplyWriter();
  // A command another node forwards here runs for a client of its own, as if sent here.
  store.onForward = (db, resp, argv, from) => {
    const client = new Client(0, from, store.selfId, false);
    client.db = db;
    client.resp = resp === 3 ? 3 : 2;
    client.forwardedFrom = from;
    reply.resp = client.resp;
    const later = dispatcher.execute(dispatcher.context(client, reply), argv);
    if (later !== null) return later.reply.then((out) => out ?? Buffer.alloc(0));
    return Promise.resolve(reply.take() ?? Buffer.alloc(0));
  };
  try {
    await store.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  const refused = new Set<net.Socket>();
  const conns = new Set<ClientSocket>();

  const refuse = (socket: net.Socket, reply: string): void => {
    state.stats.rejectedConnections++;
    refused.add(socket);
    socket.on('close', () => refused.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.resume(); // accepted paused: read, so the client's close is seen
    socket.end(reply);
  };

  const onConnection = (socket: net.Socket): void => {
    if (state.clients.size >= state.config.maxclients) {
      refuse(socket, '-ERR max number of clients reached\r\n');
      return;
    }
    if (state.config.protectedMode && state.config.requirepass === '' && !isLoopback(socket.remoteAddress)) {
      refuse(socket, PROTECTED_MODE_ERROR);
      return;
    }
    const { conn } = serveConnection(socket, state, store, dispatcher, reply);
    conns.add(conn);
    void conn.closed.then(() => conns.delete(conn));
  };

  const listeners: net.Server[] = [];
  let port = config.port;
  try {
    for (const host of config.bind) {
      // Paused: the native socket layer reads client connections, not Node (client-socket.ts).
      const server = net.createServer({ pauseOnConnect: true }, onConnection);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host.startsWith('-') ? host.slice(1) : host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      port = (server.address() as net.AddressInfo).port;
      listeners.push(server);
    }
  } catch (err) {
    for (const l of listeners) l.close();
    await store.close();
    throw err;
  }
  const stopExpiry = startActiveExpiry(store, state);
  const stopIdleRelease = startIdleMemoryRelease(state);
  const opsSampler = setInterval(() => state.sampleOps(), 100).unref();

  let closing: Promise<void> | null = null;
  return {
    state,
    store,
    port,
    close(): Promise<void> {
      closing ??= (async () => {
        stopExpiry();
        stopIdleRelease();
        clearInterval(opsSampler);
        const clientsClosed = [...conns].map((c) => {
          c.destroy();
          return c.closed;
        });
        const refusedClosed = [...refused].map((s) => new Promise<void>((resolve) => {
          s.once('close', () => resolve());
          s.destroy();
        }));
        await Promise.all([...listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))), ...clientsClosed, ...refusedClosed]);
        await store.close();
      })();
      return closing;
    },
  };
}
