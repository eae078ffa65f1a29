// test/helpers/open-dump.ts — child process: open a data directory, print
// its whole content as JSON on stdout ({ok, entries: [[keyHex, valueHex]]}
// or {ok: false, code, message}), close. Run in a child so the test sees
// what the engine writes to stderr (torn-tail warnings).
import { open, EngineOptions, EngineError } from '../../engine/index';
import { readAll } from './engine';

const [dir, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? '{}') as EngineOptions;
try {
  const engine = open(dir, options);
  const entries = [...readAll(engine)].map(([k, v]) => [Buffer.from(k, 'latin1').toString('hex'), v.toString('hex')]);
  engine.close();
  process.stdout.write(JSON.stringify({ ok: true, entries }));
} catch (err) {
  const e = err as EngineError;
  process.stdout.write(JSON.stringify({ ok: false, code: e.code ?? null, message: String(e.message), isEngineError: e instanceof EngineError }));
}
