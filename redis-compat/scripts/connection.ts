// redis-compat/scripts/connection.ts — the connection group: PING, ECHO,
// HELLO, AUTH, SELECT, CLIENT *, RESET, QUIT; and a second script with
// requirepass for NOAUTH / WRONGPASS / HELLO AUTH.
import type { RawClient, Reply } from '../raw-client';
import { all, anyInt, c, mask, maskField, restoreProto, type Script, type Step } from '../harness';

/** HELLO's map: the client id and the server version differ by nature. */
const helloNorm = all(maskField('id'), maskField('version'));

/**
 * CLIENT LIST / INFO: field names and the rest must match; masked: id (each
 * server numbers its connections), addr and laddr (the client's ephemeral
 * ports), fd (each process's descriptor numbers), age and idle (seconds that
 * tick during the run), qbuf ... tot-mem (buffer and memory figures of two
 * implementations' buffers).
 */
const clientLineNorm = mask(/\b(id|addr|laddr|fd|age|idle|qbuf|qbuf-free|argv-mem|multi-mem|rbs|rbp|obl|oll|omem|tot-mem)=\S*/g, '$1=*');

/** A text reply: RESP3 sends CLIENT INFO/LIST and INFO as verbatim strings. */
function text(proto: number, s: string): string {
  return proto === 3 ? `(verbatim) ${JSON.stringify(`txt:${s}`)}` : JSON.stringify(s);
}

/** Runs CLIENT KILL ID <own id> SKIPME no: the reply is 1, then the server closes the connection. */
const killSelf: Step = {
  conn: 'victim',
  cmd: ['CLIENT', 'KILL', 'ID', '<own id>', 'SKIPME', 'no'],
  run: async (c: RawClient): Promise<Reply> => {
    const id = await c.call(['CLIENT', 'ID']);
    if (id === null || id.type !== ':') return id ?? { type: '-', text: '<closed>' };
    return (await c.call(['CLIENT', 'KILL', 'ID', id.text ?? '', 'SKIPME', 'no'])) ?? { type: '-', text: '<closed>' };
  },
  closes: true,
};

