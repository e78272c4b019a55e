// The one step every version passes before it goes live (a load's swap or hold, a promote, a
// rollback): nothing a swap makes live may undo an erasure or a correction.
// - Erasure (invariant 11): a chunk that read the tombstones before an erase may have written the
//   key after the erase deleted it, so the tombstones added since the version was planned are
//   deleted from it again. A held or retained version lost the key to the erase call itself;
//   sweeping it too costs one ZRANGEBYSCORE when nothing was erased since.
// - Corrections (invariant 12): the correction log is applied to it (replay-corrections.ts), and
//   the pointer swap then checks that no put was logged since (the log's generation, compared by
//   the SWAP script). If one was, the swap is refused, the new corrections applied, and the swap
//   tried again. An erase removes the key's logged corrections and moves that generation too, so
//   a replay racing an erase is swept again before the next try.
import type { SwapOutcome } from '../domain/version-repository.js';
import type { VersionStatus } from '../domain/version-lifecycle.js';
import { CorrectionsMovedError, TransientError, VersionStateError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { deleteKeys } from './delete-keys.js';
import { replayCorrections, windowOf } from './replay-corrections.js';

export interface GoLiveInput {
  dataset: string;
  version: string;
  orderKey: number;
  /** When the version was planned (its createdAt), epoch ms. */
  plannedAt: number;
}

/**
 * Erase calls are stamped with their caller's clock, Plan with its own: sweep from this much
 * before the plan so that clocks that disagree by up to 10 minutes cannot leak a key.
 */
const CLOCK_MARGIN_MS = 10 * 60 * 1000;

type SweepDeps = Pick<PipelineDeps, 'dataset' | 'versions' | 'erasures' | 'newWriter'>;

/**
 * `restore` (promote and rollback, which may read the S3 log) brings back lost tombstones; a
 * Commit has none and refuses instead: its Plan restored them, so a loss now is a lost cache.
 */
export async function beforeGoLive(deps: SweepDeps, input: GoLiveInput, restore?: () => Promise<boolean>): Promise<void> {
  await sweepErasures(deps, input, restore);
}

async function sweepErasures(deps: SweepDeps, input: GoLiveInput, restore?: () => Promise<boolean>): Promise<void> {
  let since = input.plannedAt - CLOCK_MARGIN_MS;
  if (!(await deps.erasures.isRestored())) {
    if (!restore) {
      throw new VersionStateError(
        `the tombstones of dataset ${input.dataset} are not in the cache (lost with it?); version ${input.version} cannot go live before they are restored from S3 (a load's Plan restores them; run the load again)`,
      );
    }
    await restore();
    since = 0; // restored tombstones carry their old times: sweep them all
  }
  const keys = await deps.erasures.erasedSince(since);
  if (keys.length === 0) return;
  const meta = await deps.versions.get(input.version);
  if (!meta) return;
  await deleteKeys(deps, [{ version: input.version, buckets: meta.buckets }], keys);
}

/** The GoLiveInput of a stored version (its Plan time from createdAt; unknown: 0, sweep everything). */
export async function plannedVersion(deps: Pick<PipelineDeps, 'dataset' | 'versions'>, version: string): Promise<GoLiveInput> {
  const meta = await deps.versions.get(version);
  return { dataset: deps.dataset, version, orderKey: meta?.orderKey ?? 0, plannedAt: Number(meta?.fields.createdAt ?? 0) };
}

interface GoLiveReady {
  /** The correction log's generation the version is up to date with; undefined: no log, no check. */
  correctionsGen?: number;
  /** Corrections written into the version, and those its batch superseded. */
  correctionsApplied: number;
  correctionsSuperseded: number;
}

type CorrectionDeps = Pick<PipelineDeps, 'dataset' | 'spec' | 'versions' | 'newWriter' | 'corrections'>;
type GoLiveDeps = CorrectionDeps & SweepDeps;

/**
 * What a load's chunks wrote of the log themselves (load-chunk.ts): entries they marked, up to
 * the oldest generation one of them read, are in the version; `count` of them.
 */
export interface Substituted {
  upTo: number;
  count: number;
}

/** The chunks' part of the log, from their results; none when a chunk did not say (then everything is replayed). */
export function substitutedByChunks(results: readonly { corrections?: { gen: number; substituted: number } }[]): Substituted | undefined {
  if (results.length === 0 || results.some((r) => !r.corrections)) return undefined;
  return { upTo: Math.min(...results.map((r) => r.corrections!.gen)), count: results.reduce((n, r) => n + r.corrections!.substituted, 0) };
}

/** Brings `target` up to date before its swap; `appliedUpTo`: corrections up to this generation are in it already. */
async function applyCorrections(deps: CorrectionDeps, target: GoLiveInput, appliedUpTo?: number, substituted?: Substituted): Promise<GoLiveReady> {
  const none = { correctionsApplied: 0, correctionsSuperseded: 0 };
  if (!deps.corrections) return none;
  const meta = await deps.versions.get(target.version);
  const buckets = meta?.buckets ?? 0;
  if (buckets <= 0) return none;
  const replay = await replayCorrections({ ...deps, corrections: deps.corrections }, { version: target.version, orderKey: target.orderKey, buckets, appliedUpTo, substitutedUpTo: substituted?.upTo });
  return { correctionsGen: replay.gen, correctionsApplied: replay.applied, correctionsSuperseded: replay.superseded };
}

/**
 * A complete load about to be held (a failed check, manual approval): the log is applied to it
 * too, so pinned reads of the held version show what a promote would make live. Puts from here
 * on write to it themselves; one that races this reaches it at the promote.
 */
export async function correctHeld(deps: CorrectionDeps, version: string, substituted?: Substituted): Promise<void> {
  const meta = await deps.versions.get(version);
  if (meta) await applyCorrections(deps, { dataset: deps.dataset, version, orderKey: meta.orderKey, plannedAt: Number(meta.fields.createdAt ?? 0) }, undefined, substituted);
}

type SwapInput = {
  version: string;
  owner: string;
  requiredStatus: VersionStatus;
  force: boolean;
  now: number;
  fields: Record<string, string | number>;
  /** A load's Commit: what its chunks wrote of the log. */
  substituted?: Substituted;
};

/** How often a swap is refused for new corrections before the step fails (transient: retried). */
const SWAP_ATTEMPTS = 5;

/** How long puts wait at most for a swap that holds them back (a holder that died frees them after it). */
export const FENCE_MS = 5000;

/**
 * The pointer swap for every path that makes a version live: the log applied, then the swap with
 * the generation it reached; a put logged meanwhile refuses the swap and the new corrections are
 * applied before the next try. Once swapped, the log drops what no version can need any more.
 */
export async function swapAfterCorrections(deps: GoLiveDeps, input: SwapInput): Promise<SwapOutcome> {
  const meta = await deps.versions.get(input.version);
  if (!meta || !deps.corrections) return deps.versions.swap(input);
  const target: GoLiveInput = { dataset: deps.dataset, version: input.version, orderKey: meta.orderKey, plannedAt: Number(meta.fields.createdAt ?? 0) };
  const log = deps.corrections;
  let appliedUpTo: number | undefined;
  let applied = input.substituted?.count ?? 0;
  let superseded = 0;
  let fenced = false;
  try {
    for (let attempt = 1; ; attempt++) {
      const ready = await applyCorrections(deps, target, appliedUpTo, input.substituted);
      // A replay that raced an erase may have written an erased key back: sweep again (the
      // erase moved the log's generation, so the swap below is refused until this has run).
      if (attempt > 1) await sweepErasures(deps, target);
      applied += ready.correctionsApplied;
      superseded += ready.correctionsSuperseded;
      // Kept on the version's metadata: corrections written (one re-applied after a race counts
      // again), of them those the chunks wrote in place of the batch's records, and superseded.
      const fields = { ...input.fields, correctionsApplied: applied, correctionsSubstituted: input.substituted?.count ?? 0, correctionsSuperseded: superseded };
      try {
        const { substituted: _, ...swapInput } = input;
        const swap = await deps.versions.swap({ ...swapInput, fields, correctionsGen: ready.correctionsGen });
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
