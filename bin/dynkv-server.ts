#!/usr/bin/env node
// bin/dynkv-server.ts — the server's entry point: redis-server's flags and
// config file, one startup line, clean shutdown on SIGTERM/SIGINT.
import { ConfigError, parseArgs } from '../server/config';
import { startServer } from '../server/server';
import { version } from '../server/version';

async function main(): Promise<void> {
  let config;
  try {
    config = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`dynkv-server: ${err.message}`);
    console.error('usage: dynkv-server [/path/to/dynkv.conf] [--port 6379] [--bind 127.0.0.1] [--dir ./data] [--appendfsync everysec|always|no] [--requirepass PASS] [--maxclients N] [--proto-max-bulk-len BYTES] [--cluster-nodes host:port[@busport][=weight],... --cluster-secret S] [--cluster-n N --cluster-r R --cluster-w W] [--cluster-port PORT] [--cluster-weight W] [--cluster-partitions Q] [--cluster-timeout MS] [--enable-fault-injection yes|no]');
    process.exit(1);
  }
  const server = await startServer(config);
  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`dynkv: ${reason} received, shutting down`);
    server.close().then(
      () => process.exit(0),
      (err: Error) => {
        console.error(`dynkv: shutdown failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  server.state.shutdown = (reason) => stop(reason);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Only now: a SIGTERM sent as soon as the line is seen shuts down cleanly.
  console.log(`dynkv ${version} ready: port ${server.port}, dir ${config.dir}, appendfsync ${config.appendfsync}, pid ${process.pid}`);
}

main().catch((err: Error) => {
  console.error(`dynkv-server: ${err.message}`);
  process.exit(1);
});
