// server/commands/partial-sort.ts — Redis's pqsort (pqsort.c: Bentley and
// McIlroy's quicksort, NetBSD's, that skips the partitions holding none of
// the positions lrange..rrange), step for step: the search commands' COUNT
// sorts only the first COUNT results with it, and, the sort not being
// stable, which of several equally distant members come first is whatever
// this exact sequence of swaps leaves there. Pure.

type Compare<T> = (a: T, b: T) => number;

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function vecswap<T>(a: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(a, i + k, j + k);
}

function med3<T>(a: T[], i: number, j: number, k: number, cmp: Compare<T>): number {
  return cmp(a[i], a[j]) < 0 ? (cmp(a[j], a[k]) < 0 ? j : cmp(a[i], a[k]) < 0 ? k : i) : cmp(a[j], a[k]) > 0 ? j : cmp(a[i], a[k]) < 0 ? i : k;
}

function insertionSort<T>(a: T[], base: number, n: number, cmp: Compare<T>): void {
  for (let m = base + 1; m < base + n; m++) for (let l = m; l > base && cmp(a[l - 1], a[l]) > 0; l--) swap(a, l, l - 1);
}

/** Whether the positions base .. base + n - 1 hold any of lrange .. rrange. */
function overlaps(base: number, n: number, lrange: number, rrange: number): boolean {
  const last = base + n - 1;
  return !((lrange < base && rrange < base) || (lrange > last && rrange > last));
}

function pqsort<T>(a: T[], base: number, n: number, cmp: Compare<T>, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      insertionSort(a, base, n, cmp);
      return;
    }
    let pm = base + Math.floor(n / 2);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(a, pl, pl + d, pl + 2 * d, cmp);
        pm = med3(a, pm - d, pm, pm + d, cmp);
        pn = med3(a, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = med3(a, pl, pm, pn, cmp);
    }
    swap(a, base, pm);
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r = 0;
      while (pb <= pc && (r = cmp(a[pb], a[base])) <= 0) {
        if (r === 0) {
          swap(a, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(a[pc], a[base])) >= 0) {
        if (r === 0) {
          swap(a, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb, pc);
      pb++;
      pc--;
    }
    const pn = base + n;
    let r = Math.min(pa - base, pb - pa);
    vecswap(a, base, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(a, pb, pn - r, r);
    r = pb - pa;
    if (r > 1 && overlaps(base, r, lrange, rrange)) pqsort(a, base, r, cmp, lrange, rrange);
    r = pd - pc;
    if (r <= 1 || !overlaps(pn - r, r, lrange, rrange)) return;
    base = pn - r;
    n = r;
  }
}

/** Sorts a so that positions lrange .. rrange hold what a full sort would put there (in Redis's order for ties). */
export function partialSort<T>(a: T[], cmp: Compare<T>, lrange: number, rrange: number): void {
  pqsort(a, 0, a.length, cmp, lrange, rrange);
}
