// Time as a parameter where the local run waits (retry pauses): the real clock by default, a
// movable one in tests (tests/support/stepping-clock.ts), so the decisions are tested without
// sitting out the pauses. cli/sleep.ts is the one real timer behind it.
import { sleep } from './sleep.js';

export interface Clock {
  now(): number;
  /** Waits `ms`, or less when `signal` aborts; the caller checks `signal.aborted`. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep };
