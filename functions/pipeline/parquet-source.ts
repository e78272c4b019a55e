// Parquet objects in S3, read with hyparquet (pure JavaScript, no native code, so it bundles
// into the Lambda as it is; it reads a file through ranged reads, which we pin to the planned
// ETag like every other read). hyparquet-compressors adds the codecs beyond snappy (gzip, zstd,
// brotli, lz4) that Spark and pyarrow may be configured to write.
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { RowGroupSpan } from '../domain/chunk-plan.js';
import { PARQUET_TIME_PARSERS } from '../domain/formats/parquet/parquet-row.js';
import type { ObjectStore } from '../adapters/object-store.js';

export interface ParquetLocation {
  bucket: string;
  key: string;
  etag: string;
  size: number;
}

/** The file as hyparquet reads it: every slice is a ranged GET pinned to the ETag. */
function asyncBuffer(objects: ObjectStore, at: ParquetLocation, counter?: { bytes: number }): AsyncBuffer {
  return {
    byteLength: at.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stream = await objects.read(at.bucket, at.key, at.etag, start, end ?? at.size);
      const pieces: Buffer[] = [];
      try {
        for await (const b of stream) pieces.push(b);
      } finally {
        stream.close();
      }
      const whole = Buffer.concat(pieces);
      if (counter) counter.bytes += whole.length;
      return whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.length) as ArrayBuffer;
    },
  };
}

export interface ParquetOutline {
  /** Top-level column names. */
  columns: string[];
  rowGroups: RowGroupSpan[];
  rows: number;
}

/** Reads the footer (ranged GETs from the end of the file) and outlines the row groups. */
export async function readParquetOutline(objects: ObjectStore, at: ParquetLocation): Promise<ParquetOutline> {
  const metadata = await parquetMetadataAsync(asyncBuffer(objects, at));
  return outline(metadata);
}

function outline(metadata: FileMetaData): ParquetOutline {
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  let row = 0;
  const rowGroups = metadata.row_groups.map((g): RowGroupSpan => {
    const rows = Number(g.num_rows);
    let start = Number.MAX_SAFE_INTEGER;
    let end = 0;
    for (const c of g.columns) {
      const m = c.meta_data;
      if (!m) continue;
      const first = Number(m.dictionary_page_offset ?? m.data_page_offset);
      start = Math.min(start, first);
      end = Math.max(end, first + Number(m.total_compressed_size));
    }
    const span = { rowStart: row, rowEnd: row + rows, start: start === Number.MAX_SAFE_INTEGER ? 0 : start, end, bytes: Number(g.total_byte_size) };
    row += rows;
    return span;
  });
  return { columns, rowGroups, rows: row };
}

/** The rows [rowStart, rowEnd) as objects of the named columns; `bytesRead` grows with what was fetched. */
export async function readParquetRows(
  objects: ObjectStore,
  at: ParquetLocation,
  rows: [number, number],
  columns: readonly string[],
  counter: { bytes: number },
): Promise<Record<string, unknown>[]> {
  const file = asyncBuffer(objects, at, counter);
  const metadata = await parquetMetadataAsync(file);
  // Dates and timestamps arrive as ISO-8601 text (domain/formats/parquet/parquet-row.ts), not Date objects.
  return parquetReadObjects({ file, metadata, rowStart: rows[0], rowEnd: rows[1], columns: [...columns], compressors, parsers: PARQUET_TIME_PARSERS });
}
