// Make a retained earlier version live again, through the same compare-and-set as a commit
// (VersionStore.swap): the target must still be 'superseded' (so its data is intact and no
// retirement has claimed it) and the pointer must not move between our read and the swap.
//
// A rollback normally goes back in order: the target's order key is older than the live one's.
// A commit would refuse that (invariant 3); asking for a rollback is the explicit override, so
// the swap runs with `force`. The result says so, because it lowers the bar: until a newer load,
// any load ordered after the target may replace it. The version rolled away from stays retained
// (superseded) and can be made live again the same way.
import { NotFoundError, VersionStateError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { beforeGoLive, swapAfterCorrections } from './before-go-live.js';
import { restoreTombstones } from './restore-tombstones.js';

export interface RollbackInput {
  /** The version to make live; default: the newest retained (superseded) version ordered before the live one. */
  version?: string;
  /** Only say what would happen. */
  dryRun?: boolean;
}

export interface RollbackResult {
  dataset: string;
  /** 'planned' for a dry run. */
  outcome: 'swapped' | 'already-live' | 'planned';
  version: string;
  orderKey: number;
  /** The version that was live ('' when none was). */
  previous: string;
  previousOrderKey: number | null;
  /** The target is not newer than the version it replaces. */
  backInOrder: boolean;
}

type RollbackDeps = Pick<PipelineDeps, 'dataset' | 'versions' | 'now' | 'spec' | 'newWriter' | 'erasures' | 'erasureLog' | 'corrections'>;

export async function rollbackVersion(input: RollbackInput, deps: RollbackDeps): Promise<RollbackResult> {
  const live = await deps.versions.current();
  const target = input.version ? await named(input.version, deps) : await newestRetained(deps, live?.orderKey ?? null);
  const result: RollbackResult = {
    dataset: deps.dataset,
    outcome: 'planned',
    version: target.id,
    orderKey: target.orderKey,
    previous: live?.version ?? '',
    previousOrderKey: live?.orderKey ?? null,
    backInOrder: live !== null && target.orderKey <= live.orderKey,
  };
  if (live?.version === target.id) return { ...result, outcome: 'already-live' };
  if (target.status !== 'superseded') {
    const why = target.status === 'retired' || target.status === 'retiring' ? 'its data has been deleted' : 'it never became live';
    throw new VersionStateError(`version ${target.id} of ${deps.dataset} is ${target.status}: ${why}; only a retained earlier version (superseded) can be made live again`);
  }
  if (input.dryRun) return result;
  await beforeGoLive(deps, { dataset: deps.dataset, version: target.id, orderKey: target.orderKey, plannedAt: Number(target.fields.createdAt ?? 0) }, () => restoreTombstones(deps));
  const now = deps.now();
  const swap = await swapAfterCorrections(deps, {
    version: target.id,
    owner: '',
    requiredStatus: 'superseded',
    force: true,
    now,
    // committedAt becomes now; keep when the load itself finished.
    fields: { loadedAt: target.fields.loadedAt ?? target.fields.committedAt ?? '', rolledBackAt: now, rolledBackFrom: live?.version ?? '' },
  });
  // Neither can happen: a forced swap is never refused, and only a load's commit (with an owner) is told 'superseded'.
  if (swap.outcome === 'refused' || swap.outcome === 'superseded') throw new VersionStateError(`the swap to ${target.id} was ${swap.outcome}`);
  return { ...result, outcome: swap.outcome, previous: swap.previous };
}

async function named(version: string, deps: RollbackDeps) {
  const v = await deps.versions.get(version);
  if (!v) throw new NotFoundError(`dataset ${deps.dataset} has no version ${version}`);
  return v;
}

/**
 * The newest retained version ordered before the live one. Not the newest retained of all: after
 * a rollback, the version rolled away from is retained and newer, and running the same command
 * again (say, after it timed out waiting for the replicas) would make it live again.
 */
async function newestRetained(deps: RollbackDeps, liveOrderKey: number | null) {
  const retained = (await deps.versions.list()).filter((v) => v.status === 'superseded').sort((a, b) => b.orderKey - a.orderKey);
  const earlier = retained.find((v) => liveOrderKey === null || v.orderKey < liveOrderKey);
  if (earlier) return earlier;
  const later = retained.map((v) => v.id);
  const hint = later.length > 0 ? `; retained versions ordered after the live one (${later.join(', ')}) go live only when named: sluice rollback <version>` : '';
  throw new NotFoundError(`dataset ${deps.dataset} has no retained version ordered before the live one to roll back to${hint}`);
}
