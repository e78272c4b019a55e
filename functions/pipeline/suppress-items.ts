// Suppression (DESIGN invariant 13): items of a ranked-items dataset that no list answer may
// hold, from any version, until lifted. The set lives on the control slot; readers fetch it with
// the pointer (live-reader.ts), so a change reaches every answer within the pointer cache period.
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import type { PipelineDeps } from './deps.js';

export interface SuppressResult {
  dataset: string;
  action: 'suppress' | 'unsuppress';
  items: number;
  /** Items that were not suppressed before (suppress) or were (unsuppress). */
  changed: number;
  /** Suppressed items of the dataset after the call. */
  suppressed: number;
  requestId: string;
}

export async function suppressItems(request: { items: string[]; lift: boolean; requestId: string }, deps: Pick<PipelineDeps, 'dataset' | 'spec' | 'erasures'>): Promise<SuppressResult> {
  if (deps.spec.kind !== 'ranked-items') throw new InvalidInputError(`dataset ${deps.dataset} holds feature rows, not ranked lists: there are no items to suppress`);
  const changed = await deps.erasures.suppress(request.items, !request.lift, randomUUID());
  return {
    dataset: deps.dataset,
    action: request.lift ? 'unsuppress' : 'suppress',
    items: request.items.length,
    changed,
    suppressed: await deps.erasures.suppressedCount(),
    requestId: request.requestId,
  };
}
