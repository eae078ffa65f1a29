// cluster/replica/record-reads.ts — a stored record read through the version
// codec: its winner located from the bytes (versions/fast-path.ts) or the
// record decoded (versions/codec.ts), a corrupt one failing with a
// CorruptVersionsError that names the database and the key.
import { CorruptVersionsError } from '../versions/codec';
import { locateWinner, type WinnerLocation } from '../versions/fast-path';

/** A key for an error message, as redis-cli quotes it: printable ASCII as is, other bytes as \xNN, long keys cut. */
function quotedKey(key: Buffer): string {
  const shown = 64;
  let text = '"';
  for (const byte of key.subarray(0, shown)) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return key.length > shown ? `${text}..." (${key.length} bytes)` : `${text}"`;
}

/** locateWinner of db's key's record (bytes start..end) into `where`. */
export function locateRecord(db: number, key: Buffer, bytes: Buffer, start: number, end: number, where: WinnerLocation): void {
  try {
    locateWinner(bytes, start, end, where);
  } catch (err) {
    if (err instanceof CorruptVersionsError) throw new CorruptVersionsError(`db ${db} key ${quotedKey(key)}: ${err.message}`);
    throw err;
  }
}

/** Decodes db's key's stored record. */
export function decodeRecord<T>(db: number, key: Buffer, record: Buffer, decoder: (record: Buffer) => T): T {
  try {
    return decoder(record);
  } catch (err) {
    if (err instanceof CorruptVersionsError) throw new CorruptVersionsError(`db ${db} key ${quotedKey(key)}: ${err.message}`);
    throw err;
  }
}
