// server/client.ts — what the server knows of one connection: identity,
// selected database, protocol version, authentication and transaction state.
// Sockets and parsing live in connection.ts.
import type { RespVersion } from '../protocol/writer';

export class Client {
  db = 0;
  resp: RespVersion = 2;
  name = '';
  libName = '';
  libVersion = '';
  authenticated: boolean;
  /** Queued commands between MULTI and EXEC; null outside a transaction. */
  multi: Buffer[][] | null = null;
  /** A command queued in MULTI failed to parse: EXEC answers EXECABORT. */
  multiFailed = false;
  /**
   * Keys under WATCH (by db:key as latin1), each with whether it existed
   * then, and whether one changed since.
   */
  readonly watched = new Map<string, { db: number; key: Buffer; existed: boolean }>();
  watchDirty = false;
  noEvict = false;
  /** The command running now, or the last one run ('client|list' for a subcommand). */
  command = '';
  readonly createdAt = Date.now();
  lastActive = Date.now();
  /** Set by QUIT: close once the replies are written. */
  closing = false;
  /** The node that forwarded this client's command here (cluster-plan.ts), null for a real client. */
  forwardedFrom: string | null = null;
  /** Closes the connection at once (CLIENT KILL); set by the connection. */
  disconnect: () => void = () => undefined;

  constructor(
    readonly id: number,
    readonly addr: string,
    readonly laddr: string,
    needsAuth: boolean,
  ) {
    this.authenticated = !needsAuth;
  }
}
