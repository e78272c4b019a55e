import type { Context } from 'aws-lambda';
import type { ChunkResult } from '../domain/load-summary.js';
import { VersionStateError } from '../errors.js';
import { loadChunk } from '../pipeline/load-chunk.js';
import { emitMetrics, logger, MetricUnit } from './observability.js';
import { runtime } from './runtime.js';
import { chunkOf, versionRef } from './step-inputs.js';
import { withObservability } from './with-observability.js';

async function loadChunkHandler(payload: unknown, _context: Context): Promise<ChunkResult> {
  const ref = versionRef(payload);
  const { pipeline } = (await runtime()).dataset(ref.dataset);
  const given = chunkOf(payload);
  const chunk = typeof given === 'number' ? await pipeline.versions.planChunk(ref.version, given) : given;
  if (!chunk) throw new VersionStateError(`version ${ref.version} of ${ref.dataset} has no chunk ${given} in its plan`);
  logger.appendKeys({ executionId: ref.owner, dataset: ref.dataset, version: ref.version, chunk: chunk.index });
  const started = Date.now();
  const result = await loadChunk({ ...ref, chunk }, pipeline);
  const ms = Date.now() - started;
  emitMetrics(ref.dataset, [
    ['RecordsLoaded', MetricUnit.Count, result.records],
    ['BadRecords', MetricUnit.Count, result.badRecords],
    ['ChunkLoadTime', MetricUnit.Milliseconds, ms],
  ]);
  logger.info('chunk loaded', { records: result.records, badRecords: result.badRecords, bytes: result.bytes, ms, samples: result.samples });
  return result;
}

export const handler = withObservability(loadChunkHandler);
