// Stopping a backgrounded `sluice up` by the launcher's PID, whatever the launcher: npx, npm run,
// node bin/sluice.js (execve on Node >= 22.15; a child and a relay on older Node). After SIGINT
// or SIGTERM to the launcher, the process doing the work and the cluster it started must be
// gone. Only the PIDs found here are watched, never signalled by name.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BIN } from './run-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// A Node without process.execve exercises the relay path of bin/sluice.js (this machine's
// /usr/bin/node is Node 20, what `npx` itself runs on).
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p) && !/^v(2[3-9]|22\.(1[5-9]|[2-9]\d))/.test(versionOf(p)));

function versionOf(node: string): string {
  try {
    return String(execFileSync(node, ['--version'])).trim();
  } catch {
    return '';
  }
}

/** PID -> [state, parent PID], from /proc. */
function processes(): Map<number, [string, number]> {
  const table = new Map<number, [string, number]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), [state!, Number(ppid)]);
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** Alive: present and not a zombie (an orphan's zombie waits for an init that may never reap it). */
const alive = (pid: number, table = processes()) => {
  const p = table.get(pid);
  return p !== undefined && p[0] !== 'Z';
};

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('JEST') || k === 'NODE_OPTIONS' || k.startsWith('npm_')) delete env[k];
  return env;
}

const LAUNCHERS: [string, string, string[]][] = [
  ['npx sluice', 'npx', ['sluice']],
  ['npm run sluice --', 'npm', ['run', '--silent', 'sluice', '--']],
  ['node bin/sluice.js (execve)', process.execPath, [BIN]],
  ...(OLD_NODE ? [[`${OLD_NODE} bin/sluice.js (child and relay)`, OLD_NODE, [BIN]] as [string, string, string[]]] : []),
];

async function stopLauncher(command: string, args: string[], signal: NodeJS.Signals): Promise<void> {
  const launcher: ChildProcess = spawn(command, [...args, 'up'], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  launcher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  launcher.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => launcher.on('close', () => resolve()));
  let work: number | undefined;
  try {
    const deadline = Date.now() + 60_000;
    let redis: number[] = [];
    while (redis.length === 0) {
      if (Date.now() > deadline || launcher.exitCode !== null) throw new Error(`no cluster started\n${out}`);
      redis = [...out.matchAll(/pid (\d+)\)/g)].map((m) => Number(m[1]));
      await new Promise((r) => setTimeout(r, 50));
    }
    // The work process is the cluster's parent; it may have started others (the reaper).
    let table = processes();
    work = table.get(redis[0]!)![1];
    const started = [...table].filter(([, [, ppid]]) => ppid === work).map(([pid]) => pid);
    const watched = [...new Set([work, ...redis, ...started])];
    expect(watched.filter((p) => alive(p, table))).toEqual(watched);

    process.kill(launcher.pid!, signal);
    for (;;) {
      table = processes();
      const left = watched.filter((p) => alive(p, table));
      if (left.length === 0) break;
      if (Date.now() > deadline) throw new Error(`still running after ${signal} to the launcher: ${left.join(', ')}\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await exited;
  } finally {
    // After a failure, stop what this test started (the work process stops its cluster).
    if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
    if (work !== undefined && alive(work)) process.kill(work, 'SIGTERM');
  }
}

// Side by side: each run starts a cluster of its own on free ports.
const RUNS = LAUNCHERS.flatMap(([name, command, args]) => (['SIGINT', 'SIGTERM'] as const).map((signal) => [name, signal, command, args] as const));
test.concurrent.each(RUNS)('%s up, in the background: %s to the launcher stops the work process and its cluster', async (_, signal, command, args) => {
  await stopLauncher(command, [...args], signal);
});
