// Validation of the state machine's payloads to the step functions. They come from our own
// definition, but a hand-made `sam local invoke` event deserves a clear error too.
import type { Chunk, ChunkPart } from '../domain/chunk-plan.js';
import { isPlainObject } from '../domain/plain-object.js';
import { InvalidInputError } from '../errors.js';

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (!isPlainObject(v)) throw new InvalidInputError(`${what} must be an object`);
  return v;
}

function text(o: Obj, field: string, where: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v === '') throw new InvalidInputError(`${where}.${field} must be a non-empty string`);
  return v;
}

function count(o: Obj, field: string, where: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidInputError(`${where}.${field} must be a non-negative integer`);
  return v;
}

/** The dataset, version and owner every step receives. */
export function versionRef(payload: unknown): { dataset: string; version: string; owner: string } {
  const o = obj(payload, 'the input');
  return { dataset: text(o, 'dataset', 'input'), version: text(o, 'version', 'input'), owner: text(o, 'owner', 'input') };
}

/** Retire's input: the dataset, and the execution when the state machine runs it (it names the deletion claims). */
export function retireRef(payload: unknown): { dataset: string; owner?: string } {
  const o = obj(payload, 'the input');
  const dataset = text(o, 'dataset', 'input');
  return o.owner === undefined ? { dataset } : { dataset, owner: text(o, 'owner', 'input') };
}

/** The chunk to load: its number in the version's stored plan (from the state machine), or the chunk itself. */
export function chunkOf(payload: unknown): Chunk | number {
  const raw = obj(payload, 'the input').chunk;
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
  const c = obj(raw, 'input.chunk (a chunk number or {index, parts})');
  const parts = c.parts;
  if (!Array.isArray(parts) || parts.length === 0) throw new InvalidInputError('input.chunk.parts must be a non-empty array');
  return {
    index: count(c, 'index', 'chunk'),
    parts: parts.map((p, i): ChunkPart => {
      const where = `chunk.parts[${i}]`;
      const part = obj(p, where);
      const format = part.format ?? 'jsonl';
      if (format !== 'jsonl' && format !== 'json' && format !== 'csv' && format !== 'parquet') throw new InvalidInputError(`${where}.format must be "jsonl", "json", "csv" or "parquet"`);
      if (part.compression !== undefined && part.compression !== 'gzip') throw new InvalidInputError(`${where}.compression must be "gzip" when given`);
      if (part.columns !== undefined && (!Array.isArray(part.columns) || !part.columns.every((c) => typeof c === 'string'))) {
        throw new InvalidInputError(`${where}.columns must be an array of column names`);
      }
      const start = count(part, 'start', where);
      const end = count(part, 'end', where);
      if (end <= start) throw new InvalidInputError(`${where}: end (${end}) must be after start (${start})`);
      const chunkPart: ChunkPart = { bucket: text(part, 'bucket', where), key: text(part, 'key', where), etag: text(part, 'etag', where), start, end, format };
      if (part.compression === 'gzip') chunkPart.compression = 'gzip';
      if (Array.isArray(part.columns)) chunkPart.columns = part.columns as string[];
      if (format === 'parquet') {
        const rows = part.rows;
        if (!Array.isArray(rows) || rows.length !== 2 || !rows.every((r) => Number.isSafeInteger(r) && (r as number) >= 0)) throw new InvalidInputError(`${where}.rows must be [first row, end row] for a Parquet part`);
        chunkPart.rows = [rows[0] as number, rows[1] as number];
        chunkPart.objectSize = count(part, 'objectSize', where);
      }
      return chunkPart;
    }),
  };
}

export function chunkCountOf(payload: unknown): number {
  return count(obj(payload, 'the input'), 'chunkCount', 'input');
}

export function failureOf(payload: unknown): { Error?: string; Cause?: string } | undefined {
  const f = obj(payload, 'the input').failure;
  if (typeof f !== 'object' || f === null) return undefined;
  const { Error: error, Cause: cause } = f as Obj;
  return { Error: typeof error === 'string' ? error : undefined, Cause: typeof cause === 'string' ? cause : undefined };
}
