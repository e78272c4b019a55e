// `sluice ingest` runs the real state machine definition; with S3 behind a route that drops
// every handshake (tests/support/blackhole.ts), Plan fails once, within seconds, naming the
// missing route, and the state machine does not retry it (its Retry lists TransientError only).
import { startBlackhole, type Blackhole } from '../support/blackhole.js';
import { sluice, testStackEnv } from './run-cli.js';

let blackhole: Blackhole;

beforeAll(async () => {
  blackhole = await startBlackhole();
});

afterAll(() => blackhole.close());

test('S3 that never answers a connection: exit 3 (unreachable), S3UnreachableError naming the route tables, no retry of Plan', async () => {
  const env = testStackEnv({ DATASET: 'cli-s3-blackhole', AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${blackhole.port}` });
  const run = await sluice(['ingest', 's3://blackholed/job/', '--version', 'b1'], env);
  expect(run.code).toBe(3);
  expect(run.stdout).toMatch(/^load failed: S3UnreachableError: listing s3:\/\/blackholed\/job\/: S3 could not be reached from the function's subnets/);
  expect(run.stdout).toMatch(/S3 gateway endpoint/);
  expect(run.stderr).not.toMatch(/Plan failed \(attempt/);
}, 60_000);
