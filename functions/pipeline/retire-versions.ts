// Step 4: delete versions past the retention count once readers can no longer hold them,
// and finish off any failed or refused version whose keys were left behind.
import { decideRetention } from '../domain/version-lifecycle.js';
import type { PipelineDeps } from './deps.js';

export interface RetireResult {
  retired: string[];
  deferred: string[];
}

export async function retireVersions(deps: PipelineDeps, graceMs = deps.load.graceSeconds * 1000): Promise<RetireResult> {
  const now = deps.now();
  const versions = await deps.versions.list();
  const decision = decideRetention(versions, deps.load.retainVersions, graceMs, now);
  const retired: string[] = [];
  for (const id of decision.retire) {
    const v = versions.find((x) => x.id === id);
    if (!v || !(await deps.versions.beginDelete(id))) continue;
    await deps.versions.deleteData(id, v.buckets, deps.newWriter(), now);
    retired.push(id);
  }
  return { retired, deferred: decision.deferred };
}
