// server/errors.ts — Redis's error replies, word for word (redis-server 7.0),
// and the CommandError a handler throws to send one.

/** Thrown by a command handler: the connection replies with `message` as an error. */
export class CommandError extends Error {}

export const ERR = {
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  noAuth: 'NOAUTH Authentication required.',
  noSuchKey: 'ERR no such key',
  dbIndexOutOfRange: 'ERR DB index is out of range',
  invalidDbIndex: 'ERR value is not an integer or out of range',
  offsetOutOfRange: 'ERR offset is out of range',
  bitOffset: 'ERR bit offset is not an integer or out of range',
  bitValue: 'ERR bit is not an integer or out of range',
  stringTooLong: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  nanOrInfinity: 'ERR increment would produce NaN or Infinity',
  multiNested: 'ERR MULTI calls can not be nested',
  execWithoutMulti: 'ERR EXEC without MULTI',
  discardWithoutMulti: 'ERR DISCARD without MULTI',
  execAbort: 'EXECABORT Transaction discarded because of previous errors.',
  watchInMulti: 'ERR WATCH inside MULTI is not allowed',
} as const;

export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name.toLowerCase()}' command`;
}

export function invalidExpireTime(command: string): string {
  return `ERR invalid expire time in '${command.toLowerCase()}' command`;
}

/** Redis quotes at most the first arguments, each cut to 128 bytes. */
export function unknownCommand(argv: readonly Buffer[]): string {
  const name = argv[0].toString().slice(0, 128);
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${argv[i].toString().slice(0, 128 - args.length)}' `;
  return `ERR unknown command '${name}', with args beginning with: ${args}`;
}

export function unknownSubcommand(command: string, sub: string): string {
  return `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${command.toUpperCase()} HELP.`;
}
