// The dataset read API's logic: one record (a feature row or a ranked list) by key, with an
// optional field projection, or up to MAX_BATCH_KEYS records from one version at once.
import type { LiveReader } from '../adapters/live-reader.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
import { withoutSuppressedText } from '../domain/suppressed-items.js';
import { StoredJson } from '../domain/stored-json.js';
import { NotFoundError } from '../errors.js';

export interface RecordAnswer {
  dataset: string;
  key: string;
  version: string;
  /** Feature rows: the row (projected). Ranked items: the list. As stored unless projected. */
  value: unknown;
}

type BatchEntry = { key: string; found: true; value: unknown } | { key: string; found: false };

export interface BatchAnswer {
  dataset: string;
  version: string;
  results: BatchEntry[];
}

/** The stored value as the answer holds it: as stored, unless fields are to be picked from a row. */
function decode(spec: DatasetSpec, raw: string, fields: readonly string[] | undefined, suppressed: ReadonlySet<string>): unknown {
  // A ranked list without its suppressed items, ranks closed up (invariant 13).
  if (spec.kind === 'ranked-items') return new StoredJson(withoutSuppressedText(raw, suppressed));
  if (!fields || spec.kind !== 'feature-rows') return new StoredJson(raw);
  const row = JSON.parse(raw) as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => Object.hasOwn(row, f)).map((f) => [f, row[f]]));
}

/** `pinned`: a version named by the caller instead of the live one. */
export async function getRecord(reader: LiveReader, spec: DatasetSpec, key: string, fields?: readonly string[], pinned?: string): Promise<RecordAnswer> {
  const { version, value, suppressed } = await reader.get(key, pinned);
  if (value === null) throw new NotFoundError(`no record with key ${key} in dataset ${spec.name}`);
  return { dataset: spec.name, key, version, value: decode(spec, value, fields, suppressed) };
}

export async function batchGet(reader: LiveReader, spec: DatasetSpec, keys: readonly string[], fields?: readonly string[], pinned?: string): Promise<BatchAnswer> {
  const { version, values, suppressed } = await reader.getMany(keys, pinned);
  return {
    dataset: spec.name,
    version,
    results: keys.map((key, i): BatchEntry => {
      const raw = values[i];
      return raw == null ? { key, found: false } : { key, found: true, value: decode(spec, raw, fields, suppressed) };
    }),
  };
}
