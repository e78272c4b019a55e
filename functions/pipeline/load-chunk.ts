// Step 2, one Map item: read each part's byte range, frame and shape its records, and write
// them into the new version. Memory is bounded by the writer's batches in flight and the
// longest record, not by the chunk: reading pauses while Redis is behind. A record whose key has
// a logged correction that applies to this version is written with the correction's value
// instead (substitute-corrections.ts): the Commit replays only what no chunk wrote.
import type { BulkWriter, HsetCommand, WriteCommand } from '../domain/bulk-writer.js';
import type { ChunkPart, Chunk } from '../domain/chunk-plan.js';
import { rowFormat } from '../domain/formats/registry.js';
import { KeyFilter, MAYBE_CORRECTED, MAYBE_ERASED } from '../domain/key-filter.js';
import { ListedKeys, type KeySet } from '../domain/key-set.js';
import { bucketOf, dataKey, keyHash } from '../domain/key-layout.js';
import type { BadSample, ChunkResult } from '../domain/load-summary.js';
import { countList, newListStats } from '../domain/load-stats.js';
import { isBad } from '../domain/record-shape.js';
import { BadDataError, InsufficientMemoryError, InterruptedError, VersionStateError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { startHeartbeat, type Heartbeat } from './heartbeat.js';
import { Substitution } from './substitute-corrections.js';
import { openShapedRecords, type ShapedBatch } from './record-source.js';

export interface LoadChunkInput {
  dataset: string;
  version: string;
  owner: string;
  /** The chunk, or its number in the version's stored plan (what the state machine's Map passes). */
  chunk: Chunk | number;
}

const SAMPLES_PER_CHUNK = 3;

/** Stands in for the corrected keys where no Substitution runs (no correction log). */
const NOTHING: KeySet = ListedKeys.of([]);

export interface LoadProgress {
  records: number;
  badRecords: number;
  bytes: number;
}

/**
 * `signal` stops the chunk (a local run on Ctrl-C): it stops reading, lets the batches in
 * flight land and throws InterruptedError; the version is left to Cleanup. Lambda passes none.
 */
export async function loadChunk(input: LoadChunkInput, deps: PipelineDeps, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<ChunkResult> {
  const { version, owner } = input;
  stopIfAborted(signal, version, typeof input.chunk === 'number' ? input.chunk : input.chunk.index);
  const buckets = await deps.versions.assertLoading(version, owner);
  const chunk = await chunkToLoad(input, deps);
  const result: ChunkResult = { index: chunk.index, records: 0, badRecords: 0, bytes: 0, samples: [], erased: 0 };
  // Read once per container (one stored list, adapters/key-lists.ts) and reused while no erase or
  // unerase happened (one GET per chunk).
  const tombstones = await deps.erasures.tombstonedKeys();
  const touched = new Set<number>();
  const writer = deps.newWriter();
  // Likewise the keys with corrections for this version (reused while no put happened). Records
  // written with their correction go out packed (many HSETs per script call): ioredis spends
  // about five times the CPU on a command that it spends on an argument.
  const substituted = deps.newWriter({ packed: true });
  const corrections = await Substitution.start(deps, version, substituted);
  const writers = [writer, substituted];
  const nullCounts = startStats(result, deps);
  // HSET replies 0 for a key already stored. On a retry of this chunk every key it wrote the
  // first time replies 0, so only a first attempt names duplicates (the count comes from HLEN).
  const attempt = await deps.versions.chunkAttempt(version, chunk.index).catch((err: unknown) => {
    throw asOutOfMemory(err, version, chunk.index);
  });
  if (attempt === 1) {
    const duplicates: NonNullable<ChunkResult['duplicates']> = (result.duplicates = []);
    // A record of a row format (Parquet) is placed by its row number, not a byte offset.
    const rowNumbered = new Set(chunk.parts.filter((p) => rowFormat(p.format)).map((p) => `${p.bucket}/${p.key}`));
    const duplicate = (c: HsetCommand) => {
      if (duplicates.length >= SAMPLES_PER_CHUNK) return;
      const object = c.object ?? '';
      duplicates.push({ object, offset: c.offset ?? 0, key: c.field, ...(rowNumbered.has(object) ? { unit: 'row' as const } : {}) });
    };
    for (const w of writers) w.onExistingField(duplicate);
  }
  // The load stays alive while this chunk writes; if it is taken over or cleaned up meanwhile, we stop.
  const heartbeat = startHeartbeat(input, deps);
  try {
    for (const part of chunk.parts) {
      await loadPart(part, { dataset: deps.dataset, version, buckets, nullCounts, heartbeat, tombstones, corrections }, deps, writer, result, touched, onProgress, signal);
    }
    if (corrections) result.corrections = await corrections.finish();
    await Promise.all(writers.map((w) => w.flush()));
    stopIfAborted(signal, version, chunk.index);
    // Before the chunk counts as written, its writes must be on the replicas too: otherwise a
    // failover after the commit could serve the live version with records missing.
    await Promise.all(writers.map((w) => w.awaitReplicas()));
    if (result.nulls && nullCounts) Object.keys(deps.spec.fields!).forEach((f, i) => (result.nulls!.nulls[f] = nullCounts[i]!));
  } catch (err) {
    await corrections?.settle();
    await Promise.all(writers.map((w) => w.flush().catch(() => undefined))); // let batches in flight land so nothing is written after we report
    // The load was failed (cleaned up) while we wrote: remove what we added after the cleanup.
    if (heartbeat.lost) await undoWrites(deps, version, touched);
    throw asOutOfMemory(err, version, chunk.index);
  } finally {
    heartbeat.stop();
  }
  const recorded = await deps.versions.recordChunk(version, owner, result).catch((err: unknown) => {
    throw asOutOfMemory(err, version, chunk.index);
  });
  if (!recorded) {
    await undoWrites(deps, version, touched);
    throw new VersionStateError(`version ${version} stopped loading while chunk ${chunk.index} was written; its writes were removed`);
  }
  return result;
}

/** The chunk list lives in Redis, not in the state machine's payload (capped at 256 KiB): a number is looked up there. */
async function chunkToLoad(input: LoadChunkInput, deps: PipelineDeps): Promise<Chunk> {
  if (typeof input.chunk !== 'number') return input.chunk;
  const chunk = await deps.versions.planChunk(input.version, input.chunk);
  if (!chunk) throw new VersionStateError(`version ${input.version} of ${deps.dataset} has no chunk ${input.chunk} in its plan`);
  return chunk;
}

/**
 * The stats the release checks compare: list lengths for ranked items, nulls for declared
 * feature fields. Not collected when the checks that read them are switched off.
 */
function startStats(result: ChunkResult, deps: PipelineDeps): number[] | undefined {
  const checks = deps.spec.checks;
  if (deps.spec.kind === 'ranked-items') {
    if (checks.maxEmptyListShareIncrease !== null || checks.maxListLengthFactor !== null) result.lists = newListStats();
  } else if (deps.spec.fields && checks.maxNullRateIncrease !== null) {
    result.nulls = { rows: 0, nulls: {} };
    return Object.keys(deps.spec.fields).map(() => 0);
  }
  return undefined;
}

async function loadPart(
  part: ChunkPart,
  target: {
    dataset: string;
    version: string;
    buckets: number;
    nullCounts: number[] | undefined;
    heartbeat: Heartbeat;
    tombstones: KeySet;
    corrections: Substitution | null;
  },
  deps: PipelineDeps,
  writer: BulkWriter,
  result: ChunkResult,
  touched: Set<number>,
  onProgress?: (p: LoadProgress) => void,
  signal?: AbortSignal,
): Promise<void> {
  const object = `${part.bucket}/${part.key}`;
  const unit = rowFormat(part.format) ? { unit: 'row' as const } : {};
  const source = await openShapedRecords(part, { objects: deps.objects, spec: deps.spec, shape: deps.shape, maxRecordBytes: deps.load.maxRecordBytes });
  const readBefore = result.bytes;
  const handle = async (batch: ShapedBatch): Promise<void> => {
    if (target.heartbeat.lost) throw new VersionStateError(`version ${target.version} stopped loading under this execution (cleaned up or taken over) while ${object} was read`);
    const commands: WriteCommand[] = [];
    const { lists, nulls } = result;
    const nullCounts = target.nullCounts;
    const { tombstones, corrections } = target;
    // Null when nothing is erased or corrected: then no record's key is looked up at all.
    const flagged = KeyFilter.of(tombstones, corrections?.corrected ?? NOTHING);
    /** Records of keys with a correction: written with its value, once it is read. */
    const held: HsetCommand[] = [];
    for (let i = 0; i < batch.shaped.length; i++) {
      const shaped = batch.shaped[i]!;
      if (isBad(shaped)) {
        result.badRecords++;
        if (result.samples.length < SAMPLES_PER_CHUNK) result.samples.push({ object, offset: shaped.offset, reason: shaped.reason, ...unit } satisfies BadSample);
        continue;
      }
      // The key's hash serves its bucket and the filter: hashed once.
      const hash = keyHash(shaped.key);
      const maybe = flagged ? flagged.probe(hash) : 0;
      // An erased key is skipped and counted: not a bad record, and never written.
      if (maybe & MAYBE_ERASED && tombstones.has(shaped.key, hash)) {
        result.erased!++;
        continue;
      }
      const bucket = bucketOf(shaped.key, target.buckets, hash);
      touched.add(bucket);
      const command: HsetCommand = { op: 'hset', key: dataKey(target.dataset, target.version, bucket), field: shaped.key, value: shaped.value, object, offset: batch.offsets[i]! };
      // Held only if the key is in the corrected set: each of the filter's false positives (~2 % of
      // the records at 100k corrected keys) would be an HMGET field on the control slot's master,
      // which every chunk shares and the readers' pointer refreshes use, finding nothing. (Holding
      // on the filter's word alone, without the lookup, measured no faster: 2026-12-07, 11 repetitions.)
      (maybe & MAYBE_CORRECTED && corrections?.corrected.has(shaped.key, hash) ? held : commands).push(command);
      if (lists) countList(lists, shaped.items ?? 0);
      else if (nulls && nullCounts) {
        nulls.rows++;
        if (shaped.nulls) for (const f of shaped.nulls) nullCounts[f]!++;
      }
    }
    result.records += commands.length + held.length;
    if (commands.length > 0) await writer.write(commands);
    if (held.length > 0) await corrections!.hold(held);
  };
  try {
    for await (const batch of source.batches) {
      stopIfAborted(signal, target.version, result.index);
      await handle(batch);
      result.bytes = readBefore + source.bytesRead;
      onProgress?.({ records: result.records, badRecords: result.badRecords, bytes: result.bytes });
    }
  } catch (err) {
    if (err instanceof BadDataError) {
      throw new BadDataError(err.message.startsWith('s3://') ? err.message : `s3://${object}: ${err.message}`, { object, offset: err.where?.offset }, { cause: err });
    }
    throw err;
  } finally {
    source.close();
  }
}

function stopIfAborted(signal: AbortSignal | undefined, version: string, index: number): void {
  if (signal?.aborted) throw new InterruptedError(`chunk ${index} of version ${version} was stopped on request`);
}

/**
 * The version stopped loading under this execution while we wrote (failed and cleaned up):
 * remove what we added after the clean-up. Unless a new load of the version (a re-run) has
 * registered since: those keys are its own now, and hold the same job's records.
 */
async function undoWrites(deps: PipelineDeps, version: string, touched: ReadonlySet<number>): Promise<void> {
  if ((await deps.versions.get(version))?.status === 'loading') return;
  const undo = deps.newWriter();
  await undo.write([...touched].map((b) => ({ op: 'unlink' as const, key: dataKey(deps.dataset, version, b) })));
  await undo.flush();
}

/** Redis refusing writes at maxmemory (noeviction) is no transient trouble: say what it is. */
function asOutOfMemory(err: unknown, version: string, index: number): unknown {
  if (!(err instanceof Error) || !/^OOM /.test(err.message)) return err;
  return new InsufficientMemoryError(
    `Redis reached maxmemory while chunk ${index} of version ${version} was written (${err.message.split('.')[0]}); free memory or grow the cache, then load again`,
    { cause: err },
  );
}
