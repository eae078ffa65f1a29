// server/commands/table.ts — the command table itself: every command's spec
// keyed by lower-case name, filled by index.ts from the families. COMMAND
// (server.ts) reads it here, so no family imports the module that imports it.
import type { CommandSpec } from './types';

export const commandTable = new Map<string, CommandSpec>();
