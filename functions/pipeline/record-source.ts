// The one place that turns a planned part into records: read its byte range (pinned to the
// planned ETag), decompress it if it is gzip, frame it (lines or a JSON document), drop a CSV
// header, and pick the shape for its format. Used by LoadChunk and by the pre-flight sample,
// so both see exactly the same records.
import { createGunzip } from 'node:zlib';
import type { ObjectStore } from '../adapters/object-store.js';
import type { ChunkPart, Compression } from '../domain/chunk-plan.js';
import { DEFAULT_CSV_LAYOUT } from '../domain/csv-layout.js';
import { csvShape } from '../domain/csv-shape.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
import { JsonDocumentFramer } from '../domain/json-document-framer.js';
import { LineFramer, lineReadStart } from '../domain/line-framer.js';
import type { RawRecord, RecordFramer } from '../domain/raw-record.js';
import { parquetRowShape } from '../domain/parquet-row.js';
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

function framerFor(part: ChunkPart, maxRecordBytes: number): RecordFramer {
  if (part.format === 'json') return new JsonDocumentFramer(maxRecordBytes);
  // A gzip part is the whole object: its lines are numbered in the decompressed stream.
  if (part.compression) return new LineFramer(0, Number.MAX_SAFE_INTEGER, maxRecordBytes);
  return new LineFramer(part.start, part.end, maxRecordBytes);
}

/** Where the byte stream for a part starts (a line part reads one byte early; see line-framer.ts). */
function readFrom(part: ChunkPart): number {
  return part.format === 'json' || part.compression ? 0 : lineReadStart(part.start);
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

export async function openPartRecords(part: ChunkPart, objects: ObjectStore, options: { maxRecordBytes: number; csvHeader: boolean }): Promise<PartRecords> {
  const object = `${part.bucket}/${part.key}`;
  const stream = await objects.read(part.bucket, part.key, part.etag, readFrom(part), part.compression ? part.end : undefined);
  const framer = framerFor(part, options.maxRecordBytes);
  // A CSV header is a header only at the start of its object; Plan found whether the object has one.
  let skipHeader = part.format === 'csv' && (part.header ?? options.csvHeader) && part.start === 0;
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

/** The shape records of this part take: the dataset's JSON shape, or its CSV shape for the part's columns. */
export function shapeForPart(part: ChunkPart, spec: DatasetSpec, jsonShape: RecordShape, maxRecordBytes: number): RecordShape {
  if (part.format !== 'csv') return jsonShape;
  const layout = spec.csv ?? DEFAULT_CSV_LAYOUT;
  const columns = part.columns ?? layout.columns;
  if (!columns) throw new BadDataError(`s3://${part.bucket}/${part.key}: no CSV column names (no header was read and the dataset declares no csv.columns)`);
  const delimiter = part.delimiter ?? layout.delimiter;
  return csvShape(spec, delimiter === undefined ? layout : { ...layout, delimiter }, columns, maxRecordBytes);
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
  if (part.format === 'parquet') {
    if (!part.rows || !part.columns || part.objectSize === undefined) throw new BadDataError(`s3://${part.bucket}/${part.key}: a Parquet part needs its rows, columns and object size from the plan`);
    const counter = { bytes: 0 };
    const [rowStart, rowEnd] = part.rows;
    const at = { bucket: part.bucket, key: part.key, etag: part.etag, size: part.objectSize };
    const shape = parquetRowShape(deps.spec);
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
  const source = await openPartRecords(part, deps.objects, { maxRecordBytes: deps.maxRecordBytes, csvHeader: (deps.spec.csv ?? DEFAULT_CSV_LAYOUT).header });
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
