// server/commands/subcommands.ts — container commands (CLIENT, CONFIG,
// COMMAND, OBJECT, FUNCTION ...): a container's spec lists its subcommands,
// and findSubcommand names the one argv[1] asks for. The dispatcher resolves
// it before the arity check and MULTI queueing, as Redis's processCommand
// looks up `container|sub` (server/dispatch.ts), so a subcommand runs with
// its own spec: arity, flags, keys and stats.
import { CommandError, wrongArity } from '../errors';
import type { CommandSpec } from './types';

/** The subcommand `sent` (case-insensitive) of a container; undefined when it has none by that name. */
export function findSubcommand(container: CommandSpec, sent: Buffer): CommandSpec | undefined {
  const subs = container.subcommands;
  if (subs === undefined) return undefined;
  const name = `${container.name}|${sent.toString('latin1').toLowerCase()}`;
  for (const s of subs) if (s.name === name) return s;
  return undefined;
}

/**
 * The spec of a container command. Its own handler runs only when the
 * container is sent alone, which its arity of -2 refuses first.
 */
export function container(name: string, subs: readonly CommandSpec[]): CommandSpec {
  return {
    name,
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    categories: ['slow'],
    subcommands: subs,
    handler: () => {
      throw new CommandError(wrongArity(name));
    },
  };
}
