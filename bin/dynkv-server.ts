#!/usr/bin/env node
// bin/dynkv-server.ts — the server's entry point: redis-server's flags and
// config file, one startup line, clean shutdown on SIGTERM/SIGINT.
import fs from 'node:fs';
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
    console.error('usage: dynkv-server [/path/to/dynkv.conf] [--port 6379] [--bind 127.0.0.1] [--dir ./data] [--appendfsync everysec|always|no] [--requirepass PASS] [--maxclients N] [--proto-max-bulk-len BYTES] [--cluster-nodes host:port[@busport][=weight],... --cluster-secret-file PATH | --cluster-secret S] [--cluster-n N --cluster-r R --cluster-w W] [--cluster-port PORT] [--cluster-weight W] [--cluster-partitions Q] [--cluster-timeout MS] [--cluster-phi-threshold PHI] [--cluster-heartbeat-ms MS] [--enable-fault-injection yes|no]');
    process.exit(1);
  }
  warnIfSecretFileShared(config.clusterSecretFile);
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

/**
 * A secret file others may read is a warning, not a refusal: Docker and
 * Kubernetes mount secrets 0444 or 0644 by default, in a directory only the
 * container sees.
 */
function warnIfSecretFileShared(file: string): void {
  if (file === '') return;
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    console.error(`dynkv-server: warning: cluster-secret-file '${file}' has mode ${mode.toString(8).padStart(4, '0')}: users other than its owner may read the cluster secret (chmod 600 it)`);
  }
}

main().catch((err: Error) => {
  console.error(`dynkv-server: ${err.message}`);
  process.exit(1);
});
