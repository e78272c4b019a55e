// The main job, locally, in one command (`npm run demo`): start a Redis Cluster (3 masters,
// 3 replicas) and an S3 server, write a SageMaker-style transform output, ingest it through
// the real state machine and handlers, ask the read API, and stop everything.
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { startRedisCluster } from '../local/redis-cluster.js';
import { LOCAL_S3_CREDENTIALS, localS3Client, startS3 } from '../local/s3-server.js';
import { AWS_SAMPLE_DOCUMENT, jsonLinesParts } from '../local/sample-data.js';
import { lambdaContext, runIngestLocally } from '../local/state-machine.js';
import { REDIS_LAYOUT_SETTINGS } from '../functions/domain/key-layout.js';

const USERS = Number(process.env.DEMO_USERS ?? 50_000);
const BUCKET = 'sluice-demo';

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log('starting a local Redis Cluster (3 masters, 3 replicas) and S3...');
  const cluster = await startRedisCluster({ settings: { ...REDIS_LAYOUT_SETTINGS } });
  const s3server = await startS3();
  try {
    const master = cluster.nodes.find((n) => n.role === 'master')!;
    Object.assign(process.env, {
      REDIS_HOST: master.host,
      REDIS_PORT: String(master.port),
      REDIS_TLS: 'false',
      AWS_ENDPOINT_URL_S3: s3server.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      CHUNK_SIZE_BYTES: String(1 << 20),
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    console.log(`  redis ${cluster.nodes.map((n) => `${n.port}${n.role === 'master' ? 'm' : 'r'}`).join(' ')}; s3 ${s3server.endpoint}`);

    const s3 = localS3Client(s3server.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const parts = jsonLinesParts({ users: USERS, scored: true }, 3);
    for (const [i, body] of parts.entries()) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `recs/2026-11-24/users-${i}.jsonl.out`, Body: body }));
    }
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sample/movies.json', Body: AWS_SAMPLE_DOCUMENT }));
    s3.destroy();
    const mb = parts.reduce((n, p) => n + p.length, 0) / 1e6;
    console.log(`wrote a transform output: 3 .out files, ${USERS} users, ${mb.toFixed(1)} MB`);

    const event = {
      source: 'aws.sagemaker',
      'detail-type': 'SageMaker Transform Job State Change',
      detail: {
        TransformJobName: 'recs-nightly-2026-11-24',
        TransformJobStatus: 'Completed',
        CreationTime: Date.parse('2026-11-24T02:00:00Z'),
        TransformOutput: { S3OutputPath: `s3://${BUCKET}/recs/2026-11-24/` },
      },
    };
    const started = Date.now();
    const run = await runIngestLocally(event);
    const seconds = (Date.now() - started) / 1000;
    if (run.status !== 'SUCCEEDED') throw new Error(`ingestion failed: ${run.error}: ${run.cause}`);
    const out = run.output as { version: string; chunkCount: number; result: { commit: { records: number; badRecords: number } } };
    const { records, badRecords } = out.result.commit;
    console.log(`ingested version ${out.version}: ${records} records (${badRecords} bad) in ${out.chunkCount} chunks, ${seconds.toFixed(2)} s (${Math.round(records / seconds)} records/s)`);

    const again = await runIngestLocally(event);
    console.log(`the same event again: ${(again.output as { reason?: string }).reason}`);

    const { handler } = await import('../functions/handlers/read-api.js');
    const get = async (path: string) => {
      const url = new URL(path, 'http://localhost');
      const user = /^\/users\/([^/]+)\/recommendations$/.exec(url.pathname);
      const event = {
        version: '2.0',
        routeKey: user ? 'GET /users/{userId}/recommendations' : `GET ${url.pathname}`,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        queryStringParameters: Object.fromEntries(url.searchParams),
        pathParameters: user ? { userId: user[1] } : undefined,
        requestContext: { http: { method: 'GET', path: url.pathname } },
      } as unknown as APIGatewayProxyEventV2;
      const r = (await handler(event, lambdaContext('ReadApiFunction'))) as APIGatewayProxyStructuredResultV2;
      console.log(`  GET ${path}\n    → ${r.statusCode} ${r.body}`);
    };
    console.log('the read API answers:');
    await get('/recommendations?userId=u42&rank=1');
    await get('/users/u7/recommendations');
    await get('/recommendations?userId=u7&rank=11');
    await get('/users/nobody/recommendations');
    await get('/recommendations?userId=u7&rank=zero');
    const { closeRuntime } = await import('../functions/handlers/runtime.js');
    await closeRuntime();
  } finally {
    await s3server.stop();
    await cluster.stop();
    console.log(`stopped the local cluster and S3 (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
