// All configuration comes from the environment and the dataset declarations, the same locally
// and in AWS. Read once per container (cold start) and passed down; nothing below the handlers
// reads process.env. Every variable is defined once, in functions/settings.ts: its default,
// range and the template parameter that sets it, which errors name.
import { readFileSync } from 'node:fs';
// The dataset declarations travel inside the bundle: esbuild inlines this JSON into every
// function at `sam build`. Not the environment: Lambda caps a function's variables at 4 KB
// (serialized as JSON, quotes escaped), which a few datasets with checks and CSV layouts
// exceed. Not SSM Parameter Store at cold start: the functions run in a VPC whose only route to
// AWS is the S3 gateway endpoint, so a read would need an SSM interface endpoint (billed by
// the hour in each Availability Zone) and add a network call to every cold start. A change of
// declarations is a deploy, as it should be: it changes what goes live. docs/configuration.md
// says the same.
import bundledDatasets from '../datasets.json' with { type: 'json' };
import { parseDatasetSpecs, type DatasetSpec } from './domain/dataset-spec.js';
import { ConfigError } from './errors.js';
import { settingLabel, settingOf, type SettingName } from './settings.js';

export type Env = Record<string, string | undefined>;

function trimmed(env: Env, name: SettingName): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A string setting: its value, else its default; one with neither is required. */
function str(env: Env, name: SettingName): string {
  const value = trimmed(env, name) ?? (settingOf(name).default as string | undefined);
  if (value === undefined) throw new ConfigError(`environment variable ${settingLabel(name)} is required`);
  return value;
}

/** A setting that may be unset (no default). */
export function optionalSetting(env: Env, name: SettingName): string | undefined {
  return trimmed(env, name);
}

function ranged(env: Env, name: SettingName, integer: boolean): number {
  const raw = trimmed(env, name);
  const def = settingOf(name);
  if (raw === undefined) return def.default as number;
  const value = Number(raw);
  const min = def.min ?? Number.MIN_SAFE_INTEGER;
  const max = def.max ?? Number.MAX_SAFE_INTEGER;
  if (!(integer ? Number.isInteger(value) : Number.isFinite(value)) || value < min || value > max) {
    throw new ConfigError(`${settingLabel(name)}=${JSON.stringify(raw)} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`);
  }
  return value;
}

/** An integer setting, range-checked against its definition. */
export function intSetting(env: Env, name: SettingName): number {
  return ranged(env, name, true);
}

function num(env: Env, name: SettingName): number {
  return ranged(env, name, false);
}

function bool(env: Env, name: SettingName): boolean {
  const raw = trimmed(env, name)?.toLowerCase();
  if (raw === undefined) return settingOf(name).default as boolean;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${settingLabel(name)}=${JSON.stringify(env[name])} must be true or false`);
}

function choice<T extends string>(env: Env, name: SettingName): T {
  const value = str(env, name);
  const values = settingOf(name).values ?? [];
  if (!values.includes(value)) {
    throw new ConfigError(`${settingLabel(name)}=${JSON.stringify(value)} must be ${values.slice(0, -1).join(', ')} or ${values.at(-1)}`);
  }
  return value as T;
}

function list(env: Env, name: SettingName): string[] {
  return str(env, name)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
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
   * tests that show what the wait prevents (REDIS_REPLICA_ACK_TIMEOUT_MS=0).
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
  /** Every dataset this stack serves, from the datasets file (datasets.json, bundled). */
  datasets: DatasetSpec[];
  /** The dataset behind the /recommendations routes: the first ranked-items dataset declared, else the first. */
  defaultDataset: string;
  load: LoadConfig;
  read: ReadConfig;
  s3EndpointUrl?: string;
  /** Where erase/unerase calls are logged durably (ERASURE_LOG_URI); unset: erasure is refused. */
  erasureLog?: { bucket: string; prefix: string };
}

/** ERASURE_LOG_URI=s3://bucket/prefix/: the template sets it under the predictions prefix. */
function erasureLogFrom(env: Env): Config['erasureLog'] {
  const raw = optionalSetting(env, 'ERASURE_LOG_URI');
  if (!raw) return undefined;
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/.exec(raw);
  if (!m || (m[2] !== '' && !m[2]!.endsWith('/'))) throw new ConfigError(`${settingLabel('ERASURE_LOG_URI')}=${JSON.stringify(raw)} must be s3://<bucket>/<prefix ending in />, e.g. s3://my-bucket/recs/sluice-erasures/`);
  return { bucket: m[1]!, prefix: m[2]! };
}

/** Where a run's dataset declarations come from, and what they say. */
interface Declarations {
  /** Names them in errors. */
  source: string;
  value: unknown;
}

