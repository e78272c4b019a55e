// Process bookkeeping for local clusters: spawned PIDs, the directories we own, the exit hook,
// the reaper, and stopping processes by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

// Process bookkeeping: nothing we spawn may outlive the process that spawned it, even when that
// process dies without calling stop() (aborted run, thrown globalSetup, Ctrl-C, SIGKILL).
// Two layers:
// - a process 'exit' hook that SIGKILLs what is still alive. It only helps in a real Node
//   process: inside a Jest test file `process` is Jest's sandboxed copy, whose 'exit' event never
//   fires (checked: a cluster leaked from a test file survived the run);
// - a reaper: a tiny detached Node process per cluster that holds the read end of a pipe from
//   us and is told each PID we spawn. The kernel closes the pipe when we die, however we die;
//   on EOF the reaper SIGKILLs those PIDs (if they are still redis-server) and removes the dir.

// The reaper is reaper.cjs beside this file.

export const liveChildren = new Map<number, ChildProcess>();
export const ownedDirs = new Set<string>();
let exitHookInstalled = false;

function killLeftoversSync(): void {
  for (const pid of liveChildren.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
  ownedDirs.clear();
}

export function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killLeftoversSync);
}

const REAPER_SCRIPT = fileURLToPath(new URL('./reaper.cjs', import.meta.url));

export interface Reaper {
  watch(line: string): void;
  disarm(): void;
}

export function startReaper(): Reaper {
  const child = spawn(process.execPath, [REAPER_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => undefined); // best effort: the exit hook still applies
  child.unref();
  // The pipe must not keep our event loop alive either; child_process stdio pipes are sockets.
  const stdin = child.stdin as Socket | null;
  stdin?.on('error', () => undefined);
  stdin?.unref();
  return {
    watch: (line) => {
      stdin?.write(`${line}\n`);
    },
    disarm: () => {
      stdin?.end('disarm\n');
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM means it exists but belongs to someone else — still "alive" for our purposes.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A dead process that is not our child lingers as a zombie until its parent reaps it (and
  // PID 1 in some sandboxes reaps slowly); it holds no ports or memory, so count it as gone.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): trust kill(pid, 0)
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM each PID, wait for it to disappear, SIGKILL whatever is still there after
 * `timeoutMs`. Resolves once every PID is gone.
 */
export async function stopProcesses(pids: number[], timeoutMs = 5_000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  const pending = pids.filter(isAlive);
  pending.forEach((pid) => signal(pid, 'SIGTERM'));
  const deadline = Date.now() + timeoutMs;
  let remaining = pending.filter(isAlive);
  while (remaining.length > 0 && Date.now() < deadline) {
    await sleep(25);
    remaining = remaining.filter(isAlive);
  }
  remaining.forEach((pid) => signal(pid, 'SIGKILL'));
  // A SIGKILLed child stays a zombie until Node reaps it on SIGCHLD; that is quick, but wait for
  // it so callers can rely on "gone" when this resolves.
  const killDeadline = Date.now() + 2_000;
  while (remaining.some(isAlive) && Date.now() < killDeadline) await sleep(10);
  for (const pid of pids) liveChildren.delete(pid);
}

