// All configuration comes from the environment, the same locally and in AWS. Read once per
// container (cold start) and passed down; nothing below the handlers reads process.env.
import { readFileSync } from 'node:fs';
import { DATASET_NAME, DATASET_NAME_RULE } from './domain/names.js';
import { DEFAULT_ITEMS_FIELDS, DEFAULT_KEY_FIELDS, parseChecks, parseDatasetSpecs, parsePromote, type DatasetSpec } from './domain/dataset-spec.js';
import { parseCsvLayout } from './domain/csv-layout.js';
import { MAX_MAP_ITEMS } from './domain/chunk-plan.js';
import type { ReleaseCheckConfig } from './domain/release-checks.js';
import { ALWAYS_SERVABLE_RECORD_BYTES } from './domain/response-limit.js';
import { ConfigError } from './errors.js';

export type Env = Record<string, string | undefined>;

function str(env: Env, key: string, defaultValue?: string): string {
  const value = env[key]?.trim();
  if (value) return value;
  if (defaultValue !== undefined) return defaultValue;
  throw new ConfigError(`environment variable ${key} is required`);
}

function optional(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value ? value : undefined;
}

function int(env: Env, key: string, defaultValue: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key]?.trim();
  if (!raw) return defaultValue;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key}=${JSON.stringify(raw)} must be an integer between ${min} and ${max}`);
  }
  return value;
}

function num(env: Env, key: string, defaultValue: number, min: number, max: number): number {
  const raw = env[key]?.trim();
  if (!raw) return defaultValue;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${key}=${JSON.stringify(raw)} must be a number between ${min} and ${max}`);
  }
  return value;
}

