// The operators' function, not on the API: status and rollback, the same code `sluice status`
// and `sluice rollback` run. Invoke it with `sam remote invoke AdminFunction --stack-name <stack>
// --event-file events/admin-status.json` (or admin-rollback.json).
//   {"action": "status", "dataset"?: name}                       every dataset, or one
//   {"action": "rollback", "dataset"?, "version"?, "dryRun"?}    default dataset, newest retained version
import type { Context } from 'aws-lambda';
import { isPlainObject } from '../domain/plain-object.js';
import { InvalidInputError } from '../errors.js';
import { rollbackVersion, type RollbackResult } from '../pipeline/rollback-version.js';
import { datasetStatus, type DatasetStatus } from '../pipeline/version-status.js';
import { logger } from './observability.js';
import { runtime } from './runtime.js';
import { withObservability } from './with-observability.js';

export type AdminRequest =
  | { action: 'status'; dataset?: string }
  | { action: 'rollback'; dataset?: string; version?: string; dryRun: boolean };

export type AdminResult = { datasets: DatasetStatus[] } | RollbackResult;

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
  if (e.action === 'rollback') {
    if (e.dryRun !== undefined && typeof e.dryRun !== 'boolean') throw new InvalidInputError('dryRun must be true or false');
    return { action: 'rollback', dataset, version: optionalText('version'), dryRun: e.dryRun === true };
  }
  throw new InvalidInputError(`unknown action ${JSON.stringify(e.action)}; expected "status" or "rollback"`);
}

async function admin(event: unknown, _context: Context): Promise<AdminResult> {
  const request = parseAdminEvent(event);
  const rt = await runtime();
  if (request.action === 'status') {
    const targets = request.dataset ? [rt.dataset(request.dataset)] : rt.datasets;
    const datasets: DatasetStatus[] = [];
    for (const d of targets) datasets.push(await datasetStatus(d.pipeline));
    return { datasets };
  }
  const target = request.dataset ? rt.dataset(request.dataset) : rt.defaultDataset;
  logger.appendKeys({ dataset: target.spec.name });
  const result = await rollbackVersion({ version: request.version, dryRun: request.dryRun }, target.pipeline);
  logger.info(result.outcome === 'swapped' ? 'rolled back' : `rollback ${result.outcome}`, { ...result });
  return result;
}

export const handler = withObservability(admin);
