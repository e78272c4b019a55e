// A manual s3Uri without a trailing slash ("s3://bucket/job-7") names an object or a prefix.
// Plan asks for the object first; in AWS that HEAD answers 403, not 404, because Sluice's roles
// may list the bucket only under their prefix (an s3:prefix condition, which a HEAD does not
// carry), and S3 answers 403 for a missing key to a caller that may not list the bucket
// (Amazon S3 API Reference, HeadObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
// s3rver has no IAM, so a proxy in front of it answers every HEAD the way S3 does for such a role.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3ObjectStore } from '../../functions/adapters/object-store.js';
import { InvalidInputError } from '../../functions/errors.js';
import { planLoad } from '../../functions/pipeline/plan-load.js';
import { localS3Client } from '../../local/s3-server.js';
import { testInfra } from '../support/infra.js';
import { closeTestClients, putObject } from '../support/sluice.js';
import { testPipeline } from '../unit/pipeline/fixtures.js';

const BUCKET = 's3uri-prefix';
let proxy: Server;
let heads = 0;

beforeAll(async () => {
  const target = new URL(testInfra().s3Endpoint);
  proxy = createServer((req, res) => {
    if (req.method === 'HEAD') {
      heads++;
      res.writeHead(403, { 'x-amz-request-id': 'proxy' }).end(); // S3's HEAD errors carry no body
      return;
    }
    const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  await putObject(BUCKET, 'job-7/part-0.out', '{"userId":"u1","movieId":[1,2]}\n{"userId":"u2","movieId":[3]}\n');
});

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await closeTestClients();
});

function pipelineThroughProxy() {
  const s3 = localS3Client(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
  const { deps } = testPipeline();
  deps.objects = new S3ObjectStore(s3);
  return { deps, s3 };
}

test('s3://bucket/job-7 (no slash) whose HEAD answers 403: loaded as the prefix job-7/', async () => {
  const { deps, s3 } = pipelineThroughProxy();
  heads = 0;
  const plan = await planLoad({ bucket: BUCKET, key: 'job-7', singleObject: true, origin: 'manual' }, 'exec-1', deps).finally(() => s3.destroy());
  expect(heads).toBe(1);
  expect(plan).toMatchObject({ action: 'load', objects: 1 });
});

test('neither an object nor a prefix with objects: an error that says both were tried and how to write the URI', async () => {
  const { deps, s3 } = pipelineThroughProxy();
  const failure = await planLoad({ bucket: BUCKET, key: 'job-8', singleObject: true, origin: 'manual' }, 'exec-2', deps).then(
    () => undefined,
    (err: unknown) => err,
  );
  s3.destroy();
  expect(failure).toBeInstanceOf(InvalidInputError);
  expect((failure as Error).message).toBe(
    `s3://${BUCKET}/job-8 is no object Plan can read, and there are no input objects under s3://${BUCKET}/job-8/ (nothing is stored under it); give a prefix ending in "/" or the key of one object`,
  );
});
