// Splitting input objects into byte-range work items for the Map state. A record belongs to
// the part in which its first byte lies (see formats/line-framer.ts), so parts may cut anywhere.
import { ConfigError, TooManyChunksError } from '../errors.js';
import { byteFormat } from './formats/registry.js';

/**
 * The most chunks one execution may run. An execution's history stops at 25,000 events; one
 * inline Map iteration of the LoadChunk task costs 7 events, and 3 more per retry (its Retry
 * allows 6), so 25 in the worst case, besides about 60 for the other states on the longest path.
 * tests/unit/statemachine-history.test.ts derives that bound from statemachine/ingest.asl.json
 * and holds this figure under it (with room for a few more states).
 */
export const MAX_MAP_ITEMS = 950;

/**
 * How far Plan grows the chunk size to fit MAX_MAP_ITEMS: a worker loads 1000 MB in about
 * 90 s on one core (BENCHMARKS.md, 57,568 records/s of ~190 bytes), well inside LoadChunk's
 * 300 s timeout. A configured CHUNK_SIZE_BYTES above it is used as it is.
 */
export const MAX_GROWN_CHUNK_BYTES = 1024 ** 3;

export type InputFormat = 'jsonl' | 'json' | 'csv' | 'parquet';
export type Compression = 'gzip';

export interface InputObject {
  bucket: string;
  key: string;
  etag: string;
  size: number;
  format: InputFormat;
  /** Set for gzip objects: they are decompressed as a stream, one part each. */
  compression?: Compression;
  /** The bytes the records take once decompressed (estimated from the head); the size when not compressed. */
  expandedSize?: number;
  /** CSV: the column names (from the object's header line, or the dataset's declaration). */
  columns?: string[];
  /** CSV: the object's delimiter (declared, or found in its first line). */
  delimiter?: string;
  /** CSV: the object's first line is a header, to skip. */
  header?: boolean;
  /** Parquet: the file's row groups, the natural chunks. */
  rowGroups?: RowGroupSpan[];
}

/** One Parquet row group: its rows [start, end) in the file, its bytes, and its bytes once decoded. */
export interface RowGroupSpan {
  rowStart: number;
  rowEnd: number;
  /** Byte range of its column chunks in the file. */
  start: number;
  end: number;
  /** Uncompressed size: what the records weigh. */
  bytes: number;
}

/** One byte range [start, end) of one object. */
export interface ChunkPart {
  bucket: string;
  key: string;
  etag: string;
  start: number;
  end: number;
  format: InputFormat;
  compression?: Compression;
  columns?: string[];
  /** CSV: as on InputObject; absent in plans saved before they were recorded (the dataset's layout then). */
  delimiter?: string;
  header?: boolean;
  /** Parquet: the rows [start, end) of one row group; start/end are then its column chunks' byte range. */
  rows?: [number, number];
  /** Parquet: the file's size (its footer is read from the end). */
  objectSize?: number;
}

/** One Map item: usually one part; small objects are packed together so the item count tracks bytes, not files. */
export interface Chunk {
  index: number;
  parts: ChunkPart[];
}

export interface ChunkPlan {
  /** The chunk size the plan was cut with: the configured one, or larger when that fits. */
  chunkSizeBytes: number;
  totalBytes: number;
  chunks: Chunk[];
}

// Work and Redis space follow the records' bytes: for a gzip object, its expanded size.
const weight = (o: InputObject): number => (o.rowGroups ? o.rowGroups.reduce((n, g) => n + g.bytes, 0) : (o.expandedSize ?? o.size));

/**
 * Cuts the objects into at most min(maxChunks, MAX_MAP_ITEMS) chunks. Too many at the configured
 * size: the size grows (up to MAX_GROWN_CHUNK_BYTES) until they fit. Parts that cannot be cut
 * (gzip streams, JSON documents, Parquet row groups) may still need more: TooManyChunksError.
 */
