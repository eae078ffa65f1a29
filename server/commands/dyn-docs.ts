// server/commands/dyn-docs.ts — COMMAND DOCS data of dynkv's own DYN.*
// commands (dyn.ts), in the shape docs.ts gives Redis's commands; docs.ts
// (generated) takes these in.
import type { CommandDoc } from './types';

const key = { name: 'key', type: 'key', keySpecIndex: 0 } as const;
const context = { name: 'context', type: 'string', token: 'CONTEXT' } as const;

export const dynDocs: Readonly<Record<string, CommandDoc>> = {
  'dyn.versions': {
    summary: "Returns a key's causal context and every sibling version (value, timestamp in ms, writing node), after a quorum read; LOCAL reads this node's replica only",
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(S) where S is the number of siblings',
    arguments: [key, { name: 'local', type: 'pure-token', token: 'LOCAL', flags: ['optional'] }],
  },
  'dyn.elements': {
    summary: "Returns this node's element records of a collection (a hash's fields, tombstones included) with their causal contexts and siblings, and its summary's count; no quorum read",
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(E) where E is the number of element records in the key\'s slot',
    arguments: [key],
  },
  'dyn.get': {
    summary: "Returns the value of a key (the winning version) after a quorum read of R replicas",
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(1)',
    arguments: [key, { name: 'r', type: 'integer', token: 'R', flags: ['optional'] }],
  },
  'dyn.set': {
    summary: 'Sets a key, resolving the sibling versions the causal context from DYN.VERSIONS covers',
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(S) where S is the number of siblings',
    arguments: [
      key,
      { name: 'value', type: 'string' },
      context,
      { name: 'w', type: 'integer', token: 'W', flags: ['optional'] },
      {
        name: 'expiration',
        type: 'oneof',
        flags: ['optional'],
        arguments: [
          { name: 'seconds', type: 'integer', token: 'EX' },
          { name: 'milliseconds', type: 'integer', token: 'PX' },
        ],
      },
    ],
  },
  'dyn.del': {
    summary: 'Deletes a key (writes a tombstone version), resolving the siblings the causal context covers, or every version this node has seen',
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(S) where S is the number of siblings',
    arguments: [key, { ...context, flags: ['optional'] }, { name: 'w', type: 'integer', token: 'W', flags: ['optional'] }],
  },
  'dyn.preflist': {
    summary: "Returns the N nodes of a key's preference list",
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(N)',
    arguments: [key],
  },
  'dyn.ring': {
    summary: 'Returns every partition of the ring: its number, first and last slot, and owner',
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(Q) where Q is the number of partitions',
  },
  'dyn.nodes': {
    summary: 'Returns the cluster members: id, host, port, bus port, weight, state and phi (the failure detector\'s suspicion)',
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(M) where M is the number of members',
  },
  'dyn.fault': {
    summary: 'Drops all cluster bus traffic with a node, or heals every drop (needs --enable-fault-injection yes)',
    since: '0.1.0',
    group: 'dynamo',
    complexity: 'O(1)',
    arguments: [
      {
        name: 'action',
        type: 'oneof',
        arguments: [
          { name: 'drop', type: 'block', arguments: [{ name: 'drop', type: 'pure-token', token: 'DROP' }, { name: 'node', type: 'string' }] },
          { name: 'heal', type: 'pure-token', token: 'HEAL' },
        ],
      },
    ],
  },
};
