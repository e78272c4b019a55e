// Everything a container builds once: configuration, the Redis and S3 clients, and per
// dataset the pipeline's dependencies and a reader over them. Built lazily on the first
// invocation (so importing a handler never connects anywhere) and reused by later ones.
// In Lambda the configuration is the environment's; a process that calls the handlers itself
// (the CLI, its local state machine runner) gives its own with useRuntimeSource, and may give
// the clock the runtime's decisions read (useClock): grace, stale loads, cache ages. In Lambda
// nothing calls it and the time is Date.now().
import { readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Cluster } from 'ioredis';
import { loadConfig, type Config } from '../config.js';
import { ClusterMemoryProbe } from '../adapters/cluster-memory.js';
import { ClusterBulkWriter } from '../adapters/cluster-writer.js';
import { LiveReader } from '../adapters/live-reader.js';
import { S3ObjectStore, createS3Client, type ObjectStore } from '../adapters/object-store.js';
import { createRedisCluster } from '../adapters/redis-connection.js';
import { readPasswordSecret } from '../adapters/secrets.js';
import { elastiCacheIamToken } from '../adapters/elasticache-iam-token.js';
import { IamAuthRenewal, TOKEN_REFRESH_MS } from '../adapters/redis-iam-auth.js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { VersionStore } from '../adapters/version-store.js';
import { ErasureStore } from '../adapters/erasure-store.js';
import { CorrectionStore } from '../adapters/correction-store.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
import type { WriterOptions } from '../domain/bulk-writer.js';
import { shapeFor } from '../domain/record-shape.js';
import { ConfigError, InvalidInputError } from '../errors.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { logger, metrics } from './observability.js';

export interface DatasetRuntime {
  spec: DatasetSpec;
  pipeline: PipelineDeps;
  reader: LiveReader;
}

export interface Runtime {
  config: Config;
  redis: Cluster;
  objects: ObjectStore;
  datasets: DatasetRuntime[];
  /** The dataset behind the /recommendations routes. */
  defaultDataset: DatasetRuntime;
  /** A declared dataset; an unknown name is the caller's error. */
  dataset(name: string): DatasetRuntime;
  /** With REDIS_AUTH_MODE=iam: token renewal and the connections' age. */
  iamAuth?: IamAuthRenewal;
}

/** What the runtime is built from when it is not the environment. */
export interface RuntimeSource {
  config: Config;
  /** An S3 client to use instead of one with the SDK's default credentials (a local S3 server's). */
  s3?: S3Client;
}

let current: Promise<Runtime> | null = null;
let given: RuntimeSource | null = null;

/** What the runtime's notion of now is read from; only `now` is needed here. */
export interface RuntimeClock {
  now(): number;
}
let clockNow: () => number = Date.now;
/** Read at each call, so a clock given after the runtime was built takes effect at once. */
const now = (): number => clockNow();

/**
 * The time the runtime's pipeline, version store and readers read from now on (`undefined`:
 * Date.now again). The local runner and tests give a movable one, so that deciding to wait out a
 * grace period or to call a load stale does not take sitting out real seconds. Returns what to
 * call to put the previous clock back.
 */
export function useClock(clock?: RuntimeClock): () => void {
  const previous = clockNow;
  clockNow = clock ? () => clock.now() : Date.now;
  return () => {
    clockNow = previous;
  };
}

/**
 * Builds the next runtime from `source` instead of process.env; the handlers called in this
 * process use it until closeRuntime. A runtime already built from something else is closed.
 */
export async function useRuntimeSource(source: RuntimeSource): Promise<void> {
  if (given === source) return;
  await closeClients();
  given = source;
}

export async function runtime(): Promise<Runtime> {
  current ??= build().catch((err: unknown) => {
    current = null; // a failed cold start (Redis down, bad config) is retried on the next invocation
    throw err;
  });
  const built = await current;
  if (!built.iamAuth) return built;
  // IAM auth: reopen before ElastiCache's 12-hour connection limit; otherwise make sure any
  // reconnect during this invocation sends a token that is still valid.
  if (built.iamAuth.connectionExpiring()) {
    logger.info('Reopening the Redis connections before the 12-hour IAM authentication limit');
    await closeClients();
    return runtime();
  }
  await built.iamAuth.keepFresh(built.redis).catch((err: unknown) => logger.warn('Renewing the IAM auth token failed; keeping the current one', { errorMessage: (err as Error).message }));
  return built;
}