function declarationsFrom(env: Env): Declarations {
  const file = optionalSetting(env, 'SLUICE_DATASETS_FILE');
  if (!file) return { source: 'datasets.json (bundled)', value: bundledDatasets };
  const source = `SLUICE_DATASETS_FILE ${file}`;
  try {
    return { source, value: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
}

function datasetsFrom(env: Env): DatasetSpec[] {
  const { source, value } = declarationsFrom(env);
  try {
    return parseDatasetSpecs(value);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`, { cause: err });
  }
}

const ELASTICACHE_ID = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;

/** REDIS_AUTH_MODE and what IAM authentication needs, checked together. */
function redisAuthFrom(env: Env, redis: RedisConfig): void {
  const mode = choice<'password' | 'iam'>(env, 'REDIS_AUTH_MODE');
  if (mode === 'password') return;
  const ids: Record<string, string> = {};
  for (const key of ['REDIS_IAM_USER', 'REDIS_REPLICATION_GROUP_ID'] as const) {
    const value = str(env, key);
    if (!ELASTICACHE_ID.test(value)) throw new ConfigError(`${key}=${JSON.stringify(value)} must be an ElastiCache id (a letter, then up to 39 letters, digits or '-')`);
    ids[key] = value;
  }
  const region = optionalSetting(env, 'AWS_REGION');
  if (!region) throw new ConfigError('REDIS_AUTH_MODE=iam needs AWS_REGION (set by Lambda) to sign the token');
  if (!redis.tls) throw new ConfigError('REDIS_AUTH_MODE=iam needs REDIS_TLS=true: ElastiCache accepts IAM authentication over TLS only');
  for (const key of ['REDIS_PASSWORD', 'REDIS_PASSWORD_SECRET_ARN'] as const) {
    if (optionalSetting(env, key)) throw new ConfigError(`REDIS_AUTH_MODE=iam signs its own password: unset ${key}`);
  }
  if (redis.username && redis.username !== ids.REDIS_IAM_USER) throw new ConfigError('REDIS_AUTH_MODE=iam connects as REDIS_IAM_USER: unset REDIS_USERNAME');
  redis.authMode = 'iam';
  redis.iam = { userId: ids.REDIS_IAM_USER!, replicationGroupId: ids.REDIS_REPLICATION_GROUP_ID!, region };
}

export function loadConfig(env: Env = process.env): Config {
  const datasets = datasetsFrom(env);
  const dataset = (datasets.find((d) => d.kind === 'ranked-items') ?? datasets[0]!).name;
  const inputFormat = choice<LoadConfig['inputFormat']>(env, 'INPUT_FORMAT');
  const commandTimeoutMs = intSetting(env, 'REDIS_COMMAND_TIMEOUT_MS');
  const replicaAckTimeoutMs = intSetting(env, 'REDIS_REPLICA_ACK_TIMEOUT_MS');
  const redis: RedisConfig = {
    host: str(env, 'REDIS_HOST'),
    port: intSetting(env, 'REDIS_PORT'),
    tls: bool(env, 'REDIS_TLS'),
    username: optionalSetting(env, 'REDIS_USERNAME'),
    password: optionalSetting(env, 'REDIS_PASSWORD'),
    passwordSecretId: optionalSetting(env, 'REDIS_PASSWORD_SECRET_ARN'),
    tlsCaFile: optionalSetting(env, 'REDIS_TLS_CA_FILE'),
    commandTimeoutMs,
    authMode: 'password',
    replicaAckTimeoutMs: replicaAckTimeoutMs === 0 ? null : replicaAckTimeoutMs,
  };
  redisAuthFrom(env, redis);
  const read: ReadConfig = {
    pointerCacheMs: intSetting(env, 'POINTER_CACHE_MS'),
    replicaFallbackMs: optionalSetting(env, 'REDIS_REPLICA_FALLBACK_MS')
      ? intSetting(env, 'REDIS_REPLICA_FALLBACK_MS')
      : Math.max(1, Math.min(settingOf('REDIS_REPLICA_FALLBACK_MS').default as number, Math.floor(commandTimeoutMs / 2))),
  };
  if (read.replicaFallbackMs >= commandTimeoutMs) {
    throw new ConfigError(
      `REDIS_REPLICA_FALLBACK_MS=${read.replicaFallbackMs} must be shorter than REDIS_COMMAND_TIMEOUT_MS=${commandTimeoutMs}: a replica is asked within the read's timeout`,
    );
  }
  const graceSeconds = intSetting(env, 'GRACE_SECONDS');
  // Invariant 6: a version is deleted only after every reader's cached pointer has expired.
  if (graceSeconds * 1000 < read.pointerCacheMs + commandTimeoutMs) {
    throw new ConfigError(
      `${settingLabel('GRACE_SECONDS')}=${graceSeconds} is shorter than POINTER_CACHE_MS + REDIS_COMMAND_TIMEOUT_MS ` +
        `(${read.pointerCacheMs + commandTimeoutMs} ms): readers could lose their version`,
    );
  }
  return {
    redis,
    datasets,
    defaultDataset: dataset,
    load: {
      objectSuffixes: list(env, 'OBJECT_SUFFIX'),
      chunkSizeBytes: intSetting(env, 'CHUNK_SIZE_BYTES'),
      maxChunks: intSetting(env, 'MAX_CHUNKS'),
      inputFormat,
      maxRecordBytes: intSetting(env, 'MAX_RECORD_BYTES'),
      maxRowGroupBytes: intSetting(env, 'MAX_ROW_GROUP_BYTES'),
      maxBadRecordRatio: num(env, 'MAX_BAD_RECORD_RATIO'),
      writeBatchSize: intSetting(env, 'WRITE_BATCH_SIZE'),
      writeBatchesInFlight: intSetting(env, 'WRITE_BATCHES_IN_FLIGHT'),
      mapConcurrency: intSetting(env, 'MAP_CONCURRENCY'),
      retainVersions: intSetting(env, 'RETAIN_VERSIONS'),
      graceSeconds,
      loadStaleSeconds: intSetting(env, 'LOAD_STALE_SECONDS'),
    },
    read,
    s3EndpointUrl: optionalSetting(env, 'AWS_ENDPOINT_URL_S3'),
    erasureLog: erasureLogFrom(env),
  };
}
