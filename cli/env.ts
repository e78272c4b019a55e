// Where the commands find Redis and S3: the same environment variables the Lambdas read
// (functions/config.ts), taken from the command's context and given to the runtime, and for
// `sluice up` / `sluice demo` a local Redis Cluster and S3 that set them. Also the one place
// that opens the runtime and checks that Redis answers, because a cluster client with no
// reachable node queues commands forever.
import { engineName, startRedisCluster, valkeyPresent, type LocalRedisCluster } from '../local/redis-cluster.js';
import { LOCAL_S3_CREDENTIALS, startS3, type LocalS3 } from '../local/s3-server.js';
import { REDIS_SERVER_SETTINGS } from '../functions/domain/server-settings.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { intSetting, loadConfig, optionalSetting, type Env } from '../functions/config.js';
import { closeRuntime, runtime, useRuntimeSource, type Runtime, type RuntimeSource } from '../functions/lambda/runtime.js';
import { settingOf } from '../functions/settings.js';
import { CliError, EXIT } from './command.js';

/** Bucket that `sluice ingest <file>` uploads to, unless SLUICE_BUCKET or --bucket says otherwise. */
const DEFAULT_BUCKET = settingOf('SLUICE_BUCKET').default as string;

export function bucketFrom(env: Env, option?: string): string {
  return option ?? optionalSetting(env, 'SLUICE_BUCKET') ?? DEFAULT_BUCKET;
}

export interface LocalStack {
  cluster: LocalRedisCluster;
  s3: LocalS3;
  bucket: string;
  /** The variables that point every command (and handler) at this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** SLUICE_REDIS_ENGINE if set; else Valkey (what ElastiCache runs) when scripts/fetch-valkey.sh has fetched it; else Redis. */
function localEngine(): 'redis' | 'valkey' {
  if (process.env.SLUICE_REDIS_ENGINE) return engineName();
  return valkeyPresent() ? 'valkey' : 'redis';
}

/** A Redis Cluster (3 masters, 3 replicas, the layout's listpack settings) and s3rver with one bucket. */
export async function startLocalStack(bucket = DEFAULT_BUCKET): Promise<LocalStack> {
  const [cluster, s3] = await Promise.allSettled([startRedisCluster({ engine: localEngine(), settings: { ...REDIS_SERVER_SETTINGS } }), startS3({ buckets: [bucket] })]);
  if (cluster.status === 'rejected' || s3.status === 'rejected') {
    await Promise.all([cluster.status === 'fulfilled' && cluster.value.stop(), s3.status === 'fulfilled' && s3.value.stop()]);
    const reason = (cluster.status === 'rejected' ? cluster.reason : (s3 as PromiseRejectedResult).reason) as Error;
    throw new CliError(`could not start the local stack: ${reason.message}`, EXIT.FAILED, { cause: reason });
  }
  const master = cluster.value.nodes.find((n) => n.role === 'master')!;
  return {
    cluster: cluster.value,
    s3: s3.value,
    bucket,
    env: {
      REDIS_HOST: master.host,
      REDIS_PORT: String(master.port),
      REDIS_TLS: 'false',
      AWS_ENDPOINT_URL_S3: s3.value.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      SLUICE_BUCKET: bucket,
      ERASURE_LOG_URI: `s3://${bucket}/sluice-erasures/`,
    },
    stop: async () => {
      await closeRuntime();
      await Promise.all([s3.value.stop(), cluster.value.stop()]);
    },
  };
}

/** What a command's runtime is built from, read and checked once from its context's environment. */
export interface RuntimeSettings {
  source: RuntimeSource;
  /** How long a command waits for the cluster before it reports Redis unreachable. */
  connectTimeoutMs: number;
}

/**
 * The handlers' configuration from `configEnv` (by default the command's environment), and the
 * CLI's own variables from `env`. A bad variable is a ConfigError naming it (exit 2).
 */
export function runtimeSettings(env: Env, opts: { configEnv?: Env; s3?: S3Client } = {}): RuntimeSettings {
  return {
    source: { config: loadConfig(opts.configEnv ?? env), s3: opts.s3 },
    connectTimeoutMs: intSetting(env, 'SLUICE_CONNECT_TIMEOUT_MS'),
  };
}

/**
 * The handlers' runtime, built from `settings`, once Redis answers; the handlers this process
 * calls (the local state machine runner's) use it until closeRuntime. No answer within the
 * timeout is exit 3.
 */
export async function openRuntime(settings: RuntimeSettings, signal?: AbortSignal): Promise<Runtime> {
  await useRuntimeSource(settings.source);
  const rt = await runtime();
  const { host, port, tls } = rt.config.redis;
  const where = `Redis at ${host}:${port} (REDIS_TLS=${tls})`;
  const hint = `; check REDIS_HOST, REDIS_PORT and REDIS_TLS${tls ? ' (a local cluster from sluice up needs REDIS_TLS=false)' : ''}`;
  // The cluster's own error only says that no node answered; a node's error says why.
  let lastError = '';
  const onError = (err: Error) => {
    lastError ||= err.message;
  };
  const onNodeError = (err: Error) => {
    lastError = err.message;
  };
  rt.redis.on('error', onError);
  rt.redis.on('node error', onNodeError);
  try {
    await new Promise<void>((resolve, reject) => {
      if (rt.redis.status === 'ready') return resolve();
      const timer = setTimeout(() => reject(new CliError(`cannot reach ${where}${lastError ? `: ${lastError.replace(/\.$/, '')}` : ''}${hint}`, EXIT.UNREACHABLE)), settings.connectTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
      };
      const aborted = () => {
        done();
        reject(new CliError('interrupted', EXIT.INTERRUPTED));
      };
      signal?.addEventListener('abort', aborted, { once: true });
      rt.redis.once('ready', () => {
        done();
        resolve();
      });
    });
  } catch (err) {
    await closeRuntime();
    throw err;
  } finally {
    rt.redis.off('error', onError);
    rt.redis.off('node error', onNodeError);
  }
  return rt;
}

/** Runs `work` with the runtime open (Redis answering) and closes the runtime after, whatever happens. */
export async function withRuntime<T>(ctx: { env: Env; signal?: AbortSignal }, work: (rt: Runtime) => Promise<T>): Promise<T> {
  const settings = runtimeSettings(ctx.env);
  try {
    return await work(await openRuntime(settings, ctx.signal));
  } finally {
    await closeRuntime();
  }
}
