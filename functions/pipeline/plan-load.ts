// Step 1: find the input objects, cut them into chunks and register the new version.
import pLimit from 'p-limit';
import type { StoredObject } from '../adapters/object-store.js';
import { planChunks, type InputObject } from '../domain/chunk-plan.js';
import type { IngestRequest } from '../domain/ingest-request.js';
import type { RegisterOutcome } from '../domain/version-repository.js';
import { checkedDataType, compareOutputs, parseManifest, relativeToPrefix, type InputCompleteness, type InputObjectRef } from '../domain/input-completeness.js';
import { bucketCountFor } from '../domain/key-layout.js';
import { noDataExplanation, skipReason, type SkippedObject } from '../domain/object-selection.js';
import { explicitVersionId, versionIdForJob, versionIdForObjects } from '../domain/version-identity.js';
import { InsufficientMemoryError, InvalidInputError, TooManyChunksError, VersionStateError } from '../errors.js';
import { deleteVersion } from './delete-version.js';
import type { PipelineDeps } from './deps.js';
import { restoreTombstones } from './restore-tombstones.js';
import { inspectObject } from './inspect-object.js';
import { orderKeyText } from './order-key-text.js';
import { preflight } from './preflight.js';
import { retireBeforeLoad } from './retire-versions.js';

export interface PlanResult {
  action: 'load' | 'skip';
  reason?: string;
  /**
   * Skipped: why, for scripts: the status of the version that exists already ('live', 'held',
   * 'loading', 'being deleted', ...), or 'older' when the live version is ordered at or after it.
   */
  existing?: string;
  dataset: string;
  version: string;
  orderKey: number;
  owner: string;
  objects: number;
  totalBytes: number;
  buckets: number;
  chunkCount: number;
  /** The chunk size Plan cut with: CHUNK_SIZE_BYTES, or larger so the load fits one execution. */
  chunkSizeBytes?: number;
  /** Chunk numbers for the Map state; the chunks themselves are stored with the version. */
  chunks: number[];
  mapConcurrency: number;
  graceSeconds: number;
}


export async function planLoad(request: IngestRequest, owner: string, deps: PipelineDeps): Promise<PlanResult> {
  const uri = `s3://${request.bucket}/${request.key}`;
  // Ids that come with the request are checked before any I/O: a bad one fails Plan at once.
  const requested = request.explicitVersion ? explicitVersionId(request.explicitVersion) : request.jobName ? versionIdForJob(request.jobName) : undefined;
  const orderKey = request.orderKey ?? deps.now();
  // A cache that lost its tombstones gets them back from S3 before this load reads them (invariant
  // 11); then the key lists the chunks read are rebuilt if stale. Both run while the input is
  // listed and inspected.
  const restored = restoreTombstones(deps);
  restored.catch(() => undefined); // awaited below, after the input checks that may fail first
  const lists = restored.then(() => refreshKeyLists(deps)).catch(() => undefined);
  // A Plan that fails before the restore is awaited lets it finish (or fail) first: a failed
  // attempt must not still be reading S3 once a retry, or the caller, has taken over.
  const settleFirst = (err: unknown) => Promise.allSettled([restored, lists]).then(() => Promise.reject(err));
  const { listed, objects, version, plan, buckets } = await inspectInput(uri, request, deps, requested).catch(settleFirst);
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
    chunkSizeBytes: plan.chunkSizeBytes,
    chunks: plan.chunks.map((c) => c.index),
    mapConcurrency: deps.load.mapConcurrency,
    graceSeconds: deps.load.graceSeconds,
  };
  // Stale loads, failed leftovers and held versions past retention hold memory the pre-flight
  // would count, and a re-ingest of a stale version must not load on top of its old keys.
  await retireBeforeLoad(deps).catch(settleFirst);
  await restored;
  await lists;
  const completeness = await inputCheck(request, listed, deps);
  const register = () =>
    deps.versions.register({
      version,
      orderKey,
      owner,
      buckets,
      // The load's lock lives as long as its workers heartbeat (load-chunk.ts).
      lockTtlMs: deps.load.loadStaleSeconds * 1000,
      now: deps.now(),
      metadata: { source: uri, origin: request.origin, objects: objects.length, bytes: plan.totalBytes, chunks: plan.chunks.length, createdAt: deps.now(), heartbeatAt: deps.now(), ...completeness },
    });
  let registered = await register();
  if (registered.outcome === 'abandoned') {
    // It went stale since the clean-up above: take it over the same way.
    const stale = await deps.versions.get(version);
    if (stale) await deleteVersion(stale, deps, deps.now());
    registered = await register();
    if (registered.outcome === 'abandoned') throw new VersionStateError(`version ${version} of ${deps.dataset} is a stale load that could not be cleaned up; retry`);
  }
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
  const reason = await skippedVersionReason(registered, version, orderKey, deps);
  const existing = registered.outcome === 'stale' ? 'older' : registered.outcome === 'duplicate' ? registered.status : 'loading';
  return { ...result, action: 'skip', reason, existing, chunks: [], chunkCount: 0 };
}

