// On any failure: mark the version failed (only if this execution still owns it and it is
// still loading, or failed it already: a live version is never touched) and delete its keys.
import { deleteVersion } from './delete-version.js';
import type { PipelineDeps } from './deps.js';

export interface CleanupInput {
  dataset: string;
  version: string;
  owner: string;
  failure?: { Error?: string; Cause?: string };
}

export interface CleanupResult {
  cleaned: boolean;
  status: string;
}

export async function cleanupVersion(input: CleanupInput, deps: PipelineDeps): Promise<CleanupResult> {
  const now = deps.now();
  const error = `${input.failure?.Error ?? 'Error'}: ${input.failure?.Cause ?? 'unknown cause'}`;
  const marked = await deps.versions.markFailed(input.version, input.owner, error, now);
  if (!marked.failed) return { cleaned: false, status: marked.status };
  const meta = await deps.versions.get(input.version);
  // The claim keeps a re-registration of this version from starting while its keys go; it is
  // this execution's, so a retried Cleanup finishes a deletion its first attempt left halfway.
  if (meta) await deleteVersion(meta, deps, now, `cleanup:${input.owner}`);
  return { cleaned: true, status: 'failed' };
}
