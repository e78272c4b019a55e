#!/usr/bin/env node
// Launcher for the sluice CLI (cli/main.ts). It runs the TypeScript through tsx, on the
// project's own Node 22 (node_modules/.bin/node, what Lambda runs; npx puts it first on PATH)
// and with --openssl-legacy-provider, without which s3rver answers a paginated listing with
// HTTP 500. Where Node can (22.15+), it replaces itself with that process (execve: one process,
// signals and exit code are the CLI's own); otherwise it runs it as a child and relays both.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const projectNode = fileURLToPath(new URL('node_modules/.bin/node', root));
const node = existsSync(projectNode) ? projectNode : process.execPath;
const args = ['--openssl-legacy-provider', '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('cli/main.ts', root)), ...process.argv.slice(2)];

if (typeof process.execve === 'function') {
  process.execve(node, [node, ...args], process.env);
} else {
  // SLUICE_RELAY_PID: the CLI stops if this process dies without relaying (cli/main.ts).
  const child = spawn(node, args, { stdio: 'inherit', env: { ...process.env, SLUICE_RELAY_PID: String(process.pid) } });
  // A terminal's Ctrl-C reaches both processes; a signal sent to this one alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`sluice: cannot start ${node}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
}
