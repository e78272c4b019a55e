// A cache that lost its tombstones gets them back from the durable S3 log before its next
// version goes live (invariant 11): Plan runs this before every load, promote and rollback
// before their swap. (A module of its own: the functions that reach it need S3 read access.)
import { randomUUID } from 'node:crypto';
import { readErasureLog } from '../adapters/erasure-log-reader.js';
import { replayLog } from '../domain/erasure.js';
import type { PipelineDeps } from './deps.js';

/**
 * A cache without its tombstones (never restored, or lost with the cache) gets them back from
 * the S3 log, replayed in order; the cache's own are kept too. True when it restored.
 */
export async function restoreTombstones(deps: Pick<PipelineDeps, 'dataset' | 'erasures' | 'erasureLog'>): Promise<boolean> {
  if (await deps.erasures.isRestored()) return false;
  const entries = deps.erasureLog ? await readErasureLog(deps.erasureLog, deps.dataset) : [];
  await deps.erasures.restoreFromLog(replayLog(entries), randomUUID());
  return true;
}
