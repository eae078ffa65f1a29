// cluster/coordinator/element-sync.ts — collections' element records between
// this replica and the others, whatever the collection's type. A peer's
// element record (REPLICA.ELEMENT: replication, a delivered hint, a
// catch-up's repair; anti-entropy's pulls) is merged in by the collection
// type its element key names (the kind byte, replica/element-records.ts),
// through that type's own apply, which keeps its per-replica summary (count,
// next insertion number, encoding) right. Each collection type registers its
// kinds; the failure half (handoff/, anti-entropy/) knows element records
// only as element keys and versions records.
import { parseElementKey, SUMMARY_KIND } from '../replica/element-records';
import type { ReplicaStore } from '../replica/store';

/** A collection type's merge of a peer's element record: (parent key, member); true when it changed this replica. */
export type ElementApply = (db: number, key: Buffer, member: Buffer, record: Buffer, converted: boolean) => boolean;

export class ElementSync {
  private readonly kinds = new Map<number, ElementApply>();

  constructor(private readonly replicas: ReplicaStore) {}

  /** The collection type whose element records have this kind merges them with `apply`. */
  register(kind: number, apply: ElementApply): void {
    if (kind === SUMMARY_KIND || this.kinds.has(kind)) throw new Error(`element kind ${kind} is taken`);
    this.kinds.set(kind, apply);
  }

  /** A peer's element record merged in through its collection type; true when it changed this replica. Throws for a key that is no element key. */
  apply(db: number, elementKey: Buffer, record: Buffer, converted: boolean): boolean {
    const parsed = parseElementKey(elementKey);
    const apply = parsed === null ? undefined : this.kinds.get(parsed.kind);
    if (parsed === null || apply === undefined) throw new Error(`not an element key of a known collection type (${elementKey.subarray(0, 8).toString('hex')}...)`);
    return apply(db, parsed.key, parsed.member, record, converted);
  }

  /**
   * REPLICA.ELEMENTS db elementKey...: this replica's record of each (nil
   * when it has none, or when it fails its checksum: the puller has nothing
   * to take from it, and it goes to the repair).
   */
  records(db: number, elementKeys: readonly Buffer[]): (Buffer | null)[] {
    return elementKeys.map((elementKey) => (parseElementKey(elementKey)?.kind === SUMMARY_KIND ? null : this.replicas.elementRecords.record(db, elementKey)));
  }
}
