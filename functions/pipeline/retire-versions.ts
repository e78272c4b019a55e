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
 * What the next Retire would have to wait for: versions past retention that readers may still
 * hold (superseded less than a grace period ago). None: a Retire now deletes all it ever would,
 * so the wait after a swap can be skipped (a first version; nothing superseded past retention).
 */
export async function awaitingGrace(deps: RetireDeps, graceMs = deps.load.graceSeconds * 1000): Promise<string[]> {
  return decideRetention(await deps.versions.list(), deps.load.retainVersions, graceMs, deps.now()).deferred;
}

/**
 * Retention before a load, as Plan runs it before registering one: leftovers (a stale load, a
 * failed or discarded version whose keys remain) and whatever retention would retire (held
 * versions older than the newest, versions past the count and their grace) hold memory the
 * pre-flight check would count, and a re-ingest of a stale version must not load on top of its
 * old keys. Retention only after a swap would leave held versions to pile up night after night.
 */
export function retireBeforeLoad(deps: RetireDeps): Promise<RetireResult> {
  return retireVersions(deps);
}

/**
 * Retention right after a version is held: an older held version goes at once (only the newest
 * is kept), and a held version takes a retention slot. Best effort: the hold stands whatever
 * happens here, and the next load's Plan applies retention again.
 */
export async function retireAfterHold(deps: RetireDeps): Promise<RetireResult & { error?: string }> {
  try {
    return await retireVersions(deps);
  } catch (err) {
    return { retired: [], deferred: [], error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}
