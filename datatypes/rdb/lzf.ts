// datatypes/rdb/lzf.ts — LZF, the compression of strings in Redis's RDB and
// DUMP payloads (rdbcompression yes), written from the format: a control
// byte 000LLLLL is a literal run of L+1 bytes; LLLooooo is a back reference
// of LLL+2 bytes (LLL = 7: one more length byte added) at distance
// (ooooo << 8 | next byte) + 1 behind the output. The compressor is greedy
// with a hash of three bytes (its output decodes anywhere LZF does; it need
// not equal liblzf's bytes). Pure.

const MAX_LITERAL = 32;
const MAX_OFFSET = 1 << 13;
const MAX_MATCH = 264; // 7 + 255 + 2
const HASH_BITS = 14;

/** The expanded bytes, exactly `length` of them; null when the input is not valid LZF of that length. */
export function lzfDecompress(input: Uint8Array, length: number): Buffer | null {
  const out = Buffer.allocUnsafe(length);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > length || ip + run > input.length) return null;
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= input.length) return null;
      len += input[ip++];
    }
    len += 2;
    if (ip >= input.length) return null;
    const ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
    if (ref < 0 || op + len > length) return null;
    // Byte by byte: a reference may overlap what it writes.
    for (let k = 0; k < len; k++) out[op + k] = out[ref + k];
    op += len;
  }
  return op === length ? out : null;
}

/** LZF of input; null when it would not be smaller than maxLength bytes (Redis then stores the string raw). */
export function lzfCompress(input: Uint8Array, maxLength: number): Buffer | null {
  const n = input.length;
  const out = Buffer.allocUnsafe(n + (n >> 5) + 2);
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let op = 0;
  let literalStart = 0;
  let ip = 0;
  const flush = (end: number): void => {
    let from = literalStart;
    while (from < end) {
      const run = Math.min(MAX_LITERAL, end - from);
      out[op++] = run - 1;
      out.set(input.subarray(from, from + run), op);
      op += run;
      from += run;
    }
  };
  while (ip + 2 < n) {
    const h = (((input[ip] << 16) | (input[ip + 1] << 8) | input[ip + 2]) * 2654435761) >>> (32 - HASH_BITS);
    const ref = table[h];
    table[h] = ip;
    const off = ip - ref - 1;
    if (ref >= 0 && off < MAX_OFFSET && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      let len = 3;
      const max = Math.min(MAX_MATCH, n - ip);
      while (len < max && input[ref + len] === input[ip + len]) len++;
      flush(ip);
      const code = len - 2;
      if (code < 7) {
        out[op++] = (code << 5) | (off >> 8);
      } else {
        out[op++] = (7 << 5) | (off >> 8);
        out[op++] = code - 7;
      }
      out[op++] = off & 0xff;
      ip += len;
      literalStart = ip;
      if (op >= maxLength) return null;
      continue;
    }
    ip++;
  }
  flush(n);
  return op < maxLength ? out.subarray(0, op) : null;
}
