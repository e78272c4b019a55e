// The operators' function, not on the API: status, rollback, promote and discard, the same code
// `sluice status|rollback|promote|discard` run. Invoke it with `sam remote invoke AdminFunction
// --stack-name <stack> --event-file events/admin-status.json` (or admin-rollback.json, ...), or
// `sluice promote|discard <version> --aws --function <AdminFunctionName>`.
//   {"action": "status", "dataset"?: name}                       every dataset, or one
//   {"action": "rollback", "dataset"?, "version"?, "dryRun"?}    default dataset, newest retained version before the live one
//   {"action": "promote", "dataset"?, "version"}                 make a held version live
//   {"action": "discard", "dataset"?, "version"}                 delete a held version or a stale load
//   {"action": "freshness"}      live versions' ages as metrics (the stack's schedule runs it)
//   {"action": "erase"|"unerase"|"suppress"|"unsuppress", ...}   see lambda/admin-corrections.ts
//   {"action": "put", "dataset"?, "records": [...]}               corrections: see lambda/admin-put.ts
import type { Context } from 'aws-lambda';
import { isPlainObject } from '../domain/plain-object.js';
import { InvalidInputError } from '../errors.js';
import { discardVersion, type DiscardResult } from '../pipeline/discard-version.js';
import { promoteVersion, type PromoteResult } from '../pipeline/promote-version.js';
import { rollbackVersion, type RollbackResult } from '../pipeline/rollback-version.js';
import { datasetStatus, type DatasetStatus } from '../pipeline/version-status.js';
import { reportFreshness, type FreshnessReport } from '../lambda/freshness.js';
import { isCorrection, parseCorrectionEvent, runCorrection, type CorrectionRequest, type CorrectionResult } from '../lambda/admin-corrections.js';
import { emitMetrics, logger, MetricUnit } from '../lambda/observability.js';
import { runtime } from '../lambda/runtime.js';
import { withObservability } from '../lambda/with-observability.js';
import { parsePutRequest, runPut, type PutRequest } from '../lambda/admin-put.js';
import type { PutResult } from '../pipeline/put-records.js';

export type AdminRequest =
  | { action: 'status'; dataset?: string }
  | { action: 'rollback'; dataset?: string; version?: string; dryRun: boolean }
  | { action: 'promote'; dataset?: string; version: string }
  | { action: 'discard'; dataset?: string; version: string }
  | { action: 'freshness' }
  | CorrectionRequest
  | PutRequest;

export type AdminResult = { datasets: DatasetStatus[] } | RollbackResult | PromoteResult | DiscardResult | FreshnessReport | CorrectionResult | PutResult;

export function parseAdminEvent(event: unknown): AdminRequest {
  if (!isPlainObject(event)) throw new InvalidInputError('the event must be a JSON object like {"action": "status"}');
  const e = event as Record<string, unknown>;
  const optionalText = (field: string): string | undefined => {
    const v = e[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new InvalidInputError(`${field} must be a non-empty string`);
    return v;
  };
  const dataset = optionalText('dataset');
  if (e.action === 'status') return { action: 'status', dataset };
  if (e.action === 'freshness') return { action: 'freshness' };
  if (e.action === 'rollback') {
    if (e.dryRun !== undefined && typeof e.dryRun !== 'boolean') throw new InvalidInputError('dryRun must be true or false');
    return { action: 'rollback', dataset, version: optionalText('version'), dryRun: e.dryRun === true };
  }
  if (e.action === 'promote' || e.action === 'discard') {
    const version = optionalText('version');
    if (version === undefined) throw new InvalidInputError(`${e.action} needs the version: {"action": "${e.action}", "version": "<id>"}`);
    return e.action === 'promote' ? { action: 'promote', dataset, version } : { action: 'discard', dataset, version };
  }
  if (e.action === 'put') return parsePutRequest(e, dataset);
  const correction = parseCorrectionEvent(e, dataset);
  if (correction) return correction;
  const actions = '"status", "rollback", "promote", "discard", "freshness", "erase", "unerase", "suppress", "unsuppress" or "put"';
  if (e.action === undefined) throw new InvalidInputError(`the event has no action: an action is required, one of ${actions} (e.g. {"action": "status"})`);
  throw new InvalidInputError(`unknown action ${JSON.stringify(e.action)}; expected ${actions}`);
}

async function admin(event: unknown, context: Context): Promise<AdminResult> {
  const request = parseAdminEvent(event);
  const rt = await runtime();
  if (request.action === 'freshness') return reportFreshness(rt);
  if (isCorrection(request)) return runCorrection(request, rt, context.awsRequestId);
  if (request.action === 'status') {
    const targets = request.dataset ? [rt.dataset(request.dataset)] : rt.datasets;
    const datasets: DatasetStatus[] = [];
    for (const d of targets) datasets.push(await datasetStatus(d.pipeline));
    return { datasets };
  }
  const target = request.dataset ? rt.dataset(request.dataset) : rt.defaultDataset;
  logger.appendKeys({ dataset: target.spec.name });
  if (request.action === 'put') return runPut(request, target, context);
  if (request.action === 'promote') {
    const promoted = await promoteVersion({ version: request.version }, target.pipeline);
    if (promoted.outcome === 'swapped') emitMetrics(target.spec.name, [['VersionsPromoted', MetricUnit.Count, 1]]);
    logger.info(promoted.outcome === 'swapped' ? 'promoted' : `promote ${promoted.outcome}`, { ...promoted });
    return promoted;
  }
  if (request.action === 'discard') {
    const discarded = await discardVersion({ version: request.version }, target.pipeline);
    emitMetrics(target.spec.name, [['VersionsDiscarded', MetricUnit.Count, 1]]);
    logger.info('discarded', { ...discarded });
    return discarded;
  }
  const result = await rollbackVersion({ version: request.version, dryRun: request.dryRun }, target.pipeline);
  logger.info(result.outcome === 'swapped' ? 'rolled back' : `rollback ${result.outcome}`, { ...result });
  return result;
}

export const handler = withObservability(admin);