export const connection: Script = {
  name: 'connection',
  steps: [
    c('PING'),
    c('PING', 'hello world'),
    c('PING', 'a', 'b'),
    c('ping'),
    c('ECHO', 'x'),
    c('ECHO', Buffer.from('bin\0ary\r\n')),
    c('ECHO'),
    c('ECHO', 'a', 'b'),
    // HELLO: the current protocol (2 or 3) is kept when no version is given.
    { cmd: ['HELLO'], norm: helloNorm },
    { cmd: ['HELLO', '2'], norm: helloNorm },
    { cmd: ['HELLO', '3'], norm: helloNorm },
    // dynkv claims redis 7.0.15 so clients enable their 7.0 features.
    { cmd: ['HELLO', '3'], norm: maskField('id'), dynkv: '{"server" => "redis", "version" => "7.0.15", "proto" => :3, "id" => +<masked>, "mode" => "standalone", "role" => "master", "modules" => []}', why: 'the issue fixes dynkv\'s reported version at 7.0.15, whatever Debian\'s redis-server is' },
    c('HELLO', '4'),
    c('HELLO', '1'),
    c('HELLO', 'abc'),
    c('HELLO', '3', 'SETNAME'),
    c('HELLO', '3', 'FOO', 'bar'),
    c('HELLO', '3', 'AUTH', 'default'),
    { cmd: ['HELLO', '2', 'AUTH', 'default', 'anything'], norm: helloNorm },
    { cmd: ['HELLO', '2', 'SETNAME', 'via-hello'], norm: helloNorm },
    c('CLIENT', 'GETNAME'),
    c('HELLO', '2', 'SETNAME', 'bad name'),
    c('HELLO', '2', 'AUTH', 'nouser', 'pw'),
    restoreProto(),
    c('AUTH', 'x'),
    c('AUTH', 'default', 'x'),
    c('AUTH', 'a', 'b', 'c'),
    c('AUTH'),
    // SELECT: 16 databases, keys are per database.
    c('SELECT', '1'),
    c('SET', 'db1key', 'one'),
    c('GET', 'db1key'),
    c('SELECT', '0'),
    c('GET', 'db1key'),
    c('SELECT', '15'),
    c('SELECT', '16'),
    c('SELECT', '-1'),
    c('SELECT', 'x'),
    c('SELECT', '1.5'),
    c('SELECT'),
    c('SELECT', '0'),
    // CLIENT
    { cmd: ['CLIENT', 'ID'], norm: anyInt },
    c('CLIENT', 'ID', 'extra'),
    c('CLIENT', 'GETNAME'),
    c('CLIENT', 'SETNAME', 'myname'),
    c('CLIENT', 'GETNAME'),
    c('CLIENT', 'SETNAME', 'has space'),
    c('CLIENT', 'SETNAME', 'new\nline'),
    c('CLIENT', 'SETNAME', ''),
    c('CLIENT', 'GETNAME'),
    c('CLIENT', 'SETNAME'),
    c('CLIENT', 'SETNAME', 'myname'),
    { cmd: ['CLIENT', 'INFO'], norm: clientLineNorm },
    { cmd: ['CLIENT', 'INFO'], conn: 'second', norm: clientLineNorm },
    { cmd: ['CLIENT', 'LIST'], conn: 'third', norm: clientLineNorm },
    { cmd: ['CLIENT', 'LIST', 'TYPE', 'normal'], conn: 'third', norm: clientLineNorm },
    // CLIENT SETINFO came with redis 7.2; dynkv has it because current clients send it on connect.
    { cmd: ['CLIENT', 'SETINFO', 'lib-name', 'compat'], dynkv: '+OK', why: 'CLIENT SETINFO (redis 7.2) is in dynkv' },
    { cmd: ['CLIENT', 'SETINFO', 'lib-ver', '1.0'], dynkv: '+OK', why: 'CLIENT SETINFO (redis 7.2) is in dynkv' },
    { cmd: ['CLIENT', 'SETINFO', 'lib-name', 'a b'], dynkv: '-ERR lib-name cannot contain spaces, newlines or special characters.', why: 'CLIENT SETINFO as redis 7.2 answers it' },
    { cmd: ['CLIENT', 'SETINFO', 'nosuch', 'x'], dynkv: "-ERR Unrecognized option 'nosuch'", why: 'CLIENT SETINFO as redis 7.2 answers it' },
    { cmd: ['CLIENT', 'SETINFO', 'lib-name'], dynkv: "-ERR wrong number of arguments for 'client|setinfo' command", why: 'CLIENT SETINFO as redis 7.2 answers it' },
    // CLIENT INFO/LIST show lib-name/lib-ver once set, as redis 7.2 does (7.0 has no such fields).
    {
      cmd: ['CLIENT', 'INFO'],
      norm: clientLineNorm,
      dynkv: (p) => text(p, `id=* addr=* laddr=* fd=* name=myname age=* idle=* flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=* qbuf-free=* argv-mem=* multi-mem=* rbs=* rbp=* obl=* oll=* omem=* tot-mem=* events=r cmd=client|info user=default redir=-1 resp=${p} lib-name=compat lib-ver=1.0\n`),
      why: 'CLIENT SETINFO values show in CLIENT INFO/LIST as in redis 7.2',
    },
    { cmd: ['CLIENT', 'LIST', 'ID', '999999'], conn: 'third' },
    c('CLIENT', 'LIST', 'ID', 'abc'),
    c('CLIENT', 'LIST', 'TYPE', 'foo'),
    c('CLIENT', 'LIST', 'FOO'),
    c('CLIENT', 'KILL', '1.2.3.4:5'),
    c('CLIENT', 'KILL', 'ID', '999999'),
    c('CLIENT', 'KILL', 'ID', 'abc'),
    c('CLIENT', 'KILL', 'ADDR', '1.2.3.4:5', 'SKIPME', 'maybe'),
    c('CLIENT', 'KILL', 'TYPE', 'nosuch'),
    c('CLIENT', 'KILL', 'FOO', 'bar'),
    c('CLIENT', 'KILL', 'USER', 'nobody'),
    c('CLIENT', 'KILL', 'USER', 'default', 'ID', '999999'),
    c('CLIENT', 'KILL', 'ID', '999999', 'USER', 'nobody'),
    c('CLIENT', 'KILL'),
    killSelf,
    { cmd: ['PING'], conn: 'second' },
    c('CLIENT', 'NO-EVICT', 'on'),
    c('CLIENT', 'NO-EVICT', 'off'),
    c('CLIENT', 'NO-EVICT', 'maybe'),
    c('CLIENT', 'NO-EVICT'),
    c('CLIENT', 'FOO'),
    c('CLIENT'),
    // RESET: back to RESP2, db 0, no name, out of MULTI.
    c('SELECT', '1'),
    c('MULTI'),
    c('RESET'),
    c('GET', 'db1key'),
    c('CLIENT', 'GETNAME'),
    c('EXEC'),
    c('RESET', 'extra'),
    // QUIT: +OK then the connection closes; other connections go on.
    { cmd: ['QUIT'], closes: true },
    { cmd: ['PING'], conn: 'second' },
    { cmd: ['QUIT', 'extra', 'args'], conn: 'third', closes: true },
    // QUIT pipelined behind writes: their replies, then QUIT's, then the close (what follows QUIT is not run).
    {
      raw: '*3\r\n$3\r\nSET\r\n$2\r\nqk\r\n$1\r\nv\r\n*2\r\n$4\r\nINCR\r\n$2\r\nqn\r\n*1\r\n$4\r\nQUIT\r\n*2\r\n$4\r\nINCR\r\n$2\r\nqn\r\n',
      conn: 'fourth',
      replies: 3,
      closes: true,
    },
    { cmd: ['GET', 'qn'], conn: 'second' },
  ],
};

