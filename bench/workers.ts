// Child processes of the benchmark driver: load workers (IPC) and read servers (a port on
// stdout). Each is started with the driver's Node flags (tsx, --openssl-legacy-provider), and
// stopped by its own PID.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FromWorker, LoadJob, LoadOutcome, ToWorker } from './protocol.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** Extra Node flags for every child, e.g. `--cpu-prof --cpu-prof-dir=...` (BENCH_CPU_PROF). */
function childExecArgv(label: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  const prof = dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`] : [];
  return [...process.execArgv, ...prof];
}

export interface LoadWorker {
  pid: number;
  readyRssKb: number;
  run(job: LoadJob): Promise<LoadOutcome>;
  stop(): Promise<void>;
}

/** `tree`: load with another checkout's code (its bench/load-worker.ts), for before/after comparisons. */
export async function startLoadWorker(label: string, opts: { usesRuntime: boolean; env?: Record<string, string>; tree?: string; nodeFlags?: string[] }): Promise<LoadWorker> {
  const script = opts.tree ? `${opts.tree}/bench/load-worker.ts` : here('./load-worker.ts');
  const child = fork(script, [], {
    execArgv: [...childExecArgv(label), ...(opts.nodeFlags ?? [])],
    env: { ...process.env, ...opts.env, BENCH_WORKER_USES_RUNTIME: opts.usesRuntime ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (o: LoadOutcome) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`worker ${label} exited (code ${code}) during a job`));
    pending.clear();
  });
  const readyRssKb = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker ${label} exited (code ${code}) before it was ready`)));
    child.on('message', (m: FromWorker) => {
      if (m.type === 'ready') resolve(m.rssKb);
      else if (m.type === 'done') pending.get(m.id)?.resolve(m.outcome);
      else if (m.type === 'failed') pending.get(m.id)?.reject(new Error(`worker ${label}: ${m.error}`));
      if (m.type !== 'ready') pending.delete(m.id);
    });
  });
  return {
    pid: child.pid!,
    readyRssKb,
    run(job) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ type: 'run', id, job } satisfies ToWorker);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'exit' } satisfies ToWorker);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000); // our own child, by its handle
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface ReadServer {
  pid: number;
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `api`: the real read handler behind local/api-server.ts; `bare`: node:http + ioredis, pointer GET + data HGET. */
export async function startReadServer(kind: 'api' | 'bare' | 'core', env: Record<string, string> = {}, tree?: string): Promise<ReadServer> {
  const child: ChildProcess = fork(tree ? `${tree}/bench/read-server.ts` : here('./read-server.ts'), [kind], {
    execArgv: childExecArgv(`read-${kind}`),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`read server (${kind}) exited (code ${code}) before listening`)));
    child.once('message', (m: { port: number }) => resolve(m.port));
  });
  return {
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send('exit');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU time (user + sys) a process has used so far, in µs, from /proc (clock ticks of 10 ms). */
export function processCpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
