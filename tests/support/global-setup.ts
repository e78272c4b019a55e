// Jest globalSetup for the integration project: ONE Redis Cluster (3 masters + 3 replicas) and
// ONE s3rver for the whole run, shared by every test file (tests isolate themselves by key
// prefix / bucket name). Runs in Jest's parent process before any worker is forked, so the
// variables set here are inherited by the workers; the JSON file is for anything else.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as RedisClusterModule from '../../local/redis-cluster.js';
import type { LocalRedisCluster } from '../../local/redis-cluster.js';
import type * as S3ServerModule from '../../local/s3-server.js';
import type { LocalS3 } from '../../local/s3-server.js';
import type * as ServerSettingsModule from '../../functions/domain/server-settings.js';
import type { InfraFile } from './infra.js';

// Jest does not run this file through ts-jest: it require()s it, and Node 22 loads it as an ES
// module with its built-in type stripping. Jest's moduleNameMapper (`./x.js` -> `./x.ts`) does
// not apply here, and Node's type stripping does not map the `./x.js` imports inside those
// modules either, so a static import fails with ERR_MODULE_NOT_FOUND; load them through tsx,
// which resolves them as the rest of the project does (types above).
const projectModule = async (path: string): Promise<unknown> => {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(`../../${path}.ts`, import.meta.url);
};

// Handed to global-teardown, which runs in the same process.
export interface SluiceGlobalInfra {
  cluster?: LocalRedisCluster;
  s3?: LocalS3;
  infraFile?: string;
}
declare global {
  var __SLUICE_INFRA__: SluiceGlobalInfra | undefined;
}

export default async function globalSetup(): Promise<void> {
  const { startRedisCluster } = (await projectModule('local/redis-cluster')) as typeof RedisClusterModule;
  const { startS3 } = (await projectModule('local/s3-server')) as typeof S3ServerModule;
  const { REDIS_SERVER_SETTINGS } = (await projectModule('functions/domain/server-settings')) as typeof ServerSettingsModule;
  const started: SluiceGlobalInfra = {};
  globalThis.__SLUICE_INFRA__ = started;
  const [cluster, s3] = await Promise.allSettled([
    startRedisCluster({
      masters: 3,
      replicasPerMaster: 1,
      // The settings the template's parameter group sets (listpack limits, reads while a failover runs).
      settings: { ...REDIS_SERVER_SETTINGS },
    }),
    startS3(),
  ]);
  if (cluster.status === 'fulfilled') started.cluster = cluster.value;
  if (s3.status === 'fulfilled') started.s3 = s3.value;
  if (cluster.status === 'rejected' || s3.status === 'rejected') {
    // Jest does not run globalTeardown when globalSetup throws: clean up here.
    await Promise.all([started.cluster?.stop(), started.s3?.stop()]);
    throw cluster.status === 'rejected' ? cluster.reason : (s3 as PromiseRejectedResult).reason;
  }

  const master = cluster.value.nodes.find((n) => n.role === 'master');
  if (!master) throw new Error('started cluster has no master');
  const vars: InfraFile = {
    SLUICE_TEST_REDIS_SEEDS: cluster.value.seeds.map((s) => `${s.host}:${s.port}`).join(','),
    SLUICE_TEST_REDIS_HOST: master.host,
    SLUICE_TEST_REDIS_PORT: String(master.port),
    SLUICE_TEST_S3_ENDPOINT: s3.value.endpoint,
  };
  started.infraFile = process.env.SLUICE_TEST_INFRA_FILE ?? join(tmpdir(), `sluice-test-infra-${process.pid}.json`);
  await writeFile(started.infraFile, `${JSON.stringify(vars, null, 2)}\n`);
  Object.assign(process.env, vars, { SLUICE_TEST_INFRA_FILE: started.infraFile });
}
