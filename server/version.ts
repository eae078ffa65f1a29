// server/version.ts — the versions a client sees: dynkv's own, and the Redis
// version it answers to (clients turn on their 7.0 features from it).
import fs from 'node:fs';
import path from 'node:path';

export const redisVersion = '7.0.15';

function readVersion(): string {
  for (const up of ['..', '../..']) {
    const file = path.join(__dirname, up, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  throw new Error('package.json not found');
}

export const version = readVersion();
