// protocol/inline.ts — the inline command form (telnet, redis-benchmark's
// PING_INLINE): one line split into arguments exactly as Redis's
// sdssplitargs splits it, quotes and escapes included. Used by parser.ts.

/** C isspace: space, \t \n \v \f \r. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits an inline line data[start, stop) as sdssplitargs does: blanks
 * separate words; "double quotes" take \xHH and \n \r \t \b \a escapes;
 * 'single quotes' take \'; a closing quote must be followed by a blank or
 * the end. Null for unbalanced quotes. Plain words are views of data. (A NUL
 * byte is an ordinary byte here; Redis's C string handling never lets one
 * reach this point.)
 */
export function splitArgs(data: Buffer, start: number, stop: number): Buffer[] | null {
  const argv: Buffer[] = [];
  let p = start;
  for (;;) {
    while (p < stop && isSpace(data[p])) p++;
    if (p >= stop) return argv;
    const wordStart = p;
    let c = 0;
    while (p < stop) {
      c = data[p];
      if (c === 32 || c === 10 || c === 13 || c === 9 || c === 34 || c === 39) break;
      p++;
    }
    if (p >= stop || (c !== 34 && c !== 39)) {
      argv.push(data.subarray(wordStart, p));
      p++; // the separator (or past the end)
      continue;
    }
    const word = quotedWord(data, wordStart, p, stop);
    if (word === null) return null;
    argv.push(word.arg);
    p = word.next;
  }
}

/** A word with quotes in it: data[wordStart, p) is plain, data[p] opens a quote. */
function quotedWord(data: Buffer, wordStart: number, p: number, stop: number): { arg: Buffer; next: number } | null {
  const out: number[] = [];
  for (let i = wordStart; i < p; i++) out.push(data[i]);
  let inDouble = false;
  let inSingle = false;
  for (let done = false; !done; ) {
    const c = p < stop ? data[p] : -1;
    if (inDouble) {
      if (c === 92 && p + 3 < stop && data[p + 1] === 120 && hexValue(data[p + 2]) >= 0 && hexValue(data[p + 3]) >= 0) {
        out.push(hexValue(data[p + 2]) * 16 + hexValue(data[p + 3]));
        p += 3;
      } else if (c === 92 && p + 1 < stop) {
        p++;
        const e = data[p];
        out.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
      } else if (c === 34) {
        if (p + 1 < stop && !isSpace(data[p + 1])) return null;
        done = true;
      } else if (c === -1) {
        return null;
      } else {
        out.push(c);
      }
    } else if (inSingle) {
      if (c === 92 && p + 1 < stop && data[p + 1] === 39) {
        p++;
        out.push(39);
      } else if (c === 39) {
        if (p + 1 < stop && !isSpace(data[p + 1])) return null;
        done = true;
      } else if (c === -1) {
        return null;
      } else {
        out.push(c);
      }
    } else if (c === 32 || c === 10 || c === 13 || c === 9 || c === -1) {
      done = true;
    } else if (c === 34) {
      inDouble = true;
    } else if (c === 39) {
      inSingle = true;
    } else {
      out.push(c);
    }
    if (p < stop) p++;
  }
  return { arg: Buffer.from(out), next: p };
}
