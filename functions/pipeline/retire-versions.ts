// Step 4: delete versions past the retention count once readers can no longer hold them,
// and finish off what was left behind: failed, refused and discarded versions whose keys
// remain, and stale loads (their process stopped; nothing heartbeats for them).
import { decideRetention } from '../domain/version-lifecycle.js';
import { deleteVersion } from './delete-version.js';
import type { PipelineDeps } from './deps.js';
import { windowOf } from './replay-corrections.js';

export interface RetireResult {
  retired: string[];
  deferred: string[];
}

type RetireDeps = Pick<PipelineDeps, 'versions' | 'newWriter' | 'now' | 'load'> & Partial<Pick<PipelineDeps, 'spec' | 'corrections'>>;

/** `claimant` names the deletion claims (see VersionRepository.beginDelete): the same one again resumes them. */
export async function retireVersions(deps: RetireDeps, graceMs = deps.load.graceSeconds * 1000, claimant?: string): Promise<RetireResult> {
  const now = deps.now();
  const versions = await deps.versions.list();
  const decision = decideRetention(versions, deps.load.retainVersions, graceMs, now);
  const retired: string[] = [];
  for (const id of decision.retire) {
    const v = versions.find((x) => x.id === id);
    if (v && (await deleteVersion(v, deps, now, claimant))) retired.push(id);
  }
  // A retired version can no longer go live: corrections only it still needed leave the log.
  if (retired.length > 0 && deps.corrections && deps.spec) await deps.corrections.trim(windowOf({ spec: deps.spec }));
  return { retired, deferred: decision.deferred };
}

/**
 * Only the leftovers, no retention: Plan runs this before registering a load, so the memory a
 * stale load holds is free again for the pre-flight check, and a re-ingest of it starts clean.
 */
export async function cleanLeftovers(deps: RetireDeps): Promise<string[]> {
  const now = deps.now();
  const cleaned: string[] = [];
  for (const v of await deps.versions.list()) {
    const leftover = ['failed', 'refused', 'discarded', 'retiring'].includes(v.status) || (v.status === 'loading' && v.stale === true);
    if (leftover && (await deleteVersion(v, deps, now))) cleaned.push(v.id);
  }
  return cleaned;
}
