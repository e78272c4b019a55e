// Step 1: find the input objects, cut them into chunks and register the new version.
import pLimit from 'p-limit';
import type { StoredObject } from '../adapters/object-store.js';
import { planChunks, type InputObject } from '../domain/chunk-plan.js';
import { FORMAT_SNIFF_BYTES, detectFormat } from '../domain/input-format.js';
import type { IngestRequest } from '../domain/ingest-request.js';
import { bucketCountFor } from '../domain/key-layout.js';
import { explicitVersionId, versionIdForJob, versionIdForObjects } from '../domain/version-identity.js';
import { InsufficientMemoryError, InvalidInputError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { preflight } from './preflight.js';

export interface PlanResult {
  action: 'load' | 'skip';
  reason?: string;
  dataset: string;
  version: string;
  orderKey: number;
  owner: string;
  objects: number;
  totalBytes: number;
  buckets: number;
  chunkCount: number;
  /** Chunk numbers for the Map state; the chunks themselves are stored with the version. */
  chunks: number[];
  mapConcurrency: number;
  graceSeconds: number;
}

/** Lock TTL: a loading version whose execution vanished (aborted) can be taken over after this. */
const LOCK_TTL_MS = 2 * 3600 * 1000;

export async function planLoad(request: IngestRequest, owner: string, deps: PipelineDeps): Promise<PlanResult> {
  const uri = `s3://${request.bucket}/${request.key}`;
  // Ids that come with the request are checked before any I/O: a bad one fails Plan at once.
  const requested = request.explicitVersion ? explicitVersionId(request.explicitVersion) : request.jobName ? versionIdForJob(request.jobName) : undefined;
  const found = await findObjects(request, deps);
  if (found.length === 0) {
    throw new InvalidInputError(
      `no input objects under ${uri} (looking for keys ending in ${deps.load.objectSuffixes.join(', ')}; set OBJECT_SUFFIX to change)`,
    );
  }
  const sniff = pLimit(16);
  const objects: InputObject[] = await Promise.all(
    found.map((o) => sniff(async () => ({ bucket: request.bucket, ...o, format: await formatOf(request.bucket, o, deps) }))),
  );
  const version = requested ?? versionIdForObjects(uri, objects);
  const orderKey = request.orderKey ?? deps.now();
  const plan = planChunks(objects, deps.load.chunkSizeBytes, deps.load.maxChunks);
  const buckets = bucketCountFor(plan.totalBytes);
  const result: PlanResult = {
    action: 'load',
    dataset: deps.dataset,
    version,
    orderKey,
    owner,
    objects: objects.length,
    totalBytes: plan.totalBytes,
    buckets,
    chunkCount: plan.chunks.length,
    chunks: plan.chunks.map((c) => c.index),
    mapConcurrency: deps.load.mapConcurrency,
    graceSeconds: deps.load.graceSeconds,
  };
  const registered = await deps.versions.register({
    version,
    orderKey,
    owner,
    buckets,
    lockTtlMs: LOCK_TTL_MS,
    metadata: { source: uri, origin: request.origin, objects: objects.length, bytes: plan.totalBytes, chunks: plan.chunks.length, createdAt: deps.now() },
  });
  if (registered.outcome === 'registered') {
    try {
      // Pre-flight (preflight.ts): refuse a load that cannot fit before any data is written.
      await preflight({ version, objects, totalBytes: plan.totalBytes, buckets }, deps);
      await deps.versions.savePlan(version, plan.chunks);
    } catch (err) {
      // Nothing was loaded yet: fail the registration so a retry of this run can take it again.
      const what = err instanceof InsufficientMemoryError ? 'refused by the pre-flight check' : 'saving the chunk plan failed';
      await deps.versions.markFailed(version, owner, `${what}: ${(err as Error).message}`, deps.now()).catch(() => undefined);
      throw err;
    }
    return result;
  }
  const reason =
    registered.outcome === 'stale'
      ? `live version ${registered.live} has an order key at or after ${orderKey}`
      : `version ${version} is already ${registered.status}`;
  return { ...result, action: 'skip', reason, chunks: [], chunkCount: 0 };
}

async function findObjects(request: IngestRequest, deps: PipelineDeps): Promise<StoredObject[]> {
  const { bucket, key } = request;
  if (request.singleObject) {
    const o = await deps.objects.head(bucket, key);
    if (o) return [o];
  }
  // A prefix names a folder: "out" must not also match "out-old/...".
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const out: StoredObject[] = [];
  for await (const o of deps.objects.list(bucket, prefix)) {
    if (deps.load.objectSuffixes.some((s) => o.key.endsWith(s))) out.push(o);
  }
  return out;
}

async function formatOf(bucket: string, o: StoredObject, deps: PipelineDeps): Promise<InputObject['format']> {
  if (deps.load.inputFormat !== 'auto' || o.size === 0) return deps.load.inputFormat === 'json' ? 'json' : 'jsonl';
  const stream = await deps.objects.read(bucket, o.key, o.etag, 0, Math.min(o.size, FORMAT_SNIFF_BYTES));
  const pieces: Buffer[] = [];
  try {
    for await (const b of stream) pieces.push(b);
  } finally {
    stream.close();
  }
  return detectFormat(Buffer.concat(pieces), 'auto');
}
