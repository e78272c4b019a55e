// What happens to a version just before it goes live (a load's swap, a promote, a rollback):
// the correction log is applied to it (replay-corrections.ts), and the pointer swap then checks
// that no put was logged since (the correction log's generation, compared by the SWAP script).
// If one was, the swap is refused, the new corrections applied, and the swap tried again.
import type { SwapOutcome } from '../domain/version-repository.js';
import type { VersionStatus } from '../domain/version-lifecycle.js';
import { CorrectionsMovedError, TransientError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { replayCorrections, windowOf } from './replay-corrections.js';

interface GoLiveTarget {
  dataset: string;
  version: string;
  /** Its job's creation time (or a manual run's order key), epoch ms. */
  orderKey: number;
  /** When the load was registered (planned), epoch ms. */
  plannedAt: number;
}

interface GoLiveReady {
  /** The correction log's generation the version is up to date with; undefined: no log, no check. */
  correctionsGen?: number;
  /** Corrections written into the version, and those its batch superseded. */
  correctionsApplied: number;
  correctionsSuperseded: number;
}

type GoLiveDeps = Pick<PipelineDeps, 'dataset' | 'spec' | 'versions' | 'newWriter' | 'corrections'>;

/** Brings `target` up to date before its swap; `appliedUpTo`: corrections up to this generation are in it already. */
async function beforeGoLive(deps: GoLiveDeps, target: GoLiveTarget, appliedUpTo?: number): Promise<GoLiveReady> {
  const none = { correctionsApplied: 0, correctionsSuperseded: 0 };
  if (!deps.corrections) return none;
  const meta = await deps.versions.get(target.version);
  const buckets = meta?.buckets ?? 0;
  if (buckets <= 0) return none;
  const replay = await replayCorrections({ ...deps, corrections: deps.corrections }, { version: target.version, orderKey: target.orderKey, buckets, appliedUpTo });
  return { correctionsGen: replay.gen, correctionsApplied: replay.applied, correctionsSuperseded: replay.superseded };
}

/**
 * A complete load about to be held (a failed check, manual approval): the log is applied to it
 * too, so pinned reads of the held version show what a promote would make live. Puts from here
 * on write to it themselves; one that races this reaches it at the promote.
 */
export async function correctHeld(deps: GoLiveDeps, version: string): Promise<void> {
  const meta = await deps.versions.get(version);
  if (meta) await beforeGoLive(deps, { dataset: deps.dataset, version, orderKey: meta.orderKey, plannedAt: Number(meta.fields.createdAt ?? 0) });
}

type SwapInput = { version: string; owner: string; requiredStatus: VersionStatus; force: boolean; now: number; fields: Record<string, string | number> };

/** How often a swap is refused for new corrections before the step fails (transient: retried). */
const SWAP_ATTEMPTS = 5;

/** How long puts wait at most for a swap that holds them back (a holder that died frees them after it). */
export const FENCE_MS = 5000;

/**
 * The pointer swap for every path that makes a version live: beforeGoLive, then the swap with
 * the generation it reached; a put logged meanwhile refuses the swap and the new corrections are
 * applied before the next try. Once swapped, the log drops what no version can need any more.
 */
export async function swapAfterCorrections(deps: GoLiveDeps, input: SwapInput): Promise<SwapOutcome> {
  const meta = await deps.versions.get(input.version);
  if (!meta || !deps.corrections) return deps.versions.swap(input);
  const target: GoLiveTarget = { dataset: deps.dataset, version: input.version, orderKey: meta.orderKey, plannedAt: Number(meta.fields.createdAt ?? 0) };
  const log = deps.corrections;
  let appliedUpTo: number | undefined;
  let applied = 0;
  let superseded = 0;
  let fenced = false;
  try {
    for (let attempt = 1; ; attempt++) {
      const ready = await beforeGoLive(deps, target, appliedUpTo);
      applied += ready.correctionsApplied;
      superseded += ready.correctionsSuperseded;
      // Kept on the version's metadata: corrections written (one re-applied after a race counts again) and superseded.
      const fields = { ...input.fields, correctionsApplied: applied, correctionsSuperseded: superseded };
      try {
        const swap = await deps.versions.swap({ ...input, fields, correctionsGen: ready.correctionsGen });
        if (swap.outcome === 'swapped') await log.trim(windowOf(deps));
        return swap;
      } catch (err) {
        if (!(err instanceof CorrectionsMovedError)) throw err;
        // By the name the state machine retries on: the step is retried whole.
        if (attempt >= SWAP_ATTEMPTS) throw new TransientError(`${err.message} (refused ${attempt} times)`, { cause: err });
        appliedUpTo = ready.correctionsGen;
        // Refused once: hold puts back for the next pass, so a stream of puts cannot starve the swap.
        // The fence goes up before the next pass reads the generation: what it applies is complete.
        await log.fence(input.version, FENCE_MS); // again each time: a slow pass may outlive it
        fenced = true;
      }
    }
  } finally {
    if (fenced) await log.unfence(input.version);
  }
}
