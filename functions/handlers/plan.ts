import type { Context } from 'aws-lambda';
import { planLoad, type PlanResult } from '../pipeline/plan-load.js';
import { logger, metrics, MetricUnit } from './observability.js';
import { toIngestRequest, unwrapPlanInvocation } from './plan-event.js';
import { runtime } from './runtime.js';
import { withObservability } from './with-observability.js';

async function plan(payload: unknown, _context: Context): Promise<PlanResult> {
  const { event, executionId } = unwrapPlanInvocation(payload);
  logger.appendKeys({ executionId });
  const request = toIngestRequest(event);
  const { pipeline } = await runtime();
  const result = await planLoad(request, executionId, pipeline);
  logger.appendKeys({ version: result.version });
  logger.info(result.action === 'load' ? 'version registered' : 'nothing to do', {
    action: result.action,
    reason: result.reason,
    objects: result.objects,
    totalBytes: result.totalBytes,
    chunks: result.chunkCount,
  });
  if (result.action === 'skip') metrics.addMetric('DuplicateRuns', MetricUnit.Count, 1);
  return result;
}

export const handler = withObservability(plan);
