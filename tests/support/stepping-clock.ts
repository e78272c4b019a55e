// A movable clock (cli/clock.ts): a sleep returns at once and moves the time on by what it
// asked for, and each pause asked for is kept, so a test checks the waiting decisions without
// waiting. `advance` moves the time on without a pause (a process that stopped while time went
// by). It reads the real time moved on by every step so far, so that what the code stamps
// (createdAt, heartbeatAt, supersededAt) is still a date, in the order things happened; a test
// keeps its grace and lock TTLs long (a minute or more) so that only its steps, never the real
// seconds it runs for, decide.
import type { Clock } from '../../cli/clock.js';

export class SteppingClock implements Clock {
  /** The pauses asked for, in order (ms). */
  readonly sleeps: number[] = [];
  private moved = 0;

  now(): number {
    return Date.now() + this.moved;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.moved += ms;
  }

  /** Moves the time on by `ms` (no pause is recorded). */
  advance(ms: number): void {
    this.moved += ms;
  }
}
