// A dataset declared once: what its records look like, how their key is formed, what is
// stored as the value, and which transform jobs feed it. Validated here, with errors that
// name the dataset and the field.
import { parseCsvLayout, type CsvLayout } from './csv-layout.js';
import { ConfigError } from '../errors.js';
import { refuseUnknownMembers } from './known-members.js';
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
   */
  rewindWindowHours: number;
}

export const DEFAULT_REWIND_WINDOW_HOURS = 24;

type PromoteMode = 'auto' | 'manual';

export const COMPOSITE_KEY_SEPARATOR = ':';
export const DEFAULT_KEY_FIELDS = ['userId', 'user_id'];
// The model's output first: in SageMaker output joined with its input, the input's own fields
// (a user's history under "items", say) must never be served in place of the prediction. A
// record with a SageMakerOutput that holds no list is a bad record, not one served from its input.
export const DEFAULT_ITEMS_FIELDS = ['SageMakerOutput.recommendations', 'SageMakerOutput', 'movieId', 'recommendations', 'items'];

type Obj = Record<string, unknown>;

const MAX_REWIND_WINDOW_HOURS = 8760;

/**
 * The members a dataset declaration may have, each with what it means (docs/configuration.md is
 * generated from this); any other member is refused with the nearest of these names.
 */
export const DATASET_MEMBER_DOCS = {
  name: "Required. 1-64 letters, digits, '_' or '-'; part of every Redis key of the dataset.",
  kind: '`ranked-items` (default: the value is the ordered list) or `feature-rows` (the value is an object of features).',
  key: 'The key field, or several fields forming a composite key in this order, joined with `:` (`["state","zipcode"]` gives `CA:94105`). Values must be strings or integers.',
  keyCandidates: `Instead of \`key\`: several field paths, the first one present is the key (default \`${JSON.stringify(DEFAULT_KEY_FIELDS)}\`).`,
  items: `ranked-items: candidate field paths of the list, the first present wins (default \`${JSON.stringify(DEFAULT_ITEMS_FIELDS)}\`: the model's output first).`,
  fields:
    'feature-rows: the fields to keep and their type (`string`, `number`, `integer`, `boolean`, `array`, `object`, `any`); a missing field or another type (`null` excepted) is a counted bad record. Without it every field but the key is kept.',
  jobs: 'Which completed transform jobs feed it: `{"names": [...]}` (exact) and/or `{"prefix": "recs-"}` (one or a list; `""` takes every job). An exact name wins over a prefix, a longer prefix over a shorter one; two datasets may not claim the same name or prefix. Without it only manual runs load it.',
  checks: 'The release checks before the swap, e.g. `{"minRecords": 1000, "maxRecordDrop": false}` (docs/release-control.md#checks-before-the-swap); each omitted check keeps its default.',
  promote: '`auto` (default): a load that passes every check goes live; `manual`: it is held until `sluice promote`.',
  csv: 'How its CSV objects are laid out: `header` (default true), `columns` (for objects without a header), `delimiter` (default `,`), and for ranked items `items`: `{"trailing": N}` or `{"column": "recs", "separator": "|"}`.',
  rewindWindowHours: `How long after a correction a newer batch job still gets the correction applied, in hours (0-${MAX_REWIND_WINDOW_HOURS}, default ${DEFAULT_REWIND_WINDOW_HOURS}).`,
} as const;
const DATASET_MEMBERS = Object.keys(DATASET_MEMBER_DOCS);
const JOBS_MEMBERS = ['names', 'prefix'] as const;

function strings(v: unknown, where: string): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new ConfigError(`${where} must be a non-empty string or array of strings`);
  }
  return v as string[];
}

/**
 * Parses the dataset declarations (a JSON array of dataset objects, the datasets file). Errors
 * name the dataset and where in the array the bad member is (`datasets[1].checks`).
 */
export function parseDatasetSpecs(value: unknown): DatasetSpec[] {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError('datasets must be a non-empty JSON array of dataset declarations');
  const specs = value.map((raw, i) => parseDatasetSpec(raw, `datasets[${i}]`));
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new ConfigError(`dataset ${s.name} is declared twice`);
    names.add(s.name);
  }
  refuseSharedJobs(specs);
  return specs;
}

