// redis-compat/gen-docs.ts — writes server/commands/docs.ts, the COMMAND DOCS
// data of every command and subcommand in dynkv's command table, as the
// real redis-server (Debian's 7.0) answers COMMAND DOCS for it; the few that
// redis 7.0 lacks are written by hand below (HAND_WRITTEN). The server only
// reads the generated file: it never needs redis-server at run time.
//
// Rerun after adding a command (or on a new redis-server):
//   npx tsc -p tsconfig.json && node dist/redis-compat/gen-docs.js && npx tsc -p tsconfig.json
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commandTable } from '../server/commands/index';
import type { CommandArg, CommandDoc } from '../server/commands/types';
import { RawClient, render, type Reply } from './raw-client';
import { startRedis } from './servers';

/** Docs of commands dynkv has and redis 7.0 does not: as the newer Redis that added them replies. */
const HAND_WRITTEN: Record<string, { from: string; doc: CommandDoc }> = {
  'client|setinfo': {
    from: "Redis 7.2's src/commands/client-setinfo.json",
    doc: {
      summary: 'Sets information specific to the client or connection.',
      since: '7.2.0',
      group: 'connection',
      complexity: 'O(1)',
      arguments: [
        {
          name: 'attr',
          type: 'oneof',
          arguments: [
            { name: 'libname', type: 'string', token: 'lib-name' },
            { name: 'libver', type: 'string', token: 'lib-ver' },
          ],
        },
      ],
    },
  },
};

const OUT = path.resolve(__dirname, '../../server/commands/docs.ts');

const text = (r: Reply): string => {
  if (r.data !== undefined) return r.data.toString();
  if (r.type === '+') return r.text ?? '';
  throw new Error(`expected a string, got ${render(r)}`);
};

/** A RESP3 map as [key, value] pairs, keys in the order redis sent them. */
function pairs(r: Reply): [string, Reply][] {
  if (r.type !== '%' || !r.items) throw new Error(`expected a map, got ${render(r)}`);
  const out: [string, Reply][] = [];
  for (let i = 0; i + 1 < r.items.length; i += 2) out.push([text(r.items[i]), r.items[i + 1]]);
  return out;
}

const list = (r: Reply): Reply[] => {
  if (!r.items) throw new Error(`expected an aggregate, got ${render(r)}`);
  return r.items;
};

function toArg(r: Reply): CommandArg {
  const arg: Record<string, unknown> = {};
  for (const [k, v] of pairs(r)) {
    if (k === 'key_spec_index') arg.keySpecIndex = Number(v.text);
    else if (k === 'flags') arg.flags = list(v).map(text);
    else if (k === 'arguments') arg.arguments = list(v).map(toArg);
    else if (k === 'deprecated_since') arg.deprecatedSince = text(v);
    else if (['name', 'type', 'token', 'summary', 'since'].includes(k)) arg[k] = text(v);
    else throw new Error(`unknown argument field '${k}': teach CommandArg and writeCommandDocs about it`);
  }
  return arg as unknown as CommandArg;
}

function toDoc(r: Reply): CommandDoc {
  const doc: Record<string, unknown> = {};
  for (const [k, v] of pairs(r)) {
    if (k === 'subcommands') continue; // the command table has them
    if (k === 'doc_flags') doc.docFlags = list(v).map(text);
    else if (k === 'deprecated_since') doc.deprecatedSince = text(v);
    else if (k === 'replaced_by') doc.replacedBy = text(v);
    else if (k === 'history') doc.history = list(v).map((h) => list(h).map(text));
    else if (k === 'arguments') doc.arguments = list(v).map(toArg);
    else if (['summary', 'since', 'group', 'complexity'].includes(k)) doc[k] = text(v);
    else throw new Error(`unknown doc field '${k}': teach CommandDoc and writeCommandDocs about it`);
  }
  return doc as unknown as CommandDoc;
}

const key = (k: string): string => (/^[A-Za-z_]\w*$/.test(k) ? k : literal(k, '', 0));

/** A TypeScript literal: on one line when it fits in `width` columns (from the line's start), else one member per line. */
function literal(v: unknown, indent: string, width: number): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (typeof v === 'number') return String(v);
  const inner = indent + '  ';
  const entries = Array.isArray(v)
    ? v.map((x) => literal(x, inner, width))
    : Object.entries(v as object).map(([k, x]) => `${key(k)}: ${literal(x, inner, width - key(k).length - 2)}`);
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{ ', ' }'];
  const flat = `${open}${entries.join(', ')}${close}`;
  if (!flat.includes('\n') && indent.length + flat.length <= width) return flat;
  return `${open.trim()}\n${entries.map((e) => `${inner}${e},\n`).join('')}${indent}${close.trim()}`;
}

async function main(): Promise<void> {
  const version = /v=(\S+)/.exec(spawnSync('redis-server', ['--version']).stdout.toString())?.[1] ?? '?';
  const redis = await startRedis();
  const docs: [string, CommandDoc, string][] = [];
  try {
    const c = await RawClient.connect(redis.port);
    await c.call(['HELLO', '3']);
    // dynkv's own DYN.* commands have their docs in dyn-docs.ts.
    const names = [...commandTable.values()].filter((s) => !s.name.startsWith('dyn.')).flatMap((s) => [s.name, ...(s.subcommands ?? []).map((sub) => sub.name)]);
    for (const name of names) {
      const r = await c.call(['COMMAND', 'DOCS', name]);
      const entry = r === null ? [] : pairs(r);
      if (entry.length === 1 && entry[0][0] === name) docs.push([name, toDoc(entry[0][1]), '']);
      else if (HAND_WRITTEN[name] !== undefined) docs.push([name, HAND_WRITTEN[name].doc, `by hand, from ${HAND_WRITTEN[name].from}`]);
      else throw new Error(`redis-server has no COMMAND DOCS for '${name}': add it to HAND_WRITTEN`);
    }
    c.close();
  } finally {
    await redis.stop();
  }
  const body = docs
    .map(([name, doc, note]) => `${note === '' ? '' : `  // ${note}\n`}  ${key(name)}: ${literal(doc, '  ', 120 - key(name).length - 2)},\n`)
    .join('');
  fs.writeFileSync(
    OUT,
    `// server/commands/docs.ts — COMMAND DOCS data: per command and subcommand
// of the command table ('get', 'client|list' ...), the summary, since, group,
// complexity, history, doc flags and argument trees Redis gives. Generated by
// redis-compat/gen-docs.ts from redis-server ${version}'s COMMAND DOCS
// (commands it lacks are marked "by hand"; DYN.* come from dyn-docs.ts); do not edit, rerun the generator:
//   npx tsc -p tsconfig.json && node dist/redis-compat/gen-docs.js && npx tsc -p tsconfig.json
// A data file: longer than the usual 400 lines on purpose.
import { dynDocs } from './dyn-docs';
import type { CommandDoc } from './types';

export const commandDocs: Readonly<Record<string, CommandDoc>> = {
  ...dynDocs,
${body}};
`,
  );
  console.log(`wrote ${docs.length} entries to ${OUT}`);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
