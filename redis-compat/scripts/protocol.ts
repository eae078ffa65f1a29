// redis-compat/scripts/protocol.ts — raw bytes on the wire: inline commands,
// pipelines, and bad input. A protocol error must match redis-server's reply
// to the byte and close that connection, while other connections go on
// (the 'main' connection PINGs after each). Also unknown-command and arity
// messages, which quote the client's arguments.
import { c, type Script, type Step } from '../harness';

let n = 0;
/** Raw bytes on a fresh connection that must be answered with an error and closed. */
function bad(raw: string | Buffer): Step[] {
  n++;
  return [{ raw, conn: `bad${n}`, closes: true }, c('PING')];
}

export const protocol: Script = {
  name: 'protocol',
  steps: [
    c('PING'),
    // inline commands, as telnet and redis-benchmark's PING_INLINE send them
    { raw: 'PING\r\n' },
    { raw: 'PING\n' },
    { raw: 'SET inl "hello world"\r\n' },
    { raw: "GET 'inl'\r\n" },
    { raw: 'SET esc "a\\x41\\n\\"q\\""\r\n' },
    { raw: 'GET esc\r\n' },
    { raw: '   ECHO    spaced   \r\n' },
    { raw: 'ECHO ""\r\n' },
    { raw: '\r\n\r\nPING\r\n' },
    { raw: 'NOSUCH a b\r\n' },
    { raw: 'GET\r\n' },
    // a pipeline in one write: replies in order
    { raw: '*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\np\r\n$1\r\n1\r\nINCR p\r\n*2\r\n$4\r\nINCR\r\n$1\r\np\r\n*2\r\n$3\r\nGET\r\n$1\r\np\r\n', replies: 5 },
    // a command split across writes is fine (the second half arrives as the next step)
    { raw: '*2\r\n$4\r\nECHO\r\n$5\r\nhel', replies: 0 },
    { raw: 'lo\r\n' },
    // empty multibulks are ignored
    { raw: '*0\r\n*-1\r\nPING\r\n' },
    // unknown commands quote the first arguments; names are case-insensitive
    c('NOSUCHCOMMAND'),
    c('nosuchcommand', 'a', 'b', 'c'),
    c('FOO', 'x'.repeat(200), 'y'),
    c('FOO', 'with space', "quo'te", 'new\nline'),
    // the client's bytes come back unchanged (not UTF-8 decoded), cut at a NUL as Redis's %s, at 128 bytes as its %.128s
    c(Buffer.from('X\xff', 'latin1')),
    c(Buffer.from('\xe9\xff\xfe', 'latin1'), Buffer.from('a\xc3', 'latin1'), Buffer.from('b\0hidden', 'latin1'), '', Buffer.from('\xff\xff', 'latin1')),
    c(Buffer.from('nul\0name', 'latin1'), 'arg'),
    c(Buffer.from('\xff'.repeat(200), 'latin1'), Buffer.from('\xfe'.repeat(100), 'latin1'), 'z'.repeat(100)),
    c('FOO', Buffer.from('cr\rlf\n\xff', 'latin1')),
    c('OBJECT', Buffer.from('s\xffb\0x', 'latin1')),
    c('CLIENT', Buffer.from('\r\nx', 'latin1')),
    c('EXPIRE', 'k', '10', Buffer.from('o\xffpt\0x', 'latin1')),
    c('CONFIG', 'SET', Buffer.from('NO\xc9\0x', 'latin1'), '1'),
    c('HELLO', '3', Buffer.from('opt\xff\0x', 'latin1')),
    c('CLIENT', 'KILL', 'TYPE', Buffer.from('\xff', 'latin1')),
    ...bad(Buffer.from('*1\r\n\xff\r\n', 'latin1')),
    c(''),
    c('gEt', 'inl'),
    // arity errors name the command in lower case
    c('GET'),
    c('SET', 'a'),
    c('Get', 'a', 'b'),
    c('CLIENT', 'GETNAME', 'x'),
    c('CONFIG', 'GET'),
    // binary-safe arguments
    c('SET', Buffer.from('k\r\n\0'), Buffer.from('\r\n*1\r\n$4\r\nPING\r\n')),
    c('GET', Buffer.from('k\r\n\0')),
    // protocol errors: reply, then close; 'main' goes on
    { raw: 'PING\r\n', conn: 'watcher' },
    // commands before a protocol error in the same read are answered first
    { raw: '*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$2\r\npe\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$2\r\npe\r\n*1\r\nfoo\r\n', conn: 'pipebad', replies: 4, closes: true },
    c('GET', 'pe'),
    ...bad('*abc\r\n'),
    ...bad('*1\r\nfoo\r\n'),
    ...bad('*2\r\n$3\r\nGET\r\n:1\r\n'),
    ...bad('*1\r\n$abc\r\n'),
    ...bad('*1\r\n$-1\r\n'),
    ...bad('*1\r\n$-5\r\n'),
    ...bad('*2147483648\r\n'),
    // redis 7.0 takes up to INT_MAX args and waits for them; the issue caps a multibulk at 1M args.
    {
      raw: '*1048577\r\n',
      conn: 'over1m',
      timeout: 500,
      closes: true,
      dynkv: '-ERR Protocol error: invalid multibulk length | <closed>',
      why: 'the issue caps a multibulk at 1M args (redis 7.0: INT_MAX, it waits for the args)',
    },
    ...bad('*1\r\n$536870913\r\n'),
    ...bad(`*${'1'.repeat(70000)}`),
    ...bad(`*1\r\n$${'1'.repeat(70000)}`),
    ...bad('x'.repeat(70000)),
    ...bad('SET a "unbalanced\r\n'),
    ...bad("SET a 'unbalanced\r\n"),
    ...bad('SET a "closed"x\r\n'),
    ...bad('*1\r\n$4\r\nPINGxx\r\n'),
    ...bad('PING\r\n*abc\r\n'),
    // a proto-max-bulk-len lowered at run time applies to new bulks
    c('CONFIG', 'SET', 'proto-max-bulk-len', '1048576'),
    ...bad('*2\r\n$3\r\nGET\r\n$1048577\r\n'),
    { raw: `*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1048576\r\n${'z'.repeat(1048576)}\r\n`, conn: 'atlimit' },
    { cmd: ['STRLEN', 'big'], conn: 'atlimit' },
    c('CONFIG', 'SET', 'proto-max-bulk-len', '536870912'),
    // the connection opened before all this still works
    { raw: 'PING\r\n', conn: 'watcher' },
    // a large multibulk within the limits
    c('MSET', ...Array.from({ length: 2000 }, (_, i) => [`mk${i}`, `v${i}`]).flat()),
    c('MGET', 'mk0', 'mk1999', 'mk2000'),
  ],
};
