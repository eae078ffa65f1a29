// test/helpers/engine.ts — small helpers shared by the engine tests: open an
// engine that is closed at teardown, list data/hint files and running
// merges' outputs, read the whole store through scan, run a helper script in
// a child node process (and kill it mid-merge).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { open, Engine, EngineOptions } from '../../engine/index';

export function openEngine(t: ExecutionContext, dir: string, options: EngineOptions = {}): Engine {
  const engine = open(dir, options);
  t.teardown(() => engine.close());
  return engine;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Data files (NNNNNNNNNN.data), oldest first. */
export function dataFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.data')).sort();
}

export function hintFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.hint')).sort();
}

export function removeHints(dir: string): number {
  const hints = hintFiles(dir);
  for (const h of hints) fs.unlinkSync(path.join(dir, h));
  return hints.length;
}

/**
 * Output files of a merge still being written (NNNNNNNNNN.data.tmp): they
 * exist only while a merge runs (it renames them when it commits) until the
 * next open removes the leftovers of one a crash cut short.
 */
export function mergeOutputs(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.data.tmp'));
}

/**
 * SIGKILLs the child as soon as `due()` holds (polled every millisecond), or
 * after waitMs at the latest.
 */
export function killWhen(child: ChildProcess, due: () => boolean, waitMs: number): void {
  const deadline = Date.now() + waitMs;
  const poll = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (due() || Date.now() >= deadline) child.kill('SIGKILL');
    else setTimeout(poll, 1);
  };
  poll();
}

/** SIGKILLs the child as soon as a merge is seen running in dir, or after waitMs at the latest. */
export function killDuringMerge(child: ChildProcess, dir: string, waitMs: number): void {
  killWhen(child, () => mergeOutputs(dir).length > 0, waitMs);
}

/** Every live key and value, read through scan + get; keys as latin1 strings. */
export function readAll(engine: Engine, count = 100): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let cursor = 0n;
  do {
    const r = engine.scan(cursor, count);
    for (const k of r.keys) {
      const v = engine.get(k);
      if (v !== null) out.set(k.toString('latin1'), v);
    }
    cursor = r.cursor;
  } while (cursor !== 0n);
  return out;
}

/** Whether any data file of dir contains these bytes (to see what compaction kept). */
export function filesContain(dir: string, needle: Buffer | string): boolean {
  const n = typeof needle === 'string' ? Buffer.from(needle) : needle;
  return dataFiles(dir).some((f) => fs.readFileSync(path.join(dir, f)).includes(n));
}

/** Path of a compiled helper script (dist/test/helpers/NAME.js). */
export function helperScript(name: string): string {
  return path.join(__dirname, `${name}.js`);
}

export interface DumpResult {
  ok: boolean;
  code?: string;
  message?: string;
  entries?: [string, string][];
  stderr: string;
}

/** Opens dir in a child process and returns its content (hex) and its stderr. */
export function dumpInChild(dir: string, options: EngineOptions = {}): DumpResult {
  const r = spawnSync(process.execPath, [helperScript('open-dump'), dir, JSON.stringify(options)], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`open-dump exited ${r.status} ${r.signal}: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as Omit<DumpResult, 'stderr'>), stderr: r.stderr };
}