function bool(env: Env, key: string, defaultValue: boolean): boolean {
  const raw = env[key]?.trim().toLowerCase();
  if (!raw) return defaultValue;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${key}=${JSON.stringify(env[key])} must be true or false`);
}

// The same checks for the variables of the processes around the functions (the CLI's own).
export { int as intVariable, optional as optionalVariable };

function list(env: Env, key: string, defaultValue: string[]): string[] {
  const raw = env[key]?.trim();
  if (!raw) return defaultValue;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}


export interface RedisConfig {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** Secrets Manager ARN/name of a secret holding the password (plain string or {"password": ...}). */
  passwordSecretId?: string;
  /** A PEM file of the CA that signed the server certificates (self-signed clusters); public CAs need none. */
  tlsCaFile?: string;
  /** Per-command timeout; also bounds how long a reader may hold a stale pointer. */
  commandTimeoutMs: number;
  /** password: username/password (or the secret); iam: ElastiCache IAM authentication tokens. */
  authMode: 'password' | 'iam';
  /** With authMode iam: whom the token is for, and where. */
  iam?: { userId: string; replicationGroupId: string; region: string };
  /**
   * How long a chunk or a commit waits for the replicas of each master it wrote to (WAIT);
   * past it the step fails with a TransientError and is retried. Null: no wait, only for
   * tests that show what the wait prevents (REDIS_REPLICA_ACK=false).
   */
  replicaAckTimeoutMs: number | null;
}


export interface LoadConfig {
  objectSuffixes: string[];
  chunkSizeBytes: number;
  maxChunks: number;
  inputFormat: 'auto' | 'jsonl' | 'json' | 'csv' | 'parquet';
  /** Parquet row groups larger than this (uncompressed) are refused at Plan: a worker decodes one whole. */
  maxRowGroupBytes: number;
  maxRecordBytes: number;
  maxBadRecordRatio: number;
  writeBatchSize: number;
  writeBatchesInFlight: number;
  mapConcurrency: number;
  retainVersions: number;
  graceSeconds: number;
  /**
   * A loading version whose workers have not heartbeaten for this long is stale: its process
   * is gone (a killed CLI, a lost execution). Workers heartbeat every quarter of it.
   */
  loadStaleSeconds: number;
}

interface ReadConfig {
  pointerCacheMs: number;
  /** A read the slot's master has not answered (or has failed) within this is also asked of a replica. */
  replicaFallbackMs: number;
}

export interface Config {
  redis: RedisConfig;
  /** Every dataset this stack serves (DATASETS), or the single one described by DATASET/KEY_FIELD/ITEMS_FIELD. */
  datasets: DatasetSpec[];
  /** The dataset behind the /recommendations routes. */
  defaultDataset: string;
  load: LoadConfig;
  read: ReadConfig;
  s3EndpointUrl?: string;
}

function datasetsFrom(env: Env): DatasetSpec[] | undefined {
  const inline = optional(env, 'DATASETS');
  const file = optional(env, 'DATASETS_FILE');
  if (!inline && !file) return undefined;
  let text = inline;
  const source = inline ? 'DATASETS' : `DATASETS_FILE ${file}`;
  try {
    text ??= readFileSync(file!, 'utf8');
    return parseDatasetSpecs(JSON.parse(text));
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
}

/** CSV_LAYOUT: the single dataset's csv declaration as JSON, e.g. {"header":false,"columns":[...]}. */
function csvFrom(env: Env): Pick<DatasetSpec, 'csv'> {
  const raw = optional(env, 'CSV_LAYOUT');
  if (!raw) return {};
  try {
    return { csv: parseCsvLayout(JSON.parse(raw), 'CSV_LAYOUT') };
  } catch (err) {
    throw new ConfigError(`CSV_LAYOUT: ${(err as Error).message}`);
  }
}

function promoteFrom(env: Env): DatasetSpec['promote'] {
  try {
    return parsePromote(optional(env, 'PROMOTE'), 'PROMOTE');
  } catch {
    throw new ConfigError(`PROMOTE=${JSON.stringify(env.PROMOTE)} must be auto or manual`);
  }
}

const ELASTICACHE_ID = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;

/** REDIS_AUTH_MODE and what IAM authentication needs, checked together. */
function redisAuthFrom(env: Env, redis: RedisConfig): void {
  const mode = str(env, 'REDIS_AUTH_MODE', 'password');
  if (mode === 'password') return;
  if (mode !== 'iam') throw new ConfigError(`REDIS_AUTH_MODE=${JSON.stringify(mode)} must be password or iam`);
  const ids: Record<string, string> = {};
  for (const key of ['REDIS_IAM_USER', 'REDIS_REPLICATION_GROUP_ID']) {
    const value = str(env, key);
    if (!ELASTICACHE_ID.test(value)) throw new ConfigError(`${key}=${JSON.stringify(value)} must be an ElastiCache id (a letter, then up to 39 letters, digits or '-')`);
    ids[key] = value;
  }
  const region = optional(env, 'AWS_REGION');
  if (!region) throw new ConfigError('REDIS_AUTH_MODE=iam needs AWS_REGION (set by Lambda) to sign the token');
  if (!redis.tls) throw new ConfigError('REDIS_AUTH_MODE=iam needs REDIS_TLS=true: ElastiCache accepts IAM authentication over TLS only');
  for (const key of ['REDIS_PASSWORD', 'REDIS_PASSWORD_SECRET_ARN'] as const) {
    if (optional(env, key)) throw new ConfigError(`REDIS_AUTH_MODE=iam signs its own password: unset ${key}`);
  }
  if (redis.username && redis.username !== ids.REDIS_IAM_USER) throw new ConfigError('REDIS_AUTH_MODE=iam connects as REDIS_IAM_USER: unset REDIS_USERNAME');
  redis.authMode = 'iam';
  redis.iam = { userId: ids.REDIS_IAM_USER!, replicationGroupId: ids.REDIS_REPLICATION_GROUP_ID!, region };
}

/** The release checks of the single dataset (DATASETS declares its own per dataset). */
const CHECK_ENV: Record<keyof ReleaseCheckConfig, string | undefined> = {
  minRecords: 'CHECK_MIN_RECORDS',
  maxRecordDrop: 'CHECK_MAX_RECORD_DROP',
  maxRecordGrowth: 'CHECK_MAX_RECORD_GROWTH',
  minLiveKeyCoverage: 'CHECK_MIN_LIVE_KEY_COVERAGE',
  coverageSample: 'CHECK_COVERAGE_SAMPLE',
  duplicateKeys: 'CHECK_DUPLICATE_KEYS',
  maxEmptyListShareIncrease: 'CHECK_MAX_EMPTY_LIST_SHARE_INCREASE',
  maxListLengthFactor: 'CHECK_MAX_LIST_LENGTH_FACTOR',
  maxNullRateIncrease: undefined, // feature rows only, which need DATASETS
  inputCompleteness: 'CHECK_INPUT_COMPLETENESS',
};

function checksFrom(env: Env): ReleaseCheckConfig {
  const given: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(CHECK_ENV)) {
    const raw = name === undefined ? undefined : optional(env, name);
    if (raw === undefined) continue;
    const lower = raw.toLowerCase();
    const value = lower === 'off' || lower === 'false' ? false : lower === 'true' || lower === 'on' ? true : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    try {
      parseChecks({ [key]: value }, name!);
    } catch (err) {
      throw new ConfigError(`${name}=${JSON.stringify(raw)}: ${(err as Error).message.replace(/^.*?: checks\.\w+ /, '')}`);
    }
    given[key] = value;
  }
  return parseChecks(given, 'checks');
}

export function loadConfig(env: Env = process.env): Config {
  const declared = datasetsFrom(env);
  const dataset = str(env, 'DATASET', declared?.find((d) => d.kind === 'ranked-items')?.name ?? declared?.[0]?.name ?? 'recommendations');
  if (!DATASET_NAME.test(dataset)) {
    throw new ConfigError(`DATASET=${JSON.stringify(dataset)} must be ${DATASET_NAME_RULE}`);
  }
  const datasets: DatasetSpec[] = declared ?? [
    {
      name: dataset,
      kind: 'ranked-items',
      key: { fields: list(env, 'KEY_FIELD', DEFAULT_KEY_FIELDS), mode: 'first-present' },
      itemsFields: list(env, 'ITEMS_FIELD', DEFAULT_ITEMS_FIELDS),
      jobs: { names: [], prefixes: [''] },
      checks: checksFrom(env),
      promote: promoteFrom(env),
      ...csvFrom(env),
    },
  ];
  if (!datasets.some((d) => d.name === dataset)) {
    throw new ConfigError(`DATASET=${dataset} is not one of the declared datasets (${datasets.map((d) => d.name).join(', ')})`);
  }
  const inputFormat = str(env, 'INPUT_FORMAT', 'auto');
  if (inputFormat !== 'auto' && inputFormat !== 'jsonl' && inputFormat !== 'json' && inputFormat !== 'csv' && inputFormat !== 'parquet') {
    throw new ConfigError(`INPUT_FORMAT=${JSON.stringify(inputFormat)} must be auto, jsonl, json, csv or parquet`);
  }
  const redis: RedisConfig = {
    host: str(env, 'REDIS_HOST', '127.0.0.1'),
    port: int(env, 'REDIS_PORT', 6379, 1, 65535),
    tls: bool(env, 'REDIS_TLS', true),
    username: optional(env, 'REDIS_USERNAME'),
    password: optional(env, 'REDIS_PASSWORD'),
    passwordSecretId: optional(env, 'REDIS_PASSWORD_SECRET_ARN'),
    tlsCaFile: optional(env, 'REDIS_TLS_CA_FILE'),
    commandTimeoutMs: int(env, 'REDIS_COMMAND_TIMEOUT_MS', 1000, 10, 60_000),
    authMode: 'password',
    replicaAckTimeoutMs: bool(env, 'REDIS_REPLICA_ACK', true) ? int(env, 'REDIS_REPLICA_ACK_TIMEOUT_MS', 10_000, 10, 600_000) : null,
  };
  redisAuthFrom(env, redis);
  const read: ReadConfig = {
    pointerCacheMs: int(env, 'POINTER_CACHE_MS', 1000, 0, 60_000),
    replicaFallbackMs: int(env, 'REDIS_REPLICA_FALLBACK_MS', Math.max(1, Math.min(150, Math.floor(redis.commandTimeoutMs / 2))), 1, 60_000),
  };
  if (read.replicaFallbackMs >= redis.commandTimeoutMs) {
    throw new ConfigError(
      `REDIS_REPLICA_FALLBACK_MS=${read.replicaFallbackMs} must be shorter than REDIS_COMMAND_TIMEOUT_MS=${redis.commandTimeoutMs}: a replica is asked within the read's timeout`,
    );
  }
  const graceSeconds = int(env, 'GRACE_SECONDS', 60, 0, 86_400);
  // Invariant 6: a version is deleted only after every reader's cached pointer has expired.
  if (graceSeconds * 1000 < read.pointerCacheMs + redis.commandTimeoutMs) {
    throw new ConfigError(
      `GRACE_SECONDS=${graceSeconds} is shorter than POINTER_CACHE_MS + REDIS_COMMAND_TIMEOUT_MS ` +
        `(${read.pointerCacheMs + redis.commandTimeoutMs} ms): readers could lose their version`,
    );
  }
  return {
    redis,
    datasets,
    defaultDataset: dataset,
    load: {
      // Opt-in: a prefix loads every data object (domain/object-selection.ts) unless this narrows it.
      objectSuffixes: list(env, 'OBJECT_SUFFIX', []),
      chunkSizeBytes: int(env, 'CHUNK_SIZE_BYTES', 64 * 1024 * 1024, 1),
      // At most what one execution's history can hold (chunk-plan.ts, MAX_MAP_ITEMS).
      maxChunks: int(env, 'MAX_CHUNKS', MAX_MAP_ITEMS, 1, MAX_MAP_ITEMS),
      inputFormat,
      maxRecordBytes: int(env, 'MAX_RECORD_BYTES', ALWAYS_SERVABLE_RECORD_BYTES, 1024),
      maxRowGroupBytes: int(env, 'MAX_ROW_GROUP_BYTES', 256 * 1024 * 1024, 1024),
      maxBadRecordRatio: num(env, 'MAX_BAD_RECORD_RATIO', 0.01, 0, 1),
      writeBatchSize: int(env, 'WRITE_BATCH_SIZE', 1000, 1, 100_000),
      writeBatchesInFlight: int(env, 'WRITE_BATCHES_IN_FLIGHT', 4, 1, 64),
      mapConcurrency: int(env, 'MAP_CONCURRENCY', 10, 1, 40),
      retainVersions: int(env, 'RETAIN_VERSIONS', 2, 1, 100),
      graceSeconds,
      loadStaleSeconds: int(env, 'LOAD_STALE_SECONDS', 300, 1, 3600),
    },
    read,
    s3EndpointUrl: optional(env, 'AWS_ENDPOINT_URL_S3'),
  };
}