export function planChunks(objects: readonly InputObject[], chunkSizeBytes: number, maxChunks: number): ChunkPlan {
  if (!Number.isInteger(chunkSizeBytes) || chunkSizeBytes < 1) throw new ConfigError('chunk size must be a positive integer');
  const nonEmpty = objects.filter((o) => o.size > 0);
  const totalBytes = nonEmpty.reduce((sum, o) => sum + weight(o), 0);
  const limit = Math.min(maxChunks, MAX_MAP_ITEMS);
  const ceiling = Math.max(chunkSizeBytes, MAX_GROWN_CHUNK_BYTES);
  let size = Math.min(ceiling, Math.max(chunkSizeBytes, Math.ceil(totalBytes / limit)));
  let chunks = cut(nonEmpty, size);
  // Packing leaves gaps (a part that does not fit starts a new chunk): grow again until it fits.
  while (chunks.length > limit && size < ceiling) {
    size = Math.min(ceiling, Math.max(size + 1, Math.ceil((size * chunks.length) / limit)));
    chunks = cut(nonEmpty, size);
  }
  if (chunks.length > limit) throw tooManyChunks(nonEmpty, chunks.length, limit, maxChunks, ceiling);
  return { chunkSizeBytes: size, totalBytes, chunks };
}

function tooManyChunks(objects: readonly InputObject[], needed: number, limit: number, maxChunks: number, ceiling: number): TooManyChunksError {
  const whole = objects.filter((o) => o.format === 'json' || o.compression !== undefined || o.rowGroups !== undefined);
  const sizes = whole.map(weight);
  const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;
  const which =
    whole.length > 0
      ? `${whole.length} of the ${objects.length} objects cannot be cut (gzip streams, JSON documents, Parquet row groups; ${mib(Math.min(...sizes))} to ${mib(Math.max(...sizes))} each) and fill a chunk of their own`
      : `its ${objects.length} objects fill them`;
  const bound = limit < maxChunks ? `${limit}, the most one execution can run (Step Functions keeps at most 25,000 history events)` : `MAX_CHUNKS=${maxChunks}`;
  return new TooManyChunksError(
    `the load needs ${needed} chunks even at ${mib(ceiling)} a chunk, more than ${bound}: ${which}. ` +
      'Load it as several runs (one per sub-prefix), or write fewer, larger objects (or plain, uncompressed JSON Lines, which are cut anywhere)',
    { needed, limit },
  );
}

function cut(nonEmpty: readonly InputObject[], size: number): Chunk[] {
  const chunks: Chunk[] = [];
  let current: ChunkPart[] = [];
  let currentBytes = 0;
  const flush = (): void => {
    if (current.length > 0) chunks.push({ index: chunks.length, parts: current });
    current = [];
    currentBytes = 0;
  };
  for (const o of nonEmpty) {
    if (o.rowGroups) {
      // Parquet: each row group is a part, weighed by its decoded size; small ones are packed.
      for (const g of o.rowGroups) {
        if (g.rowEnd <= g.rowStart) continue;
        if (currentBytes > 0 && currentBytes + g.bytes > size) flush();
        const part: ChunkPart = { bucket: o.bucket, key: o.key, etag: o.etag, start: g.start, end: g.end, format: o.format, rows: [g.rowStart, g.rowEnd], objectSize: o.size };
        if (o.columns) part.columns = o.columns;
        current.push(part);
        currentBytes += g.bytes;
        if (currentBytes >= size) flush();
      }
      continue;
    }
    // A format that cannot be cut (a JSON document), or a gzip stream, which cannot be entered
    // in the middle: one part whatever its size.
    const whole = byteFormat(o.format)?.cut === 'whole' || o.compression !== undefined;
    const step = whole ? o.size : size;
    const scale = weight(o) / o.size;
    for (let start = 0; start < o.size; start += step) {
      const end = Math.min(o.size, start + step);
      const bytes = Math.ceil((end - start) * scale);
      if (currentBytes > 0 && currentBytes + bytes > size) flush();
      const part: ChunkPart = { bucket: o.bucket, key: o.key, etag: o.etag, start, end, format: o.format };
      if (o.compression) part.compression = o.compression;
      copyCsvLayout(o, part);
      current.push(part);
      currentBytes += bytes;
      if (currentBytes >= size) flush();
    }
  }
  flush();
  return chunks;
}

/** A CSV object's columns, delimiter and header, onto one of its parts. */
export function copyCsvLayout(o: InputObject, part: ChunkPart): void {
  if (o.columns) part.columns = o.columns;
  if (o.delimiter !== undefined) part.delimiter = o.delimiter;
  if (o.header !== undefined) part.header = o.header;
}
