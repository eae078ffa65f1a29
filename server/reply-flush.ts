// server/reply-flush.ts — replies go out once per event-loop turn, after
// every socket that was ready has been read, as Redis writes its clients'
// replies in beforeSleep. Writing each reply the moment it is ready wakes
// the client once per reply; held to the end of the turn, the replies to
// many connections reach a client (redis-benchmark, a pooled driver) in one
// burst that it handles in one wakeup. Fewer wakeups on both sides is most
// of the cost on a virtual machine, where each one is an interrupt.
import type { ClientSocket } from './client-socket';

/** Sockets holding replies for this turn, each once. */
const holding: ClientSocket[] = [];

function flush(): void {
  for (let i = 0; i < holding.length; i++) holding[i].release();
  holding.length = 0;
}

/** Queues out (if any) for socket, to be written at the end of this turn; `end` closes the socket after it. */
export function queueReply(socket: ClientSocket, out: Buffer | null, end: boolean): void {
  if (!socket.hold(out, end)) return;
  if (holding.length === 0) setImmediate(flush);
  holding.push(socket);
}
