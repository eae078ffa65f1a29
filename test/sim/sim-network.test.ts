// sim-network.test.ts — the simulation's network (test/sim/sim-network.ts) does
// what the simulation's results rest on: delays by the seeded draw and no
// less, FIFO per link unless reordering is on, loss, partitions both ways
// and one way, healing, halted and killed nodes, request timeouts through
// the manual clock with the bus's error codes, replies in request order,
// and a handshake per new connection.
import test from 'ava';
import { BusError, type BusReply, type Transport } from '../../cluster/bus/bus';
import { ManualClock } from '../../cluster/clock';
import { ReplyError } from '../../protocol/reply-parser';
import { prng } from '../helpers/random';
import { SimNetwork, type NetworkFaults } from './sim-network';

const peer = (id: string) => ({ id, host: id, busPort: 1 });

interface Node {
  transport: Transport;
  /** Requests it received: "from argv0". */
  received: string[];
  handshakes: string[];
}

function setup(faults: Partial<NetworkFaults> = {}, seed = 1, timeoutMs = 100) {
  const clock = new ManualClock();
  const trace: string[] = [];
  const net = new SimNetwork(clock, prng(seed), { loss: 0, minDelayMs: 1, maxDelayMs: 1, reorder: false, ...faults }, (l) => trace.push(l), timeoutMs);
  const nodes = new Map<string, Node>();
  const start = async (id: string, answer: (argv: Buffer[]) => BusReply | Promise<BusReply> = (argv) => argv[0]): Promise<Node> => {
    const node: Node = { transport: null as unknown as Transport, received: [], handshakes: [] };
    node.transport = net.transport(id, clock)({
      onRequest: (from, argv) => {
        node.received.push(`${from} ${argv[0].toString()}`);
        return answer(argv);
      },
      onInboundHandshake: (from, ok) => node.handshakes.push(`${from} ${ok}`),
    });
    await node.transport.listen();
    nodes.set(id, node);
    return node;
  };
  /** Every outcome of a request, as text, once settled. */
  const ask = (from: Node, to: string, what: string, timeoutMs?: number) => {
    const outcome = { text: 'pending' };
    from.transport.request(peer(to), [what], timeoutMs).then(
      (r) => (outcome.text = Buffer.isBuffer(r) ? r.toString() : r instanceof ReplyError ? `-${r.message}` : String(r)),
      (e: BusError) => (outcome.text = `${e.code}@${clock.now()}`),
    );
    return outcome;
  };
  const run = async (ms: number) => {
    const end = clock.now() + ms;
    for (let next = clock.nextAt(); next !== null && next <= end; next = clock.nextAt()) {
      clock.advance(next - clock.now());
      await new Promise((r) => setImmediate(r));
    }
    clock.advance(end - clock.now());
    await new Promise((r) => setImmediate(r));
  };
  return { clock, net, trace, start, ask, run };
}

test('a request and its reply each take a drawn delay within the bounds, and not less', async (t) => {
  const { start, ask, run, clock } = setup({ minDelayMs: 5, maxDelayMs: 9 });
  const a = await start('a');
  const b = await start('b');
  const reply = ask(a, 'b', 'hello');
  await run(4);
  t.deepEqual(b.received, [], 'not delivered before the least delay');
  await run(5);
  t.deepEqual(b.received, ['a hello']);
  const arrived = clock.now();
  await run(18);
  t.is(reply.text, 'hello');
  t.true(arrived <= 18);
});

test('a request with no reply fails ETIMEDOUT when the clock reaches its timeout, not before', async (t) => {
  const { start, ask, run, net } = setup();
  const a = await start('a');
  await start('b', () => new Promise<BusReply>(() => undefined));
  const r = ask(a, 'b', 'x', 50);
  await run(49);
  t.is(r.text, 'pending');
  await run(1);
  t.is(r.text, 'ETIMEDOUT@50');
  const d = ask(a, 'b', 'y');
  await run(100);
  t.is(d.text, 'ETIMEDOUT@150', 'the default timeout is the network requestTimeoutMs');
  t.is(net.counters.lost, 0);
});

