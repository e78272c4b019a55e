// The benchmark's own local infrastructure: a Redis Cluster of 3 masters (no replicas: on a
// 2-core machine replicas would only take CPU from the masters; ElastiCache runs them on other
// hosts) and s3rver, plus the admin views the measurements need (flush, used_memory, stats).
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Cluster, type Redis } from 'ioredis';
import { REDIS_SERVER_SETTINGS } from '../functions/domain/server-settings.js';
import { parseInfo } from '../functions/domain/redis-info.js';
import { startRedisCluster, type LocalRedisCluster } from '../local/redis-cluster.js';
import { LOCAL_S3_CREDENTIALS, localS3Client, startS3, type LocalS3 } from '../local/s3-server.js';
import { datasetVars } from '../local/datasets-file.js';
import { CHECKS_OFF, withoutChecks } from './measure-checks.js';

export const BUCKET = 'sluice-bench';

export interface BenchInfra {
  cluster: LocalRedisCluster;
  s3server: LocalS3;
  s3: S3Client;
  admin: Cluster;
  masters(): Redis[];
  put(key: string, body: Buffer): Promise<void>;
  putFile(key: string, path: string): Promise<void>;
  /** FLUSHALL on every master (our own cluster only) and wait for the memory to be released. */
  flush(): Promise<void>;
  /** Sum of used_memory over the masters, in bytes. */
  usedMemory(): Promise<number>;
  /** CPU seconds (user + sys) the masters have used so far. */
  redisCpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

/** Environment every benchmark process reads (the same variables the Lambdas read). */
export function benchEnv(infra: { cluster: LocalRedisCluster; s3server: LocalS3 }, dataset: string): Record<string, string> {
  const master = infra.cluster.nodes.find((n) => n.role === 'master')!;
  return {
    REDIS_HOST: master.host,
    REDIS_PORT: String(master.port),
    REDIS_TLS: 'false',
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    AWS_ENDPOINT_URL_S3: infra.s3server.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    // The same dataset twice: with the default release checks, and with every check off (measure-checks.ts).
    ...datasetVars({ name: dataset, jobs: { prefix: '' } }, { name: withoutChecks(dataset), checks: CHECKS_OFF }),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ERASURE_LOG_URI: `s3://${BUCKET}/sluice-erasures/`,
    BENCH_REDIS_SEEDS: infra.cluster.seeds.map((s) => `${s.host}:${s.port}`).join(','),
  };
}

export async function startInfra(opts: { replicasPerMaster?: number } = {}): Promise<BenchInfra> {
  const [cluster, s3server] = await Promise.all([
    startRedisCluster({ masters: 3, replicasPerMaster: opts.replicasPerMaster ?? 0, settings: { ...REDIS_SERVER_SETTINGS } }),
    startS3({ buckets: [] }),
  ]);
  const s3 = localS3Client(s3server.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const admin = new Cluster(cluster.seeds.slice(0, 1), { redisOptions: { protocol: 2 } });
  await new Promise<void>((resolve, reject) => {
    admin.once('ready', resolve);
    admin.once('error', reject);
  });
  const masters = () => admin.nodes('master');
  const info = async (node: Redis, section: string) => parseInfo(await node.info(section));
  return {
    cluster,
    s3server,
    s3,
    admin,
    masters,
    put: async (key, body) => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: body.length }));
    },
    putFile: async (key, path) => {
      const { size } = await stat(path);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: createReadStream(path), ContentLength: size }));
    },
    flush: async () => {
      await Promise.all(masters().map((m) => m.flushall('SYNC')));
    },
    usedMemory: async () => {
      let total = 0;
      for (const m of masters()) total += Number((await info(m, 'memory')).get('used_memory'));
      return total;
    },
    redisCpuSeconds: async () => {
      let total = 0;
      for (const m of masters()) {
        const cpu = await info(m, 'cpu');
        total += Number(cpu.get('used_cpu_user')) + Number(cpu.get('used_cpu_sys'));
      }
      return total;
    },
    stop: async () => {
      admin.disconnect();
      s3.destroy();
      await Promise.allSettled([s3server.stop(), cluster.stop()]);
    },
  };
}