/** A job name or prefix claimed by two datasets would feed whichever came first: refused. */
function refuseSharedJobs(specs: readonly DatasetSpec[]): void {
  for (const [kind, of] of [['prefix', (s: DatasetSpec) => s.jobs.prefixes], ['name', (s: DatasetSpec) => s.jobs.names]] as const) {
    const owner = new Map<string, string>();
    for (const s of specs) {
      for (const claim of new Set(of(s))) {
        const first = owner.get(claim);
        if (first !== undefined) {
          throw new ConfigError(`datasets ${first} and ${s.name} both claim the job ${kind} ${JSON.stringify(claim)}: a job must feed one dataset; give each its own jobs.${kind === 'prefix' ? 'prefix' : 'names'}`);
        }
        owner.set(claim, s.name);
      }
    }
  }
}

function parseDatasetSpec(raw: unknown, path: string): DatasetSpec {
  if (!isPlainObject(raw)) throw new ConfigError(`${path} must be an object`);
  const o = raw as Obj;
  const name = o.name;
  if (typeof name !== 'string' || !DATASET_NAME.test(name)) throw new ConfigError(`${path}.name must be ${DATASET_NAME_RULE}`);
  const at = `dataset ${name}`;
  refuseUnknownMembers(o, DATASET_MEMBERS, at, path);
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
    checks: parseChecks(o.checks, at, `${path}.checks`),
    promote: parsePromote(o.promote, at),
    rewindWindowHours: parseRewindWindow(o.rewindWindowHours, at),
  };
  if (o.csv !== undefined) spec.csv = parseCsvLayout(o.csv, at, `${path}.csv`);
  if (o.fields !== undefined) {
    if (kind !== 'feature-rows') throw new ConfigError(`${at}: fields applies to feature-rows datasets only`);
    if (!isPlainObject(o.fields)) throw new ConfigError(`${at}: fields must map field names to types`);
    spec.fields = {};
    for (const [field, type] of Object.entries(o.fields as Obj)) {
      if (!FIELD_TYPES.includes(type as FieldType)) throw new ConfigError(`${at}: field ${field} has type ${JSON.stringify(type)}; expected one of ${FIELD_TYPES.join(', ')}`);
      spec.fields[field] = type as FieldType;
    }
  }
  if (o.jobs !== undefined) {
    if (!isPlainObject(o.jobs)) throw new ConfigError(`${at}: jobs must be an object like {"prefix": "recs-"}`);
    const jobs = o.jobs as Obj;
    refuseUnknownMembers(jobs, JOBS_MEMBERS, at, `${path}.jobs`);
    if (jobs.names !== undefined) spec.jobs.names = strings(jobs.names, `${at}: jobs.names`);
    if (jobs.prefix !== undefined) spec.jobs.prefixes = typeof jobs.prefix === 'string' ? [jobs.prefix] : strings(jobs.prefix, `${at}: jobs.prefix`);
  }
  return spec;
}

function parseRewindWindow(v: unknown, at: string): number {
  if (v === undefined) return DEFAULT_REWIND_WINDOW_HOURS;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_REWIND_WINDOW_HOURS) {
    throw new ConfigError(`${at}: rewindWindowHours must be a number of hours from 0 to ${MAX_REWIND_WINDOW_HOURS}`);
  }
  return v;
}

function parsePromote(v: unknown, at: string): PromoteMode {
  if (v === undefined) return 'auto';
  if (v !== 'auto' && v !== 'manual') throw new ConfigError(`${at}: promote must be "auto" or "manual"`);
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

const CHECK_MEMBERS = ['minRecords', 'coverageSample', 'duplicateKeys', 'inputCompleteness', ...Object.keys(CHECK_RANGES)];

/**
 * Parses a dataset's `checks` object; `at` names the dataset in errors, `path` where the object
 * is. Unknown keys are errors (a typo must not switch a check off silently).
 */
function parseChecks(v: unknown, at: string, path: string): ReleaseCheckConfig {
  const checks: ReleaseCheckConfig = { ...DEFAULT_RELEASE_CHECKS };
  if (v === undefined) return checks;
  if (!isPlainObject(v)) throw new ConfigError(`${at}: checks must be an object`);
  refuseUnknownMembers(v, CHECK_MEMBERS, at, path);
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
    } else {
      const [min, max] = CHECK_RANGES[key as keyof typeof CHECK_RANGES];
      if (value === false || value === null) checks[key as keyof typeof CHECK_RANGES] = null;
      else if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw new ConfigError(`${where} must be a number from ${min} to ${max}, or false to switch it off`);
      else checks[key as keyof typeof CHECK_RANGES] = value;
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
