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

/**
 * A client's bytes as Redis's %s prints them into a message: unchanged
 * (a latin1 string, one char per byte: ReplyWriter.error writes it back as
 * the same bytes), cut at the first NUL byte as C's printf stops there, and
 * at `max` bytes (%.128s) when given.
 */
export function quoted(arg: Buffer, max = arg.length): string {
  const nul = arg.indexOf(0);
  return arg.toString('latin1', 0, Math.min(nul < 0 ? arg.length : nul, max));
}

/** Text of ours that may not be ASCII (an engine's path, an exception) as a message's binary string: its UTF-8 bytes. */
export function binary(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Redis quotes the name cut to 128 bytes, then arguments while their text is under 128 bytes. */
export function unknownCommand(argv: readonly Buffer[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${quoted(argv[i], 128 - args.length)}' `;
  return `ERR unknown command '${quoted(argv[0], 128)}', with args beginning with: ${args}`;
}

export function unknownSubcommand(command: string, sub: Buffer): string {
  return `ERR unknown subcommand '${quoted(sub, 128)}'. Try ${command.toUpperCase()} HELP.`;
}

// Keys family (server/commands/keys.ts, expire.ts, scan.ts).
export const KEY_ERR = {
  sameObject: 'ERR source and destination objects are the same',
  invalidCursor: 'ERR invalid cursor',
  expireNxAndOthers: 'ERR NX and XX, GT or LT options at the same time are not compatible',
  expireGtAndLt: 'ERR GT and LT options at the same time are not compatible',
  lfuNotSelected:
    'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
} as const;

export function unsupportedOption(option: Buffer): string {
  return `ERR Unsupported option ${quoted(option)}`;
}

// String and bitmap families (server/commands/strings.ts, counters.ts, ranges.ts, bitops.ts).
export const STRING_ERR = {
  decrementOverflow: 'ERR decrement would overflow',
  bitposBit: 'ERR The bit argument must be 1 or 0.',
  lcsLenAndIdx: 'ERR If you want both the length and indexes, please just use IDX.',
  lcsTooLong: 'ERR String too long for LCS',
  lcsMemory: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
} as const;

// HyperLogLog and bit field families (server/commands/hyperloglog.ts, bitfield.ts, bitop.ts).
export const HLL_ERR = {
  notHll: 'WRONGTYPE Key is not a valid HyperLogLog string value.',
  corrupt: 'INVALIDOBJ Corrupted HLL object detected',
  noKey: 'ERR The specified key does not exist',
  notSparse: 'ERR HLL encoding is not sparse',
} as const;

export const BIT_ERR = {
  notSingleSource: 'ERR BITOP NOT must be called with a single source key.',
  overflowType: 'ERR Invalid OVERFLOW type specified',
  fieldType: 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
  readOnly: 'ERR BITFIELD_RO only supports the GET subcommand',
} as const;
