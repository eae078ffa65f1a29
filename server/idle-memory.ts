// server/idle-memory.ts — gives memory back once the server turns idle.
//
// Measured (issue 9, bench/slow-reader.ts): after a 500 MiB SET and its DEL
// the idle server kept ~1.5 GB of RSS for minutes: two 512 MB anonymous
// mappings and ~500 MB of malloc heap. One mapping was the value joined from
// its chunks, garbage that no collection reclaimed: an idle process
// allocates nothing that would start one (V8 weighs external memory only
// when allocating). The other was the record, kept alive by the fast path's
// shared reader and the replica store's scratch buffer (both fixed where they
// are). The heap was the 64 KiB read chunks, freed but left in glibc's free
// lists (below its mmap threshold); only malloc_trim gives those pages back
// (without it RSS stayed 500 MB up). So, at the first tick with no command
// and no input after 16 MiB of traffic, a full collection frees the Buffers
// (big ones are unmapped at once) and malloc_trim(0) returns the free pages
// of every arena (server/native/memory.cc): RSS is back at its start within
// ~2 s. Nothing runs while the server is busy, or idle since the last
// release, so the hot path pays nothing.
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { ServerState } from './state';

/** Traffic in and out since the last release past which an idle tick releases memory. */
const RELEASE_AFTER_BYTES = 16 * 1024 * 1024;
const TICK_MS = 1000;

const native = require(path.join(__dirname, '..', '..', 'build', 'Release', 'dynkv_socket.node')) as { trimMemory(): boolean };

// A full collection on demand: global.gc without starting node with --expose-gc.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** Collects garbage and returns free memory to the system. */
export function releaseMemory(): void {
  collect();
  native.trimMemory();
}

/** Releases memory at the first idle tick after heavy traffic; returns the stop function. */
export function startIdleMemoryRelease(state: ServerState): () => void {
  let commands = state.stats.commandsProcessed;
  let input = state.stats.netInputBytes;
  let releasedAt = 0;
  const timer = setInterval(() => {
    const st = state.stats;
    const traffic = st.netInputBytes + st.netOutputBytes;
    // Idle: no command ran and nothing was read during the last tick.
    const idle = st.commandsProcessed === commands && st.netInputBytes === input;
    commands = st.commandsProcessed;
    input = st.netInputBytes;
    // CONFIG RESETSTAT zeroes the counters: start counting again from there.
    if (traffic < releasedAt) releasedAt = traffic;
    if (!idle || traffic - releasedAt < RELEASE_AFTER_BYTES) return;
    releasedAt = traffic;
    releaseMemory();
  }, TICK_MS).unref();
  return () => clearInterval(timer);
}
