// server/glob.ts — glob-style matching of keys for KEYS and SCAN MATCH, a
// port of Redis 7.0's stringmatchlen (util.c) byte for byte: * ? [abc] [^a]
// [a-z] and \ escapes, an unterminated [ matching as if closed, bytes
// compared as signed chars in ranges (as on x86), a recursion limit of 1000
// nested stars and the early stop that keeps patterns like *a*a*a* linear.

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const CARET = 0x5e; // ^
const BACKSLASH = 0x5c; // \
const DASH = 0x2d; // -

// Shared by one globMatch call's recursion (matching is synchronous).
let skipLongerMatches = false;

/** Whether `key` matches the glob `pattern` exactly as Redis's stringmatchlen(nocase = 0). */
export function globMatch(pattern: Buffer, key: Buffer): boolean {
  skipLongerMatches = false;
  return matchFrom(pattern, 0, key, 0, 0);
}

/** True when the pattern is "*", which Redis treats as "no filter". */
export function matchesEverything(pattern: Buffer): boolean {
  return pattern.length === 1 && pattern[0] === STAR;
}

function signed(byte: number): number {
  return byte > 127 ? byte - 256 : byte;
}

function byteAt(pattern: Buffer, i: number): number {
  return i < pattern.length ? pattern[i] : 0;
}

/**
 * p/s are positions in pattern/str; the C code's pattern[i] beyond the end
 * reads the terminating NUL, so reads past the end give 0 here.
 */
function matchFrom(pattern: Buffer, p: number, str: Buffer, s: number, nesting: number): boolean {
  if (nesting > 1000) return false;
  const plen = pattern.length;
  const slen = str.length;
  while (p < plen && s < slen) {
    const c = pattern[p];
    if (c === STAR) {
      while (p < plen && byteAt(pattern, p + 1) === STAR) p++;
      if (plen - p === 1) return true;
      while (s < slen) {
        if (matchFrom(pattern, p + 1, str, s, nesting + 1)) return true;
        if (skipLongerMatches) return false;
        s++;
      }
      // No match for the rest of the pattern from anywhere in the string:
      // earlier stars cannot help by matching more, so stop them too.
      skipLongerMatches = true;
      return false;
    } else if (c === QUESTION) {
      s++;
    } else if (c === OPEN) {
      p++;
      const not = byteAt(pattern, p) === CARET;
      if (not) p++;
      let match = false;
      const sc = str[s];
      for (;;) {
        const pc = byteAt(pattern, p);
        if (pc === BACKSLASH && plen - p >= 2) {
          p++;
          if (pattern[p] === sc) match = true;
        } else if (pc === CLOSE) {
          break;
        } else if (p >= plen) {
          p--; // unterminated: behave as if closed here
          break;
        } else if (plen - p >= 3 && pattern[p + 1] === DASH) {
          const a = signed(pc);
          const b = signed(pattern[p + 2]);
          const v = signed(sc);
          p += 2;
          if (a <= b ? v >= a && v <= b : v >= b && v <= a) match = true;
        } else if (pc === sc) {
          match = true;
        }
        p++;
      }
      if (not) match = !match;
      if (!match) return false;
      s++;
    } else {
      if (c === BACKSLASH && plen - p >= 2) p++;
      if (pattern[p] !== str[s]) return false;
      s++;
    }
    p++;
    if (s === slen) {
      while (byteAt(pattern, p) === STAR) p++;
      break;
    }
  }
  return p >= plen && s === slen;
}
