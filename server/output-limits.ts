// server/output-limits.ts — client-output-buffer-limit: its three classes
// (normal, replica, pubsub) with a hard limit, a soft limit and the seconds
// a client may stay over the soft one, read and printed as redis-server 7.0
// does (config.c, updateClientOutputBufferLimit; memtoull and strtoll's
// quirks included). connection.ts enforces the class of each client.

/** One class's limits; bytes as unsigned 64-bit, 0 = none. */
export interface OutputLimit {
  hard: bigint;
  soft: bigint;
  softSeconds: number;
}

export interface OutputLimits {
  normal: OutputLimit;
  replica: OutputLimit;
  pubsub: OutputLimit;
}

/** Redis's defaults (redis.conf). */
export function defaultOutputLimits(): OutputLimits {
  return {
    normal: { hard: 0n, soft: 0n, softSeconds: 0 },
    replica: { hard: 256n * 1024n * 1024n, soft: 64n * 1024n * 1024n, softSeconds: 60 },
    pubsub: { hard: 32n * 1024n * 1024n, soft: 8n * 1024n * 1024n, softSeconds: 60 },
  };
}

/** CONFIG GET's form: `normal H S N slave H S N pubsub H S N`. */
export function formatOutputLimits(l: OutputLimits): string {
  const one = (name: string, c: OutputLimit): string => `${name} ${c.hard} ${c.soft} ${c.softSeconds}`;
  return `${one('normal', l.normal)} ${one('slave', l.replica)} ${one('pubsub', l.pubsub)}`;
}

const U64 = (1n << 64n) - 1n;
const UNITS: Record<string, bigint> = { '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n };

/** memtoull: digits (none reads as 0) and a unit; strtoull saturates, the multiplication wraps. Null when malformed. */
function memtoull(text: string): bigint | null {
  const m = /^(\d*)(.*)$/s.exec(text) as RegExpExecArray;
  const mul = UNITS[m[2].toLowerCase()];
  if (mul === undefined || m[1].length >= 128) return null;
  let v = m[1] === '' ? 0n : BigInt(m[1]);
  if (v > U64) v = U64;
  return (v * mul) & U64;
}

/** strtoll(text, &end, 10) with *end == '\0', stored in an int as Redis does: null when it is not that, or negative once in an int. */
function softSeconds(text: string): number | null {
  if (text === '') return 0; // strtoll reads nothing and stops at the terminator
  const m = /^[\t\n\v\f\r ]*([+-]?)(\d+)$/.exec(text);
  if (m === null) return null;
  let v = BigInt(m[2]);
  if (v > 9223372036854775807n) v = m[1] === '-' ? 9223372036854775808n : 9223372036854775807n;
  if (m[1] === '-') v = -v;
  const int = Number(BigInt.asIntN(32, v));
  return int < 0 ? null : int;
}

export class OutputLimitError extends Error {}

/**
 * Applies `class hard soft seconds` groups to `current`, all or nothing
 * (as CONFIG SET and a config-file line); a single string is split on each
 * space, as Redis splits it (two spaces make an empty word).
 */
export function parseOutputLimits(current: OutputLimits, args: readonly string[]): OutputLimits {
  const words = args.length === 1 ? (args[0] === '' ? [] : args[0].split(' ')) : args;
  if (words.length % 4 !== 0) throw new OutputLimitError('Wrong number of arguments in buffer limit configuration.');
  const next: OutputLimits = { ...current };
  for (let j = 0; j < words.length; j += 4) {
    const name = words[j].toLowerCase();
    const cls = name === 'normal' ? 'normal' : name === 'slave' || name === 'replica' ? 'replica' : name === 'pubsub' ? 'pubsub' : null;
    if (cls === null) throw new OutputLimitError('Invalid client class specified in buffer limit configuration.');
    const hard = memtoull(words[j + 1]);
    const soft = memtoull(words[j + 2]);
    const seconds = softSeconds(words[j + 3]);
    if (hard === null || soft === null || seconds === null) throw new OutputLimitError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    next[cls] = { hard, soft, softSeconds: seconds };
  }
  return next;
}
