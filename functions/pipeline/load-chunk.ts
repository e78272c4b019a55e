// Step 2, one Map item: read each part's byte range, frame and shape its records, and write
// them into the new version. Memory is bounded by the writer's batches in flight and the
// longest record, not by the chunk: reading pauses while Redis is behind.
import type { ClusterBulkWriter, WriteCommand } from '../adapters/cluster-writer.js';
import type { ChunkPart, Chunk } from '../domain/chunk-plan.js';
import { JsonDocumentFramer } from '../domain/json-document-framer.js';
import { bucketOf, dataKey } from '../domain/key-layout.js';
import { LineFramer, lineReadStart } from '../domain/line-framer.js';
import type { BadSample, ChunkResult } from '../domain/load-summary.js';
import type { RecordFramer } from '../domain/raw-record.js';
import { isBad } from '../domain/record-shape.js';
import { BadDataError, InsufficientMemoryError, VersionStateError } from '../errors.js';
import type { PipelineDeps } from './deps.js';

export interface LoadChunkInput {
  dataset: string;
  version: string;
  owner: string;
  chunk: Chunk;
}

const SAMPLES_PER_CHUNK = 3;

export interface LoadProgress {
  records: number;
  badRecords: number;
  bytes: number;
}

export async function loadChunk(input: LoadChunkInput, deps: PipelineDeps, onProgress?: (p: LoadProgress) => void): Promise<ChunkResult> {
  const { version, owner, chunk } = input;
  const buckets = await deps.versions.assertLoading(version, owner);
  const result: ChunkResult = { index: chunk.index, records: 0, badRecords: 0, bytes: 0, samples: [] };
  const touched = new Set<number>();
  const writer = deps.newWriter();
  try {
    for (const part of chunk.parts) {
      await loadPart(part, { dataset: deps.dataset, version, buckets }, deps, writer, result, touched, onProgress);
    }
    await writer.flush();
  } catch (err) {
    await writer.flush().catch(() => undefined); // let batches in flight land so nothing is written after we report
    throw asOutOfMemory(err, version, chunk.index);
  }
  const recorded = await deps.versions.recordChunk(version, owner, result).catch((err: unknown) => {
    throw asOutOfMemory(err, version, chunk.index);
  });
  if (!recorded) {
    // The load was failed (cleaned up) while we wrote: remove what we added after the cleanup.
    const undo = deps.newWriter();
    await undo.write([...touched].map((b) => ({ op: 'unlink' as const, key: dataKey(deps.dataset, version, b) })));
    await undo.flush();
    throw new VersionStateError(`version ${version} stopped loading while chunk ${chunk.index} was written; its writes were removed`);
  }
  return result;
}

async function loadPart(
  part: ChunkPart,
  target: { dataset: string; version: string; buckets: number },
  deps: PipelineDeps,
  writer: ClusterBulkWriter,
  result: ChunkResult,
  touched: Set<number>,
  onProgress?: (p: LoadProgress) => void,
): Promise<void> {
  const object = `${part.bucket}/${part.key}`;
  const maxRecordBytes = deps.load.maxRecordBytes;
  const framer: RecordFramer =
    part.format === 'json' ? new JsonDocumentFramer(maxRecordBytes) : new LineFramer(part.start, part.end, maxRecordBytes);
  const from = part.format === 'json' ? 0 : lineReadStart(part.start);
  const stream = await deps.objects.read(part.bucket, part.key, part.etag, from);
  const handle = async (records: ReturnType<RecordFramer['push']>): Promise<void> => {
    const commands: WriteCommand[] = [];
    for (const raw of records) {
      const shaped = deps.shape.shape(raw);
      if (isBad(shaped)) {
        result.badRecords++;
        if (result.samples.length < SAMPLES_PER_CHUNK) result.samples.push({ object, offset: shaped.offset, reason: shaped.reason } satisfies BadSample);
        continue;
      }
      const bucket = bucketOf(shaped.key, target.buckets);
      touched.add(bucket);
      commands.push({ op: 'hset', key: dataKey(target.dataset, target.version, bucket), field: shaped.key, value: shaped.value });
    }
    result.records += commands.length;
    if (commands.length > 0) await writer.write(commands);
  };
  try {
    for await (const bytes of stream) {
      result.bytes += bytes.length;
      await handle(framer.push(bytes));
      onProgress?.({ records: result.records, badRecords: result.badRecords, bytes: result.bytes });
      if (framer.done) break;
    }
    await handle(framer.end());
  } catch (err) {
    if (err instanceof BadDataError) {
      throw new BadDataError(`s3://${object}: ${err.message}`, { object, offset: err.where?.offset }, { cause: err });
    }
    throw err;
  } finally {
    stream.close();
  }
}

/** Redis refusing writes at maxmemory (noeviction) is no transient trouble: say what it is. */
function asOutOfMemory(err: unknown, version: string, index: number): unknown {
  if (!(err instanceof Error) || !/^OOM /.test(err.message)) return err;
  return new InsufficientMemoryError(
    `Redis reached maxmemory while chunk ${index} of version ${version} was written (${err.message.split('.')[0]}); free memory or grow the cache, then load again`,
    { cause: err },
  );
}
