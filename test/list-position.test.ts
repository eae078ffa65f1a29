// list-position.test.ts — the lists' position ids (datatypes/list-position.ts)
// and their in-memory index (cluster/coordinator/list-index.ts), as pure
// code: every id made between two neighbours falls strictly between them,
// ids never repeat, their byte order is a total order that matches the
// order the writes meant (several writers at once included), ids made by
// pushes at the ends stay short, and the chunked index answers as a sorted
// array does.
import test from 'ava';
import fc from 'fast-check';
import { ListIndex } from '../cluster/coordinator/list-index';
import { decodeInteger, encodeInteger, fractionBetween, PositionWriter, SUFFIX_BYTES } from '../datatypes/list-position';

const writer = (n: number): PositionWriter => new PositionWriter(Buffer.from([n, 0x5a, n * 7 + 1, 0x33, n, 0xc1]));

test('the integer encoding keeps numeric order in byte order and decodes back', (t) => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), fc.maxSafeInteger(), (a, b) => {
      const ea = encodeInteger(a);
      const eb = encodeInteger(b);
      if (decodeInteger(ea + 'x'.repeat(SUFFIX_BYTES)) !== a) return false;
      return Math.sign(a - b) === (ea < eb ? -1 : ea > eb ? 1 : 0);
    }),
    { numRuns: 5000 },
  );
  for (const [a, b] of [[-1, 0], [0, 1], [-256, -255], [255, 256], [-1, 1], [-65536, -65535]]) t.true(encodeInteger(a) < encodeInteger(b), `${a} < ${b}`);
});

