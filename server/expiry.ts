// server/expiry.ts — active expiry: expired keys are reclaimed (a tombstone
// each) without being read, as Redis's activeExpireCycle. Every 100 ms each
// database with keys that have an expiry is sampled in rounds; a database
// gets another round while more than 25% of the sampled keys had expired,
// and a cycle stops after 25 ms, the next one resuming at that database.
//
// Redis samples 20 keys from its dict of keys with an expiry. The engine's
// reclaimExpired walks all keys in ring order, so a round visits as many
// keys as hold ~20 with an expiry on average (size / expiring * 20, capped):
// a database where few keys expire is still swept at Redis's pace.
// The keys it visits with an expiry still ahead give their TTLs to a
// running average per database (INFO keyspace avg_ttl), as Redis does:
// each cycle's sample mean weighs 2%, the estimate before it 98%.
// Each cycle also looks at a few of the in-memory indexes of sorted sets and
// lists, and frees those whose key expired since its last command.
import { performance } from 'node:perf_hooks';
import type { Coordinator } from '../cluster/index';
import type { ServerState } from './state';

const CYCLE_MS = 100;
const BUDGET_MS = 25;
/** Keys with an expiry sampled per round (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP). */
const SAMPLE = 20;
/** Another round while more than this fraction of the sample had expired. */
const ACCEPTABLE_STALE = 0.25;
/** At most this many keys visited per round, to keep one round short. */
const MAX_VISIT = 4096;
/** In-memory indexes (sorted sets, lists) looked at per cycle, to free those of keys that expired. */
const INDEX_SWEEP = 256;

/** Starts the cycle; the returned function stops it. The timer does not keep the process alive. */
export function startActiveExpiry(store: Coordinator, state: ServerState): () => void {
  let nextDb = 0;
  let failing = false;

  /** Rounds on one database; false when the time budget ran out. */
  const expireDb = (db: number, deadline: number): boolean => {
    const expiring = store.expiring(db);
    if (expiring === 0) {
      state.avgTtl[db] = 0;
      return true;
    }
    const size = Math.max(store.size(db), expiring);
    const visit = Math.min(MAX_VISIT, Math.ceil((SAMPLE * size) / expiring));
    const sampled = (visit * expiring) / size;
    let ttlSumMs = 0;
    let ttlCount = 0;
    let finished: boolean;
    for (;;) {
      const sweep = store.reclaimExpired(db, visit);
      state.stats.expiredKeys += sweep.reclaimed;
      ttlSumMs += sweep.ttlSumMs;
      ttlCount += sweep.ttlCount;
      if (performance.now() >= deadline) {
        finished = false;
        break;
      }
      if (sweep.reclaimed <= sampled * ACCEPTABLE_STALE) {
        finished = true;
        break;
      }
    }
    if (ttlCount > 0) {
      const mean = ttlSumMs / ttlCount;
      const before = state.avgTtl[db] || mean;
      state.avgTtl[db] = Math.round((before / 50) * 49 + mean / 50);
    }
    return finished;
  };

  const cycle = (): void => {
    const deadline = performance.now() + BUDGET_MS;
    store.sweepIndexes(INDEX_SWEEP);
    const dbs = store.databases;
    let failed = false;
    for (let n = 0; n < dbs; n++) {
      const db = (nextDb + n) % dbs;
      let finished: boolean;
      try {
        finished = expireDb(db, deadline);
      } catch (err) {
        // Writes refused (disk full, I/O error): expired keys stay unreadable
        // and are reclaimed once writes work again. Said once per episode.
        if (!failing) console.error(`dynkv: active expiry paused on db${db}: ${err instanceof Error ? err.message : String(err)}`);
        failed = true;
        continue;
      }
      if (!finished) {
        nextDb = db;
        break;
      }
    }
    failing = failed;
  };

  const timer = setInterval(cycle, CYCLE_MS);
  timer.unref();
  return () => clearInterval(timer);
}
