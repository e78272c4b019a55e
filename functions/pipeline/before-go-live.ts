// The one step every version passes before it goes live (a load's swap or hold, a promote, a
// rollback): anything a swap must not undo is applied to the version first. For erasure
// (invariant 11): a chunk that read the tombstones before an erase may have written the key
// after the erase deleted it, so the tombstones added since the version was planned are
// deleted from it again. A held or retained version lost the key to the erase call itself;
// sweeping it too costs one ZRANGEBYSCORE when nothing was erased since.
import { VersionStateError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { deleteKeys } from './delete-keys.js';

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

type GoLiveDeps = Pick<PipelineDeps, 'dataset' | 'versions' | 'erasures' | 'newWriter'>;

/**
 * `restore` (promote and rollback, which may read the S3 log) brings back lost tombstones; a
 * Commit has none and refuses instead: its Plan restored them, so a loss now is a lost cache.
 */
export async function beforeGoLive(deps: GoLiveDeps, input: GoLiveInput, restore?: () => Promise<boolean>): Promise<void> {
  await sweepErasures(deps, input, restore);
}

async function sweepErasures(deps: GoLiveDeps, input: GoLiveInput, restore?: () => Promise<boolean>): Promise<void> {
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
