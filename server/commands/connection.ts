// server/commands/connection.ts — the connection group: PING, ECHO, QUIT,
// RESET, HELLO, AUTH, SELECT and CLIENT, as redis-server 7.0 answers them
// (CLIENT SETINFO as 7.2, since current clients send it on connect).
import crypto from 'node:crypto';
import type { Client } from '../client';
import { CommandError, ERR, quoted } from '../errors';
import { redisVersion } from '../version';
import { container } from './subcommands';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec } from './types';

const CONNECTION_FLAGS: readonly CommandFlag[] = ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'];

function spec(name: string, arity: number, flags: readonly CommandFlag[], handler: CommandHandler, categories: readonly string[] = ['fast', 'connection'], tips?: readonly string[]): CommandSpec {
  return { name, arity, flags, firstKey: 0, lastKey: 0, step: 0, categories, tips, handler };
}

function passwordMatches(expected: string, given: Buffer): boolean {
  const a = Buffer.from(expected);
  return a.length === given.length && crypto.timingSafeEqual(a, given);
}

/** AUTH's rules, shared with HELLO ... AUTH. */
function authenticate(ctx: CommandContext, user: Buffer | null, password: Buffer): void {
  const required = ctx.server.config.requirepass;
  if (required === '' && user === null)
    throw new CommandError('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  const userOk = user === null || user.toString() === 'default';
  if (!userOk || (required !== '' && !passwordMatches(required, password)))
    throw new CommandError('WRONGPASS invalid username-password pair or user is disabled.');
  ctx.client.authenticated = true;
}

const NAME_OK = /^[\x21-\x7e]*$/;

function setName(client: Client, name: Buffer): void {
  const text = name.toString();
  if (!NAME_OK.test(text)) throw new CommandError('ERR Client names cannot contain spaces, newlines or special characters.');
  client.name = text;
}

function argvBytes(argv: readonly Buffer[]): number {
  let n = 0;
  for (const a of argv) n += a.length;
  return n;
}

/**
 * One CLIENT LIST line, its buffer figures measured from the connection:
 * fd the socket's; qbuf the bytes read and not yet made into commands
 * (qbuf-free 0: each read is its own Buffer of the size read, no spare room
 * is kept); argv-mem the arguments of the command running (`running`, for
 * the client asking) or read so far of an unfinished one; multi-mem the
 * queued commands' arguments plus a pointer per argument, as Redis counts;
 * obl the reply bytes held for this event-loop turn, oll and omem the
 * buffers and bytes the kernel has not taken; rbs and rbp 0, as a client
 * has no reply buffer of its own (replies are written to one shared slab
 * and handed to the socket); tot-mem the sum of those; events r while the
 * socket is read, w while output waits for it.
 */
function clientLine(c: Client, now: number, running: readonly Buffer[] | null): string {
  const multi = c.multi === null ? -1 : c.multi.length;
  const flags = c.multi !== null ? 'x' : 'N';
  const b = c.buffers();
  const argvMem = running !== null ? argvBytes(running) : b.partialArgv;
  let multiMem = 0;
  if (c.multi !== null) for (const queued of c.multi) multiMem += argvBytes(queued) + 8 * queued.length;
  const totMem = b.queryBuffer + argvMem + multiMem + b.heldOutput + b.pendingOutput;
  const events = `${b.reading ? 'r' : ''}${b.writing ? 'w' : ''}`;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${b.fd} name=${c.name} age=${Math.floor((now - c.createdAt) / 1000)} ` +
    `idle=${Math.floor((now - c.lastActive) / 1000)} flags=${flags} db=${c.db} sub=0 psub=0 ssub=0 multi=${multi} ` +
    `qbuf=${b.queryBuffer} qbuf-free=0 argv-mem=${argvMem} multi-mem=${multiMem} rbs=0 rbp=0 obl=${b.heldOutput} ` +
    `oll=${b.pendingBuffers} omem=${b.pendingOutput} tot-mem=${totMem} events=${events} ` +
    `cmd=${c.command === '' ? 'NULL' : c.command} user=default redir=-1 resp=${c.resp}` +
    (c.libName !== '' || c.libVersion !== '' ? ` lib-name=${c.libName} lib-ver=${c.libVersion}` : '') +
    '\n'
  );
}

const ping: CommandHandler = (ctx, argv) => {
  if (argv.length > 2) throw new CommandError("ERR wrong number of arguments for 'ping' command");
  if (argv.length === 2) ctx.reply.bulk(argv[1]);
  else ctx.reply.simple('PONG');
};

const hello: CommandHandler = (ctx, argv) => {
  let resp = ctx.client.resp;
  let i = 1;
  if (argv.length > 1) {
    const text = argv[1].toString();
    if (!/^-?\d+$/.test(text)) throw new CommandError('ERR Protocol version is not an integer or out of range');
    const v = Number(text);
    if (v !== 2 && v !== 3) throw new CommandError('NOPROTO unsupported protocol version');
    resp = v;
    i = 2;
  }
  let name: Buffer | null = null;
  for (; i < argv.length; i++) {
    const opt = argv[i].toString().toLowerCase();
    if (opt === 'auth' && i + 2 < argv.length) {
      authenticate(ctx, argv[i + 1], argv[i + 2]);
      i += 2;
    } else if (opt === 'setname' && i + 1 < argv.length) {
      name = argv[++i];
    } else {
      throw new CommandError(`ERR Syntax error in HELLO option '${quoted(argv[i])}'`);
    }
  }
  if (!ctx.client.authenticated) throw new CommandError('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  if (name !== null) setName(ctx.client, name);
  ctx.client.resp = resp;
  ctx.reply.resp = resp;
  const r = ctx.reply;
  r.mapHeader(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(redisVersion);
  r.bulk('proto');
  r.integer(resp);
  r.bulk('id');
  r.integer(ctx.client.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk('master');
  r.bulk('modules');
  r.arrayHeader(0);
};

const select: CommandHandler = (ctx, argv) => {
  const text = argv[1].toString();
  if (!/^-?\d+$/.test(text)) throw new CommandError(ERR.notInteger);
  const db = Number(text);
  if (db < 0 || db >= ctx.store.databases) throw new CommandError(ERR.dbIndexOutOfRange);
  ctx.client.db = db;
  ctx.reply.ok();
};

const reset: CommandHandler = (ctx) => {
  const c = ctx.client;
  c.multi = null;
  c.multiFailed = false;
  ctx.server.unwatchAll(c);
  c.db = 0;
  c.resp = 2;
  ctx.reply.resp = 2;
  c.name = '';
  c.noEvict = false;
  c.authenticated = ctx.server.config.requirepass === '';
  ctx.reply.simple('RESET');
};

const CLIENT_SUB_FLAGS: readonly CommandFlag[] = ['noscript', 'loading', 'stale'];
const ADMIN: readonly string[] = ['admin', 'slow', 'dangerous', 'connection'];

function clientSub(name: string, arity: number, handler: CommandHandler, categories: readonly string[] = ['slow', 'connection'], tips?: readonly string[]): CommandSpec {
  const flags: readonly CommandFlag[] = categories.includes('admin') ? ['admin', ...CLIENT_SUB_FLAGS] : CLIENT_SUB_FLAGS;
  return spec(`client|${name}`, arity, flags, handler, categories, tips);
}

function clientKill(ctx: CommandContext, argv: Buffer[]): void {
  const clients = [...ctx.server.clients.values()];
  if (argv.length === 3) {
    // The old form: CLIENT KILL addr:port.
    const target = clients.find((c) => c.addr === argv[2].toString());
    if (target === undefined) throw new CommandError('ERR No such client');
    target.disconnect();
    ctx.reply.ok();
    return;
  }
  if (argv.length % 2 !== 0) throw new CommandError(ERR.syntax);
  let skipMe = true;
  const tests: ((c: Client) => boolean)[] = [];
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i].toString().toLowerCase();
    const val = argv[i + 1].toString();
    if (opt === 'id') {
      if (!/^\d+$/.test(val)) throw new CommandError('ERR client-id should be greater than 0');
      tests.push((c) => c.id === Number(val));
    } else if (opt === 'addr') tests.push((c) => c.addr === val);
    else if (opt === 'laddr') tests.push((c) => c.laddr === val);
    else if (opt === 'user') {
      // Every client is the default user's (dynkv has no ACL users); another name is unknown, as Redis answers it.
      if (val !== 'default') throw new CommandError(`ERR No such user '${quoted(argv[i + 1])}'`);
    }
    else if (opt === 'skipme') {
      const v = val.toLowerCase();
      if (v !== 'yes' && v !== 'no') throw new CommandError(ERR.syntax);
      skipMe = v === 'yes';
    } else if (opt === 'type') {
      const v = val.toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(v)) throw new CommandError(`ERR Unknown client type '${quoted(argv[i + 1])}'`);
      tests.push(() => v === 'normal');
    } else throw new CommandError(ERR.syntax);
  }
  let killed = 0;
  for (const c of clients) {
    if (skipMe && c === ctx.client) continue;
    if (!tests.every((t) => t(c))) continue;
    if (c === ctx.client) c.closing = true;
    else c.disconnect();
    killed++;
  }
  ctx.reply.integer(killed);
}

const clientCommands: CommandSpec[] = [
  clientSub('id', 2, (ctx) => ctx.reply.integer(ctx.client.id)),
  clientSub('setname', 3, (ctx, argv) => {
    setName(ctx.client, argv[2]);
    ctx.reply.ok();
  }),
  clientSub('getname', 2, (ctx) => ctx.reply.bulk(ctx.client.name === '' ? null : ctx.client.name)),
  clientSub('setinfo', 4, (ctx, argv) => {
    const attr = argv[2].toString().toLowerCase();
    const value = argv[3].toString();
    if (attr !== 'lib-name' && attr !== 'lib-ver') throw new CommandError(`ERR Unrecognized option '${quoted(argv[2])}'`);
    if (!NAME_OK.test(value)) throw new CommandError(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
    if (attr === 'lib-name') ctx.client.libName = value;
    else ctx.client.libVersion = value;
    ctx.reply.ok();
  }),
  clientSub('list', -2, (ctx, argv) => {
    let clients = [...ctx.server.clients.values()];
    if (argv.length > 2) {
      const opt = argv[2].toString().toLowerCase();
      if (opt === 'id' && argv.length > 3) {
        const ids = new Set<number>();
        for (const a of argv.slice(3)) {
          if (!/^[1-9]\d*$/.test(a.toString())) throw new CommandError('ERR Invalid client ID');
          ids.add(Number(a.toString()));
        }
        clients = clients.filter((c) => ids.has(c.id));
      } else if (opt === 'type' && argv.length === 4) {
        const type = argv[3].toString().toLowerCase();
        if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) throw new CommandError(`ERR Unknown client type '${quoted(argv[3])}'`);
        if (type !== 'normal') clients = [];
      } else throw new CommandError(ERR.syntax);
    }
    const now = Date.now();
    ctx.reply.verbatim(clients.map((c) => clientLine(c, now, c === ctx.client ? argv : null)).join(''));
  }, ADMIN, ['nondeterministic_output']),
  clientSub('info', 2, (ctx, argv) => ctx.reply.verbatim(clientLine(ctx.client, Date.now(), argv)), undefined, ['nondeterministic_output']),
  clientSub('kill', -3, clientKill, ADMIN),
  clientSub('no-evict', 3, (ctx, argv) => {
    const v = argv[2].toString().toLowerCase();
    if (v !== 'on' && v !== 'off') throw new CommandError(ERR.syntax);
    ctx.client.noEvict = v === 'on';
    ctx.reply.ok();
  }, ADMIN),
];

export const connectionCommands: CommandSpec[] = [
  spec('ping', -1, ['fast'], ping, undefined, ['request_policy:all_shards', 'response_policy:all_succeeded']),
  spec('echo', 2, ['loading', 'stale', 'fast'], (ctx, argv) => ctx.reply.bulk(argv[1])),
  spec('quit', -1, CONNECTION_FLAGS, (ctx) => {
    ctx.client.closing = true;
    ctx.reply.ok();
  }),
  spec('reset', 1, CONNECTION_FLAGS, reset),
  spec('hello', -1, CONNECTION_FLAGS, hello),
  spec('auth', -2, CONNECTION_FLAGS, (ctx, argv) => {
    if (argv.length > 3) throw new CommandError(ERR.syntax);
    authenticate(ctx, argv.length === 3 ? argv[1] : null, argv[argv.length - 1]);
    ctx.reply.ok();
  }),
  spec('select', 2, ['loading', 'stale', 'fast'], select),
  container('client', clientCommands),
];
