// Running redis-cli (valkey-cli on Valkey) and other binaries (openssl) as a child with a timeout.
import { execFile } from 'node:child_process';
import { findEngine } from './engine.js';

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