/** Closes the clients; the next invocation builds a fresh runtime (from the environment again). */
export async function closeRuntime(): Promise<void> {
  given = null;
  await closeClients();
}

async function closeClients(): Promise<void> {
  const r = current;
  current = null;
  if (!r) return;
  const built = await r.catch(() => null);
  if (!built) return;
  // QUIT waits for a connection; a cluster that never connected would wait forever.
  const quit = built.redis.quit().catch(() => undefined);
  const timeout = new Promise((r) => setTimeout(r, 1000).unref());
  await Promise.race([quit, timeout]);
  built.redis.disconnect();
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`REDIS_TLS_CA_FILE ${path} cannot be read: ${(err as Error).message}`);
  }
}

async function build(): Promise<Runtime> {
  const source = given;
  const config = source?.config ?? loadConfig(process.env);
  const iam = config.redis.iam;
  // The SDK's default chain: the execution role's credentials in Lambda, refreshed as they expire.
  const awsCredentials = iam ? defaultProvider() : undefined;
  const iamAuth = iam ? new IamAuthRenewal(() => elastiCacheIamToken({ ...iam, credentials: awsCredentials! })) : undefined;
  const credentials = iamAuth
    ? { username: iam!.userId, password: await iamAuth.current() }
    : { username: config.redis.username, password: config.redis.passwordSecretId ? await readPasswordSecret(config.redis.passwordSecretId) : config.redis.password };
  const tls = config.redis.tlsCaFile ? { ca: readCaFile(config.redis.tlsCaFile) } : undefined;
  const redis = createRedisCluster(config.redis, credentials, { tls });
  if (iamAuth) {
    // Long-lived processes (the CLI's serve) renew between requests too; Lambda renews per invocation.
    const timer = setInterval(() => void iamAuth.keepFresh(redis).catch(() => undefined), TOKEN_REFRESH_MS);
    timer.unref();
    redis.once('end', () => clearInterval(timer));
  }
  // Connection trouble surfaces as command errors (503 / TransientError); log it, once per kind.
  let lastError = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) logger.warn('Redis connection error', { errorName: err.name, errorMessage: err.message });
    lastError = err.message;
  });
  const objects = new S3ObjectStore(source?.s3 ?? createS3Client(config.s3EndpointUrl));
  const erasureLog = config.erasureLog ? { store: objects, ...config.erasureLog } : undefined;
  const memory = new ClusterMemoryProbe(redis);
  const replicaAck = config.redis.replicaAckTimeoutMs === null ? undefined : { timeoutMs: config.redis.replicaAckTimeoutMs };
  const newWriter = (options?: WriterOptions) => new ClusterBulkWriter(redis, { batchSize: config.load.writeBatchSize, batchesInFlight: config.load.writeBatchesInFlight, replicaAck, packed: options?.packed });
  const datasets = config.datasets.map(
    (spec): DatasetRuntime => ({
      spec,
      pipeline: {
        dataset: spec.name,
        spec,
        load: config.load,
        objects,
        versions: new VersionStore(redis, spec.name, replicaAck, now),
        newWriter,
        shape: shapeFor(spec, config.load.maxRecordBytes),
        now,
        memory,
        erasures: new ErasureStore(redis, spec.name, replicaAck),
        erasureLog,
        corrections: new CorrectionStore(redis, spec.name),
      },
      reader: new LiveReader(redis, spec.name, config.read.pointerCacheMs, config.redis.commandTimeoutMs, now, config.read.replicaFallbackMs),
    }),
  );
  const byName = new Map(datasets.map((d) => [d.spec.name, d]));
  const dataset = (name: string): DatasetRuntime => {
    const d = byName.get(name);
    if (!d) throw new InvalidInputError(`unknown dataset ${JSON.stringify(name).slice(0, 80)}; this stack serves ${[...byName.keys()].join(', ')}`);
    return d;
  };
  return { config, redis, objects, datasets, defaultDataset: dataset(config.defaultDataset), dataset, iamAuth };
}