test('one link is FIFO whatever the delays; with reorder on, messages overtake', async (t) => {
  for (const reorder of [false, true]) {
    const { start, ask, run } = setup({ minDelayMs: 1, maxDelayMs: 30, reorder }, 7);
    const a = await start('a');
    const b = await start('b');
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      sent.push(`a m${i}`);
      ask(a, 'b', `m${i}`);
    }
    await run(200);
    t.is(b.received.length, 40, 'nothing is lost');
    if (reorder) t.notDeepEqual(b.received, sent, 'reordered');
    else t.deepEqual(b.received, sent, 'in order');
  }
});

test('loss drops messages at the drawn rate and counts them; loss 1 drops all', async (t) => {
  const { start, ask, run, net } = setup({ loss: 0.3 }, 3);
  const a = await start('a');
  await start('b');
  const replies = Array.from({ length: 200 }, (_, i) => ask(a, 'b', `m${i}`));
  await run(200);
  const answered = replies.filter((r) => r.text.startsWith('m')).length;
  const timedOut = replies.filter((r) => r.text.startsWith('ETIMEDOUT')).length;
  t.is(answered + timedOut, 200);
  t.true(net.counters.lost > 60 && net.counters.lost < 180, `lost ${net.counters.lost} of ${net.counters.sent}`);
  t.is(timedOut, 200 - answered);
  const all = setup({ loss: 1 });
  const x = await all.start('x');
  const y = await all.start('y');
  const r = all.ask(x, 'y', 'q');
  await all.run(100);
  t.is(r.text, 'ETIMEDOUT@100');
  t.deepEqual(y.received, []);
});

test('a partition cuts both ways; a one-way cut lets requests in but not replies out; heal mends and reconnects', async (t) => {
  const { start, ask, run, net } = setup();
  const a = await start('a');
  const b = await start('b');
  const c = await start('c');
  const hi = ask(a, 'b', 'hi');
  await run(10);
  t.is(hi.text, 'hi');
  net.partition(['a'], ['b']);
  const ab = ask(a, 'b', 'ab');
  const ba = ask(b, 'a', 'ba');
  const ac = ask(a, 'c', 'ac');
  await run(100);
  t.is(ab.text, 'ETIMEDOUT@110');
  t.is(ba.text, 'ETIMEDOUT@110');
  t.is(ac.text, 'ac', 'other links carry on');
  t.deepEqual(b.received, ['a hi']);
  net.heal();
  net.partition(['a'], ['c'], true);
  const ac2 = ask(a, 'c', 'ac2');
  const ca = ask(c, 'a', 'ca');
  await run(100);
  t.is(ac2.text, 'ETIMEDOUT@210');
  t.is(ca.text, 'ETIMEDOUT@210', 'the request arrived but its reply was cut');
  t.deepEqual(a.received, ['c ca']);
  net.heal();
  const after = ask(a, 'b', 'again');
  await run(10);
  t.is(after.text, 'again');
  t.deepEqual(b.handshakes, ['a true', 'a true'], 'a handshake on the first connection and on the one after the heal');
  t.deepEqual(c.handshakes, ['a true'], 'c was reached before the cut and not since');
});

test('a message in flight when its link is cut is lost', async (t) => {
  const { start, ask, run, net } = setup({ minDelayMs: 10, maxDelayMs: 10 });
  const a = await start('a');
  const b = await start('b');
  const r = ask(a, 'b', 'x');
  await run(5);
  net.partition(['a'], ['b']);
  await run(10);
  net.heal();
  await run(100);
  t.deepEqual(b.received, []);
  t.is(r.text, 'ETIMEDOUT@100');
});

test('a halted node is silent: requests to it time out, what was in flight is lost; restarted, it answers', async (t) => {
  const { start, ask, run, net } = setup({ minDelayMs: 10, maxDelayMs: 10 });
  const a = await start('a');
  const b = await start('b');
  const inFlight = ask(a, 'b', 'x');
  await run(5);
  net.crash('b', 'halt');
  const later = ask(a, 'b', 'y');
  await run(100);
  t.is(inFlight.text, 'ETIMEDOUT@100');
  t.is(later.text, 'ETIMEDOUT@105');
  t.deepEqual(b.received, []);
  const b2 = await start('b');
  const again = ask(a, 'b', 'z');
  await run(30);
  t.is(again.text, 'z');
  t.deepEqual(b2.received, ['a z']);
});

