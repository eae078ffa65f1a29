// datatypes/set.ts — a set's pure parts apart from its commands (as Redis
// 7.0's t_set.c setType*): which members an intset can hold (the strings
// Redis's string2ll reads as an int64, isSdsRepresentableAsLongLong), the
// numeric order an intset lists them in, and the encoding rule (intset while
// every member is such an integer and there are at most
// set-max-intset-entries of them, then hashtable for good). A member's
// element record is a hash field's (datatypes/hash.ts) with empty value
// bytes: its insertion number only. Pure.

/** INT64_MIN and INT64_MAX's digits, for the range check of 19-digit members. */
const INT64_MIN_DIGITS = Buffer.from('9223372036854775808', 'latin1');
const INT64_MAX_DIGITS = Buffer.from('9223372036854775807', 'latin1');

/**
 * Whether an intset can hold the member: Redis's string2ll accepts it (an
 * optional '-', no leading zero unless the whole member is "0", no '+', no
 * spaces, within int64).
 */
export function isIntsetMember(member: Buffer): boolean {
  const len = member.length;
  if (len === 0 || len > 20) return false;
  if (len === 1 && member[0] === 0x30) return true;
  const negative = member[0] === 0x2d;
  const from = negative ? 1 : 0;
  const digits = len - from;
  if (digits === 0 || member[from] < 0x31 || member[from] > 0x39) return false;
  for (let i = from + 1; i < len; i++) if (member[i] < 0x30 || member[i] > 0x39) return false;
  if (digits < 19) return true;
  if (digits > 19) return false;
  const limit = negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS;
  return member.compare(limit, 0, 19, from, len) <= 0;
}

/**
 * An intset's order: numeric. Members isIntsetMember accepts are canonical
 * (no leading zeros), so a longer magnitude is a bigger one and equal
 * lengths compare as bytes: no parsing. Anything else sorts after every
 * integer, by bytes (a total order).
 */
export function compareIntsetMembers(a: Buffer, b: Buffer): number {
  const ai = isIntsetMember(a);
  const bi = isIntsetMember(b);
  if (!ai || !bi) return ai === bi ? a.compare(b) : ai ? -1 : 1;
  const an = a[0] === 0x2d;
  const bn = b[0] === 0x2d;
  if (an !== bn) return an ? -1 : 1;
  const magnitude = a.length !== b.length ? a.length - b.length : a.compare(b);
  return an ? -magnitude : magnitude;
}

/** Whether members (each once) make an intset under set-max-intset-entries (the encoding Redis's setTypeAdd arrives at). */
export function fitsIntset(members: readonly Buffer[], maxEntries: number): boolean {
  if (members.length > maxEntries) return false;
  for (const m of members) if (!isIntsetMember(m)) return false;
  return true;
}
