// redis-compat/scripts/lookups.ts — a step that runs a command after CONFIG
// RESETSTAT and answers the keyspace hits and misses INFO counted for it
// (Redis's lookupKey accounting), shared by the scripts that check it.
import type { Arg, Step } from '../harness';
import type { RawClient, Reply } from '../raw-client';

const CLUSTER_STATS = 'INFO stats counts at the node that ran the command; through a cluster it may be another node';

function field(info: Reply | null, name: string): string {
  const text = info?.data?.toString('latin1') ?? '';
  return new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? '?';
}

/** The command after CONFIG RESETSTAT, then the keyspace hits and misses INFO counts for it. */
export function lookups(...cmd: Arg[]): Step {
  return {
    cmd: ['<lookups of>', ...cmd],
    singleNode: CLUSTER_STATS,
    run: async (client: RawClient) => {
      await client.call(['CONFIG', 'RESETSTAT']);
      const reply = await client.call(cmd);
      const info = await client.call(['INFO', 'stats']);
      const outcome = reply?.type === '-' ? reply.text : 'ok';
      return { type: '+', text: `${outcome}; hits ${field(info, 'keyspace_hits')} misses ${field(info, 'keyspace_misses')}` };
    },
  };
}