export const auth: Script = {
  name: 'auth',
  serverArgs: ['--requirepass', 'secret'],
  noAutoHello: true,
  protos: [2],
  steps: [
    c('GET', 'a'),
    c('PING'),
    c('SELECT', '1'),
    c('CLIENT', 'ID'),
    c('NOSUCHCOMMAND'),
    c('HELLO', '3'),
    c('HELLO'),
    c('AUTH', 'wrong'),
    c('AUTH', 'default', 'wrong'),
    c('AUTH', 'nouser', 'secret'),
    c('HELLO', '3', 'AUTH', 'default', 'wrong'),
    c('GET', 'a'),
    c('AUTH', 'secret'),
    c('SET', 'a', '1'),
    c('GET', 'a'),
    { cmd: ['QUIT'], conn: 'other', closes: true },
    { cmd: ['HELLO', '3', 'AUTH', 'default', 'secret'], conn: 'hello3', norm: all(maskField('id'), maskField('version')) },
    { cmd: ['GET', 'a'], conn: 'hello3' },
    { cmd: ['AUTH', 'default', 'secret'], conn: 'user' },
    { cmd: ['GET', 'a'], conn: 'user' },
    // RESET makes the connection unauthenticated again.
    { cmd: ['RESET'], conn: 'user' },
    { cmd: ['GET', 'a'], conn: 'user' },
    { raw: 'GET a\r\n', conn: 'inline' },
    // before AUTH, redis refuses big multibulks and bulks outright
    { raw: '*11\r\n', conn: 'unauth1', closes: true },
    { raw: '*2\r\n$3\r\nGET\r\n$16385\r\n', conn: 'unauth2', closes: true },
    { raw: '*10\r\n$4\r\nECHO\r\n', conn: 'unauth3', timeout: 300 },
    // Pipelined with AUTH, HELLO or RESET: what follows them is parsed under the limits they set.
    { raw: `*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$20000\r\n${'b'.repeat(20000)}\r\n*2\r\n$6\r\nSTRLEN\r\n$3\r\nbig\r\n`, conn: 'pipeauth', replies: 3 },
    { raw: `*5\r\n$5\r\nHELLO\r\n$1\r\n2\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$6\r\nsecret\r\n*2\r\n$6\r\nSTRLEN\r\n$3\r\nbig\r\n`, conn: 'pipehello', replies: 2, norm: all(maskField('id'), maskField('version')) },
    { cmd: ['AUTH', 'secret'], conn: 'pipereset' },
    { raw: `*2\r\n$6\r\nSTRLEN\r\n$3\r\nbig\r\n*1\r\n$5\r\nRESET\r\n*2\r\n$4\r\nECHO\r\n$16385\r\n${'e'.repeat(16385)}\r\n`, conn: 'pipereset', replies: 3, closes: true },
    { raw: '*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n', conn: 'hello3', replies: 2, closes: true },
    { cmd: ['GET', 'a'], conn: 'hello3' },
  ],
};
