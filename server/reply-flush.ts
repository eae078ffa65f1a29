// server/reply-flush.ts — replies go out once per event-loop turn, after
// every socket that was ready has been read, as Redis writes its clients'
// replies in beforeSleep. Writing each reply the moment it is ready wakes
// the client once per reply; held to the end of the turn, the replies to
// many connections reach a client (redis-benchmark, a pooled driver) in one
// burst that it handles in one wakeup. Fewer wakeups on both sides is most
// of the cost on a virtual machine, where each one is an interrupt.
import type { ClientSocket } from './client-socket';

interface Pending {
  socket: ClientSocket;
  out: Buffer[];
  end: boolean;
}

const pending = new Map<ClientSocket, Pending>();
let scheduled = false;

function flush(): void {
  scheduled = false;
  for (const p of pending.values()) {
    if (p.socket.isOpen) {
      if (p.out.length === 1) p.socket.write(p.out[0]);
      else if (p.out.length > 1) p.socket.write(Buffer.concat(p.out));
      if (p.end) p.socket.end();
    }
  }
  pending.clear();
}

/** Queues out (if any) for socket, to be written at the end of this turn; `end` closes the socket after it. */
export function queueReply(socket: ClientSocket, out: Buffer | null, end: boolean): void {
  let p = pending.get(socket);
  if (p === undefined) pending.set(socket, (p = { socket, out: [], end: false }));
  if (out !== null) p.out.push(out);
  if (end) p.end = true;
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}
