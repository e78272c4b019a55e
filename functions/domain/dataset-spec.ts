// A dataset declared once: what its records look like, how their key is formed, what is
// stored as the value, and which transform jobs feed it. Validated here, with errors that
// name the dataset and the field.
import { ConfigError } from '../errors.js';
import { DATASET_NAME, DATASET_NAME_RULE } from './names.js';
import { isPlainObject } from './plain-object.js';
import { DEFAULT_RELEASE_CHECKS, type ReleaseCheckConfig } from './release-checks.js';

type DatasetKind = 'ranked-items' | 'feature-rows';
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'any';
const FIELD_TYPES: readonly FieldType[] = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'any'];

export interface KeySpec {
  fields: string[];
  /** 'first-present': the first listed field the record has; 'composite': all of them, joined with ':' in this order. */
  mode: 'first-present' | 'composite';
}

export interface DatasetSpec {
  name: string;
  kind: DatasetKind;
  key: KeySpec;
  /** ranked-items: candidate fields holding the ranked array; the first present wins. */
  itemsFields: string[];
  /** feature-rows: the fields to keep and their expected types; undefined keeps every field but the key. */
  fields?: Record<string, FieldType>;
  /** Transform jobs that feed it: exact names, or name prefixes ('' takes every job). */
  jobs: { names: string[]; prefixes: string[] };
  /** Release control: the checks before the swap. */
  checks: ReleaseCheckConfig;
  /** 'auto': a load that passes every check goes live; 'manual': it is held for `sluice promote`. */
  promote: PromoteMode;
}

export type PromoteMode = 'auto' | 'manual';

export const COMPOSITE_KEY_SEPARATOR = ':';
export const DEFAULT_KEY_FIELDS = ['userId', 'user_id'];
export const DEFAULT_ITEMS_FIELDS = ['movieId', 'recommendations', 'items', 'SageMakerOutput.recommendations', 'SageMakerOutput'];

type Obj = Record<string, unknown>;

function strings(v: unknown, where: string): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new ConfigError(`${where} must be a non-empty string or array of strings`);
  }
  return v as string[];
}

/** Parses the DATASETS declaration (a JSON array of dataset objects). */
export function parseDatasetSpecs(value: unknown): DatasetSpec[] {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError('DATASETS must be a non-empty JSON array of datasets');
  const specs = value.map((raw, i) => parseDatasetSpec(raw, `DATASETS[${i}]`));
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new ConfigError(`dataset ${s.name} is declared twice`);
    names.add(s.name);
  }
  return specs;
}

function parseDatasetSpec(raw: unknown, where: string): DatasetSpec {
  if (!isPlainObject(raw)) throw new ConfigError(`${where} must be an object`);
  const o = raw as Obj;
  const name = o.name;
  if (typeof name !== 'string' || !DATASET_NAME.test(name)) throw new ConfigError(`${where}.name must be ${DATASET_NAME_RULE}`);
  const at = `dataset ${name}`;
  const kind = o.kind ?? 'ranked-items';
  if (kind !== 'ranked-items' && kind !== 'feature-rows') throw new ConfigError(`${at}: kind must be "ranked-items" or "feature-rows"`);
  const key: KeySpec =
    o.key === undefined
      ? { fields: DEFAULT_KEY_FIELDS, mode: 'first-present' }
      : { fields: strings(o.key, `${at}: key`), mode: 'composite' };
  if (o.keyCandidates !== undefined) {
    if (o.key !== undefined) throw new ConfigError(`${at}: give either key (composite, in order) or keyCandidates (first present), not both`);
    key.fields = strings(o.keyCandidates, `${at}: keyCandidates`);
    key.mode = 'first-present';
  }
  const spec: DatasetSpec = {
    name,
    kind,
    key,
    itemsFields: o.items === undefined ? DEFAULT_ITEMS_FIELDS : strings(o.items, `${at}: items`),
    jobs: { names: [], prefixes: [] },
    checks: parseChecks(o.checks, at),
    promote: parsePromote(o.promote, at),
  };
  if (o.fields !== undefined) {
    if (kind !== 'feature-rows') throw new ConfigError(`${at}: fields applies to feature-rows datasets only`);
    if (!isPlainObject(o.fields)) throw new ConfigError(`${at}: fields must map field names to types`);
    spec.fields = {};
    for (const [field, type] of Object.entries(o.fields as Obj)) {
      if (!FIELD_TYPES.includes(type as FieldType)) throw new ConfigError(`${at}: field ${field} has type ${JSON.stringify(type)}; expected one of ${FIELD_TYPES.join(', ')}`);
      spec.fields[field] = type as FieldType;
    }
  }
  const jobs = (o.jobs ?? {}) as Obj;
  if (jobs.names !== undefined) spec.jobs.names = strings(jobs.names, `${at}: jobs.names`);
  if (jobs.prefix !== undefined) spec.jobs.prefixes = typeof jobs.prefix === 'string' ? [jobs.prefix] : strings(jobs.prefix, `${at}: jobs.prefix`);
  return spec;
}

export function parsePromote(v: unknown, at: string): PromoteMode {
  if (v === undefined) return 'auto';
  if (v !== 'auto' && v !== 'manual') throw new ConfigError(`${at}: promote must be "auto" or "manual"`);
  return v;
}

function parseChecks(v: unknown, at: string): ReleaseCheckConfig {
  const checks: ReleaseCheckConfig = { ...DEFAULT_RELEASE_CHECKS };
  if (v === undefined) return checks;
  if (!isPlainObject(v)) throw new ConfigError(`${at}: checks must be an object`);
  const o = v as Obj;
  if (o.minRecords !== undefined) {
    if (!Number.isSafeInteger(o.minRecords) || (o.minRecords as number) < 0) throw new ConfigError(`${at}: checks.minRecords must be a whole number >= 0 (0 switches it off)`);
    checks.minRecords = o.minRecords as number;
  }
  return checks;
}

/** The dataset a completed job feeds: an exact name beats a prefix; a longer prefix beats a shorter one. */
export function datasetForJob(specs: readonly DatasetSpec[], jobName: string): DatasetSpec | undefined {
  const exact = specs.find((s) => s.jobs.names.includes(jobName));
  if (exact) return exact;
  let best: { spec: DatasetSpec; length: number } | undefined;
  for (const s of specs) {
    for (const p of s.jobs.prefixes) {
      if (jobName.startsWith(p) && (!best || p.length > best.length)) best = { spec: s, length: p.length };
    }
  }
  return best?.spec;
}
