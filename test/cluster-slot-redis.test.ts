// cluster-slot-redis.test.ts — the hash slot (cluster/ring/slot.ts, and the
// engine's native one) against a real redis-server's CLUSTER KEYSLOT
// (started with cluster-enabled yes): hash-tag edge cases and random binary
// keys full of braces, asked of the running server, not of a table.
import test from 'ava';
import { RawClient } from '../redis-compat/raw-client';
import { redisServerAvailable, startRedis } from '../redis-compat/servers';
import { keySlot } from '../cluster/ring/slot';
import { keySlot as engineKeySlot } from '../engine/index';
import { prng } from './helpers/random';

/** Hash tags: empty, nested, unclosed, several, braces alone. */
const EDGE_KEYS: (string | Buffer)[] = [
  'foo', 'bar', 'hello', 'key:1', '123456789', '', 'a', '{a}', '{user1000}.following', '{user1000}.followers',
  'foo{}{bar}', 'foo{{bar}}zap', '{bar', 'foo{bar}{zap}', '{}', '}{', 'a{b', 'x{}y', '{', '}', Buffer.from([0xff, 0x00, 0x80]),
];

/** Random keys of 0..24 bytes, a third of them braces, the rest any byte. */
function randomKeys(count: number): Buffer[] {
  const rand = prng(0x51a7);
  const keys: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const key = Buffer.alloc(Math.floor(rand() * 25));
    for (let j = 0; j < key.length; j++) {
      const r = rand();
      key[j] = r < 0.17 ? 0x7b : r < 0.33 ? 0x7d : Math.floor(rand() * 256);
    }
    keys.push(key);
  }
  return keys;
}

test('keySlot matches CLUSTER KEYSLOT of a running redis-server', async (t) => {
  t.true(redisServerAvailable(), 'redis-server is not on PATH (apt-get install redis-server)');
  const redis = await startRedis(['--cluster-enabled', 'yes']);
  t.teardown(() => redis.stop());
  const client = await RawClient.connect(redis.port);
  t.teardown(() => client.close());
  const keys = [...EDGE_KEYS.map((k) => Buffer.from(k)), ...randomKeys(2000)];
  const slots = new Set<number>();
  for (const key of keys) {
    const reply = await client.call(['CLUSTER', 'KEYSLOT', key]);
    if (reply?.type !== ':') return t.fail(`CLUSTER KEYSLOT ${key.toString('hex')} answered ${JSON.stringify(reply)}`);
    const slot = Number(reply.text);
    slots.add(slot);
    if (keySlot(key) !== slot || engineKeySlot(key) !== slot) return t.fail(`key ${key.toString('hex')}: redis ${slot}, keySlot ${keySlot(key)}, engine ${engineKeySlot(key)}`);
  }
  t.true(slots.size > 1000, `the keys reach ${slots.size} different slots`);
});
