// server/clock.ts — the time in microseconds that TIME and INFO's
// server_time_usec report: the wall clock to the microsecond, which
// Date.now() (milliseconds) does not give.
import { performance } from 'node:perf_hooks';

/** Added to the monotonic clock to follow the wall clock when it is set or slewed (nowMicros). */
let wallOffsetMs = 0;
/** The last time nowMicros gave. */
let lastMicros = 0;

/**
 * The time in microseconds since the epoch (TIME, INFO's server_time_usec):
 * the wall clock at process start plus the monotonic clock since, to the
 * microsecond (Date.now() has only milliseconds), put back on the wall
 * clock whenever they part by a millisecond or more, without stepping back
 * for it. An integer below 2^53.
 */
export function nowMicros(): number {
  let ms = performance.timeOrigin + performance.now() + wallOffsetMs;
  const wall = Date.now();
  if (ms < wall || ms >= wall + 1) {
    wallOffsetMs += wall + 0.5 - ms;
    ms = wall + 0.5;
  }
  const us = Math.floor(ms * 1000);
  // A resync may step back by under a millisecond: hold the last value instead. A clock set back further is followed, as Redis's gettimeofday.
  lastMicros = us < lastMicros && lastMicros - us < 1000 ? lastMicros : us;
  return lastMicros;
}
