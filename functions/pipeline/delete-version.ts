// Deleting a version's data, the one way every step does it: claim it (BEGIN_DELETE: no second
// deleter, no re-registration meanwhile), UNLINK its known keys, record the deletion.
import type { VersionRecord } from '../domain/version-repository.js';
import type { PipelineDeps } from './deps.js';

/** What a stale load is marked with when it is cleaned up. */
function abandonedError(v: VersionRecord): string {
  const last = Number(v.fields.heartbeatAt ?? v.fields.createdAt);
  const since = Number.isFinite(last) && last > 0 ? new Date(last).toISOString() : 'its start';
  return `abandoned load: no heartbeat since ${since} (its process stopped); its keys were deleted`;
}

/** True when this call deleted it; false when it may not be deleted (running, live, being deleted by another). */
export async function deleteVersion(v: VersionRecord, deps: Pick<PipelineDeps, 'versions' | 'newWriter'> & Partial<Pick<PipelineDeps, 'corrections'>>, now: number, claimant?: string): Promise<boolean> {
  if ((await deps.versions.beginDelete(v.id, now, abandonedError(v), claimant)) !== 'claimed') return false;
  await deps.versions.deleteData(v.id, v.buckets, deps.newWriter(), now);
  // A load that failed leaves its chunks' marks of substituted corrections (load-chunk.ts).
  await deps.corrections?.dropSubstituted(v.id);
  return true;
}
