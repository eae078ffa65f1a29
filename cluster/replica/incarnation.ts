// cluster/replica/incarnation.ts — the incarnation number of a data dir
// (dir/incarnation), the second half of this node's actor node#incarnation:
// a data dir that is new gets a fresh one, so a node that lost its data never
// reuses a dot it wrote before (Riak's KV679).
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeDirectory } from './data-dir';

/** A dir/incarnation file that is not what incarnation() writes. */
export class InvalidIncarnationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIncarnationError';
  }
}

const INCARNATION_FILE = 'incarnation';
/** crypto.randomInt's widest range: 2^48 values. */
const INCARNATION_LIMIT = 2 ** 48;

/**
 * This data dir's incarnation number, from dir/incarnation; a dir without
 * that file (new, wiped, or the file lost) gets a fresh one, written with
 * fsync and rename so a crash leaves either no file or the whole number.
 *
 * A fresh incarnation is a random number in 1..2^48-1 from the CSPRNG, not
 * the wall clock: a wiped dir cannot know its old number, and a node whose
 * disk was replaced often starts on a clock that is not yet right, which
 * would silently reuse an old millisecond. Two incarnations of one node
 * collide with probability 2^-48 per pair, whatever the clock does. Giving a
 * data dir that still holds data a new incarnation is always safe: its old
 * dots keep the old actor.
 */
export function incarnation(dir: string): number {
  const file = path.join(dir, INCARNATION_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return createIncarnation(dir, file);
  }
  const match = /^([1-9][0-9]*)\n$/.exec(text);
  const number = match === null ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(number) || number >= INCARNATION_LIMIT) {
    throw new InvalidIncarnationError(`${file} holds ${JSON.stringify(text.slice(0, 40))}, not an incarnation number (1..2^48-1 and a newline)`);
  }
  return number;
}

function createIncarnation(dir: string, file: string): number {
  const number = randomInt(1, INCARNATION_LIMIT);
  makeDirectory(dir);
  const temporary = `${file}.tmp`;
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeSync(fd, `${number}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
  return number;
}