test('fractionBetween is strictly between and no prefix of hi', (t) => {
  const bytes = fc.uint8Array({ minLength: 0, maxLength: 6 }).map((a) => Buffer.from(a).toString('latin1'));
  fc.assert(
    fc.property(bytes, bytes, (x, y) => {
      // Only pairs with room between them: lo < hi and hi not lo followed by NULs only.
      const [lo, hi] = x < y ? [x, y] : [y, x];
      if (lo === hi || /^\0*$/.test(hi.slice(lo.length)) && hi.startsWith(lo)) return true;
      const r = fractionBetween(lo, hi);
      return lo < r && r < hi && !hi.startsWith(r) && r + '\xff' < hi && r + '\0' > lo;
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

type Op = { kind: 'head' | 'tail' | 'between' | 'popHead' | 'popTail'; at: number; writer: number };
const opArb: fc.Arbitrary<Op> = fc.record({ kind: fc.constantFrom('head', 'tail', 'between', 'popHead', 'popTail'), at: fc.nat(), writer: fc.nat({ max: 3 }) }) as fc.Arbitrary<Op>;

test('random pushes, inserts and pops by several writers: each id strictly between its neighbours, never one made before (pops included), sorted ids = the intended order', (t) => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 300 }), (ops) => {
      const writers = [writer(1), writer(2), writer(3), writer(4)];
      const list: string[] = [];
      const made = new Set<string>();
      const make = (id: string): string => {
        if (made.has(id)) throw new Error(`id made twice: ${Buffer.from(id, 'latin1').toString('hex')}`);
        made.add(id);
        return id;
      };
      for (const op of ops) {
        const w = writers[op.writer];
        if (op.kind === 'popHead') list.shift();
        else if (op.kind === 'popTail') list.pop();
        else if (list.length === 0) list.push(make(w.first()));
        else if (op.kind === 'head') list.unshift(make(w.before(list[0])));
        else if (op.kind === 'tail') list.push(make(w.after(list[list.length - 1])));
        else if (list.length >= 2) {
          const i = op.at % (list.length - 1);
          const id = make(w.between(list[i], list[i + 1]));
          if (!(list[i] < id && id < list[i + 1])) return false;
          list.splice(i + 1, 0, id);
        }
      }
      const sorted = [...list].sort();
      return sorted.every((id, i) => id === list[i]);
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('concurrent inserts at one place by two writers: distinct ids, both between the neighbours, one order for every replica', (t) => {
  const a = writer(1);
  const b = writer(2);
  const x = a.first();
  const y = a.after(x);
  const fromA = a.between(x, y);
  const fromB = b.between(x, y);
  t.not(fromA, fromB);
  for (const id of [fromA, fromB]) t.true(x < id && id < y);
  // Concurrent pushes at the head: same integer, different suffix.
  const headA = a.before(x);
  const headB = b.before(x);
  t.not(headA, headB);
  t.true(headA < x && headB < x);
  t.deepEqual([headB, fromB, y, x, headA, fromA].sort(), [headA, headB, x, fromA, fromB, y].sort());
});

test('ids made by pushes at the ends stay short: 200k LPUSH and 200k RPUSH', (t) => {
  const w = writer(1);
  let head = w.first();
  let tail = head;
  let longest = head.length;
  for (let i = 0; i < 200_000; i++) {
    head = w.before(head);
    tail = w.after(tail);
    longest = Math.max(longest, head.length, tail.length);
  }
  t.log(`longest id after 400k end pushes: ${longest} bytes`);
  t.true(longest <= 1 + 3 + SUFFIX_BYTES, `${longest} bytes`);
  t.true(head < tail);
});

test('ids made by inserting again and again right after one item grow slowly', (t) => {
  const w = writer(1);
  const pivot = w.first();
  let next = w.after(pivot);
  for (let i = 0; i < 1000; i++) next = w.between(pivot, next);
  t.log(`after 1000 inserts after one pivot: ${next.length} bytes`);
  t.true(next.length <= 1 + 200 + SUFFIX_BYTES, `${next.length} bytes`);
});

test('the chunked index answers as a sorted array: insert, remove, at, valueAt, slice, first, last', (t) => {
  const cmd = fc.oneof(
    fc.record({ op: fc.constant('insert' as const), v: fc.string({ maxLength: 4 }) }),
    fc.record({ op: fc.constant('remove' as const), v: fc.string({ maxLength: 4 }) }),
    fc.record({ op: fc.constant('bulk' as const), v: fc.nat({ max: 3000 }) }),
  );
  fc.assert(
    fc.property(fc.array(cmd, { maxLength: 200 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 1500 }), (cmds, initial) => {
      let model = [...new Set(initial)].sort();
      let index = new ListIndex(7, model.map((id): [string, string] => [id, `v${id}`]));
      for (const c of cmds) {
        if (c.op === 'insert') {
          if (model.includes(c.v)) continue;
          const at = index.insert(c.v, `v${c.v}`);
          model.push(c.v);
          model.sort();
          if (model[at] !== c.v) return false;
        } else if (c.op === 'remove') {
          if (index.remove(c.v) !== model.includes(c.v)) return false;
          model = model.filter((x) => x !== c.v);
        } else {
          // Many pushes at one end: chunks split.
          for (let i = 0; i < c.v; i++) {
            const id = `~${String(i).padStart(5, '0')}`;
            if (model.includes(id)) break;
            index.insert(id, `v${id}`);
            model.push(id);
          }
          model.sort();
        }
        if (index.size !== model.length || index.first() !== (model[0] ?? null) || index.last() !== (model[model.length - 1] ?? null)) return false;
      }
      for (let i = 0; i < model.length; i += 17) if (index.at(i) !== model[i] || index.valueAt(i) !== `v${model[i]}`) return false;
      if (model.length > 0 && index.ids(0, model.length - 1).join('|') !== model.join('|')) return false;
      if (model.length > 0 && index.slice(0, model.length - 1, true).join('|') !== model.map((id) => `v${id}`).join('|')) return false;
      index = new ListIndex(8);
      return index.size === 0;
    }),
    { numRuns: 150 },
  );
  t.pass();
});
