// cluster/anti-entropy/reaped-counter.ts — the highest counter of this
// node's actor in any record it reaped, kept in dir/reaped-counter (fsync
// and rename) and handed to the store (ReplicaStore.counterFloor), so a key
// written again after reaping gets dots above every dot it had: reaping
// does not reach every replica at the same instant (nor at all while one is
// down), and a replica still holding the tombstone would take a reused dot
// for one it has seen and drop the new write (Riak's KV679, the tombstone
// case). One number per node, not one per key: only this node makes dots of
// its actor. A new incarnation is a new actor and starts again from 0.
import fs from 'node:fs';
import path from 'node:path';
import type { ReplicaStore } from '../replica/store';
import type { Actor } from '../versions/versions';

const FILE = 'reaped-counter';

export class ReapedCounter {
  private readonly file: string;

  constructor(dir: string, private readonly actor: Actor, private readonly replicas: ReplicaStore) {
    this.file = path.join(dir, FILE);
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const match = /^(.+) (\d+)\n$/s.exec(text);
    if (match === null) throw new Error(`${this.file} holds ${JSON.stringify(text.slice(0, 80))}, not "actor counter"`);
    // Another actor's counter (the dir got a new incarnation) says nothing about this one's dots.
    if (match[1] === actor) replicas.counterFloor = Number(match[2]);
  }

  /** Records that a reaped record held `counter` for this node's actor; saved before any later write can use it. */
  raise(counter: number): void {
    if (counter <= this.replicas.counterFloor) return;
    const temporary = `${this.file}.tmp`;
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, `${this.actor} ${counter}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.file);
    this.replicas.counterFloor = counter;
  }
}
