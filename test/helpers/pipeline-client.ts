// test/helpers/pipeline-client.ts — a raw RESP2 connection for tests that
// pipeline many commands and must see every reply and whether the server
// closed the connection (ioredis would reconnect and retry behind the test's
// back). Replies are parsed by dynkv's own reply parser.
import net from 'node:net';
import { ReplyError, ReplyParser, type ReplyValue } from '../../protocol/reply-parser';

/** A reply as text: errors as -MESSAGE, bulks as their string. */
export const replyText = (r: ReplyValue): string => (r instanceof ReplyError ? `-${r.message}` : Buffer.isBuffer(r) ? r.toString() : String(r));

/** A command as a client sends it (RESP array of bulks). */
export function command(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** A raw RESP connection that hands out replies in order and remembers whether it was closed. */
export class PipelineClient {
  readonly socket: net.Socket;
  closed = false;
  private readonly replies: ReplyValue[] = [];
  private wake: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    const parser = new ReplyParser({
      onReply: (r) => {
        this.replies.push(r);
        this.wake?.();
      },
      onError: (m) => socket.destroy(new Error(m)),
    });
    socket.on('data', (d: Buffer) => parser.feed(d));
    socket.on('error', () => undefined); // 'close' follows and is what the test checks
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static connect(port: number): Promise<PipelineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new PipelineClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends the commands in one write and returns their replies; throws if the connection closes first. */
  async pipeline(commands: Buffer[]): Promise<ReplyValue[]> {
    const replies = await this.send(commands);
    if (replies.length < commands.length) throw new Error(`connection closed with ${replies.length} of ${commands.length} replies`);
    return replies;
  }

  /** Sends the commands in one write; resolves with their replies, only the first ones if the connection closes. */
  async send(commands: Buffer[]): Promise<ReplyValue[]> {
    if (!this.closed) this.socket.write(Buffer.concat(commands));
    while (this.replies.length < commands.length && !this.closed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    return this.replies.splice(0, commands.length);
  }
}
