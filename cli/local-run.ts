// A load on this machine: the real state machine definition with the real handlers
// (local/state-machine.ts), against whatever Redis and S3 the environment names. Plan and
// LoadChunk are wrapped, not replaced, to feed the progress display; on Ctrl-C the wrapper fails
// every chunk not yet started, so the state machine itself runs Cleanup, as in AWS.
import type { BadSample, ChunkResult } from '../functions/domain/load-summary.js';
import { SluiceError } from '../functions/errors.js';
import type { CommitResult } from '../functions/pipeline/commit-version.js';
import type { PlanResult } from '../functions/pipeline/plan-load.js';
import { realTaskHandlers, runIngestLocally } from '../local/state-machine.js';
import type { Progress } from './progress.js';
import { reportFromFailure, reportFromOutput, type IngestReport } from './report.js';

/** Its name, Interrupted, is what the report below recognises in the execution's error. */
class Interrupted extends SluiceError {
  constructor() {
    super('interrupted by the user (Ctrl-C)');
  }
}

export async function runLocalIngest(input: unknown, progress: Progress, signal?: AbortSignal): Promise<IngestReport> {
  const real = await realTaskHandlers();
  const samples: BadSample[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let plan: PlanResult | undefined;
  let commit: CommitResult | undefined;
  const started = Date.now();
  const run = await runIngestLocally(input, {
    handlers: {
      Plan: async (payload) => {
        const result = (await real.Plan(payload)) as PlanResult;
        plan = result;
        if (result.action === 'load') {
          progress.planned({ dataset: result.dataset, version: result.version, chunks: result.chunkCount, objects: result.objects, bytes: result.totalBytes });
        }
        return result;
      },
      Commit: async (payload) => {
        commit = (await real.Commit(payload)) as CommitResult;
        return commit;
      },
      LoadChunk: async (payload) => {
        if (signal?.aborted) throw new Interrupted();
        const work = real.LoadChunk(payload);
        inFlight.add(work);
        try {
          const result = (await work) as ChunkResult;
          for (const s of result.samples) if (samples.length < 10) samples.push(s);
          progress.chunkDone(result);
          return result;
        } finally {
          inFlight.delete(work);
        }
      },
    },
  });
  // Chunks still running when the Map failed finish by themselves and remove what they wrote
  // (the version is failed by then): wait for them before anyone closes the connections.
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  progress.finish();
  const ms = Date.now() - started;
  if (run.status === 'SUCCEEDED') return reportFromOutput(run.output, run.executionId, ms, samples);
  return reportFromFailure({
    execution: run.executionId,
    ms,
    plan,
    commit,
    error: run.error,
    cause: run.cause,
    interrupted: run.error === 'Interrupted',
    badRecords: progress.badRecords,
    samples,
  });
}
