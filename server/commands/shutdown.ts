// server/commands/shutdown.ts — SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]:
// stops the server the way SIGTERM does (stop accepting, close clients,
// flush, fsync, close). Every write is already in the log, so SAVE and
// NOSAVE change nothing; there is no shutdown that waits (no replicas to
// wait for), so ABORT never finds one in progress. On success the client
// gets no reply: its connection closes, as with redis-server.
import { CommandError, ERR } from '../errors';
import type { CommandContext, CommandSpec } from './types';

function shutdown(ctx: CommandContext, argv: Buffer[]): void {
  let save = false;
  let nosave = false;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i].toString('latin1').toLowerCase();
    if (arg === 'save') save = true;
    else if (arg === 'nosave') nosave = true;
    else if (arg === 'abort') abort = true;
    else if (arg !== 'now' && arg !== 'force') throw new CommandError(ERR.syntax);
  }
  if ((save && nosave) || (abort && argv.length > 2)) throw new CommandError(ERR.syntax);
  if (abort) throw new CommandError('ERR No shutdown in progress.');
  const stop = ctx.server.shutdown;
  if (stop === null) throw new CommandError('ERR Errors trying to SHUTDOWN. Check logs.');
  stop('SHUTDOWN');
}

export const shutdownCommands: CommandSpec[] = [
  {
    name: 'shutdown', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
    firstKey: 0, lastKey: 0, step: 0, categories: ['admin', 'slow', 'dangerous'], handler: shutdown,
  },
];
