// When a Map iteration fails for good, the execution fails and Step Functions starts none of the
// iterations still waiting for a slot. aws-local-stepfunctions does start them (its queue runs
// on), so runIngestLocally refuses to start anything once the execution has ended: a LoadChunk
// begun after the run returned would build a runtime that nobody closes (the handle that kept
// the reliability suite's Jest process alive on Valkey).
import { BadDataError } from '../../functions/errors.js';
import { runIngestLocally, type TaskHandler } from '../../local/state-machine.js';

test('no task starts after a failed Map has ended the execution', async () => {
  const chunks = Array.from({ length: 20 }, (_, i) => i);
  const started: number[] = [];
  let returned = false;
  const startedLate: number[] = [];
  const loadChunk: TaskHandler = async (payload) => {
    const { chunk } = payload as { chunk: number };
    (returned ? startedLate : started).push(chunk);
    if (chunk === 1) throw new BadDataError(`chunk ${chunk} is unusable`);
    return { index: chunk, records: 1, badRecords: 0, bytes: 1, samples: [] };
  };
  const run = await runIngestLocally(
    { s3Uri: 's3://bucket/out/', version: 'v1', orderKey: 1 },
    {
      handlers: {
        Plan: async () => ({ action: 'load', dataset: 'd', version: 'v1', owner: 'exec', chunks, chunkCount: chunks.length, mapConcurrency: 1 }),
        LoadChunk: loadChunk,
        Cleanup: async () => ({ cleaned: true }),
      },
    },
  );
  returned = true;
  expect(run).toMatchObject({ status: 'FAILED', error: 'BadDataError' });
  // (Iterations the interpreter starts while the execution still runs Cleanup are awaited by the run.)
  expect(started.slice(0, 2)).toEqual([0, 1]);
  // The interpreter would start a queued iteration within a few event-loop turns of the failure;
  // give it far more than that to show none starts.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(startedLate).toEqual([]);
});
