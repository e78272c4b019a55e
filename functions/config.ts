// All configuration comes from the environment, the same locally and in AWS. Read once per
// container (cold start) and passed down; nothing below the handlers reads process.env.
import { readFileSync } from 'node:fs';
import { DATASET_NAME, DATASET_NAME_RULE } from './domain/names.js';
import { DEFAULT_ITEMS_FIELDS, DEFAULT_KEY_FIELDS, parseDatasetSpecs, parsePromote, type DatasetSpec } from './domain/dataset-spec.js';
import { DEFAULT_RELEASE_CHECKS } from './domain/release-checks.js';
import { ConfigError } from './errors.js';

type Env = Record<string, string | undefined>;

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
}


export interface LoadConfig {
  objectSuffixes: string[];
  chunkSizeBytes: number;
  maxChunks: number;
  inputFormat: 'auto' | 'jsonl' | 'json';
  maxRecordBytes: number;
  maxBadRecordRatio: number;
  writeBatchSize: number;
  writeBatchesInFlight: number;
  mapConcurrency: number;
  retainVersions: number;
  graceSeconds: number;
}

interface ReadConfig {
  pointerCacheMs: number;
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

function promoteFrom(env: Env): DatasetSpec['promote'] {
  try {
    return parsePromote(optional(env, 'PROMOTE'), 'PROMOTE');
  } catch {
    throw new ConfigError(`PROMOTE=${JSON.stringify(env.PROMOTE)} must be auto or manual`);
  }
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
      checks: { ...DEFAULT_RELEASE_CHECKS, minRecords: int(env, 'CHECK_MIN_RECORDS', DEFAULT_RELEASE_CHECKS.minRecords, 0) },
      promote: promoteFrom(env),
    },
  ];
  if (!datasets.some((d) => d.name === dataset)) {
    throw new ConfigError(`DATASET=${dataset} is not one of the declared datasets (${datasets.map((d) => d.name).join(', ')})`);
  }
  const inputFormat = str(env, 'INPUT_FORMAT', 'auto');
  if (inputFormat !== 'auto' && inputFormat !== 'jsonl' && inputFormat !== 'json') {
    throw new ConfigError(`INPUT_FORMAT=${JSON.stringify(inputFormat)} must be auto, jsonl or json`);
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
  };
  const read: ReadConfig = { pointerCacheMs: int(env, 'POINTER_CACHE_MS', 1000, 0, 60_000) };
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
      objectSuffixes: list(env, 'OBJECT_SUFFIX', ['.out']),
      chunkSizeBytes: int(env, 'CHUNK_SIZE_BYTES', 64 * 1024 * 1024, 1),
      maxChunks: int(env, 'MAX_CHUNKS', 1000, 1, 10_000),
      inputFormat,
      maxRecordBytes: int(env, 'MAX_RECORD_BYTES', 16 * 1024 * 1024, 1024),
      maxBadRecordRatio: num(env, 'MAX_BAD_RECORD_RATIO', 0.01, 0, 1),
      writeBatchSize: int(env, 'WRITE_BATCH_SIZE', 1000, 1, 100_000),
      writeBatchesInFlight: int(env, 'WRITE_BATCHES_IN_FLIGHT', 4, 1, 64),
      mapConcurrency: int(env, 'MAP_CONCURRENCY', 10, 1, 40),
      retainVersions: int(env, 'RETAIN_VERSIONS', 2, 1, 100),
      graceSeconds,
    },
    read,
    s3EndpointUrl: optional(env, 'AWS_ENDPOINT_URL_S3'),
  };
}
