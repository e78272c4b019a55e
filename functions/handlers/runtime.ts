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
}

let current: Promise<Runtime> | null = null;

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

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`REDIS_TLS_CA_FILE ${path} cannot be read: ${(err as Error).message}`);
  }
}

async function build(): Promise<Runtime> {
  const config = loadConfig();
  const password = config.redis.passwordSecretId ? await readPasswordSecret(config.redis.passwordSecretId) : config.redis.password;
  const tls = config.redis.tlsCaFile ? { ca: readCaFile(config.redis.tlsCaFile) } : undefined;
  const redis = createRedisCluster(config.redis, { username: config.redis.username, password }, { tls });
  // Connection trouble surfaces as command errors (503 / TransientError); log it, once per kind.
  let lastError = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) logger.warn('Redis connection error', { errorName: err.name, errorMessage: err.message });
    lastError = err.message;
  });
  const objects = new S3ObjectStore(createS3Client(config.s3EndpointUrl));
  const memory = new ClusterMemoryProbe(redis);
  const newWriter = () => new ClusterBulkWriter(redis, { batchSize: config.load.writeBatchSize, batchesInFlight: config.load.writeBatchesInFlight });
  const datasets = config.datasets.map(
    (spec): DatasetRuntime => ({
      spec,
      pipeline: {
        dataset: spec.name,
        spec,
        load: config.load,
        objects,
        versions: new VersionStore(redis, spec.name),
        newWriter,
        shape: shapeFor(spec, config.load.maxRecordBytes),
        now: Date.now,
        memory,
      },
      reader: new LiveReader(redis, spec.name, config.read.pointerCacheMs, config.redis.commandTimeoutMs),
    }),
  );
  const byName = new Map(datasets.map((d) => [d.spec.name, d]));
  const dataset = (name: string): DatasetRuntime => {
    const d = byName.get(name);
    if (!d) throw new InvalidInputError(`unknown dataset ${JSON.stringify(name).slice(0, 80)}; this stack serves ${[...byName.keys()].join(', ')}`);
    return d;
  };
  return { config, redis, objects, datasets, defaultDataset: dataset(config.defaultDataset), dataset };
}
