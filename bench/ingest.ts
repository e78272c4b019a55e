// Ingestion through the load Lambda's code: Plan (list, chunk, register) and Commit run in the
// driver, as their own Lambdas would; the chunks are loaded by warm worker processes with
// loadChunk, each worker taking every n-th chunk, as Map iterations on n Lambdas would.
import { commitVersion, type CommitResult } from '../functions/pipeline/commit-version.js';
import { planLoad } from '../functions/pipeline/plan-load.js';
import { runtime } from '../functions/lambda/runtime.js';
import { BUCKET } from './infra.js';
import type { LoadOutcome } from './protocol.js';
import type { LoadWorker } from './workers.js';

export interface Loaded {
  dataset: string;
  version: string;
  owner: string;
  chunks: number;
  records: number;
  bytes: number;
  planMs: number;
  loadMs: number;
  outcomes: LoadOutcome[];
}

export interface IngestRun extends Loaded {
  commitMs: number;
  /** Plan + load + commit, wall clock. */
  ms: number;
}

let orderKey = Date.parse('2026-11-24T00:00:00Z');

/** Step 1 as the Plan Lambda runs it: list, chunk and register `s3://BUCKET/<key>` as `version` of `dataset`. */
export async function plan(dataset: string, key: string, version: string, singleObject = false): Promise<{ owner: string; chunks: number[]; chunkCount: number }> {
  const { pipeline } = (await runtime()).dataset(dataset);
  const owner = `bench-${version}`;
  const planned = await planLoad({ bucket: BUCKET, key, singleObject, explicitVersion: version, orderKey: orderKey++, origin: 'bench' }, owner, pipeline);
  if (planned.action !== 'load') throw new Error(`plan skipped ${version}: ${planned.reason}`);
  return { owner, chunks: planned.chunks, chunkCount: planned.chunkCount };
}

/** Plans `s3://BUCKET/<key>` (a prefix, or one object) as `version` of `dataset` and loads every chunk; does not commit. */
export async function planAndLoad(workers: LoadWorker[], dataset: string, key: string, version: string, singleObject = false): Promise<Loaded> {
  const t0 = performance.now();
  const { owner, ...planned } = await plan(dataset, key, version, singleObject);
  const t1 = performance.now();
  const outcomes = await Promise.all(
    workers.map((w, i) => w.run({ kind: 'sluice', dataset, version, owner, chunks: planned.chunks.filter((_, c) => c % workers.length === i) })),
  );
  const t2 = performance.now();
  return {
    dataset,
    version,
    owner,
    chunks: planned.chunkCount,
    records: outcomes.reduce((n, o) => n + o.records, 0),
    bytes: outcomes.reduce((n, o) => n + o.bytes, 0),
    planMs: t1 - t0,
    loadMs: t2 - t1,
    outcomes,
  };
}

/**
 * Step 3 as the Commit Lambda runs it: check every chunk's result and run the release checks,
 * then the compare-and-set swap. `checksMs` is the part before the swap, `swapStartedAt` when it began.
 */
export async function commit(loaded: Loaded): Promise<{ result: CommitResult; ms: number; checksMs: number; swapStartedAt: number }> {
  const { pipeline } = (await runtime()).dataset(loaded.dataset);
  const t0 = performance.now();
  let checked = t0;
  const result = await commitVersion({ dataset: loaded.dataset, version: loaded.version, owner: loaded.owner, chunkCount: loaded.chunks }, pipeline, () => (checked = performance.now()));
  if (result.outcome !== 'swapped') throw new Error(`commit of ${loaded.version}: ${result.outcome}`);
  return { result, ms: performance.now() - t0, checksMs: checked - t0, swapStartedAt: checked };
}

export async function ingest(workers: LoadWorker[], dataset: string, key: string, version: string, singleObject = false): Promise<IngestRun> {
  const loaded = await planAndLoad(workers, dataset, key, version, singleObject);
  const { ms: commitMs } = await commit(loaded);
  return { ...loaded, commitMs, ms: loaded.planMs + loaded.loadMs + commitMs };
}