test('a killed node: requests waiting on it fail ECONNLOST at once, new ones ECONNFAILED after a round trip', async (t) => {
  const { start, ask, run, net } = setup({ minDelayMs: 3, maxDelayMs: 3 });
  const a = await start('a');
  await start('b', () => new Promise<BusReply>(() => undefined));
  const waiting = ask(a, 'b', 'x');
  await run(10);
  net.crash('b', 'kill');
  await run(0);
  t.is(waiting.text, 'ECONNLOST@10');
  const refused = ask(a, 'b', 'y');
  await run(10);
  t.is(refused.text, 'ECONNFAILED@16');
});

test('a crashed node sends nothing more: its replies in flight are lost, its own requests never settle', async (t) => {
  const { start, ask, run, net } = setup({ minDelayMs: 10, maxDelayMs: 10 });
  const a = await start('a');
  await start('b');
  const toB = ask(a, 'b', 'x');
  const fromA = ask(a, 'b', 'y');
  await run(15); // delivered at 10, replies leave at 10, due at 20
  net.crash('b', 'halt');
  await run(200);
  t.is(toB.text, 'ETIMEDOUT@100');
  t.is(fromA.text, 'ETIMEDOUT@100');
  const c = await start('c');
  const mine = ask(c, 'a', 'q');
  net.crash('c', 'halt');
  await run(500);
  t.is(mine.text, 'pending', 'a crashed process hears nothing, not even its timeouts');
});

test('replies on a link leave in request order: a slow answer holds back the quick one behind it', async (t) => {
  const { start, ask, run, clock } = setup();
  const a = await start('a');
  let release!: () => void;
  await start('b', (argv) => (argv[0].toString() === 'slow' ? new Promise<BusReply>((resolve) => (release = () => resolve('slow'))) : argv[0]));
  const slow = ask(a, 'b', 'slow');
  const quick = ask(a, 'b', 'quick');
  await run(20);
  t.is(quick.text, 'pending');
  release();
  await run(1);
  await run(1);
  t.is(slow.text, 'slow');
  t.is(quick.text, 'quick');
  t.is(clock.now(), 22);
});

test('a handler that throws answers an ERR reply, as the bus does; a closed transport refuses with ECLOSED', async (t) => {
  const { start, ask, run } = setup();
  const a = await start('a');
  await start('b', () => {
    throw new Error('no such thing');
  });
  const r = ask(a, 'b', 'x');
  await run(5);
  t.is(r.text, '-ERR no such thing');
  await a.transport.close();
  const closed = ask(a, 'b', 'y');
  await run(1);
  t.is(closed.text, 'ECLOSED@6');
});

test("a node's drop() cuts its links with that peer both ways; its heal() mends only those", async (t) => {
  const { start, ask, run, net } = setup();
  const a = await start('a');
  const b = await start('b');
  const c = await start('c');
  net.partition(['b'], ['c']);
  a.transport.drop('b');
  const ab = ask(a, 'b', 'ab');
  const ba = ask(b, 'a', 'ba');
  await run(100);
  t.is(ab.text, 'ETIMEDOUT@100');
  t.is(ba.text, 'ETIMEDOUT@100');
  a.transport.heal();
  const ab2 = ask(a, 'b', 'ab2');
  const bc = ask(b, 'c', 'bc');
  await run(100);
  t.is(ab2.text, 'ab2');
  t.is(bc.text, 'ETIMEDOUT@200', "the schedule's partition stays");
  t.deepEqual(c.received, []);
});

test('a node told to fail a request answers it with that error without running it, until told to stop', async (t) => {
  const { start, ask, run, net } = setup();
  const a = await start('a');
  const b = await start('b');
  net.failRequests('b', 'WRITE', 'MISCONF no space');
  const failed = ask(a, 'b', 'write');
  const other = ask(a, 'b', 'read');
  await run(5);
  t.is(failed.text, '-MISCONF no space');
  t.is(other.text, 'read');
  t.deepEqual(b.received, ['a read']);
  net.failRequests('b', 'WRITE', null);
  const again = ask(a, 'b', 'write');
  await run(5);
  t.is(again.text, 'write');
});
