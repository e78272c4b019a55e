import type { Context } from 'aws-lambda';
import { cleanupVersion, type CleanupResult } from '../pipeline/cleanup-version.js';
import { emitMetrics, logger, MetricUnit } from '../lambda/observability.js';
import { runtime } from '../lambda/runtime.js';
import { failureOf, versionRef } from '../lambda/step-inputs.js';
import { withObservability } from '../lambda/with-observability.js';

async function cleanup(payload: unknown, _context: Context): Promise<CleanupResult> {
  const ref = versionRef(payload);
  const { pipeline } = (await runtime()).dataset(ref.dataset);
  logger.appendKeys({ executionId: ref.owner, dataset: ref.dataset, version: ref.version });
  const failure = failureOf(payload);
  const result = await cleanupVersion({ ...ref, failure }, pipeline);
  // Only a load of this execution failed here: still loading, or already failed (a retried
  // Cleanup finishing its deletion). A version live, another execution's, or never registered
  // is no failed load of this one.
  if (result.cleaned) emitMetrics(ref.dataset, [['LoadsFailed', MetricUnit.Count, 1]]);
  logger.warn(result.cleaned ? 'failed load cleaned up' : 'nothing to clean up', { ...result, failure });
  return result;
}

export const handler = withObservability(cleanup);
