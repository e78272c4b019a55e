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

export function datasetRef(payload: unknown): { dataset: string } {
  return { dataset: text(obj(payload, 'the input'), 'dataset', 'input') };
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
      if (format !== 'jsonl' && format !== 'json') throw new InvalidInputError(`${where}.format must be "jsonl" or "json"`);
      const start = count(part, 'start', where);
      const end = count(part, 'end', where);
      if (end <= start) throw new InvalidInputError(`${where}: end (${end}) must be after start (${start})`);
      return { bucket: text(part, 'bucket', where), key: text(part, 'key', where), etag: text(part, 'etag', where), start, end, format };
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
