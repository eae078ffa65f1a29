// test/command-docs.test.ts — COMMAND DOCS data (server/commands/docs.ts)
// against the command table: one entry per command and subcommand, none
// stale, key arguments pointing at key specs COMMAND INFO has; and CLIENT
// SETINFO's hand-written docs (redis 7.0 has no such command to compare with
// in the compatibility suite) as they go over the wire in RESP2 and RESP3.
import test from 'ava';
import { commandTable } from '../server/commands/index';
import { commandDocs } from '../server/commands/docs';
import type { CommandArg, CommandSpec } from '../server/commands/types';
import { RawClient, render } from '../redis-compat/raw-client';
import { startServer } from './helpers/server';

const specs: CommandSpec[] = [...commandTable.values()].flatMap((s) => [s, ...(s.subcommands ?? [])]);

test('every command and subcommand has COMMAND DOCS data, and every entry a command', (t) => {
  const names = new Set(specs.map((s) => s.name));
  t.deepEqual(specs.filter((s) => commandDocs[s.name] === undefined).map((s) => s.name), []);
  t.deepEqual(Object.keys(commandDocs).filter((n) => !names.has(n)), []);
});

test("a key argument's key_spec_index names one of the command's COMMAND INFO key specs", (t) => {
  const keyArgs = (args: readonly CommandArg[] = []): CommandArg[] => args.flatMap((a) => (a.type === 'key' ? [a] : keyArgs(a.arguments)));
  for (const s of specs) {
    const count = s.keySpecs?.length ?? (s.firstKey > 0 ? 1 : 0);
    for (const a of keyArgs(commandDocs[s.name].arguments)) {
      t.true(a.keySpecIndex !== undefined && a.keySpecIndex < count, `${s.name}: argument ${a.name} has key_spec_index ${a.keySpecIndex}, ${count} key specs`);
    }
  }
});

test('COMMAND DOCS CLIENT|SETINFO: as Redis 7.2 gives it, in RESP2 and RESP3', async (t) => {
  const srv = await startServer(t);
  const c = await RawClient.connect(srv.port);
  t.teardown(() => c.close());
  const docs = await c.call(['COMMAND', 'DOCS', 'client|setinfo']);
  t.is(
    docs && render(docs),
    '["client|setinfo", ["summary", "Sets information specific to the client or connection.", "since", "7.2.0", "group", "connection", "complexity", "O(1)", ' +
      '"arguments", [["name", "attr", "type", "oneof", "arguments", [["name", "libname", "type", "string", "token", "lib-name"], ["name", "libver", "type", "string", "token", "lib-ver"]]]]]]',
  );
  await c.call(['HELLO', '3']);
  const docs3 = await c.call(['COMMAND', 'DOCS', 'client|setinfo']);
  t.is(
    docs3 && render(docs3),
    '{"client|setinfo" => {"summary" => "Sets information specific to the client or connection.", "since" => "7.2.0", "group" => "connection", "complexity" => "O(1)", ' +
      '"arguments" => [{"name" => "attr", "type" => "oneof", "arguments" => [{"name" => "libname", "type" => "string", "token" => "lib-name"}, {"name" => "libver", "type" => "string", "token" => "lib-ver"}]}]}}',
  );
  // CLIENT's own docs list it among its subcommands.
  const client = await c.call(['COMMAND', 'DOCS', 'client']);
  t.regex(client ? render(client) : '', /"subcommands" => \{.*"client\|setinfo" => \{"summary" => "Sets information/);
});
