// A movable clock (cli/clock.ts): a sleep returns at once and moves the time on by what it
// asked for, and each pause asked for is kept, so a test checks the waiting decisions without
// waiting.
import type { Clock } from '../../cli/clock.js';

export class SteppingClock implements Clock {
  /** The pauses asked for, in order (ms). */
  readonly sleeps: number[] = [];

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}
