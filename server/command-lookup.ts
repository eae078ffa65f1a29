// server/command-lookup.ts — finds a command's spec from the name bytes a
// client sent, without making a string of them: a hash of the ASCII-folded
// bytes picks the candidates, then a byte compare settles it (Redis looks
// commands up case-insensitively in its own table). Saves the toString,
// toLowerCase and string hashing that cost more than a GET's own work.
import type { CommandSpec } from './commands/types';

/** Longer than any command name: such a name is unknown without hashing it. */
const MAX_NAME = 64;

function foldedHash(bytes: Uint8Array, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    const c = bytes[i];
    h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 16777619);
  }
  return h;
}

export class CommandLookup {
  private readonly byHash = new Map<number, { spec: CommandSpec; name: Buffer }[]>();

  constructor(table: ReadonlyMap<string, CommandSpec>) {
    for (const spec of table.values()) {
      const name = Buffer.from(spec.name, 'latin1');
      const h = foldedHash(name, name.length);
      const list = this.byHash.get(h);
      if (list === undefined) this.byHash.set(h, [{ spec, name }]);
      else list.push({ spec, name });
    }
  }

  find(sent: Buffer): CommandSpec | undefined {
    const len = sent.length;
    if (len > MAX_NAME) return undefined;
    const candidates = this.byHash.get(foldedHash(sent, len));
    if (candidates === undefined) return undefined;
    for (const { spec, name } of candidates) {
      if (name.length !== len) continue;
      let i = 0;
      for (; i < len; i++) {
        const c = sent[i];
        if ((c >= 65 && c <= 90 ? c + 32 : c) !== name[i]) break;
      }
      if (i === len) return spec;
    }
    return undefined;
  }
}
