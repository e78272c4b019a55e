// A load on this machine: the real state machine definition with the real handlers
// (local/state-machine.ts), against whatever Redis and S3 the environment names. Plan and
// LoadChunk are wrapped, not replaced, to feed the progress display. On Ctrl-C the chunks stop
// (the real LoadChunk gets the signal: it stops reading, lets its batches in flight land and
// throws), chunks not yet started fail at once, and Commit refuses, so the state machine's own
// Cleanup deletes the version, as in AWS: an interrupted load never goes live.
import type { BadSample, ChunkResult } from '../functions/domain/load-summary.js';
import { SluiceError } from '../functions/errors.js';
import type { CommitResult } from '../functions/pipeline/commit-version.js';
import type { PlanResult } from '../functions/pipeline/plan-load.js';
import { InterruptedError } from '../functions/errors.js';
import { realTaskHandlers, retryPolicies, runIngestLocally, type TaskName } from '../local/state-machine.js';
import type { Progress } from './progress.js';
import { awaitingGrace } from '../functions/pipeline/retire-versions.js';
import { runtime } from '../functions/lambda/runtime.js';
import { systemClock, type Clock } from './clock.js';
import { reportFromFailure, reportFromOutput, type IngestReport } from './report.js';

/** The state machine hands each chunk its number in the stored plan. */
const chunkName = (payload: unknown) => {
  const chunk = (payload as { chunk?: unknown } | null)?.chunk;
  return typeof chunk === 'number' ? `chunk ${chunk}` : 'a chunk';
};
const interrupted = (what: string) => new InterruptedError(`interrupted by the user (Ctrl-C) ${what}`);

export interface LocalIngestOptions {
  /**
   * The WaitForReaders pause after the swap (GRACE_SECONDS, as in AWS), so that Retire deletes
   * what it would in AWS. Ctrl-C during it stops the execution there: the version is live, and
   * the older ones are retired by the next load. Default: none (Retire then defers them).
   */
  graceWaitMs?: number;
  /** What the retry pauses and the grace wait wait on (default: the real clock). */
  clock?: Clock;
}

export async function runLocalIngest(input: unknown, progress: Progress, signal?: AbortSignal, options: LocalIngestOptions = {}): Promise<IngestReport> {
  const real = await realTaskHandlers(signal);
  const stop = new AbortController();
  const graceWaitMs = options.graceWaitMs ?? 0;
  const clock = options.clock ?? systemClock;
  const samples: BadSample[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let plan: PlanResult | undefined;
  let commit: CommitResult | undefined;
  const started = Date.now();
  /** From the start to the swap (or the hold): the load itself, without the wait after it. */
  let msToLive: number | undefined;
  /** The WaitForReaders pause: none unless a version to retire waits for its grace. */
  let wait = 0;
  // Retries pause as the definition says (seconds, doubling, jittered), so a local load rides out
  // what a deployed one would. The pauses are taken here, not by the interpreter, so that Ctrl-C
  // cuts one short; each failure is said, or a pause would look like a hang.
  const policies = retryPolicies();
  const failures = new Map<string, number>();
  const attempt = async <T>(task: TaskName, step: string, work: () => Promise<T>): Promise<T> => {
    const policy = policies[task];
    const failed = failures.get(step) ?? 0;
    if (failed > 0) {
      await clock.sleep(policy.pauseMs(failed), signal);
      if (signal?.aborted) throw interrupted(`while ${step} waited to be retried`);
    }
    try {
      return await work();
    } catch (err) {
      failures.set(step, failed + 1);
      if ((err as Error)?.name === 'TransientError' && !signal?.aborted && failed < policy.retries) {
        progress.note(`${step} failed (attempt ${failed + 1} of ${policy.retries + 1}): ${(err as Error).message}; the state machine retries it after a pause, as in AWS`);
      }
      throw err;
    }
  };
  const run = await runIngestLocally(input, {
    signal,
    stop: stop.signal,
    graceWaitMs: () => wait,
    clock,
    retryPauseMs: 0, // `attempt` pauses
    handlers: {
      Plan: async (payload) => {
        const result = (await attempt('Plan', 'Plan', () => real.Plan(payload))) as PlanResult;
        plan = result;
        if (result.action === 'load') {
          progress.planned({ dataset: result.dataset, version: result.version, chunks: result.chunkCount, objects: result.objects, bytes: result.totalBytes });
        }
        return result;
      },
      Commit: async (payload) => {
        if (signal?.aborted) throw interrupted('before the commit');
        commit = (await attempt('Commit', 'Commit', () => real.Commit(payload))) as CommitResult;
        msToLive = Date.now() - started;
        if (commit.outcome === 'swapped' && graceWaitMs > 0) {
          // Wait only for what Retire would keep for the readers' sake; with nothing inside its
          // grace (a first version, nothing superseded past retention) Retire deletes all it would at once.
          const waiting = await versionsAwaitingGrace((payload as { dataset: string }).dataset, graceWaitMs);
          if (waiting.length > 0) {
            wait = graceWaitMs;
            progress.note(`version ${commit.version} is live; waiting ${graceWaitMs / 1000} s (GRACE_SECONDS) for readers' cached pointers before retiring ${waiting.join(', ')} (Ctrl-C skips the wait; the next load retires them)`);
            if (signal?.aborted) stop.abort();
            else signal?.addEventListener('abort', () => stop.abort(), { once: true });
          }
        }
        return commit;
      },
      LoadChunk: async (payload) => {
        if (signal?.aborted) throw interrupted('before this chunk started');
        const work = attempt('LoadChunk', chunkName(payload), () => real.LoadChunk(payload));
        inFlight.add(work);
        try {
          const result = (await work) as ChunkResult;
          for (const s of result.samples) if (samples.length < 10) samples.push(s);
          progress.chunkDone(result);
          return result;
        } catch (err) {
          if (!signal?.aborted) throw err;
          // The first chunk to fail fails the Map and Cleanup starts: let the other chunks stop
          // and their writes land first, so Cleanup deletes everything that was written.
          inFlight.delete(work);
          await Promise.allSettled([...inFlight]);
          throw err instanceof InterruptedError ? err : interrupted(`(${(err as Error).message})`);
        } finally {
          inFlight.delete(work);
        }
      },
    },
  });
  // (runIngestLocally returns only once every invocation has stopped, chunks still running after
  // the Map failed and a Retire cut off by Ctrl-C included: nothing is left writing.)
  progress.finish();
  const ms = Date.now() - started;
  if (run.status === 'SUCCEEDED') return reportFromOutput(run.output, run.executionId, ms, samples, msToLive);
  if (run.status === 'ABORTED') {
    // Only ever after the swap (Ctrl-C during the grace wait): the version is live.
    return reportFromFailure({ execution: run.executionId, ms, msToLive, plan, commit, error: 'Interrupted', cause: 'Ctrl-C during the grace wait: older versions were not retired; the next load retires them', badRecords: progress.badRecords, samples });
  }
  return reportFromFailure({
    execution: run.executionId,
    ms,
    msToLive,
    plan,
    commit,
    error: run.error,
    cause: run.cause,
    interrupted: signal?.aborted === true,
    badRecords: progress.badRecords,
    samples,
  });
}

/** Versions past retention inside their grace (see awaitingGrace); if that cannot be read, assume some (and wait, as in AWS). */
async function versionsAwaitingGrace(dataset: string, graceMs: number): Promise<string[]> {
  try {
    return await awaitingGrace((await runtime()).dataset(dataset).pipeline, graceMs);
  } catch {
    return ['the versions past retention'];
  }
}
