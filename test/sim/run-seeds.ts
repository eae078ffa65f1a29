// test/sim/run-seeds.ts — the simulation by hand, for thousands of seeds:
//   npm run sim -- --seeds 5000 [--from 1] [--w 1 --r 1 --n 3] [--nodes 3,5]
//                  [--ops 40] [--keys 6] [--wipes] [--no-crashes]
//                  [--no-partitions] [--loss 0.05] [--no-reorder] [--skew 300] [--no-mset]
//                  [--convergence] [--no-quorum-reads] [--seed 123]
// Prints each failing seed with its schedule and violations (its full trace
// goes to a file), then the totals: seeds failed, keys whose replicas
// differed after convergence, wall time. Exits 1 when a seed failed.
import { report, runSeed } from './runner';
import { DEFAULT_CONFIG, type SimConfig } from './schedule';

function parse(argv: string[]): { from: number; seeds: number; config: SimConfig; convergence: boolean; quorumReads: boolean } {
  const config: SimConfig = { ...DEFAULT_CONFIG };
  let from = 1;
  let seeds = 100;
  let convergence = false;
  let quorumReads = true;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const number = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v)) throw new Error(`${flag} needs a number`);
      return v;
    };
    switch (flag) {
      case '--seeds': seeds = number(); break;
      case '--from': from = number(); break;
      case '--seed': from = number(); seeds = 1; break;
      case '--n': config.n = number(); break;
      case '--r': config.r = number(); break;
      case '--w': config.w = number(); break;
      case '--nodes': config.nodes = value().split(',').map(Number); break;
      case '--ops': config.ops = number(); break;
      case '--keys': config.keys = number(); break;
      case '--timeout': config.timeoutMs = number(); break;
      case '--loss': config.maxLoss = number(); break;
      case '--skew': config.maxSkewMs = number(); break;
      case '--wipes': config.wipes = true; break;
      case '--no-crashes': config.crashes = false; break;
      case '--no-partitions': config.partitions = false; break;
      case '--no-reorder': config.reorder = false; break;
      case '--no-mset': config.mset = false; break;
      case '--convergence': convergence = true; break;
      case '--no-quorum-reads': quorumReads = false; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return { from, seeds, config, convergence, quorumReads };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { from, seeds, config, convergence, quorumReads } = parse(args);
  /** The options that shape a run (all but which seeds), for a failing seed's rerun line. */
  const shape = args.filter((a, i) => !['--seeds', '--from', '--seed'].includes(a) && !['--seeds', '--from', '--seed'].includes(args[i - 1]));
  const started = process.hrtime.bigint();
  let failed = 0;
  let keys = 0;
  let under = 0;
  let commands = 0;
  for (let seed = from; seed < from + seeds; seed++) {
    const result = await runSeed(seed, config, { convergence, quorumReads });
    keys += result.keys;
    under += result.underReplicated;
    commands += result.commands;
    if (result.violations.length > 0) {
      failed++;
      console.log(report({ ...result, rerun: `npm run sim -- ${[...shape, '--seed', String(seed)].join(' ')}` }));
    }
    if ((seed - from + 1) % 500 === 0) console.log(`... ${seed - from + 1} seeds, ${failed} failed`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${seeds} seeds (from ${from}), ${commands} commands: ${failed} failed; ${under} of ${keys} keys (${((100 * under) / keys).toFixed(1)}%) with replicas that differ after convergence; ${seconds.toFixed(1)} s`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 2;
});
