// datatypes/merge.ts — the merge hook of the version layer: which types'
// concurrent values merge (CRDTs) and how. cluster/versions/versions.ts asks
// isMergeable(tag) of each sibling: a mergeable sibling is never cut by the
// sibling bound, and reads see the join (joinValues) of the concurrent
// siblings of the winner's type (versions.ts joinedWinner). A join must be
// commutative, associative and idempotent, and give canonical bytes (equal
// states, equal bytes). Strings are not mergeable: concurrent SETs stay
// siblings (DYN.VERSIONS shows them) and the winner order decides reads.
import { DataType } from './types';
import { joinHashHeaders } from './hash-header';
import { joinCounterValues } from './counter';
import { joinFieldCounterValues } from './hash-counter';
import { joinHllValues } from './hyperloglog-join';

type Join = (a: Buffer, b: Buffer) => Buffer;

const JOINS: (Join | undefined)[] = [];
// Every collection's header is the same clear clock (hash-header.ts).
JOINS[DataType.hash] = joinHashHeaders;
JOINS[DataType.set] = joinHashHeaders;
JOINS[DataType.zset] = joinHashHeaders;
JOINS[DataType.list] = joinHashHeaders;
JOINS[DataType.counter] = joinCounterValues;
JOINS[DataType.fieldCounter] = joinFieldCounterValues;
JOINS[DataType.hll] = joinHllValues;

export function isMergeable(type: number): boolean {
  return JOINS[type] !== undefined;
}

/** The join of two values of a mergeable type; RangeError for a type that does not merge. */
export function joinValues(type: number, a: Buffer, b: Buffer): Buffer {
  const join = JOINS[type];
  if (join === undefined) throw new RangeError(`type tag ${type} does not merge`);
  return join(a, b);
}
