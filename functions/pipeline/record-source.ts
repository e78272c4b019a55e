// The one place that turns a planned part into records: read its byte range (pinned to the
// planned ETag), decompress it if it is gzip, and let its format (domain/formats/) frame it,
// drop a first record that is not data (a CSV header) and shape it; or read a row format's row
// group. Used by LoadChunk and by the pre-flight sample, so both see exactly the same records.
import { createGunzip } from 'node:zlib';
import type { ObjectStore } from '../adapters/object-store.js';
import type { ChunkPart, Compression } from '../domain/chunk-plan.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
import type { ByteFormat } from '../domain/formats/format.js';
import { byteFormat, rowFormat } from '../domain/formats/registry.js';
import type { RawRecord } from '../domain/raw-record.js';
import type { BadRecord, RecordShape, ShapedRecord } from '../domain/record-shape.js';
import { readParquetRows } from './parquet-source.js';
import { BadDataError, TransientError } from '../errors.js';

export interface PartRecords {
  /** Batches of framed records, in order; ends with what the framer holds at the end. */
  batches: AsyncIterable<RawRecord[]>;
  /** Bytes read from S3 so far (compressed bytes for gzip). */
  readonly bytesRead: number;
  close(): void;
}

/**
 * Decompresses a byte stream as it is read; memory stays bounded by zlib's window and the
 * streams' buffers. Stopping early (the caller breaks out) closes the S3 body first, so neither
 * side waits on the other.
 */
async function* decompressed(stream: AsyncIterable<Buffer>, close: () => void, compression: Compression, object: string): AsyncIterable<Buffer> {
  if (compression !== 'gzip') throw new BadDataError(`s3://${object}: unsupported compression ${compression}`);
  const gunzip = createGunzip();
  const writable = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        gunzip.off('drain', done);
        gunzip.off('close', done);
        resolve();
      };
      gunzip.once('drain', done);
      gunzip.once('close', done);
    });
  const feed = (async () => {
    try {
      for await (const piece of stream) {
        if (gunzip.destroyed) return;
        if (!gunzip.write(piece)) await writable();
      }
      if (!gunzip.destroyed) gunzip.end();
    } catch (err) {
      gunzip.destroy(err as Error);
    }
  })();
  try {
    for await (const piece of gunzip) yield piece as Buffer;
  } catch (err) {
    if (err instanceof TransientError) throw err;
    throw new BadDataError(`s3://${object} is not a valid gzip stream: ${(err as Error).message}`, { object }, { cause: err });
  } finally {
    close();
    gunzip.destroy();
    await feed;
  }
}

export async function openPartRecords(part: ChunkPart, objects: ObjectStore, options: { maxRecordBytes: number; spec: DatasetSpec }): Promise<PartRecords> {
  const object = `${part.bucket}/${part.key}`;
  const format = bytesOf(part);
  const stream = await objects.read(part.bucket, part.key, part.etag, format.readFrom(part), part.compression ? part.end : undefined);
  const framer = format.framer(part, options.maxRecordBytes);
  let skipHeader = format.skipsFirstRecord?.(part, options.spec) ?? false;
  let bytesRead = 0;
  const counted: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      for await (const b of stream) {
        bytesRead += b.length;
        yield b;
      }
    },
  };
  const source = part.compression ? decompressed(counted, () => stream.close(), part.compression, object) : counted;
  const dropHeader = (records: RawRecord[]): RawRecord[] => {
    if (!skipHeader || records.length === 0) return records;
    skipHeader = false;
    return records.slice(1);
  };
  return {
    batches: {
      async *[Symbol.asyncIterator]() {
        for await (const bytes of source) {
          yield dropHeader(framer.push(bytes));
          if (framer.done) return;
        }
        yield dropHeader(framer.end());
      },
    },
    get bytesRead() {
      return bytesRead;
    },
    close: () => stream.close(),
  };
}

/** The shape records of this part take, as its format says (the dataset's JSON shape, or its CSV shape for the part's columns). */
export function shapeForPart(part: ChunkPart, spec: DatasetSpec, jsonShape: RecordShape, maxRecordBytes: number): RecordShape {
  return bytesOf(part).shape(part, { spec, jsonShape, maxRecordBytes });
}

/** The byte format of a part that is read as bytes. */
function bytesOf(part: ChunkPart): ByteFormat {
  const format = byteFormat(part.format);
  if (!format) throw new BadDataError(`s3://${part.bucket}/${part.key}: a ${part.format} part is read in row groups, not as bytes`);
  return format;
}


/** Shaped (or bad) records and where each starts (byte offset, or row number for Parquet). */
export interface ShapedBatch {
  shaped: (ShapedRecord | BadRecord)[];
  offsets: number[];
}

export interface ShapedRecords {
  /** Batches of shaped (or bad) records, in order. */
  batches: AsyncIterable<ShapedBatch>;
  readonly bytesRead: number;
  close(): void;
}

/** Rows shaped per batch: a Parquet row group is decoded whole (memory is bounded by it), then shaped in slices. */
const PARQUET_BATCH = 1000;

/** The records of a part, shaped: what LoadChunk writes. */
export async function openShapedRecords(
  part: ChunkPart,
  deps: { objects: ObjectStore; spec: DatasetSpec; shape: RecordShape; maxRecordBytes: number },
): Promise<ShapedRecords> {
  const rowsFormat = rowFormat(part.format);
  if (rowsFormat) {
    if (!part.rows || !part.columns || part.objectSize === undefined) throw new BadDataError(`s3://${part.bucket}/${part.key}: a ${rowsFormat.title} part needs its rows, columns and object size from the plan`);
    const counter = { bytes: 0 };
    const [rowStart, rowEnd] = part.rows;
    const at = { bucket: part.bucket, key: part.key, etag: part.etag, size: part.objectSize };
    const shape = rowsFormat.rowShape(deps.spec);
    const columns = part.columns;
    return {
      batches: {
        async *[Symbol.asyncIterator]() {
          const rows = await readParquetRows(deps.objects, at, [rowStart, rowEnd], columns, counter);
          for (let i = 0; i < rows.length; i += PARQUET_BATCH) {
            const batch: ShapedBatch = { shaped: [], offsets: [] };
            for (let j = i; j < Math.min(rows.length, i + PARQUET_BATCH); j++) {
              batch.shaped.push(shape(rows[j]!, rowStart + j));
              batch.offsets.push(rowStart + j);
            }
            yield batch;
          }
        },
      },
      get bytesRead() {
        return counter.bytes;
      },
      close: () => undefined,
    };
  }
  const shape = shapeForPart(part, deps.spec, deps.shape, deps.maxRecordBytes);
  const source = await openPartRecords(part, deps.objects, { maxRecordBytes: deps.maxRecordBytes, spec: deps.spec });
  return {
    batches: {
      async *[Symbol.asyncIterator]() {
        for await (const records of source.batches) {
          const batch: ShapedBatch = { shaped: new Array(records.length), offsets: new Array(records.length) };
          for (let i = 0; i < records.length; i++) {
            batch.shaped[i] = shape.shape(records[i]!);
            batch.offsets[i] = records[i]!.offset;
          }
          yield batch;
        }
      },
    },
    get bytesRead() {
      return source.bytesRead;
    },
    close: () => source.close(),
  };
}
