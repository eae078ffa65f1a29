// server/client.ts — what the server knows of one connection: identity,
// selected database, protocol version, authentication and transaction state.
// Sockets and parsing live in connection.ts.
import type { RespVersion } from '../protocol/writer';

/** What a connection holds for its client now (CLIENT LIST, INFO clients). */
export interface ClientBuffers {
  fd: number;
  /** Bytes read and not yet made into commands. */
  queryBuffer: number;
  /** Bytes of the arguments read so far of an unfinished command. */
  partialArgv: number;
  /** Reply bytes held for the end of this event-loop turn, and in how many buffers. */
  heldOutput: number;
  heldBuffers: number;
  /** Reply bytes the kernel has not taken yet, and in how many buffers. */
  pendingOutput: number;
  pendingBuffers: number;
  reading: boolean;
  writing: boolean;
}

const NO_BUFFERS: ClientBuffers = { fd: -1, queryBuffer: 0, partialArgv: 0, heldOutput: 0, heldBuffers: 0, pendingOutput: 0, pendingBuffers: 0, reading: false, writing: false };
const noBuffers = (): ClientBuffers => NO_BUFFERS;

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
  /** What its connection holds; set by the connection (a forwarded command's client has none). */
  buffers: () => ClientBuffers = noBuffers;

  constructor(
    readonly id: number,
    readonly addr: string,
    readonly laddr: string,
    needsAuth: boolean,
  ) {
    this.authenticated = !needsAuth;
  }
}
