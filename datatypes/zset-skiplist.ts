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

/**
 * One member. Level 0 is the forward field (its span is always 1); the
 * levels above, when the node has any (a quarter of them), are pairs
 * [next, span] in `up`: most nodes are one small object and no array.
 */
export class ZsetNode {
  backward: ZsetNode | null = null;
  forward: ZsetNode | null = null;
  /** Levels 1 and up: next node at 2(i-1), span (Redis's: level-0 links it skips) at 2(i-1)+1. */
  readonly up: (ZsetNode | number | null)[] | null;
  constructor(
    readonly member: string,
    readonly score: number,
    level: number,
  ) {
    this.up = level > 1 ? new Array<ZsetNode | number | null>(2 * (level - 1)).fill(null) : null;
    if (this.up !== null) for (let i = 1; i < this.up.length; i += 2) this.up[i] = 0;
  }
}

function next(x: ZsetNode, i: number): ZsetNode | null {
  return i === 0 ? x.forward : ((x.up as (ZsetNode | number | null)[])[2 * i - 2] as ZsetNode | null);
}

function setNext(x: ZsetNode, i: number, n: ZsetNode | null): void {
  if (i === 0) x.forward = n;
  else (x.up as (ZsetNode | number | null)[])[2 * i - 2] = n;
}

function span(x: ZsetNode, i: number): number {
  return i === 0 ? 1 : ((x.up as (ZsetNode | number | null)[])[2 * i - 1] as number);
}

function setSpan(x: ZsetNode, i: number, n: number): void {
  if (i !== 0) (x.up as (ZsetNode | number | null)[])[2 * i - 1] = n;
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
      let n = next(x, i);
      while (n !== null && (before(node.score, node.member, n) || n === node)) {
        rank += span(x, i);
        x = n;
        n = next(x, i);
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
      let n = next(x, i);
      while (n !== null && traversed + span(x, i) <= target) {
        traversed += span(x, i);
        x = n;
        n = next(x, i);
      }
      if (traversed === target) return x;
    }
    return null;
  }

  first(): ZsetNode | null {
    return this.head.forward;
  }

  last(): ZsetNode | null {
    return this.tail;
  }

  /** The lowest node in the score range (zslNthInRange's first); null when none. */
  firstInScore(range: ScoreRange): ZsetNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = next(x, i);
      while (n !== null && !aboveMin(range, n.score)) {
        x = n;
        n = next(x, i);
      }
    }
    const n = x.forward;
    return n !== null && belowMax(range, n.score) ? n : null;
  }

  /** The highest node in the score range; null when none. */
  lastInScore(range: ScoreRange): ZsetNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = next(x, i);
      while (n !== null && belowMax(range, n.score)) {
        x = n;
        n = next(x, i);
      }
    }
    return x !== this.head && aboveMin(range, x.score) ? x : null;
  }

  firstInLex(range: LexRange): ZsetNode | null {
    if (range.empty) return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = next(x, i);
      while (n !== null && !lexAboveMin(range, n.member)) {
        x = n;
        n = next(x, i);
      }
    }
    const n = x.forward;
    return n !== null && lexBelowMax(range, n.member) ? n : null;
  }

  lastInLex(range: LexRange): ZsetNode | null {
    if (range.empty) return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = next(x, i);
      while (n !== null && lexBelowMax(range, n.member)) {
        x = n;
        n = next(x, i);
      }
    }
    return x !== this.head && lexAboveMin(range, x.member) ? x : null;
  }

  private insert(member: string, score: number): ZsetNode {
    const { update, ranks: rank } = this;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let n = next(x, i);
      while (n !== null && before(score, member, n)) {
        rank[i] += span(x, i);
        x = n;
        n = next(x, i);
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        setSpan(this.head, i, this.size);
      }
      this.level = level;
    }
    const node = new ZsetNode(member, score, level);
    for (let i = 0; i < level; i++) {
      setNext(node, i, next(update[i], i));
      setNext(update[i], i, node);
      setSpan(node, i, span(update[i], i) - (rank[0] - rank[i]));
      setSpan(update[i], i, rank[0] - rank[i] + 1);
    }
    for (let i = level; i < this.level; i++) setSpan(update[i], i, span(update[i], i) + 1);
    node.backward = update[0] === this.head ? null : update[0];
    if (node.forward !== null) node.forward.backward = node;
    else this.tail = node;
    return node;
  }

  private unlink(node: ZsetNode): void {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = next(x, i);
      while (n !== null && n !== node && before(node.score, node.member, n)) {
        x = n;
        n = next(x, i);
      }
      if (next(x, i) === node) {
        setSpan(x, i, span(x, i) + span(node, i) - 1);
        setNext(x, i, next(node, i));
      } else {
        setSpan(x, i, span(x, i) - 1);
      }
    }
    if (node.forward !== null) node.forward.backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && next(this.head, this.level - 1) === null) this.level--;
  }
}
