// server/commands/subcommands.ts — container commands (CLIENT, CONFIG,
// COMMAND, OBJECT, FUNCTION ...): route argv[1] to the subcommand's spec
// with Redis's arity and unknown-subcommand errors.
import { CommandError, unknownSubcommand } from '../errors';
import type { CommandHandler, CommandSpec } from './types';

export function subcommandRouter(container: string, subs: readonly CommandSpec[]): CommandHandler {
  const byName = new Map<string, CommandSpec>();
  for (const s of subs) byName.set(s.name.slice(container.length + 1), s);
  return (ctx, argv) => {
    const sub = argv[1].toString().toLowerCase();
    const spec = byName.get(sub);
    if (spec === undefined) throw new CommandError(unknownSubcommand(container, argv[1].toString()));
    if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity)
      throw new CommandError(`ERR wrong number of arguments for '${spec.name}' command`);
    ctx.client.command = spec.name; // CLIENT LIST's cmd= and INFO commandstats name the subcommand
    spec.handler(ctx, argv);
  };
}

/** The spec of a container command, its handler routing to its subcommands. */
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
    handler: subcommandRouter(name, subs),
  };
}
