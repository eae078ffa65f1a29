// server/client-socket.ts — a client connection's bytes, read and written by
// the native socket layer (server/native/socket.cc) instead of Node's
// streams: one call into JS per read, replies written with write(2) at once.
// The server accepts with Node (pauseOnConnect, so Node never reads), takes
// the address and the refusals (maxclients, protected mode) from the
// net.Socket, then hands its fd over here. Measured at -P 1 on a bare echo:
// 5 to 6 µs of user CPU per request against 9 to 10 µs through net.Socket.
import type net from 'node:net';
import path from 'node:path';

interface NativeSocketHandle {
  write(out: Buffer): boolean;
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
}

interface NativeModule {
  NativeSocket: new (fd: number, onData: (chunk: Buffer) => void, onClose: (error: string | null) => void) => NativeSocketHandle;
}

const native = require(path.join(__dirname, '..', '..', 'build', 'Release', 'dynkv_socket.node')) as NativeModule;

export class ClientSocket {
  private readonly handle: NativeSocketHandle;
  private open = true;
  /** Resolves once the connection is closed and its fd released. */
  readonly closed: Promise<void>;

  /**
   * Takes over an accepted socket that Node has not read from. onClose runs
   * once, from the event loop, with the error that ended the connection
   * (null when the client closed it or it was ended or destroyed here).
   */
  constructor(socket: net.Socket, onData: (chunk: Buffer) => void, onClose: (error: string | null) => void) {
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) throw new Error('client socket: the accepted socket has no file descriptor');
    let closed!: () => void;
    this.closed = new Promise((resolve) => (closed = resolve));
    this.handle = new native.NativeSocket(fd, onData, (error) => {
      this.open = false;
      socket.destroy(); // Node's copy of the fd
      onClose(error);
      closed();
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Replies held for the end of the event-loop turn (reply-flush.ts). */
  private held: Buffer[] = [];
  private endHeld = false;
  private holding = false;

  /** Holds out (if any) and, with `end`, a close after it; true when nothing was held before. */
  hold(out: Buffer | null, end: boolean): boolean {
    if (out !== null) this.held.push(out);
    if (end) this.endHeld = true;
    const first = !this.holding;
    this.holding = true;
    return first;
  }

  /** Writes what hold() kept, in one write, then ends if asked. */
  release(): void {
    const held = this.held;
    if (this.open && held.length > 0) this.handle.write(held.length === 1 ? held[0] : Buffer.concat(held));
    if (this.endHeld) this.end();
    held.length = 0;
    this.endHeld = false;
    this.holding = false;
  }

  write(out: Buffer): void {
    if (this.open) this.handle.write(out);
  }

  /** Closes once everything written has gone out. */
  end(): void {
    if (this.open) this.handle.end();
  }

  destroy(): void {
    if (this.open) this.handle.destroy();
  }

  pause(): void {
    if (this.open) this.handle.pause();
  }

  resume(): void {
    if (this.open) this.handle.resume();
  }
}
