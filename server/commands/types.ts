// server/commands/types.ts — the shape of a command: metadata kept as data
// (as Redis's command table: arity, flags, key positions) and a synchronous
// handler that writes its reply; and the shape of its COMMAND DOCS entry
// (the entries themselves are in docs.ts, keyed by the command's name).
import type { ReplyWriter } from '../../protocol/writer';
import type { CommandAccess, Coordinator } from '../../cluster/index';
import type { Client } from '../client';
import type { ServerState } from '../state';

export interface CommandContext {
  readonly client: Client;
  readonly reply: ReplyWriter;
  readonly store: Coordinator;
  readonly server: ServerState;
  /** Runs another command for this client now (EXEC), outside MULTI queueing and the cluster's routing. */
  readonly execute: (argv: Buffer[]) => void;
}

/**
 * argv[0] is the command name as the client sent it. A handler replies
 * through ctx.reply exactly once, or throws CommandError(message).
 */
export type CommandHandler = (ctx: CommandContext, argv: Buffer[]) => void;

export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_mandatory_keys'
  | 'no_multi'
  | 'allow_busy'
  | 'movablekeys';

/**
 * One COMMAND INFO key spec: keys from argument `index`, up to `lastKey`
 * (relative, -1 = last), every `keyStep`; or, with `keynum`, as many keys as
 * the argument keynumIdx (relative to index) says, from firstKey, every
 * keyStep (LMPOP's numkeys).
 */
export interface KeySpec {
  notes?: string;
  flags: readonly string[];
  index: number;
  lastKey: number;
  keyStep: number;
  keynum?: { keynumIdx: number; firstKey: number; keyStep: number };
  /** begin_search and find_keys 'unknown': keys found only by running the command (SORT's BY/GET and STORE). */
  unknown?: boolean;
  /** begin_search by keyword (GEORADIUS's STORE key): the argument after `keyword`, looked for from startFrom; replaces index. */
  keyword?: { keyword: string; startFrom: number };
}

export interface CommandSpec {
  /** Lower case, as COMMAND INFO shows it. */
  name: string;
  /** As Redis: positive = exact argc, negative = at least -arity (name included). */
  arity: number;
  flags: readonly CommandFlag[];
  firstKey: number;
  lastKey: number;
  step: number;
  /** ACL categories without the @, as COMMAND INFO shows them (e.g. 'string', 'fast'). */
  categories: readonly string[];
  /** COMMAND INFO's tips, e.g. 'nondeterministic_output'. */
  tips?: readonly string[];
  /** Flags of the key spec derived from firstKey/lastKey/step, e.g. ['RW', 'ACCESS', 'UPDATE']. */
  keySpecFlags?: readonly string[];
  /** Key specs spelled out, where the derived one does not say it all (several specs, notes). */
  keySpecs?: readonly KeySpec[];
  /** The keys, for commands that name them by a count (numkeys) rather than by positions; replaces firstKey/lastKey/step. */
  keys?: (argv: readonly Buffer[], into: Buffer[]) => void;
  subcommands?: readonly CommandSpec[];
  /**
   * How the command meets the cluster, where its flags and key positions do
   * not say it (cluster-plan.ts): 'local' runs it at once on this node (no
   * quorum read); otherwise the access and R it asks for.
   */
  cluster?: (argv: readonly Buffer[]) => 'local' | { access?: CommandAccess; r?: number | null; keys?: Buffer[] };
  handler: CommandHandler;
}

/** COMMAND DOCS argument types, as Redis's ARG_TYPE_STR. */
export type ArgType = 'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';

/** One argument of COMMAND DOCS; fields as Redis 7.0 replies them (and in its order). */
export interface CommandArg {
  name: string;
  type: ArgType;
  /** For a key argument: the index of its COMMAND INFO key spec. */
  keySpecIndex?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecatedSince?: string;
  flags?: readonly ('optional' | 'multiple' | 'multiple_token')[];
  /** The members of a oneof or block argument. */
  arguments?: readonly CommandArg[];
}

/** One command's COMMAND DOCS entry, without its subcommands (the command table has those). */
export interface CommandDoc {
  summary: string;
  since: string;
  group: string;
  complexity?: string;
  docFlags?: readonly ('deprecated' | 'syscmd')[];
  deprecatedSince?: string;
  replacedBy?: string;
  /** [version, change] pairs, oldest first. */
  history?: readonly (readonly [string, string])[];
  arguments?: readonly CommandArg[];
}
