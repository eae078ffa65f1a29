// test/cluster-plan.test.ts — how each command meets the cluster
// (server/cluster-plan.ts): its keys from the command table's key positions
// (subcommands included), and whether it reads, writes blindly (any replica
// coordinates it) or reads then writes (one coordinator per key).
import test from 'ava';
import { Client } from '../server/client';
import { CommandLookup } from '../server/command-lookup';
import { clusterPlan } from '../server/cluster-plan';
import { commandTable } from '../server/commands/index';

const lookup = new CommandLookup(commandTable);

function plan(words: string[], client = new Client(1, 'a', 'b', false)): { keys: string[]; access: string; r: number | null } | null {
  const argv = words.map((w) => Buffer.from(w));
  const spec = lookup.find(argv[0]);
  if (spec === undefined) throw new Error(`no command ${words[0]}`);
  const p = clusterPlan(spec, argv, client, lookup);
  return p === null ? null : { keys: p.keys.map((k) => k.toString()), access: p.access, r: p.r };
}

test('reads, blind writes and read-modify-writes, with their keys', (t) => {
  t.deepEqual(plan(['GET', 'k']), { keys: ['k'], access: 'read', r: null });
  t.deepEqual(plan(['MGET', 'a', 'b', 'c']), { keys: ['a', 'b', 'c'], access: 'read', r: null });
  t.deepEqual(plan(['SET', 'k', 'v']), { keys: ['k'], access: 'blind-write', r: null });
  t.deepEqual(plan(['set', 'k', 'v', 'EX', '10']), { keys: ['k'], access: 'blind-write', r: null });
  for (const option of ['NX', 'xx', 'GET', 'KeepTTL']) t.is(plan(['SET', 'k', 'v', option])?.access, 'read-write', option);
  t.deepEqual(plan(['MSET', 'a', '1', 'b', '2']), { keys: ['a', 'b'], access: 'blind-write', r: null });
  t.deepEqual(plan(['INCR', 'n']), { keys: ['n'], access: 'read-write', r: null });
  t.deepEqual(plan(['DEL', 'a', 'b']), { keys: ['a', 'b'], access: 'read-write', r: null });
  t.deepEqual(plan(['RENAME', 'a', 'b']), { keys: ['a', 'b'], access: 'read-write', r: null });
  t.deepEqual(plan(['OBJECT', 'ENCODING', 'k']), { keys: ['k'], access: 'read', r: null });
  t.deepEqual(plan(['FLUSHALL']), { keys: [], access: 'blind-write', r: null });
});

test('commands without keys run where they are sent; DYN.* say their own', (t) => {
  for (const words of [['PING'], ['INFO'], ['DBSIZE'], ['KEYS', '*'], ['SCAN', '0'], ['OBJECT', 'HELP'], ['DYN.RING'], ['DYN.NODES']]) t.is(plan(words), null, words.join(' '));
  t.is(plan(['DYN.VERSIONS', 'k', 'LOCAL']), null);
  t.deepEqual(plan(['DYN.VERSIONS', 'k']), { keys: ['k'], access: 'read', r: null });
  t.deepEqual(plan(['DYN.GET', 'k', 'R', '3']), { keys: ['k'], access: 'read', r: 3 });
  t.is(plan(['DYN.PREFLIST', 'k']), null);
  t.is(plan(['DYN.SET', 'k', 'v', 'CONTEXT', 'x'])?.access, 'blind-write');
});

test("EXEC names the keys of the commands it queued and runs where it was sent", (t) => {
  const client = new Client(1, 'a', 'b', false);
  client.multi = [[Buffer.from('SET'), Buffer.from('a'), Buffer.from('1')], [Buffer.from('INCR'), Buffer.from('b')], [Buffer.from('PING')]];
  t.deepEqual(plan(['EXEC'], client), { keys: ['a', 'b'], access: 'read', r: null });
  client.multi = [[Buffer.from('PING')]];
  t.is(plan(['EXEC'], client), null);
});