/**
 * Each chunk container reads the tombstoned and the corrected keys from one stored list apiece
 * (adapters/key-lists.ts). A list left stale by an unerase or a trim would have every container
 * list the whole set on the control slot's master at once: rebuilt here, once, instead. Only a
 * saving: a failure leaves the containers to rebuild it.
 */
async function refreshKeyLists(deps: PipelineDeps): Promise<void> {
  await Promise.all([deps.erasures.refreshKeyList?.(), deps.corrections?.refreshKeyList?.()]);
}

/** Why Plan skips a version, in words an operator can act on (with the --dataset the commands need). */
async function skippedVersionReason(registered: Exclude<RegisterOutcome, { outcome: 'registered' }>, version: string, orderKey: number, deps: PipelineDeps): Promise<string> {
  const dataset = `--dataset ${deps.dataset}`;
  if (registered.outcome === 'stale') {
    const live = await deps.versions.current();
    const liveKey = live && live.version === registered.live ? ` (order key ${orderKeyText(live.orderKey)})` : '';
    return `version ${version} (order key ${orderKeyText(orderKey)}) is ordered before the live version ${registered.live}${liveKey}, and an older load never replaces newer data; a manual run loads it with a later --order-key`;
  }
  if (registered.outcome === 'duplicate' && registered.status === 'held') {
    return `version ${version} is already held (loaded, not live): sluice promote ${version} ${dataset} makes it live, sluice discard ${version} ${dataset} deletes it`;
  }
  const status = registered.outcome === 'duplicate' ? registered.status : 'loading';
  if (status === 'loading' || status === 'being deleted') return `version ${version} is already ${status} in another run; nothing was loaded (sluice status ${dataset} shows it)`;
  return `version ${version} is already ${status}`;
}

/** The chunk plan, its error naming the input it is about. */
function planWithin(uri: string, objects: readonly InputObject[], deps: PipelineDeps) {
  try {
    return planChunks(objects, deps.load.chunkSizeBytes, deps.load.maxChunks);
  } catch (err) {
    if (err instanceof TooManyChunksError) throw new TooManyChunksError(`${uri}: ${err.message}`, err.counts, { cause: err });
    throw err;
  }
}

