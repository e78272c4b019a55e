import type { Context } from 'aws-lambda';
import type { ChunkResult } from '../domain/load-summary.js';
import { loadChunk } from '../pipeline/load-chunk.js';
import { signalOf } from '../lambda/local-context.js';
import { emitMetrics, logger, MetricUnit } from '../lambda/observability.js';
import { runtime } from '../lambda/runtime.js';
import { chunkOf, versionRef } from '../lambda/step-inputs.js';
import { withObservability } from '../lambda/with-observability.js';

async function loadChunkHandler(payload: unknown, context: Context): Promise<ChunkResult> {
  const ref = versionRef(payload);
  const { pipeline } = (await runtime()).dataset(ref.dataset);
  // Keys shared by every chunk of the execution; the chunk number goes on each line instead,
  // because invocations running side by side in one process (a local run) share this logger.
  logger.appendKeys({ executionId: ref.owner, dataset: ref.dataset, version: ref.version });
  const started = Date.now();
  const result = await loadChunk({ ...ref, chunk: chunkOf(payload) }, pipeline, undefined, signalOf(context));
  const ms = Date.now() - started;
  emitMetrics(ref.dataset, [
    ['RecordsLoaded', MetricUnit.Count, result.records],
    ['BadRecords', MetricUnit.Count, result.badRecords],
    ['ChunkLoadTime', MetricUnit.Milliseconds, ms],
  ]);
  logger.info('chunk loaded', { chunk: result.index, records: result.records, badRecords: result.badRecords, erased: result.erased ?? 0, bytes: result.bytes, ms, samples: result.samples });
  return result;
}

export const handler = withObservability(loadChunkHandler);
