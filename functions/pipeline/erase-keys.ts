// Erasure (DESIGN invariant 11): an erase call logs itself in S3 first (the durable record),
// then records tombstones in Redis and, in the same script, learns every version holding data;
// then deletes the keys from each of those versions and waits for the replicas before it
// returns. Loads skip tombstoned keys (load-chunk.ts) and the step before any version goes live
// sweeps what a load may have written meanwhile (before-go-live.ts). Unerase lifts tombstones
// (it restores no data). A cache that lost its tombstones gets them back from the S3 log
// (restore-tombstones.ts) before its next version goes live.
import { randomUUID } from 'node:crypto';
import { appendErasureLog } from '../adapters/erasure-log-writer.js';
import type { ErasureAction } from '../domain/erasure.js';
import { ConfigError } from '../errors.js';
import { deleteKeys } from './delete-keys.js';
import type { PipelineDeps } from './deps.js';

export interface EraseRequest {
  keys: string[];
  reason: string;
  requestId: string;
}

export interface EraseResult {
  dataset: string;
  action: ErasureAction;
  /** Keys named in the call (distinct). */
  keys: number;
  /** Unerase: tombstones that existed and were lifted. */
  lifted?: number;
  /** Erase: the versions the keys were deleted from. */
  versions?: string[];
  /** The S3 object that logs the call. */
  log: string;
  requestId: string;
  at: number;
  ms: number;
  /** Tombstones of the dataset after the call. */
  tombstones: number;
}

type EraseDeps = Pick<PipelineDeps, 'dataset' | 'erasures' | 'erasureLog' | 'newWriter' | 'now'>;

function logOf(deps: EraseDeps) {
  if (!deps.erasureLog) throw new ConfigError(`ERASURE_LOG_URI is not set: erasure of ${deps.dataset} needs its durable log in S3 (s3://<bucket>/<prefix>/)`);
  return deps.erasureLog;
}

export async function eraseKeys(request: EraseRequest, deps: EraseDeps): Promise<EraseResult> {
  const started = deps.now();
  const at = started;
  const log = await appendErasureLog(logOf(deps), deps.dataset, { action: 'erase', keys: request.keys, reason: request.reason, at, requestId: request.requestId });
  const versions = await deps.erasures.addTombstones(request.keys, { at, reason: request.reason, requestId: request.requestId }, randomUUID());
  await deleteKeys(deps, versions, request.keys);
  return {
    dataset: deps.dataset,
    action: 'erase',
    keys: request.keys.length,
    versions: versions.map((v) => v.version),
    log,
    requestId: request.requestId,
    at,
    ms: deps.now() - started,
    tombstones: await deps.erasures.tombstoneCount(),
  };
}

export async function uneraseKeys(request: EraseRequest, deps: EraseDeps): Promise<EraseResult> {
  const started = deps.now();
  const log = await appendErasureLog(logOf(deps), deps.dataset, { action: 'unerase', keys: request.keys, reason: request.reason, at: started, requestId: request.requestId });
  const lifted = await deps.erasures.removeTombstones(request.keys, randomUUID());
  return { dataset: deps.dataset, action: 'unerase', keys: request.keys.length, lifted, log, requestId: request.requestId, at: started, ms: deps.now() - started, tombstones: await deps.erasures.tombstoneCount() };
}
