// cluster/ring/slot.ts — a key's hash slot, exactly as Redis Cluster computes it
// (cluster.c keyHashSlot, crc16.c): CRC16/XMODEM (poly 0x1021, init 0, no
// reflection, no final xor) of the key, or of its hash tag, mod 16384. So
// keys that share a {tag} share a slot, and CLUSTER KEYSLOT answers match a
// real redis. Table driven, reads the key in place, allocates nothing.

/** Slots of the key space, as Redis Cluster. */
export const SLOT_COUNT = 16384;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** CRC16/XMODEM of every byte value, the table of Redis's crc16.c. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/** CRC16/XMODEM of bytes [start, end) of data. */
export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ data[i]) & 0xff];
  return crc;
}

/**
 * The key's slot. The hash tag is the text between the first '{' and the
 * first '}' after it; a key without a '{', without a '}' after it, or with
 * nothing between them ("foo{}{bar}") hashes whole.
 */
export function keySlot(key: Uint8Array): number {
  const open = key.indexOf(OPEN_BRACE);
  if (open >= 0) {
    const close = key.indexOf(CLOSE_BRACE, open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(key) & (SLOT_COUNT - 1);
}
