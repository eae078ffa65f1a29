// test/helpers/server.ts — runs a real dynkv-server as a child process on a
// port reserved by redis-compat/ports.ts (retried on another one if the bind
// fails) with a temporary data directory, for tests that speak RESP to it
// over TCP. The server is stopped (SIGTERM) at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import Redis from 'ioredis';
import { reservePort } from '../../redis-compat/ports';
import { PortTakenError, bindFailed, killOnExit, retryOnPortTaken } from '../../redis-compat/servers';
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

/** The exit code, once the child has exited and its output is read to the end ('close', not 'exit'); call at spawn. */
function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

/**
 * Starts dynkv-server; `options.dir` reuses a data directory (a restart),
 * `args` are extra server flags, `options.env` its environment. Resolves once the server accepts connections.
 */
export function startServer(t: ExecutionContext, args: string[] = [], options: { dir?: string; port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<TestServer> {
  const dir = options.dir ?? path.join(tmpDir(t), 'data');
  if (options.port !== undefined) return startOn(t, options.port, dir, args, options.env);
  return retryOnPortTaken(async () => startOn(t, await reservePort(), dir, args, options.env));
}

async function startOn(t: ExecutionContext, port: number, dir: string, args: string[], env: NodeJS.ProcessEnv | undefined): Promise<TestServer> {
  const child = spawn(process.execPath, [SERVER, '--port', String(port), '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
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
  if (!ready) {
    const message = `dynkv-server did not start on port ${port}: ${out}`;
    throw bindFailed(out) ? new PortTakenError(message) : new Error(message);
  }
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

/** An ioredis client of a test server that fails at once instead of retrying, closed at teardown. */
export function serverClient(t: ExecutionContext, port: number): Redis {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => r.disconnect());
  return r;
}

/** Bytes of the server's log, live and dead (INFO persistence): what writes appended. */
export async function logBytes(r: Redis): Promise<number> {
  const info = await r.info('persistence');
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  return field('log_live_bytes') + field('log_dead_bytes');
}
