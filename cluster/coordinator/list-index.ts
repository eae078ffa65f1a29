// cluster/coordinator/list-index.ts — the in-memory order of one list on this
// replica: its live items' position ids (datatypes/list-position.ts) sorted,
// in chunks of at most CHUNK ids, with a Fenwick tree over the chunk sizes,
// and beside each id the item's value when it is small (lists.ts decides;
// null: read it from the element record). The item at an index and the
// index of an id cost O(log n); a push or pop at either end touches one
// chunk. Ids and values are latin1 strings (one char per byte: ids compare
// in byte order, and a string costs far less memory than a Buffer). Built
// from the element records at a list's first use (lists.ts), kept by this
// replica's writes and its peers' (the element hook of hash-sync.ts).

const CHUNK = 512;

export class ListIndex {
  private chunks: string[][] = [];
  /** values[c][k]: the value of chunks[c][k], or null when not kept here. */
  private values: (string | null)[][] = [];
  /** Fenwick tree over chunks[i].length (1-based). */
  private tree: number[] = [0];
  size = 0;

  /** generation: the summary's stamp this index was built for (lists.ts checks it before each use). */
  /** sorted: [id, value] pairs in id order. */
  constructor(
    readonly generation: number,
    sorted: readonly (readonly [string, string | null])[] = [],
  ) {
    for (let i = 0; i < sorted.length; i += CHUNK / 2) {
      const part = sorted.slice(i, i + CHUNK / 2);
      this.chunks.push(part.map((e) => e[0]));
      this.values.push(part.map((e) => e[1]));
    }
    this.size = sorted.length;
    this.rebuild();
  }

  first(): string | null {
    return this.size === 0 ? null : this.chunks[0][0];
  }

  last(): string | null {
    if (this.size === 0) return null;
    const chunk = this.chunks[this.chunks.length - 1];
    return chunk[chunk.length - 1];
  }

  /** The id at index i (0 <= i < size). */
  at(i: number): string {
    const [c, offset] = this.locate(i);
    return this.chunks[c][offset];
  }

  /** The kept value at index i (0 <= i < size); null when not kept. */
  valueAt(i: number): string | null {
    const [c, offset] = this.locate(i);
    return this.values[c][offset];
  }

  /** The ids (or kept values) from index `from` to `to` inclusive (0 <= from <= to < size). */
  slice(from: number, to: number, values = false): (string | null)[] {
    const out: (string | null)[] = [];
    let [c, offset] = this.locate(from);
    for (let n = to - from + 1; n > 0; c++, offset = 0) {
      const chunk = values ? this.values[c] : this.chunks[c];
      const take = Math.min(n, chunk.length - offset);
      for (let k = 0; k < take; k++) out.push(chunk[offset + k]);
      n -= take;
    }
    return out;
  }

  /** The ids from index `from` to `to` inclusive. */
  ids(from: number, to: number): string[] {
    return this.slice(from, to) as string[];
  }

  /** Replaces the kept value of id (present); false when absent. */
  setValue(id: string, value: string | null): boolean {
    if (this.size === 0) return false;
    const c = this.chunkFor(id);
    const offset = lowerBound(this.chunks[c], id);
    if (this.chunks[c][offset] !== id) return false;
    this.values[c][offset] = value;
    return true;
  }

  /** Inserts id (absent) in order, with its kept value; its index. */
  insert(id: string, value: string | null): number {
    if (this.chunks.length === 0) {
      this.chunks.push([id]);
      this.values.push([value]);
      this.size = 1;
      this.rebuild();
      return 0;
    }
    const c = this.chunkFor(id);
    const chunk = this.chunks[c];
    const offset = lowerBound(chunk, id);
    if (offset === chunk.length) {
      chunk.push(id);
      this.values[c].push(value);
    } else {
      chunk.splice(offset, 0, id);
      this.values[c].splice(offset, 0, value);
    }
    this.size++;
    const index = this.before(c) + offset;
    if (chunk.length > CHUNK) {
      // A push at either end of the list starts a chunk of its own (pushes there then move few ids); elsewhere halves.
      const at = offset === 0 ? 1 : offset === CHUNK ? CHUNK : CHUNK / 2;
      this.chunks.splice(c + 1, 0, chunk.splice(at));
      this.values.splice(c + 1, 0, this.values[c].splice(at));
      this.rebuild();
    } else {
      this.add(c, 1);
    }
    return index;
  }

  /** Removes id; false when absent. */
  remove(id: string): boolean {
    if (this.size === 0) return false;
    const c = this.chunkFor(id);
    const chunk = this.chunks[c];
    const offset = lowerBound(chunk, id);
    if (chunk[offset] !== id) return false;
    // The ends of a chunk (pops): shift and pop, which V8 does without moving the rest.
    if (offset === 0) {
      chunk.shift();
      this.values[c].shift();
    } else if (offset === chunk.length - 1) {
      chunk.pop();
      this.values[c].pop();
    } else {
      chunk.splice(offset, 1);
      this.values[c].splice(offset, 1);
    }
    this.size--;
    if (chunk.length === 0) {
      this.chunks.splice(c, 1);
      this.values.splice(c, 1);
      this.rebuild();
    } else {
      this.add(c, -1);
    }
    return true;
  }

  /** The first chunk whose last id >= id (the last chunk when none). */
  private chunkFor(id: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid];
      if (chunk[chunk.length - 1] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** [chunk, offset] of index i. */
  private locate(i: number): [number, number] {
    if (i < 0 || i >= this.size) throw new RangeError(`list index ${i} outside 0..${this.size - 1}`);
    // Fenwick descent: the last chunk position whose prefix sum is <= i.
    let pos = 0;
    let rest = i;
    for (let step = highestBit(this.chunks.length); step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.chunks.length && this.tree[next] <= rest) {
        pos = next;
        rest -= this.tree[next];
      }
    }
    return [pos, rest];
  }

  /** Ids in the chunks before chunk c. */
  private before(c: number): number {
    let sum = 0;
    for (let i = c; i > 0; i -= i & -i) sum += this.tree[i];
    return sum;
  }

  private add(c: number, delta: number): void {
    for (let i = c + 1; i <= this.chunks.length; i += i & -i) this.tree[i] += delta;
  }

  private rebuild(): void {
    const n = this.chunks.length;
    const tree = new Array<number>(n + 1).fill(0);
    for (let i = 1; i <= n; i++) {
      tree[i] += this.chunks[i - 1].length;
      const parent = i + (i & -i);
      if (parent <= n) tree[parent] += tree[i];
    }
    this.tree = tree;
  }
}

function lowerBound(chunk: readonly string[], id: string): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chunk[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function highestBit(n: number): number {
  let bit = 1;
  while (bit * 2 <= n) bit *= 2;
  return n === 0 ? 0 : bit;
}
