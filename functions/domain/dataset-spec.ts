// A dataset declared once: what its records look like, how their key is formed, what is
// stored as the value, and which transform jobs feed it. Validated here, with errors that
// name the dataset and the field.
import { parseCsvLayout, type CsvLayout } from './csv-layout.js';
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
  /** How its CSV objects are laid out (used only for objects that are CSV); absent: a header line, commas. */
  csv?: CsvLayout;
  /**
   * Corrections (puts): a version whose job was created more than this many hours after a
   * correction supersedes it; an older one gets the correction applied before it goes live.
   * Absent: DEFAULT_REWIND_WINDOW_HOURS (declarations built in code may leave it out).
   */
  rewindWindowHours?: number;
}

export const DEFAULT_REWIND_WINDOW_HOURS = 24;

export type PromoteMode = 'auto' | 'manual';

export const COMPOSITE_KEY_SEPARATOR = ':';
export const DEFAULT_KEY_FIELDS = ['userId', 'user_id'];
// The model's output first: in SageMaker output joined with its input, the input's own fields
// (a user's history under "items", say) must never be served in place of the prediction. A
// record with a SageMakerOutput that holds no list is a bad record, not one served from its input.
export const DEFAULT_ITEMS_FIELDS = ['SageMakerOutput.recommendations', 'SageMakerOutput', 'movieId', 'recommendations', 'items'];

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
    rewindWindowHours: parseRewindWindow(o.rewindWindowHours, at),
  };
  if (o.csv !== undefined) spec.csv = parseCsvLayout(o.csv, at);
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

function parseRewindWindow(v: unknown, at: string): number {
  if (v === undefined) return DEFAULT_REWIND_WINDOW_HOURS;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 8760) throw new ConfigError(`${at}: rewindWindowHours must be a number of hours from 0 to 8760`);
  return v;
}

/** The range of each threshold; `false` (or null) switches the check off. */
const CHECK_RANGES = {
  maxRecordDrop: [0, 1],
  maxRecordGrowth: [1, 1e6],
  minLiveKeyCoverage: [0, 1],
  maxEmptyListShareIncrease: [0, 1],
  maxListLengthFactor: [1, 1e6],
  maxNullRateIncrease: [0, 1],
} as const;

/** Parses a dataset's `checks` object; `at` names it in errors. Unknown keys are errors (a typo must not switch a check off silently). */
export function parseChecks(v: unknown, at: string): ReleaseCheckConfig {
  const checks: ReleaseCheckConfig = { ...DEFAULT_RELEASE_CHECKS };
  if (v === undefined) return checks;
  if (!isPlainObject(v)) throw new ConfigError(`${at}: checks must be an object`);
  for (const [key, value] of Object.entries(v as Obj)) {
    const where = `${at}: checks.${key}`;
    if (key === 'minRecords') {
      if (value === false || value === null) checks.minRecords = 0;
      else if (!Number.isSafeInteger(value) || (value as number) < 0) throw new ConfigError(`${where} must be a whole number >= 0 (0 switches it off)`);
      else checks.minRecords = value as number;
    } else if (key === 'coverageSample') {
      if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 100_000) throw new ConfigError(`${where} must be a whole number from 1 to 100000`);
      checks.coverageSample = value as number;
    } else if (key === 'duplicateKeys') {
      if (value !== 'reject' && value !== 'last-wins') throw new ConfigError(`${where} must be "reject" or "last-wins"`);
      checks.duplicateKeys = value;
    } else if (key === 'inputCompleteness') {
      if (typeof value !== 'boolean') throw new ConfigError(`${where} must be true or false`);
      checks.inputCompleteness = value;
    } else if (Object.hasOwn(CHECK_RANGES, key)) {
      const [min, max] = CHECK_RANGES[key as keyof typeof CHECK_RANGES];
      if (value === false || value === null) checks[key as keyof typeof CHECK_RANGES] = null;
      else if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw new ConfigError(`${where} must be a number from ${min} to ${max}, or false to switch it off`);
      else checks[key as keyof typeof CHECK_RANGES] = value;
    } else {
      throw new ConfigError(`${where} is not a known check (${['minRecords', 'coverageSample', 'duplicateKeys', 'inputCompleteness', ...Object.keys(CHECK_RANGES)].join(', ')})`);
    }
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
