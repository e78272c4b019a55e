// A running load says it is alive: while a worker writes (or Commit runs its checks), it
// refreshes the load's lock every quarter of LOAD_STALE_SECONDS. A load whose process stops (a
// killed CLI, a lost execution) therefore goes stale within that time, and the next load,
// Retire or `sluice discard` cleans it up. Trouble reaching Redis for one beat is not fatal:
// the writes would fail too.
import type { PipelineDeps } from './deps.js';

export interface Heartbeat {
  /** The version stopped loading under this owner: stop writing. */
  lost: boolean;
  stop(): void;
}

export function startHeartbeat(load: { version: string; owner: string }, deps: Pick<PipelineDeps, 'versions' | 'load' | 'now'>): Heartbeat {
  const ttlMs = deps.load.loadStaleSeconds * 1000;
  const state: Heartbeat = { lost: false, stop: () => clearInterval(timer) };
  const beat = () => {
    deps.versions.heartbeat(load.version, load.owner, deps.now(), ttlMs).then(
      (alive) => {
        if (!alive) state.lost = true;
      },
      () => undefined,
    );
  };
  const timer = setInterval(beat, Math.max(100, ttlMs / 4));
  timer.unref();
  beat();
  return state;
}
