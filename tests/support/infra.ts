// How integration tests find the Redis Cluster and s3rver that tests/support/global-setup.ts
// started for this run.
import { readFileSync } from 'node:fs';

export interface TestInfra {
  /** One master, for tests that want a single node. */
  redisHost: string;
  redisPort: number;
  /** Every node of the cluster (masters and replicas), e.g. ioredis Cluster startup nodes. */
  seeds: { host: string; port: number }[];
  /** http://127.0.0.1:PORT; use localS3Client() from local/s3-server.ts. */
  s3Endpoint: string;
}

/** The shape global-setup writes to the file named by SLUICE_TEST_INFRA_FILE. */
export interface InfraFile {
  SLUICE_TEST_REDIS_SEEDS: string;
  SLUICE_TEST_REDIS_HOST: string;
  SLUICE_TEST_REDIS_PORT: string;
  SLUICE_TEST_S3_ENDPOINT: string;
}

const NOT_INTEGRATION =
  'Integration infrastructure is not available: this test must run in the jest "integration" project ' +
  '(npm test -- --selectProjects integration), whose globalSetup (tests/support/global-setup.ts) starts ' +
  'a local Redis Cluster and s3rver and exports SLUICE_TEST_REDIS_SEEDS, SLUICE_TEST_REDIS_HOST, ' +
  'SLUICE_TEST_REDIS_PORT and SLUICE_TEST_S3_ENDPOINT.';

function parseHostPort(value: string, name: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const port = Number(value.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0) throw new Error(`${name}: bad host:port "${value}"`);
  return { host: value.slice(0, i), port };
}

export function testInfra(): TestInfra {
  let vars: Partial<InfraFile> = process.env;
  // The env vars are inherited from globalSetup; the JSON file is the fallback for anything
  // that got the file's path but not the variables.
  if (!vars.SLUICE_TEST_REDIS_SEEDS && process.env.SLUICE_TEST_INFRA_FILE) {
    try {
      vars = JSON.parse(readFileSync(process.env.SLUICE_TEST_INFRA_FILE, 'utf8')) as InfraFile;
    } catch (err) {
      throw new Error(`${NOT_INTEGRATION} (could not read ${process.env.SLUICE_TEST_INFRA_FILE}: ${(err as Error).message})`);
    }
  }
  const { SLUICE_TEST_REDIS_SEEDS: seeds, SLUICE_TEST_REDIS_HOST: host, SLUICE_TEST_REDIS_PORT: port, SLUICE_TEST_S3_ENDPOINT: s3 } = vars;
  if (!seeds || !host || !port || !s3) throw new Error(NOT_INTEGRATION);
  return {
    redisHost: host,
    redisPort: parseHostPort(`${host}:${port}`, 'SLUICE_TEST_REDIS_HOST/PORT').port,
    seeds: seeds.split(',').map((s) => parseHostPort(s.trim(), 'SLUICE_TEST_REDIS_SEEDS')),
    s3Endpoint: s3,
  };
}
