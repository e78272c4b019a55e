// An operator's discard: delete a held version (it will not go live) or a stale load (its
// process stopped), keeping its metadata (status 'discarded') as failed versions keep theirs.
// A running load, the live version and retained earlier versions cannot be discarded.
import { NotFoundError, VersionStateError } from '../errors.js';
import type { PipelineDeps } from './deps.js';

export interface DiscardResult {
  dataset: string;
  /** 'already-discarded': a discard of a version whose data an earlier discard deleted; nothing was deleted now. */
  outcome: 'discarded' | 'already-discarded';
  version: string;
  /** What it was: 'held', or 'stale' for an abandoned load ('discarded': discarded before). */
  was: 'held' | 'stale' | 'discarded';
  /** Data keys deleted now (the version's bucket count; 0 when an earlier discard deleted them). */
  buckets: number;
  /** A version discarded before: when. */
  discardedAt?: string;
}

type DiscardDeps = Pick<PipelineDeps, 'dataset' | 'versions' | 'newWriter' | 'now' | 'load'>;

export async function discardVersion(input: { version: string }, deps: DiscardDeps): Promise<DiscardResult> {
  const target = await deps.versions.get(input.version);
  if (!target) throw new NotFoundError(`dataset ${deps.dataset} has no version ${input.version}`);
  const now = deps.now();
  const claim = await deps.versions.discard(target.id, now);
  if (claim === 'loading') {
    const beat = Number(target.fields.heartbeatAt);
    const ago = Number.isFinite(beat) ? `, last heartbeat ${((now - beat) / 1000).toFixed(1)} s ago` : '';
    throw new VersionStateError(
      `version ${target.id} of ${deps.dataset} is loading under a running execution${ago}; it can be discarded once it stops (a load without a heartbeat for LOAD_STALE_SECONDS=${deps.load.loadStaleSeconds} is stale)`,
    );
  }
  if (claim === 'busy') throw new VersionStateError(`version ${target.id} of ${deps.dataset} is being deleted already`);
  if (claim !== 'discarded') {
    const hint = claim === 'live' ? ' (the live version: load or promote another, or roll back)' : claim === 'superseded' ? ' (a retained earlier version: retention deletes it)' : '';
    throw new VersionStateError(`version ${target.id} of ${deps.dataset} is ${claim}; only a held version or a stale load can be discarded${hint}`);
  }
  // (Run again even when an earlier discard deleted the data: it releases the claim just taken.)
  await deps.versions.deleteData(target.id, target.buckets, deps.newWriter(), now);
  const was = target.status === 'loading' ? 'stale' : target.status === 'held' ? 'held' : 'discarded';
  if (was === 'discarded' && target.fields.dataDeletedAt !== undefined) {
    const at = Number(target.fields.discardedAt);
    const result: DiscardResult = { dataset: deps.dataset, outcome: 'already-discarded', version: target.id, was, buckets: 0 };
    if (Number.isFinite(at)) result.discardedAt = new Date(at).toISOString();
    return result;
  }
  return { dataset: deps.dataset, outcome: 'discarded', version: target.id, was, buckets: target.buckets };
}
