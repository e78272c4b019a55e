// Everything a container builds once: configuration, the Redis and S3 clients, and per
// dataset the pipeline's dependencies and a reader over them. Built lazily on the first
// invocation (so importing a handler never connects anywhere) and reused by later ones.
import { readFileSync } from 'node:fs';
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
import type { DatasetSpec } from '../domain/dataset-spec.js';
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

let current: Promise<Runtime> | null = null;

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
    await closeRuntime();
    return runtime();
  }
  await built.iamAuth.keepFresh(built.redis).catch((err: unknown) => logger.warn('Renewing the IAM auth token failed; keeping the current one', { errorMessage: (err as Error).message }));
  return built;
}

/** Closes the clients; the next invocation builds a fresh runtime (re-reading the environment). */
export async function closeRuntime(): Promise<void> {
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
  const config = loadConfig();
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
  const objects = new S3ObjectStore(createS3Client(config.s3EndpointUrl));
  const memory = new ClusterMemoryProbe(redis);
  const replicaAck = config.redis.replicaAckTimeoutMs === null ? undefined : { timeoutMs: config.redis.replicaAckTimeoutMs };
  const newWriter = () => new ClusterBulkWriter(redis, { batchSize: config.load.writeBatchSize, batchesInFlight: config.load.writeBatchesInFlight, replicaAck });
  const datasets = config.datasets.map(
    (spec): DatasetRuntime => ({
      spec,
      pipeline: {
        dataset: spec.name,
        spec,
        load: config.load,
        objects,
        versions: new VersionStore(redis, spec.name, replicaAck),
        newWriter,
        shape: shapeFor(spec, config.load.maxRecordBytes),
        now: Date.now,
        memory,
      },
      reader: new LiveReader(redis, spec.name, config.read.pointerCacheMs, config.redis.commandTimeoutMs, Date.now, config.read.replicaFallbackMs),
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
