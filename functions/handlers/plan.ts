import type { Context } from 'aws-lambda';
import { datasetForJob } from '../domain/dataset-spec.js';
import type { IngestRequest } from '../domain/ingest-request.js';
import { planLoad, type PlanResult } from '../pipeline/plan-load.js';
import { emitMetrics, logger, MetricUnit } from '../lambda/observability.js';
import { toIngestRequest, unwrapPlanInvocation } from '../lambda/plan-event.js';
import { runtime, type DatasetRuntime, type Runtime } from '../lambda/runtime.js';
import { withObservability } from '../lambda/with-observability.js';

/** A job feeds the dataset that claims its name; a manual run names one or takes the default. */
function targetOf(request: IngestRequest, rt: Runtime): DatasetRuntime | undefined {
  if (request.dataset) return rt.dataset(request.dataset);
  if (request.jobName) {
    const spec = datasetForJob(rt.datasets.map((d) => d.spec), request.jobName);
    return spec && rt.dataset(spec.name);
  }
  return rt.defaultDataset;
}

function nothingToLoad(reason: string, rt: Runtime): PlanResult {
  return {
    action: 'skip',
    reason,
    dataset: '',
    version: '',
    orderKey: 0,
    owner: '',
    objects: 0,
    totalBytes: 0,
    buckets: 0,
    chunkCount: 0,
    chunks: [],
    mapConcurrency: rt.config.load.mapConcurrency,
    graceSeconds: rt.config.load.graceSeconds,
  };
}

async function plan(payload: unknown, _context: Context): Promise<PlanResult> {
  const { event, executionId } = unwrapPlanInvocation(payload);
  logger.appendKeys({ executionId });
  const request = toIngestRequest(event);
  const rt = await runtime();
  const target = targetOf(request, rt);
  if (!target) {
    logger.info('no dataset takes this job', { job: request.jobName });
    return nothingToLoad(`no dataset takes transform job ${request.jobName}`, rt);
  }
  const result = await planLoad(request, executionId, target.pipeline);
  logger.appendKeys({ dataset: result.dataset, version: result.version });
  logger.info(result.action === 'load' ? 'version registered' : 'nothing to do', {
    action: result.action,
    reason: result.reason,
    objects: result.objects,
    totalBytes: result.totalBytes,
    chunks: result.chunkCount,
    chunkSizeBytes: result.chunkSizeBytes,
  });
  const configured = target.pipeline.load.chunkSizeBytes;
  if (result.chunkSizeBytes !== undefined && result.chunkSizeBytes > configured) {
    logger.info('chunk size grown so the load fits one execution', { configuredChunkSizeBytes: configured, chunkSizeBytes: result.chunkSizeBytes, chunks: result.chunkCount });
  }
  if (result.action === 'skip') emitMetrics(result.dataset || 'none', [['DuplicateRuns', MetricUnit.Count, 1]]);
  return result;
}

export const handler = withObservability(plan);
