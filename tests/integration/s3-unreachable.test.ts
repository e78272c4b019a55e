// A VPC subnet with no route to S3 (no gateway endpoint on its route table, no NAT) drops the
// TCP handshake: the connection never opens, nothing is refused. Plan used to wait for its
// 120 s Lambda timeout (not retried) and the execution failed with no hint. Here an endpoint
// that never completes a handshake stands in for that subnet: a listening socket whose accept
// queue is full (tests/support/blackhole.ts).
import { S3_CONNECT_TIMEOUT_MS, S3ObjectStore, createS3Client } from '../../functions/adapters/object-store.js';
import { S3UnreachableError } from '../../functions/errors.js';
import { planLoad } from '../../functions/pipeline/plan-load.js';
import { startBlackhole, type Blackhole } from '../support/blackhole.js';
import { testPipeline } from '../unit/pipeline/fixtures.js';

let blackhole: Blackhole;
let port = 0;

beforeAll(async () => {
  blackhole = await startBlackhole();
  port = blackhole.port;
});

afterAll(() => blackhole.close());

test('Plan fails within seconds with S3UnreachableError, naming the missing route to S3', async () => {
  const s3 = createS3Client(`http://127.0.0.1:${port}`);
  const { deps } = testPipeline();
  deps.objects = new S3ObjectStore(s3);
  const started = Date.now();
  const failure = await planLoad({ bucket: 'predictions', key: 'job-1/', singleObject: false, origin: 'manual' }, 'test', deps).then(
    () => undefined,
    (err: unknown) => err,
  );
  const seconds = (Date.now() - started) / 1000;
  s3.destroy();
  expect(failure).toBeInstanceOf(S3UnreachableError);
  expect((failure as Error).name).toBe('S3UnreachableError'); // not TransientError: the state machine does not retry it
  expect((failure as Error).message).toMatch(/listing s3:\/\/predictions\/job-1\/: S3 could not be reached from the function's subnets/);
  expect((failure as Error).message).toMatch(/S3 gateway endpoint .*PrivateRouteTableIds.*or a NAT gateway/);
  // Three attempts of S3_CONNECT_TIMEOUT_MS plus the SDK's backoff: seconds, far from Plan's 120 s timeout.
  expect(seconds).toBeGreaterThanOrEqual((3 * S3_CONNECT_TIMEOUT_MS) / 1000 - 0.1);
  expect(seconds).toBeLessThan(15);
});
