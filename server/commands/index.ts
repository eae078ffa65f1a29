// server/commands/index.ts — the command table: every family's specs in one
// map keyed by lower-case name. A family is one file exporting a
// CommandSpec[]; add its import and spread it below.
import type { CommandSpec } from './types';
// families:
const families: CommandSpec[][] = [
  // family list:
];

export const commandTable = new Map<string, CommandSpec>();
for (const family of families) for (const spec of family) commandTable.set(spec.name, spec);
