// Splitting input objects into byte-range work items for the Map state. A record belongs to
// the part in which its first byte lies (see line-framer.ts), so parts may cut anywhere.
import { ConfigError } from '../errors.js';

export type InputFormat = 'jsonl' | 'json';

export interface InputObject {
  bucket: string;
  key: string;
  etag: string;
  size: number;
  format: InputFormat;
}

/** One byte range [start, end) of one object. */
export interface ChunkPart {
  bucket: string;
  key: string;
  etag: string;
  start: number;
  end: number;
  format: InputFormat;
}

/** One Map item: usually one part; small objects are packed together so the item count tracks bytes, not files. */
export interface Chunk {
  index: number;
  parts: ChunkPart[];
}

export interface ChunkPlan {
  chunkSizeBytes: number;
  totalBytes: number;
  chunks: Chunk[];
}

export function planChunks(objects: readonly InputObject[], chunkSizeBytes: number, maxChunks: number): ChunkPlan {
  if (!Number.isInteger(chunkSizeBytes) || chunkSizeBytes < 1) throw new ConfigError('chunk size must be a positive integer');
  const nonEmpty = objects.filter((o) => o.size > 0);
  const totalBytes = nonEmpty.reduce((sum, o) => sum + o.size, 0);
  // Step Functions state payloads are capped (256 KiB): grow the chunk size rather than the item count.
  const size = Math.max(chunkSizeBytes, Math.ceil(totalBytes / maxChunks));
  const chunks: Chunk[] = [];
  let current: ChunkPart[] = [];
  let currentBytes = 0;
  const flush = (): void => {
    if (current.length > 0) chunks.push({ index: chunks.length, parts: current });
    current = [];
    currentBytes = 0;
  };
  for (const o of nonEmpty) {
    // A JSON document cannot be cut: it is one part whatever its size.
    const step = o.format === 'json' ? o.size : size;
    for (let start = 0; start < o.size; start += step) {
      const end = Math.min(o.size, start + step);
      if (currentBytes > 0 && currentBytes + (end - start) > size) flush();
      current.push({ bucket: o.bucket, key: o.key, etag: o.etag, start, end, format: o.format });
      currentBytes += end - start;
      if (currentBytes >= size) flush();
    }
  }
  flush();
  return { chunkSizeBytes: size, totalBytes, chunks };
}
