// The one wall-clock test of the real timer behind cli/clock.ts (the local run's retry pauses):
// tests of what waits use a movable clock (tests/support/stepping-clock.ts) instead.
import { systemClock } from '../../cli/clock.js';

test('the real clock sleeps the time asked for, and an abort ends the sleep early', async () => {
  const start = performance.now();
  await systemClock.sleep(60);
  expect(performance.now() - start).toBeGreaterThanOrEqual(55);
  expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50);

  const stop = new AbortController();
  const cut = performance.now();
  setTimeout(() => stop.abort(), 20);
  await systemClock.sleep(60_000, stop.signal);
  expect(performance.now() - cut).toBeLessThan(10_000);
});
