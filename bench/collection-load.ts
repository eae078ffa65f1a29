// bench/collection-load.ts — fills one collection key with many elements
// over a raw connection, pipelined: batches of `per` elements to a command,
// 20 commands in flight. Shared by the collection benchmarks.
import { RawClient, encodeCommand } from '../redis-compat/raw-client';

/** The command that adds elements [from, to) (e.g. ['HSET', key, f, v, ...]). */
export type ElementCommand = (from: number, to: number) => string[];

export async function loadElements(port: number, elements: number, command: ElementCommand, per = 1000): Promise<void> {
  const c = await RawClient.connect(port);
  const BATCH = 20;
  try {
    for (let start = 0; start < elements; start += per * BATCH) {
      const parts: Buffer[] = [];
      for (let s = start; s < Math.min(start + per * BATCH, elements); s += per) parts.push(encodeCommand(command(s, Math.min(s + per, elements))));
      c.write(Buffer.concat(parts));
      for (let j = 0; j < parts.length; j++) {
        const r = await c.read(120_000);
        if (r === null || r.type !== ':') throw new Error(`load: unexpected reply ${JSON.stringify(r)}`);
      }
    }
  } finally {
    c.close();
  }
}
