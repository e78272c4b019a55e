// The admin function's erasure and suppression actions, parsed and run here so the handler
// (handlers/admin.ts) only dispatches to them:
//   {"action": "erase",      "dataset"?, "keys": ["42", ...], "reason"?}   1..1000 keys
//   {"action": "unerase",    "dataset"?, "keys": [...], "reason"?}         lifts tombstones (restores no data)
//   {"action": "suppress",   "dataset"?, "items": ["2012", ...]}           1..1000 items, ranked-items datasets
//   {"action": "unsuppress", "dataset"?, "items": [...]}
import { parseNameList, parseReason } from '../domain/erasure.js';
import { eraseKeys, uneraseKeys, type EraseResult } from '../pipeline/erase-keys.js';
import { suppressItems, type SuppressResult } from '../pipeline/suppress-items.js';
import { emitMetrics, logger, MetricUnit } from './observability.js';
import type { Runtime } from './runtime.js';

export type CorrectionRequest =
  | { action: 'erase' | 'unerase'; dataset?: string; keys: string[]; reason: string }
  | { action: 'suppress' | 'unsuppress'; dataset?: string; items: string[] };

export type CorrectionResult = EraseResult | SuppressResult;

const CORRECTION_ACTIONS: readonly string[] = ['erase', 'unerase', 'suppress', 'unsuppress'];

/** The request, if `e.action` is one of CORRECTION_ACTIONS; null otherwise. Throws InvalidInputError on a bad shape. */
export function parseCorrectionEvent(e: Record<string, unknown>, dataset: string | undefined): CorrectionRequest | null {
  if (e.action === 'erase' || e.action === 'unerase') {
    return { action: e.action, dataset, keys: parseNameList(e.keys, 'keys', '"42"'), reason: parseReason(e.reason) };
  }
  if (e.action === 'suppress' || e.action === 'unsuppress') {
    return { action: e.action, dataset, items: parseNameList(e.items, 'items', '"2012"') };
  }
  return null;
}

export function isCorrection(request: { action: string }): request is CorrectionRequest {
  return CORRECTION_ACTIONS.includes(request.action);
}

/** Runs one action for the named (or default) dataset; `requestId` is the invocation's, logged with the call. */
export async function runCorrection(request: CorrectionRequest, rt: Runtime, requestId: string): Promise<CorrectionResult> {
  const target = request.dataset ? rt.dataset(request.dataset) : rt.defaultDataset;
  const dataset = target.spec.name;
  logger.appendKeys({ dataset });
  if (!('items' in request)) {
    const input = { keys: request.keys, reason: request.reason, requestId };
    const result = request.action === 'erase' ? await eraseKeys(input, target.pipeline) : await uneraseKeys(input, target.pipeline);
    emitMetrics(dataset, [
      [request.action === 'erase' ? 'KeysErased' : 'KeysUnerased', MetricUnit.Count, result.keys],
      [request.action === 'erase' ? 'EraseTime' : 'UneraseTime', MetricUnit.Milliseconds, result.ms],
    ]);
    logger.info(request.action === 'erase' ? 'keys erased' : 'tombstones lifted', { requestId, keys: result.keys, versions: result.versions, lifted: result.lifted, reason: request.reason, log: result.log, ms: result.ms, tombstones: result.tombstones });
    return result;
  }
  const result = await suppressItems({ items: request.items, lift: request.action === 'unsuppress', requestId }, target.pipeline);
  emitMetrics(dataset, [[request.action === 'suppress' ? 'ItemsSuppressed' : 'ItemsUnsuppressed', MetricUnit.Count, result.changed]]);
  logger.info(request.action === 'suppress' ? 'items suppressed' : 'items unsuppressed', { requestId, items: result.items, changed: result.changed, suppressed: result.suppressed });
  return result;
}
