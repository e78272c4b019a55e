// Everything a container builds once: configuration, the Redis and S3 clients, and the
// pipeline's dependencies over them. Built lazily on the first invocation (so importing a
// handler never connects anywhere) and reused by later ones.
import type { Cluster } from 'ioredis';
import { loadConfig, type Config } from '../config.js';
import { ClusterBulkWriter } from '../adapters/cluster-writer.js';
import { LiveReader } from '../adapters/live-reader.js';
import { S3ObjectStore, createS3Client } from '../adapters/object-store.js';
import { createRedisCluster, type ClusterConnectOptions } from '../adapters/redis-connection.js';
import { readPasswordSecret } from '../adapters/secrets.js';
import { VersionStore } from '../adapters/version-store.js';
import { rankedItemsShape } from '../domain/record-shape.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { logger, metrics } from './observability.js';

export interface Runtime {
  config: Config;
  redis: Cluster;
  pipeline: PipelineDeps;
  reader: LiveReader;
}

let current: Promise<Runtime> | null = null;
let connectOptions: ClusterConnectOptions = {};

/** For local tools and tests: extra connection options (a test CA, seed nodes) used by the next runtime. */
export function setConnectOptions(options: ClusterConnectOptions): void {
  connectOptions = options;
}

export function runtime(): Promise<Runtime> {
  current ??= build().catch((err: unknown) => {
    current = null; // a failed cold start (Redis down, bad config) is retried on the next invocation
    throw err;
  });
  return current;
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

async function build(): Promise<Runtime> {
  const config = loadConfig();
  metrics.setDefaultDimensions({ dataset: config.dataset.name });
  const password = config.redis.passwordSecretId ? await readPasswordSecret(config.redis.passwordSecretId) : config.redis.password;
  const redis = createRedisCluster(config.redis, { username: config.redis.username, password }, connectOptions);
  // Connection trouble surfaces as command errors (503 / TransientError); log it, once per kind.
  let lastError = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) logger.warn('Redis connection error', { errorName: err.name, errorMessage: err.message });
    lastError = err.message;
  });
  const objects = new S3ObjectStore(createS3Client(config.s3EndpointUrl));
  const versions = new VersionStore(redis, config.dataset.name);
  const pipeline: PipelineDeps = {
    dataset: config.dataset.name,
    load: config.load,
    objects,
    versions,
    newWriter: () => new ClusterBulkWriter(redis, { batchSize: config.load.writeBatchSize, batchesInFlight: config.load.writeBatchesInFlight }),
    shape: rankedItemsShape(config.dataset.keyFields, config.dataset.itemsFields, config.load.maxRecordBytes),
    now: Date.now,
  };
  return { config, redis, pipeline, reader: new LiveReader(redis, config.dataset.name, config.read.pointerCacheMs, config.redis.commandTimeoutMs) };
}
