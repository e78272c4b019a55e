// The reliability suite's own infrastructure, one set per test file: a Redis Cluster shaped like
// production (TLS only, with a CA the setup generates; the default user off and Sluice
// connecting as an ACL user limited to its commands and key namespaces; optionally maxmemory
// with noeviction) and an s3rver. The handlers reach it through the same environment
// variables as in AWS (REDIS_TLS=true, REDIS_USERNAME, REDIS_PASSWORD), plus REDIS_TLS_CA_FILE
// for the generated CA (ElastiCache's certificates chain to a public CA Node already trusts).
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { REDIS_SERVER_SETTINGS } from '../../../functions/domain/server-settings.js';
import { SLUICE_ACL_RULES } from '../../../functions/domain/acl-rules.js';
import { infoNumber, parseInfo } from '../../../functions/domain/redis-info.js';
import { serverSupportsTls, startRedisCluster, type LocalRedisCluster } from '../../../local/redis-cluster.js';
import { startS3, type LocalS3 } from '../../../local/s3-server.js';
import { closeTestClients, countKeys as countKeysOf, useSluiceEnv } from '../../support/sluice.js';

export const SLUICE_USER = 'sluice';

export interface HarnessOptions {
  maxmemory?: string;
  /** Cluster shape; defaults as startRedisCluster (3 masters, 1 replica each). */
  masters?: number;
  replicasPerMaster?: number;
  /** Extra redis-server settings (e.g. a short cluster-node-timeout for failover tests). */
  settings?: Record<string, string>;
}

export interface Harness {
  cluster: LocalRedisCluster;
  s3: LocalS3;
  /** The password of the ACL user the functions connect as. */
  sluicePassword: string;
  /** An all-powerful client for assertions (the cluster's admin user, over TLS). */
  admin: Cluster;
  /** Points the handlers at this harness, as the ACL user over TLS, plus `vars`. */
  env(vars?: Record<string, string>): Promise<void>;
  /** A TLS cluster client with the given credentials (none: no AUTH at all). */
  client(credentials?: { username?: string; password?: string }, extra?: { enableOfflineQueue?: boolean }): Cluster;
  stop(): Promise<void>;
}

/**
 * Whether the engine under test (SLUICE_REDIS_ENGINE) can serve TLS. The PyPI build of Valkey
 * cannot: on it the harness runs plaintext (ACL users and maxmemory as ever) and the TLS-only
 * tests are skipped; the Redis runs cover them.
 */
export const ENGINE_HAS_TLS = await serverSupportsTls();

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const sluicePassword = randomBytes(18).toString('hex');
  const [cluster, s3] = await Promise.all([
    startRedisCluster({
      tls: ENGINE_HAS_TLS,
      users: [{ username: SLUICE_USER, password: sluicePassword, rules: [...SLUICE_ACL_RULES] }],
      maxmemory: opts.maxmemory,
      masters: opts.masters,
      replicasPerMaster: opts.replicasPerMaster,
      settings: { ...REDIS_SERVER_SETTINGS, ...opts.settings },
    }),
    startS3(),
  ]);
  const tls = cluster.tls ? { ca: cluster.tls.ca } : undefined;
  const master = cluster.nodes.find((n) => n.role === 'master')!;
  // tests/support/infra.ts reads these (putObject, useSluiceEnv).
  Object.assign(process.env, {
    SLUICE_TEST_REDIS_SEEDS: cluster.seeds.map((s) => `${s.host}:${s.port}`).join(','),
    SLUICE_TEST_REDIS_HOST: master.host,
    SLUICE_TEST_REDIS_PORT: String(master.port),
    SLUICE_TEST_S3_ENDPOINT: s3.endpoint,
  });
  const client = (credentials: { username?: string; password?: string } = {}, extra: { enableOfflineQueue?: boolean } = {}) =>
    new Cluster(cluster.seeds, {
      enableOfflineQueue: extra.enableOfflineQueue ?? true,
      clusterRetryStrategy: (times) => (times > 3 ? null : 100),
      redisOptions: { protocol: 2, tls, username: credentials.username, password: credentials.password, connectTimeout: 5000, maxRetriesPerRequest: 2, disableClientInfo: true },
    });
  const admin = client(cluster.admin);
  return {
    cluster,
    s3,
    sluicePassword,
    admin,
    client,
    env: (vars = {}) =>
      useSluiceEnv({
        REDIS_HOST: master.host,
        REDIS_PORT: String(master.port),
        REDIS_TLS: String(cluster.tls !== undefined),
        REDIS_USERNAME: SLUICE_USER,
        REDIS_PASSWORD: sluicePassword,
        ...(cluster.tls ? { REDIS_TLS_CA_FILE: cluster.tls.caFile } : {}),
        ...vars,
      }),
    stop: async () => {
      await closeTestClients();
      await admin.quit().catch(() => admin.disconnect());
      await Promise.all([s3.stop(), cluster.stop()]);
    },
  };
}

/** Keys matching a pattern on every master (tests may SCAN; Sluice never does). */
export function countKeys(admin: Cluster, pattern: string): Promise<number> {
  return countKeysOf(pattern, admin);
}

export const versionKeyCount = (admin: Cluster, dataset: string, version: string) => countKeys(admin, `sluice:${dataset}:${version}:*`);

/** Every record field of a version, summed over its buckets: exactly the record count when nothing is duplicated or lost. */
export async function versionFieldCount(admin: Cluster, dataset: string, version: string, buckets: number): Promise<number> {
  let total = 0;
  for (let from = 0; from < buckets; from += 200) {
    const counts = await Promise.all(Array.from({ length: Math.min(200, buckets - from) }, (_, i) => admin.hlen(`sluice:${dataset}:${version}:${from + i}`)));
    total += counts.reduce((a, b) => a + b, 0);
  }
  return total;
}

export async function livePointer(admin: Cluster, dataset: string): Promise<{ version: string; buckets: number } | null> {
  return JSON.parse((await admin.get(`{sluice:${dataset}}:current`)) ?? 'null') as { version: string; buckets: number } | null;
}

export async function versionStatus(admin: Cluster, dataset: string, version: string): Promise<string | null> {
  return admin.hget(`{sluice:${dataset}}:version:${version}`, 'status');
}

/** Memory taken by data (used_memory less every replication buffer and the clients' buffers), and maxmemory, of every master. */
export async function masterMemory(admin: Cluster): Promise<{ port: number; used: number; max: number }[]> {
  return Promise.all(
    admin.nodes('master').map(async (node) => {
      const info = parseInfo(await node.info('memory'));
      const field = (name: string) => infoNumber(info, name, NaN);
      // Less the clients' buffers too: a load's connections leave query and output buffers that
      // Redis shrinks a moment later (clientsCron), which moved a small load's figure by ~10 %
      // between runs; what a load stores is what stays (the pre-flight's reserve covers buffers).
      return { port: Number(node.options.port), used: field('used_memory') - field('mem_total_replication_buffers') - field('mem_clients_normal'), max: field('maxmemory') };
    }),
  );
}
