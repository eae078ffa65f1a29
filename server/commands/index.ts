// server/commands/index.ts — the command table: every family's specs in one
// map keyed by lower-case name (table.ts). A family is one file exporting a
// CommandSpec[]; add its import and spread it below.
import { commandTable } from './table';
import type { CommandSpec } from './types';
// families:
import { stringCommands } from './strings';
import { counterCommands } from './counters';
import { rangeCommands } from './ranges';
import { bitCommands } from './bitops';
import { bitopCommands } from './bitop';
import { bitfieldCommands } from './bitfield';
import { keyCommands } from './keys';
import { expireCommands } from './expire';
import { scanCommands } from './scan';
import { connectionCommands } from './connection';
import { serverCommands } from './server';
import { transactionCommands } from './transactions';
import { shutdownCommands } from './shutdown';
import { dynCommands } from './dyn';
import { dumpCommands } from './dump';
import { hashCommands } from './hashes';
import { hyperloglogCommands } from './hyperloglog';
import { setCommands } from './sets';
import { zsetCommands } from './zsets';
import { listCommands } from './lists';
import { sortCommands } from './sort';
import { memoryCommands } from './memory';
import { swapdbCommands } from './swapdb';
import { geoCommands } from './geo';
const families: CommandSpec[][] = [
  // family list:
  stringCommands, counterCommands, rangeCommands, bitCommands, bitopCommands, bitfieldCommands,
  hashCommands,
  dumpCommands,
  hyperloglogCommands,
  setCommands,
  zsetCommands,
  listCommands,
  sortCommands,
  memoryCommands,
  swapdbCommands,
  geoCommands,
  keyCommands,
  expireCommands,
  scanCommands,
  connectionCommands,
  serverCommands,
  transactionCommands,
  shutdownCommands,
  dynCommands,
];

export { commandTable };
for (const family of families) for (const spec of family) commandTable.set(spec.name, spec);
