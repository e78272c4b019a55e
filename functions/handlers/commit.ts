import type { Context } from 'aws-lambda';
import { commitVersion, type CommitResult } from '../pipeline/commit-version.js';
import { emitMetrics, logger, MetricUnit } from '../lambda/observability.js';
import { runtime } from '../lambda/runtime.js';
import { chunkCountOf, versionRef } from '../lambda/step-inputs.js';
import { withObservability } from '../lambda/with-observability.js';

async function commit(payload: unknown, _context: Context): Promise<CommitResult> {
  const ref = versionRef(payload);
  const { pipeline } = (await runtime()).dataset(ref.dataset);
  logger.appendKeys({ executionId: ref.owner, dataset: ref.dataset, version: ref.version });
  const result = await commitVersion({ ...ref, chunkCount: chunkCountOf(payload) }, pipeline, (run) => {
    // Emitted before the outcome is decided, so a failing check is counted whatever follows.
    const failed = run.checks.filter((c) => c.outcome === 'fail');
    emitMetrics(ref.dataset, [
      ['ChecksFailed', MetricUnit.Count, failed.length],
      ['DuplicateRecords', MetricUnit.Count, run.stats.duplicates],
    ]);
    for (const c of failed) emitMetrics(ref.dataset, [['ChecksFailed', MetricUnit.Count, 1]], { check: c.name });
    logger.info('release checks', { passed: run.passed, failed: failed.map((c) => `${c.name}: ${c.detail}`), records: run.stats.records, written: run.stats.written, duplicates: run.stats.duplicates });
  });
  if (result.outcome === 'refused') emitMetrics(ref.dataset, [['StaleVersionsRefused', MetricUnit.Count, 1]]);
  else if (result.outcome === 'held') emitMetrics(ref.dataset, [['VersionsHeld', MetricUnit.Count, 1]]);
  else emitMetrics(ref.dataset, [['VersionsCommitted', MetricUnit.Count, 1]]);
  if (result.outcome === 'swapped') emitMetrics(ref.dataset, [['LoadTime', MetricUnit.Milliseconds, result.loadMs]]);
  if (result.erased > 0) emitMetrics(ref.dataset, [['ErasedRecordsSkipped', MetricUnit.Count, result.erased]]);
  const log = { previous: result.previous, records: result.records, badRecords: result.badRecords, erased: result.erased, loadMs: result.loadMs, checks: result.checks.checks, heldReason: result.held?.reason };
  if (result.outcome === 'held') logger.warn('commit held: the version is kept, not live', log);
  else logger.info(`commit ${result.outcome}`, log);
  return result;
}

export const handler = withObservability(commit);
