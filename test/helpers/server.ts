// test/helpers/server.ts — runs a real dynkv-server as a child process on a
// free port with a temporary data directory, for tests that speak RESP to it
// over TCP. The server is stopped (SIGTERM) at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { freePort, killOnExit } from '../../redis-compat/servers';
import { tmpDir } from './tmpdir';

export interface TestServer {
  port: number;
  /** The server process's id (for /proc/PID). */
  pid: number;
  dir: string;
  /** What the server printed on stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

const SERVER = path.resolve(__dirname, '../../bin/dynkv-server.js');

/** Resolves with the exit code once the process exited and its output was all read ('close': 'exit' may come before the last lines). */
function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

/**
 * Starts dynkv-server; `options.dir` reuses a data directory (a restart),
 * `args` are extra server flags. Resolves once the server accepts connections.
 */
export async function startServer(t: ExecutionContext, args: string[] = [], options: { dir?: string; port?: number } = {}): Promise<TestServer> {
  const dir = options.dir ?? path.join(tmpDir(t), 'data');
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [SERVER, '--port', String(port), '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const done = exited(child);
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await done;
    }
  });
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => {
      const check = (): void => {
        if (out.includes(' ready: ')) resolve(true);
        else setTimeout(check, 20);
      };
      check();
    }),
    done.then(() => false),
  ]);
  if (!ready) throw new Error(`dynkv-server did not start: ${out}`);
  return {
    port,
    pid: child.pid as number,
    dir,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      return done;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await done;
    },
  };
}
