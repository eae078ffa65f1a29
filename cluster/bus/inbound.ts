// cluster/bus/inbound.ts — the listening side of the cluster bus: one
// connection from a peer. Requests are read with the server's request parser
// (protocol/parser.ts), with Redis's pre-AUTH limits until the handshake
// (auth.ts) is done; anything but the handshake before that, a protocol
// error or an oversized request ends this connection only. Authenticated
// requests go to the bus's handler; handlers may finish in any order, their
// replies go out in request order, those ready together in one write.
//
// A dropped peer's requests are read and not answered. The peer matches
// replies in order, so such a connection is "silenced" for good: heal()
// closes it and the peer reconnects.
import type net from 'node:net';
import { RequestParser } from '../../protocol/parser';
import { ReplyError, type ReplyValue } from '../../protocol/reply-parser';
import { ReplyWriter } from '../../protocol/writer';
import { AUTH_CHALLENGE, AUTH_PROOF, NONCE_BYTES, handshakeProof, newNonce, proofMatches } from './auth';
import type { TimerHandle } from '../clock';
import type { BusContext } from './context';
import { Fifo } from './fifo';

/** A request's place in the reply order; filled when its handler is done. */
interface ReplySlot {
  reply: ReplyValue;
  done: boolean;
}

export class InboundLink {
  private phase: 'challenge' | 'proof' | 'ready' = 'challenge';
  /** The peer's node id, known once its proof checked out. */
  private peerId: string | null = null;
  private clientNonce: Buffer = Buffer.alloc(0);
  private serverNonce: Buffer = Buffer.alloc(0);
  private readonly parser: RequestParser;
  private readonly writer = new ReplyWriter();
  private readonly slots = new Fifo<ReplySlot>();
  private flushScheduled = false;
  /** Refused or closed: nothing more is read or written. */
  private closing = false;
  private handshakeTimer: TimerHandle | null;
  private silenced = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: BusContext,
  ) {
    this.parser = new RequestParser({
      maxBulkLen: ctx.maxBulkLen,
      onCommand: (argv) => this.onCommand(argv),
      onError: (message) => this.refuse(message),
    });
    this.parser.setAuthRequired(true);
    socket.setNoDelay(true);
    this.handshakeTimer = ctx.clock.setTimer(ctx.connectTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (this.closing) return;
      this.parser.feed(chunk);
      this.flush();
    });
    socket.on('error', () => socket.destroy()); // 'close' follows and ends the link
    socket.on('close', () => {
      this.closing = true;
      this.clearHandshakeTimer();
      this.slots.drain();
    });
  }

  get authenticated(): boolean {
    return this.peerId !== null;
  }

  /** Requests from a dropped peer went unanswered on this connection: it must not serve again. */
  get isSilenced(): boolean {
    return this.silenced;
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private onCommand(argv: Buffer[]): void {
    if (this.closing) return;
    if (this.phase !== 'ready') {
      this.handshake(argv);
      return;
    }
    const from = this.peerId as string;
    if (this.ctx.isDropped(from)) {
      this.silenced = true;
      return;
    }
    this.ctx.counters.requestsReceived++;
    const slot: ReplySlot = { reply: null, done: false };
    this.slots.push(slot);
    let result: ReplyValue | PromiseLike<ReplyValue>;
    try {
      result = this.ctx.onRequest(from, argv);
    } catch (err) {
      result = handlerError(err);
    }
    if (isPromiseLike(result)) {
      result.then(
        (reply) => this.complete(slot, reply),
        (err: unknown) => this.complete(slot, handlerError(err)),
      );
    } else {
      slot.reply = result;
      slot.done = true;
    }
  }

  private handshake(argv: Buffer[]): void {
    const name = argv[0].toString('latin1');
    if (this.phase === 'challenge') {
      if (name !== AUTH_CHALLENGE || argv.length !== 2 || argv[1].length !== NONCE_BYTES) {
        this.refuse(`ERR cluster bus: authenticate first (${AUTH_CHALLENGE} <${NONCE_BYTES}-byte nonce>)`);
        return;
      }
      this.clientNonce = argv[1];
      this.serverNonce = newNonce();
      this.phase = 'proof';
      this.writer.bulk(this.serverNonce);
      return;
    }
    if (name !== AUTH_PROOF || argv.length !== 3) {
      this.refuse(`ERR cluster bus: expected ${AUTH_PROOF} <node id> <proof>`);
      return;
    }
    const { secret, nodeId } = this.ctx;
    const claimed = argv[1].toString('utf8');
    if (!proofMatches(handshakeProof(secret, 'client', this.clientNonce, this.serverNonce, claimed), argv[2])) {
      this.ctx.counters.authFailures++;
      this.ctx.warnOnce(
        claimed,
        'inbound authentication',
        `node ${claimed} (connecting from ${this.socket.remoteAddress}:${this.socket.remotePort}) failed authentication: do both nodes have the same cluster secret?`,
      );
      this.ctx.inboundHandshake(claimed, false);
      this.refuse('EAUTH cluster bus: authentication failed');
      return;
    }
    this.clearHandshakeTimer();
    this.phase = 'ready';
    this.peerId = claimed;
    this.parser.setAuthRequired(false);
    if (this.ctx.isDropped(claimed)) {
      this.silenced = true;
      return;
    }
    this.ctx.authenticated(claimed);
    this.ctx.inboundHandshake(claimed, true);
    this.writer.arrayHeader(2);
    this.writer.bulk(nodeId);
    this.writer.bulk(handshakeProof(secret, 'server', this.clientNonce, this.serverNonce, nodeId));
  }

  private complete(slot: ReplySlot, reply: ReplyValue): void {
    slot.reply = reply;
    slot.done = true;
    if (this.flushScheduled || this.closing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Writes the replies that are ready, in request order, in one write. */
  private flush(): void {
    if (this.closing) return;
    this.writeReadyReplies();
    const out = this.writer.take();
    if (out === null) return;
    if (this.peerId !== null && this.ctx.isDropped(this.peerId)) {
      this.silenced = true;
      return;
    }
    this.socket.write(out);
  }

  private writeReadyReplies(): void {
    for (let slot = this.slots.peek(); slot !== undefined && slot.done; slot = this.slots.peek()) {
      this.slots.shift();
      writeReply(this.writer, slot.reply);
    }
  }

  /** Answers the replies ready so far and `message` as an error, then closes: the connection serves no more. */
  private refuse(message: string): void {
    if (this.closing) return;
    this.closing = true;
    this.clearHandshakeTimer();
    const socket = this.socket;
    if (this.peerId !== null && this.ctx.isDropped(this.peerId)) {
      socket.destroy();
      return;
    }
    this.writeReadyReplies();
    this.writer.error(message);
    socket.end(this.writer.take() as Buffer, () => socket.destroy());
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) this.ctx.clock.clearTimer(this.handshakeTimer);
    this.handshakeTimer = null;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<ReplyValue> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** What a handler that threw or rejected answers. */
function handlerError(err: unknown): ReplyError {
  return new ReplyError(`ERR ${err instanceof Error ? err.message : String(err)}`);
}

/** Writes a handler's reply; one that is not a valid reply value is answered with an error instead. */
function writeReply(writer: ReplyWriter, reply: ReplyValue): void {
  const problem = invalidReply(reply);
  if (problem === null) writeValue(writer, reply);
  else writer.error(`ERR cluster bus: the handler returned ${problem}`);
}

function invalidReply(value: unknown): string | null {
  if (value === null || Buffer.isBuffer(value) || value instanceof ReplyError || typeof value === 'bigint') return null;
  if (typeof value === 'string') return /[\r\n]/.test(value) ? 'a status with CR or LF in it' : null;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? null : `the non-integer ${value}`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = invalidReply(item);
      if (problem !== null) return problem;
    }
    return null;
  }
  return `a value of type ${typeof value}, not a reply`;
}

function writeValue(writer: ReplyWriter, value: ReplyValue): void {
  if (value === null) writer.nullBulk();
  else if (typeof value === 'string') writer.simple(value);
  else if (typeof value === 'number' || typeof value === 'bigint') writer.integer(value);
  else if (Buffer.isBuffer(value)) writer.bulk(value);
  else if (value instanceof ReplyError) writer.error(value.message);
  else {
    writer.arrayHeader(value.length);
    for (const item of value) writeValue(writer, item);
  }
}
