// `sluice ingest` pauses between retries itself (so Ctrl-C can cut a pause short), from the
// definition's Retry entries: these are the pauses Step Functions would take.
import { retryPolicies } from '../../local/state-machine.js';

const policies = retryPolicies();

const top = () => 1; // the upper bound of the full jitter
const half = () => 0.5;

test('Plan and Commit: 4 retries after 2 s, doubling, at most 30 s, full jitter', () => {
  for (const task of ['Plan', 'Commit'] as const) {
    const p = policies[task];
    expect(p.retries).toBe(4);
    expect([1, 2, 3, 4, 5].map((n) => p.pauseMs(n, top))).toEqual([2000, 4000, 8000, 16000, 30000]);
    expect(p.pauseMs(3, half)).toBe(4000);
    expect(p.pauseMs(1, () => 0)).toBe(0);
  }
});

test('LoadChunk: 6 retries, capped at 60 s; Retire (States.ALL): 3 retries from 5 s, no cap', () => {
  const chunk = policies.LoadChunk;
  expect(chunk.retries).toBe(6);
  expect([1, 5, 6].map((n) => chunk.pauseMs(n, top))).toEqual([2000, 32000, 60000]);
  const retire = policies.Retire;
  expect(retire.retries).toBe(3);
  expect([1, 2, 3].map((n) => retire.pauseMs(n, top))).toEqual([5000, 10000, 20000]);
});