/** A prefix names a folder: "out" must not also match "out-old/...". */
function folderOf(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

/**
 * The data objects of the request (object-selection.ts says which are not); `skipped` receives
 * the others with their reason. `listed` receives every key under the prefix (the
 * input-completeness check looks for `.out`). One object named by the request loads whatever its name.
 */
async function findObjects(request: IngestRequest, deps: PipelineDeps, listed: Set<string>, skipped: SkippedObject[]): Promise<StoredObject[]> {
  const { bucket, key } = request;
  if (request.singleObject) {
    const o = await deps.objects.head(bucket, key);
    if (o) return [o];
  }
  const prefix = folderOf(key);
  const out: StoredObject[] = [];
  // The erasure log lives under the predictions prefix: never input, whatever OBJECT_SUFFIX says.
  const log = deps.erasureLog?.bucket === bucket ? deps.erasureLog.prefix : null;
  for await (const o of deps.objects.list(bucket, prefix)) {
    if (log !== null && log !== '' && o.key.startsWith(log)) continue;
    listed.add(o.key);
    const reason = skipReason(o.key, prefix, deps.load.objectSuffixes);
    if (reason === null) out.push(o);
    else skipped.push({ key: o.key, reason });
  }
  return out;
}

/**
 * Input completeness, measured here and evaluated at commit with the other checks: every input
 * object of the job must have its `<relative key>.out` under the output path. Stored on the
 * version as `inputCheck`. Input that cannot be listed or read is recorded as an error (the
 * check then fails: completeness unknown); a transient S3 failure fails the Plan for a retry.
 */
async function inputCheck(request: IngestRequest, listed: ReadonlySet<string>, deps: PipelineDeps): Promise<{ inputCheck?: string }> {
  const input = request.transformInput;
  if (!input || !deps.spec.checks.inputCompleteness) return {};
  const where = `s3://${input.bucket}/${input.key}`;
  let result: InputCompleteness;
  try {
    const dataType = checkedDataType(input.dataType);
    const objects = dataType === 'ManifestFile' ? await manifestObjects(input.bucket, input.key, deps) : await prefixObjects(input.bucket, input.key, deps);
    result = compareOutputs(objects, { bucket: request.bucket, prefix: request.key }, listed);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    result = { inputs: 0, missing: 0, missingSamples: [], error: `${where}: ${err.message}` };
  }
  return { inputCheck: JSON.stringify(result) };
}

async function prefixObjects(bucket: string, prefix: string, deps: PipelineDeps): Promise<InputObjectRef[]> {
  const out: InputObjectRef[] = [];
  for await (const o of deps.objects.list(bucket, prefix)) {
    if (!o.key.endsWith('/')) out.push({ key: o.key, relative: relativeToPrefix(o.key, prefix) }); // skip folder markers
  }
  return out;
}

/** Manifests are small (a key per line of input); read whole. */
async function manifestObjects(bucket: string, key: string, deps: PipelineDeps): Promise<InputObjectRef[]> {
  const head = await deps.objects.head(bucket, key);
  if (!head) throw new InvalidInputError('the manifest does not exist, or Plan may not read it (TransformInputBucket, TransformInputPrefix)');
  const stream = await deps.objects.read(bucket, key, head.etag, 0);
  const pieces: Buffer[] = [];
  try {
    for await (const b of stream) pieces.push(b);
  } finally {
    stream.close();
  }
  return parseManifest(Buffer.concat(pieces).toString('utf8'), `s3://${bucket}/${key}`).objects;
}

/** The input's objects, listed and inspected, and the chunk plan over them; throws on no usable input. */
async function inspectInput(uri: string, request: IngestRequest, deps: PipelineDeps, requested: string | undefined) {
  const listed = new Set<string>();
  const skipped: SkippedObject[] = [];
  const found = await findObjects(request, deps, listed, skipped);
  if (found.length === 0) {
    const why = noDataExplanation(skipped, folderOf(request.key));
    // A manual s3Uri without a trailing slash is an object's key or a prefix: both were tried.
    throw new InvalidInputError(
      request.singleObject
        ? `${uri} is no object Plan can read, and there are no input objects under ${uri}/ (${why}); give a prefix ending in "/" or the key of one object`
        : `no input objects under ${uri}: ${why}`,
    );
  }
  const sniff = pLimit(16);
  const objects: InputObject[] = await Promise.all(
    found.map((o) => sniff(() => inspectObject(request.bucket, o, { objects: deps.objects, spec: deps.spec, inputFormat: deps.load.inputFormat, maxRowGroupBytes: deps.load.maxRowGroupBytes }))),
  );
  const version = requested ?? versionIdForObjects(uri, objects);
  const plan = planWithin(uri, objects, deps);
  const buckets = bucketCountFor(plan.totalBytes);
  return { listed, objects, version, plan, buckets };
}
