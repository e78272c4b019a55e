// An operator's override for a held version (a failed release check, or manual approval): make
// it live through the same compare-and-set as a commit (VersionStore.swap with required status
// 'held', no force: a version ordered at or before the live one is refused, as a commit would
// be), then apply retention as the Retire step does. Promote runs outside the state machine, so
// there is no WaitForReaders before that: retention deletes only what is past its grace already
// (decideRetention defers the rest); the version just replaced goes at the next Retire (the
// next load's, or the Retire function by hand) if retention says so.
import { NotFoundError, VersionStateError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { beforeGoLive, swapAfterCorrections } from './before-go-live.js';
import { restoreTombstones } from './restore-tombstones.js';
import { orderKeyText } from './order-key-text.js';
import { retireVersions } from './retire-versions.js';

export interface PromoteResult {
  dataset: string;
  outcome: 'swapped' | 'already-live';
  version: string;
  orderKey: number;
  /** Why it was held: 'checks-failed' or 'manual-approval'. */
  heldReason?: string;
  /** The version that was live ('' when none was); it is retained (superseded) for rollback. */
  previous: string;
  /** Retention, applied at once: what it deleted, and what waits out the readers' grace. */
  retired: string[];
  deferred: string[];
  graceSeconds: number;
}

type PromoteDeps = Pick<PipelineDeps, 'dataset' | 'versions' | 'newWriter' | 'now' | 'load' | 'erasures' | 'erasureLog' | 'spec' | 'corrections'>;

export async function promoteVersion(input: { version: string }, deps: PromoteDeps): Promise<PromoteResult> {
  const target = await deps.versions.get(input.version);
  if (!target) throw new NotFoundError(`dataset ${deps.dataset} has no version ${input.version}`);
  const live = await deps.versions.current();
  const base = { dataset: deps.dataset, version: target.id, orderKey: target.orderKey, heldReason: target.fields.heldReason, previous: live?.version ?? '', retired: [], deferred: [], graceSeconds: deps.load.graceSeconds };
  if (live?.version === target.id) return { ...base, outcome: 'already-live' };
  if (target.status !== 'held') {
    const hint = target.status === 'superseded' ? ' (a retained earlier version: sluice rollback makes it live again)' : target.stale ? ' (a stale load: sluice discard deletes it)' : '';
    throw new VersionStateError(`version ${target.id} of ${deps.dataset} is ${target.stale ? 'stale' : target.status}; only a held version can be promoted${hint}`);
  }
  if (live && live.orderKey >= target.orderKey) {
    throw new VersionStateError(
      `version ${target.id} of ${deps.dataset} (order key ${orderKeyText(target.orderKey)}) is not newer than the live version ${live.version} (order key ${orderKeyText(live.orderKey)}): ` +
        `promoting it would go back in order, which a commit never does; discard it (sluice discard ${target.id})`,
    );
  }
  await beforeGoLive(deps, { dataset: deps.dataset, version: target.id, orderKey: target.orderKey, plannedAt: Number(target.fields.createdAt ?? 0) }, () => restoreTombstones(deps));
  const now = deps.now();
  const swap = await swapAfterCorrections(deps, {
    version: target.id,
    owner: '',
    requiredStatus: 'held',
    force: false,
    now,
    // committedAt becomes now; the load itself ended when it was held.
    fields: { loadedAt: target.fields.heldAt ?? now, promotedAt: now },
  });
  // ('superseded' is a retried load commit's outcome, which an owner-less swap never gets.)
  if (swap.outcome === 'refused' || swap.outcome === 'superseded') {
    // A newer version went live between our look and the swap; the script marked this one refused.
    throw new VersionStateError(`version ${swap.previous} of ${deps.dataset} went live meanwhile and is ordered after ${target.id}; ${target.id} was refused and retention deletes it`);
  }
  const retention = await retireVersions(deps);
  return { ...base, outcome: swap.outcome, previous: swap.previous, retired: retention.retired, deferred: retention.deferred };
}
