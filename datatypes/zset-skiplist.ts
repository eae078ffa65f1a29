// datatypes/zset-skiplist.ts — a sorted set's in-memory order: Redis's zskiplist
// (t_zset.c, after Pugh's skip lists) with a span per link, so rank, the
// n-th member and the first member of a score or lex range are O(log n),
// plus a map member -> node for O(1) score lookups (Redis's zset dict).
// Members are latin1 strings (one char per byte): JS compares their code
// units as memcmp compares bytes, which is Redis's member order at equal
// score. cluster/coordinator/zsets.ts builds one per sorted set from its
// element records on first use and keeps it in step with every write. Pure.
import { aboveMin, belowMax, lexAboveMin, lexBelowMax, type LexRange, type ScoreRange } from './zset';

const MAX_LEVEL = 32;
const P = 0.25;

export class ZsetNode {
  backward: ZsetNode | null = null;
  readonly next: (ZsetNode | null)[];
  /** How many level-0 links next[i] skips (Redis's span). */
  readonly span: number[];
  constructor(
    readonly member: string,
    readonly score: number,
    level: number,
  ) {
    this.next = new Array<ZsetNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** a before b in the set's order: by score, then member bytes. */
function before(score: number, member: string, node: ZsetNode): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

export class ZsetSkiplist {
  private readonly head = new ZsetNode('', 0, MAX_LEVEL);
  private tail: ZsetNode | null = null;
  private level = 1;
  private readonly nodes = new Map<string, ZsetNode>();
  /** insert()'s scratch: the last node before the new one at each level, and its rank. */
  private readonly update: ZsetNode[] = new Array<ZsetNode>(MAX_LEVEL);
  private readonly ranks: number[] = new Array<number>(MAX_LEVEL).fill(0);

  get size(): number {
    return this.nodes.size;
  }

  /** The member's score; undefined when absent. */
  score(member: string): number | undefined {
    return this.nodes.get(member)?.score;
  }

  /** Adds the member, or moves it to its new score. */
  set(member: string, score: number): void {
    const old = this.nodes.get(member);
    if (old !== undefined) {
      if (old.score === score && Object.is(old.score, score)) return;
      this.unlink(old);
    }
    this.nodes.set(member, this.insert(member, score));
  }

  /** Removes the member; false when absent. */
  delete(member: string): boolean {
    const node = this.nodes.get(member);
    if (node === undefined) return false;
    this.unlink(node);
    this.nodes.delete(member);
    return true;
  }

  /** The member's 0-based rank from the lowest; -1 when absent (zslGetRank). */
  rank(member: string): number {
    const node = this.nodes.get(member);
    if (node === undefined) return -1;
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && (before(node.score, node.member, n) || n === node)) {
        rank += x.span[i];
        x = n;
        n = x.next[i];
      }
      if (x === node) return rank - 1;
    }
    return -1;
  }

  /** The node at 0-based rank (zslGetElementByRank); null when out of range. */
  at(rank: number): ZsetNode | null {
    if (rank < 0 || rank >= this.size) return null;
    let x = this.head;
    let traversed = 0;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = n;
        n = x.next[i];
      }
      if (traversed === target) return x;
    }
    return null;
  }

  first(): ZsetNode | null {
    return this.head.next[0];
  }

  last(): ZsetNode | null {
    return this.tail;
  }

  /** The lowest node in the score range (zslNthInRange's first); null when none. */
  firstInScore(range: ScoreRange): ZsetNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && !aboveMin(range, n.score)) {
        x = n;
        n = x.next[i];
      }
    }
    const n = x.next[0];
    return n !== null && belowMax(range, n.score) ? n : null;
  }

  /** The highest node in the score range; null when none. */
  lastInScore(range: ScoreRange): ZsetNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && belowMax(range, n.score)) {
        x = n;
        n = x.next[i];
      }
    }
    return x !== this.head && aboveMin(range, x.score) ? x : null;
  }

  firstInLex(range: LexRange): ZsetNode | null {
    if (range.empty) return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && !lexAboveMin(range, n.member)) {
        x = n;
        n = x.next[i];
      }
    }
    const n = x.next[0];
    return n !== null && lexBelowMax(range, n.member) ? n : null;
  }

  lastInLex(range: LexRange): ZsetNode | null {
    if (range.empty) return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && lexBelowMax(range, n.member)) {
        x = n;
        n = x.next[i];
      }
    }
    return x !== this.head && lexAboveMin(range, x.member) ? x : null;
  }

  private insert(member: string, score: number): ZsetNode {
    const { update, ranks: rank } = this;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let n = x.next[i];
      while (n !== null && before(score, member, n)) {
        rank[i] += x.span[i];
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.size;
      }
      this.level = level;
    }
    const node = new ZsetNode(member, score, level);
    for (let i = 0; i < level; i++) {
      node.next[i] = update[i].next[i];
      update[i].next[i] = node;
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.backward = update[0] === this.head ? null : update[0];
    if (node.next[0] !== null) node.next[0].backward = node;
    else this.tail = node;
    return node;
  }

  private unlink(node: ZsetNode): void {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && n !== node && before(node.score, node.member, n)) {
        x = n;
        n = x.next[i];
      }
      if (x.next[i] === node) {
        x.span[i] += node.span[i] - 1;
        x.next[i] = node.next[i];
      } else {
        x.span[i]--;
      }
    }
    if (node.next[0] !== null) node.next[0].backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
  }
}
