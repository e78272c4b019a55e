// Test helpers over the real local cluster and s3rver: point the handlers at them through the
// same environment variables the Lambdas read, put input into S3, call the API handler, and
// look at the keyspace the way an operator would (tests may SCAN; Sluice never does).
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Cluster } from 'ioredis';
import { localS3Client, LOCAL_S3_CREDENTIALS } from '../../local/s3-server.js';
import { toHttpApiEvent } from '../../local/api-server.js';
import { lambdaContext } from '../../local/state-machine.js';
import { closeRuntime } from '../../functions/lambda/runtime.js';
import { testInfra } from './infra.js';

/** The environment variables that point Sluice (handlers or the CLI) at the test cluster and S3. */
export function testStackVars(): Record<string, string> {
  const infra = testInfra();
  return {
    REDIS_HOST: infra.redisHost,
    REDIS_PORT: String(infra.redisPort),
    REDIS_TLS: 'false',
    AWS_ENDPOINT_URL_S3: infra.s3Endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    GRACE_SECONDS: '2',
    POINTER_CACHE_MS: '0',
    REDIS_COMMAND_TIMEOUT_MS: '2000',
  };
}

/** Points the handlers at the test cluster and S3 (and closes any runtime built for other settings). */
export async function useSluiceEnv(vars: Record<string, string> = {}): Promise<void> {
  // Environment first: anything that rebuilds the runtime while the old one closes sees the new one.
  Object.assign(process.env, testStackVars(), vars);
  await closeRuntime();
}

let s3: S3Client | null = null;
const buckets = new Set<string>();

export async function putObject(bucket: string, key: string, body: Buffer | string): Promise<void> {
  s3 ??= localS3Client(testInfra().s3Endpoint);
  if (!buckets.has(bucket)) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
      if (!/BucketAlready/.test(err.name)) throw err;
    });
    buckets.add(bucket);
  }
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length }));
}

let admin: Cluster | null = null;

/** A separate client for assertions, so the handlers' own connection is not involved. */
export function adminRedis(): Cluster {
  admin ??= new Cluster(testInfra().seeds.slice(0, 1), { redisOptions: { protocol: 2 } });
  return admin;
}

export async function closeTestClients(): Promise<void> {
  await closeRuntime();
  s3?.destroy();
  s3 = null;
  if (admin) await admin.quit();
  admin = null;
}

/** Counts keys matching a pattern on every master (of the test cluster, or of `client`'s). */
export async function countKeys(pattern: string, client: Cluster = adminRedis()): Promise<number> {
  let total = 0;
  for (const node of client.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      total += keys.length;
    } while (cursor !== '0');
  }
  return total;
}

export function versionKeyCount(dataset: string, version: string): Promise<number> {
  return countKeys(`sluice:${dataset}:${version}:*`);
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

type ApiHandler = (e: APIGatewayProxyEventV2, c: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyStructuredResultV2>;
let apiHandler: ApiHandler | null = null;

/** Calls the real read handler with an HTTP API v2 event for `path` (query string included). */
export async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiAnswer> {
  apiHandler ??= (await import('../../functions/handlers/read-api.js')).handler as unknown as ApiHandler;
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  const event = toHttpApiEvent(init.method ?? 'GET', path, { 'content-type': 'application/json', ...init.headers }, body);
  const r = await apiHandler(event, lambdaContext('ReadApiFunction'));
  return { status: r.statusCode ?? 0, body: JSON.parse(r.body ?? '{}') as Record<string, unknown> };
}

/** Polls until `check` holds (or fails after `timeoutMs`): wait on the condition, never a fixed sleep. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
