// Runs the sluice command with the environment pointing at the test cluster and s3rver:
// `sluice()` in this process through cli/run.ts (what bin/sluice.js runs, without the process
// start, 2-3 s each), `sluiceSpawned()` and `RunningCli` as a user does, bin/sluice.js in a
// child process (which re-executes itself with tsx on the project's Node 22). Only processes
// started here are ever signalled, by their PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../cli/clock.js';
import { runCli } from '../../cli/run.js';
import { testStackVars } from '../support/sluice.js';

export const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The variables a user would export after `sluice up`, for the test cluster and s3rver. */
export function testStackEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...testStackVars(),
    // Many commands start at once in some tests: give the cluster connection room.
    SLUICE_CONNECT_TIMEOUT_MS: '15000',
    ...extra,
  };
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  // The Jest worker's own settings must not leak into the command.
  for (const k of Object.keys(base)) if (k.startsWith('JEST') || k === 'NODE_OPTIONS') delete base[k];
  return { ...base, ...env };
}

/** Collects what is written to it. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

// The handlers' runtime (and `sluice invoke`'s process.env) is one per process: commands run in
// process take turns, as the same commands would one after another in a shell.
let turn: Promise<unknown> = Promise.resolve();

/**
 * `sluice <args>` in this process, with `env` over the worker's own as its environment and
 * process.env (what a child process would get); process.env is put back afterwards.
 */
export function sluice(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000, opts: { clock?: Clock; signal?: AbortSignal } = {}): Promise<CliRun> {
  // The handlers' logger takes its level and console when first imported, once per process:
  // a run that shows their logs (--verbose) gets a process of its own.
  if (args.includes('--verbose') || args.includes('-v')) return sluiceSpawned(args, env, timeoutMs);
  const run = turn.then(() => sluiceInProcess(args, env, timeoutMs, opts.clock, opts.signal));
  turn = run.catch(() => undefined);
  return run;
}

async function sluiceInProcess(args: string[], env: Record<string, string>, timeoutMs: number, clock: Clock | undefined, signal?: AbortSignal): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const saved = { ...process.env };
  const stop = new AbortController();
  // A caller's signal stops the command as Ctrl-C does.
  if (signal?.aborted) stop.abort();
  else signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      stop.abort();
      reject(new Error(`sluice ${args.join(' ')} ran past ${timeoutMs} ms\nstdout: ${stdout.text}\nstderr: ${stderr.text}`));
    }, timeoutMs);
  });
  // As in a child process, the command's environment is the process's for the run.
  const commandEnv = childEnv(env);
  for (const k of Object.keys(process.env)) if (!(k in commandEnv)) delete process.env[k];
  Object.assign(process.env, commandEnv);
  try {
    const code = await Promise.race([runCli({ argv: args, env: process.env, stdout, stderr, tty: false, signal: stop.signal, clock }), timedOut]);
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    clearTimeout(timer);
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** `sluice <args>` as a user runs it: bin/sluice.js in a child process. */
export function sluiceSpawned(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} ran past ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running command (serve, up): wait for its output, then stop it like Ctrl-C would. */
export class RunningCli {
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  /** `group`: in a process group of its own, which stopGroup() signals as a terminal's Ctrl-C does. */
  static start(args: string[], env: Record<string, string> = {}, opts: { group?: boolean } = {}): RunningCli {
    return new RunningCli(spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: opts.group === true }));
  }

  /** Output on stderr (progress, notes), as waitFor does for stdout. */
  async waitForStderr(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.stderr);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${pattern} on stderr (exit ${this.child.exitCode})\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends `signal` to the process group of a command started with `group` (its own group, by its PID). */
  async stopGroup(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode === null) process.kill(-this.child.pid!, signal);
    return this.exited;
  }

  /** The first match of `pattern` in stdout, waiting for it (and failing if the command exits first). */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.stdout);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${pattern} in the output (exit ${this.child.exitCode})\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends `signal` to the process this test started and waits for its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}
