// cluster/bus/errors.ts — the errors a cluster bus request rejects with, as
// named classes with a code each (undici's style), so the coordinator can
// tell a slow peer from an unreachable or misconfigured one. An error
// *reply* from a peer is not one of these: it resolves as a ReplyError value.

export type BusErrorCode =
  /** No reply within the request's timeout (BusTimeoutError). */
  | 'ETIMEDOUT'
  /** The connection broke with the request sent or queued. */
  | 'ECONNLOST'
  /** No authenticated connection could be made (refused, reset, connect timeout). */
  | 'ECONNFAILED'
  /** Recent connection attempts failed; the link waits out its backoff before the next one. */
  | 'EUNREACHABLE'
  /** The handshake failed: wrong cluster secret, or the peer is another node (BusAuthError). */
  | 'EAUTH'
  /** The peer does not speak the bus protocol (bad bytes, unexpected replies). */
  | 'EPROTO'
  /** The link already holds maxPending requests. */
  | 'EOVERLOAD'
  /** The bus is closed. */
  | 'ECLOSED';

export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    /** The peer's node id. */
    readonly peer: string,
    message: string,
  ) {
    super(`cluster bus: ${message}`);
    this.name = 'BusError';
  }
}

export class BusTimeoutError extends BusError {
  constructor(peer: string, timeoutMs: number) {
    super('ETIMEDOUT', peer, `no reply from ${peer} within ${timeoutMs} ms`);
    this.name = 'BusTimeoutError';
  }
}

export class BusAuthError extends BusError {
  constructor(peer: string, message: string) {
    super('EAUTH', peer, message);
    this.name = 'BusAuthError';
  }
}
