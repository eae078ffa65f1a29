// redis-compat/raw-client.ts — a tiny RESP client that sends bytes as given
// and reads replies back as raw bytes, decoded into a tree that keeps every
// type tag (simple vs bulk, null bulk vs null array, RESP3 map/set/double...),
// so comparing two trees is comparing the bytes. Used by the compatibility
// harness; no dependency on dynkv's own protocol code.
import net from 'node:net';

export type ReplyType = '+' | '-' | ':' | '$' | '*' | '%' | '~' | '>' | '_' | ',' | '#' | '(' | '=' | '!' | '|';

/** One decoded reply. `text` is the line of simple types, `data` the payload of bulk types. */
export interface Reply {
  type: ReplyType;
  /** +, -, :, _, ',', #, ( : the line after the type byte, one char per byte (latin1). $, =, ! with length -1: '-1'. */
  text?: string;
  /** $, =, ! : the payload. */
  data?: Buffer;
  /** *, ~, >, %, | : the elements (a map's keys and values alternate). null for *-1. */
  items?: Reply[] | null;
  /** An RESP3 attribute sent before this reply. */
  attribute?: Reply;
}

const AGGREGATE = new Set(['*', '~', '>', '%', '|']);
const BULK = new Set(['$', '=', '!']);
const LINE = new Set(['+', '-', ':', '_', ',', '#', '(']);

/** Decodes one reply at `pos`; returns it and the offset after it, or null if the bytes are incomplete. */
export function decodeReply(buf: Buffer, pos: number): { reply: Reply; end: number } | null {
  const eol = buf.indexOf('\r\n', pos, 'latin1');
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[pos]) as ReplyType;
  const line = buf.toString('latin1', pos + 1, eol);
  let end = eol + 2;
  if (LINE.has(type)) return { reply: { type, text: line }, end };
  const n = Number(line);
  if (!/^-?\d+$/.test(line)) throw new Error(`bad reply header ${JSON.stringify(buf.toString('latin1', pos, eol + 2))}`);
  if (BULK.has(type)) {
    if (n < 0) return { reply: { type, text: line }, end };
    if (buf.length < end + n + 2) return null;
    const data = Buffer.from(buf.subarray(end, end + n));
    return { reply: { type, data }, end: end + n + 2 };
  }
  if (AGGREGATE.has(type)) {
    if (n < 0) return { reply: { type, items: null }, end };
    const count = type === '%' || type === '|' ? n * 2 : n;
    const items: Reply[] = [];
    for (let i = 0; i < count; i++) {
      const sub = decodeReply(buf, end);
      if (sub === null) return null;
      items.push(sub.reply);
      end = sub.end;
    }
    if (type === '|') {
      const next = decodeReply(buf, end);
      if (next === null) return null;
      return { reply: { ...next.reply, attribute: { type, items } }, end: next.end };
    }
    return { reply: { type, items }, end };
  }
  throw new Error(`unknown reply type byte ${JSON.stringify(type)} in ${JSON.stringify(buf.toString('latin1', pos, Math.min(buf.length, pos + 80)))}`);
}
/** A readable, canonical rendering: two replies render the same iff their bytes are the same. */
export function render(r: Reply): string {
  const attr = r.attribute ? `|${render({ ...r.attribute, type: '%' })} ` : '';
  return attr + renderBody(r);
}

/** A status or error line (latin1, one char per byte) with its bytes outside printable ASCII, and backslash, as \xNN. */
function escaped(line: string): string {
  return line.replace(/[^\x20-\x5b\x5d-\x7e]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function quote(b: Buffer): string {
  return JSON.stringify(b.toString('latin1'));
}

function renderBody(r: Reply): string {
  switch (r.type) {
    case '+':
      return `+${escaped(r.text ?? '')}`;
    case '-':
      return `-${escaped(r.text ?? '')}`;
    case ':':
      return `:${r.text}`;
    case '_':
      return '(null)';
    case ',':
      return `(double) ${r.text}`;
    case '#':
      return `(bool) ${r.text}`;
    case '(':
      return `(big) ${r.text}`;
    case '$':
      return r.data === undefined ? '(nil)' : quote(r.data);
    case '=':
      return r.data === undefined ? '(nil-verbatim)' : `(verbatim) ${quote(r.data)}`;
    case '!':
      return r.data === undefined ? '(nil-blob-error)' : `(blob-error) ${quote(r.data)}`;
    case '*':
    case '~':
    case '>': {
      if (r.items === null || r.items === undefined) return '(nil-array)';
      const open = r.type === '*' ? '[' : r.type === '~' ? '~[' : '>[';
      return `${open}${r.items.map(render).join(', ')}]`;
    }
    case '%':
    case '|': {
      const items = r.items ?? [];
      const parts: string[] = [];
      for (let i = 0; i < items.length; i += 2) parts.push(`${render(items[i])} => ${render(items[i + 1])}`);
      return `{${parts.join(', ')}}`;
    }
  }
}

/** Encodes a command as a RESP multibulk. */
export function encodeCommand(args: readonly (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class ReplyTimeout extends Error {}

/** One TCP connection; replies are queued as they are decoded. */
export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly replies: Reply[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  /** Bytes the server sent that could not be decoded (a framing bug). */
  garbage: string | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      try {
        for (;;) {
          const r = decodeReply(this.buf, 0);
          if (r === null) break;
          this.replies.push(r.reply);
          this.buf = this.buf.subarray(r.end);
          if (this.buf.length === 0) break;
        }
      } catch (err) {
        this.garbage = `${(err as Error).message}`;
        this.buf = Buffer.alloc(0);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ port, host });
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }

  write(bytes: Buffer | string): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** The next reply; null if the connection closed first; throws ReplyTimeout after `ms`. */
  async read(ms = 3000): Promise<Reply | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = this.replies.shift();
      if (r !== undefined) return r;
      if (this.closed) return null;
      if (this.garbage !== null) throw new Error(`undecodable reply: ${this.garbage}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new ReplyTimeout(`no reply in ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Sends one command and reads its reply. */
  async call(args: readonly (string | Buffer | number)[], ms?: number): Promise<Reply | null> {
    this.write(encodeCommand(args));
    return this.read(ms);
  }

  /** Waits until the server closes the connection; false if it is still open after `ms`. */
  async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.closed;
  }

  /** Replies received but not read yet (unexpected extra replies). */
  pending(): number {
    return this.replies.length;
  }

  close(): void {
    this.socket.destroy();
    this.closed = true;
  }
}
