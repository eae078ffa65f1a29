// cluster/handoff/hint-queue.ts — one target's hints in delivery: the log
// (hint-log.ts) plus a window of hints in flight, sent in log order. A hint
// leaves the log only once the target acked it, and the head moves only
// over a prefix of acked (or dropped) hints, so a restart resends from the
// first unacked one. A failed send stops the queue: once nothing is in
// flight it rewinds to that hint and waits until retryAt. Hints older than
// the age bound, or that fail their checksum, are dropped and counted. No
// timers or sockets here: delivery.ts drives it.
import type { ElementFlags, Hint, HintLog } from './hint-log';

/** One record of the window, in log order: a hint in flight, or one acked/dropped waiting for those before it. */
interface Slot {
  readonly end: number;
  /** Hints it removes from the queued count when the head passes it (0 for a corrupt record the open counted). */
  readonly hints: number;
  settled: boolean;
}

export class HintQueue {
  /** Hints the target acked. */
  delivered = 0;
  /** Hints dropped: refused by the size bound, past the age bound, corrupt. */
  dropped: number;
  /** No sends before this time (ms): after a failure. */
  retryAt = 0;
  /** Where the next hint to send starts. */
  private next: number;
  private readonly window: Slot[] = [];
  private inFlight = 0;
  /** A send failed: rewind once nothing is in flight. */
  private failed = false;
  /** After a rewind: records past the head already acked or dropped (by end offset, with their hint count), not sent or counted again. */
  private readonly resolved = new Map<number, number>();

  constructor(readonly log: HintLog) {
    this.dropped = log.droppedAtOpen;
    this.next = log.head;
  }

  get target(): string {
    return this.log.target;
  }

  /** Hints sent and not yet acked. */
  get sending(): number {
    return this.inFlight;
  }

  /** Whether there are hints to send (or in flight). */
  get pending(): boolean {
    return this.log.queued > 0 || this.inFlight > 0;
  }

  /** Appends a hint; false (counted as dropped) when the log is at its size bound. */
  add(now: number, db: number, key: Buffer, record: Buffer, maxBytes: number, element: ElementFlags | null = null): boolean {
    if (this.log.append(now, db, key, record, maxBytes, element)) return true;
    this.dropped++;
    return false;
  }

  /**
   * The next hints to send, in log order: at most `room` of them (the window
   * left) and about `budget` bytes (at least one when budget is positive).
   * Expired and corrupt records met on the way are dropped.
   */
  take(now: number, maxAgeMs: number, room: number, budget: number): Hint[] {
    const out: Hint[] = [];
    if (this.failed) return out;
    while (out.length < room && budget > 0) {
      const found = this.log.read(this.next);
      if (found.kind === 'end') break;
      const end = found.kind === 'hint' ? found.hint.end : found.end;
      const resolvedHints = this.resolved.get(end);
      if (resolvedHints !== undefined) {
        this.window.push({ end, hints: resolvedHints, settled: true });
        this.next = end;
        continue;
      }
      if (found.kind === 'corrupt') {
        const counted = !this.log.foundCorrupt(found.offset);
        if (counted) this.dropped++;
        this.window.push({ end: found.end, hints: counted ? 1 : 0, settled: true });
        this.next = found.end;
        continue;
      }
      const hint = found.hint;
      this.next = hint.end;
      if (now - hint.createdAt > maxAgeMs) {
        this.dropped++;
        this.window.push({ end: hint.end, hints: 1, settled: true });
        continue;
      }
      this.window.push({ end: hint.end, hints: 1, settled: false });
      this.inFlight++;
      budget -= hint.record.length + hint.key.length;
      out.push(hint);
    }
    this.settle();
    return out;
  }

  /** The target acked the hint. */
  acked(hint: Hint): void {
    this.delivered++;
    this.slotOf(hint).settled = true;
    this.inFlight--;
    this.settle();
  }

  /** Sending the hint failed: the queue resends from it, no sooner than retryAt. */
  failedSend(hint: Hint, retryAt: number): void {
    this.slotOf(hint);
    this.inFlight--;
    this.failed = true;
    this.retryAt = Math.max(this.retryAt, retryAt);
    this.settle();
  }

  /** Drops hints past the age bound at the head of a queue not being sent (the target is away). */
  expire(now: number, maxAgeMs: number): void {
    if (this.inFlight > 0 || this.window.length > 0) return;
    for (;;) {
      const found = this.log.read(this.log.head);
      if (found.kind !== 'hint' || now - found.hint.createdAt <= maxAgeMs) return;
      this.dropped++;
      this.log.advance(found.hint.end, 1);
      this.next = this.log.head;
    }
  }

  /** Saves the head; with nothing in flight, rewrites the log when acked hints are all or most of it. */
  checkpoint(): void {
    this.log.saveHead();
    if (this.inFlight === 0 && this.window.length === 0 && this.log.compact()) this.next = this.log.head;
  }

  private slotOf(hint: Hint): Slot {
    // The window is in log order and holds few slots: from the front, the first ending at the hint's end.
    for (const slot of this.window) if (slot.end === hint.end) return slot;
    throw new Error(`hint at ${hint.offset} for ${this.target} is not in flight`);
  }

  /** Moves the head over the settled prefix; after a failure, once nothing is in flight, rewinds to the first unacked hint. */
  private settle(): void {
    let passed = 0;
    let end = this.log.head;
    while (this.window.length > 0 && this.window[0].settled) {
      const slot = this.window.shift() as Slot;
      passed += slot.hints;
      end = slot.end;
    }
    if (end !== this.log.head) this.log.advance(end, passed);
    for (const done of this.resolved.keys()) if (done <= end) this.resolved.delete(done);
    if (this.failed && this.inFlight === 0) {
      for (const slot of this.window) if (slot.settled) this.resolved.set(slot.end, slot.hints);
      this.window.length = 0;
      this.next = this.log.head;
      this.failed = false;
    }
  }
}
