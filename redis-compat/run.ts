// redis-compat/run.ts — runs the compatibility scripts from the command line
// and prints every mismatch: `node dist/redis-compat/run.js [script...]`.
// COMPAT_TARGET=redis compares redis-server with itself (checks the scripts).
import { formatMismatch, runScript, type Mismatch } from './harness';
import { scripts } from './scripts';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = only.length === 0 ? scripts : scripts.filter((s) => only.includes(s.name));
  let total = 0;
  for (const script of chosen) {
    for (const proto of script.protos ?? [2, 3]) {
      const found: Mismatch[] = await runScript(script, proto);
      total += found.length;
      console.log(`${script.name} RESP${proto}: ${script.steps.length} steps, ${found.length} mismatches`);
      for (const m of found) console.log(formatMismatch(m));
    }
  }
  console.log(`${total} mismatches`);
  process.exitCode = total === 0 ? 0 : 1;
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(2);
});
