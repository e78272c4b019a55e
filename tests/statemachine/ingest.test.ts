// Executes statemachine/ingest.asl.json with every Task bound to its real handler, against
// the local Redis Cluster and s3rver. Each test works on a dataset of its own and makes the
// live version it starts from itself, so any one of them can run alone.
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally, type TaskHandler } from '../../local/state-machine.js';
import { BadDataError, InvalidInputError } from '../../functions/errors.js';
import { adminRedis, api, closeTestClients, eventually, putObject, useSluiceEnv, versionKeyCount } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';

const BUCKET = 'sm-bucket';
const USERS = 3000;
const expected = [...recommendations({ users: USERS, scored: true })];

beforeAll(async () => {
  const parts = jsonLinesParts({ users: USERS, scored: true }, 3);
  for (const [i, body] of parts.entries()) await putObject(BUCKET, `job-a/part-0000${i}.jsonl.out`, body);
  await putObject(BUCKET, 'job-a/_SUCCESS', ''); // a marker, not data: skipped
});
afterAll(closeTestClients);

let dataset = '';

/** Points the handlers at a dataset of this test's own; `live`: load that version first. */
async function freshDataset(name: string, live?: { version: string; orderKey: number }): Promise<void> {
  dataset = name;
  await useSluiceEnv({ ...datasetVars(name), CHUNK_SIZE_BYTES: '65536', MAP_CONCURRENCY: '4' });
  if (live) expect(await runIngestLocally({ s3Uri: `s3://${BUCKET}/job-a/`, ...live })).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped' } } } });
}

async function pointer(): Promise<string | null> {
  return adminRedis().get(`{sluice:${dataset}}:current`);
}

test('success path: plan, load every chunk, commit, retire; every record readable', async () => {
  await freshDataset('sm-success');
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/job-a/`, version: 'v1', orderKey: 1000 });
  expect(run).toMatchObject({ status: 'SUCCEEDED' });
  expect(run.output).toMatchObject({ action: 'load', version: 'v1', objects: 3, result: { commit: { outcome: 'swapped', records: USERS, badRecords: 0 } } });
  expect((run.output as { chunkCount: number }).chunkCount).toBeGreaterThan(5);
  for (const r of expected.filter((_, i) => i % 97 === 0)) {
    expect(await api(`/users/${r.userId}/recommendations`)).toEqual({ status: 200, body: { userId: r.userId, items: r.items, version: 'v1' } });
  }
});

test('a chunk failing once with a Lambda service error is retried and the load completes exactly', async () => {
  await freshDataset('sm-retry', { version: 'v1', orderKey: 1000 });
  const real = await realTaskHandlers();
  const calls = new Map<number, number>();
  const flaky: TaskHandler = async (payload) => {
    const index = (payload as { chunk: number }).chunk;
    calls.set(index, (calls.get(index) ?? 0) + 1);
    if (index === 1 && calls.get(index) === 1) {
      await real.LoadChunk(payload); // the first attempt writes, then "dies": the retry must not duplicate
      throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.ServiceException' });
    }
    return real.LoadChunk(payload);
  };
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/job-a/`, version: 'v2', orderKey: 2000 }, { handlers: { LoadChunk: flaky } });
  expect(run.status).toBe('SUCCEEDED');
  expect(calls.get(1)).toBe(2);
  expect(run.output).toMatchObject({ result: { commit: { outcome: 'swapped', records: USERS, previous: 'v1' } } });
  expect(JSON.parse((await pointer())!)).toMatchObject({ version: 'v2' });
  const r = expected[1234]!;
  expect((await api(`/users/${r.userId}/recommendations`)).body).toEqual({ userId: r.userId, items: r.items, version: 'v2' });
});

test('a chunk failing for good: cleanup deletes the partial version, the execution fails, the pointer is untouched', async () => {
  await freshDataset('sm-fail', { version: 'v2', orderKey: 2000 });
  const before = await pointer();
  expect(JSON.parse(before!)).toMatchObject({ version: 'v2' });
  const real = await realTaskHandlers();
  const invocations: Promise<unknown>[] = [];
  const broken: TaskHandler = (payload) => {
    const invocation = (async () => {
      const index = (payload as { chunk: number }).chunk;
      const result = await real.LoadChunk(payload); // leaves keys behind, as a half-done load would
      if (index === 2) throw new BadDataError('s3://sm-bucket/job-a/part-00002.jsonl.out: the JSON document is truncated');
      return result;
    })();
    invocations.push(invocation);
    return invocation;
  };
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/job-a/`, version: 'v3', orderKey: 3000 }, { handlers: { LoadChunk: broken } });
  expect(run).toMatchObject({ status: 'FAILED', error: 'BadDataError' });
  expect(run.cause).toMatch(/truncated/);
  expect(await pointer()).toBe(before);
  // Map iterations already running when the Map failed finish on their own (as Lambda invocations
  // do in AWS); each one finds the version failed and removes what it wrote.
  await eventually(() => versionKeyCount(dataset, 'v3'), (n) => n === 0);
  expect(await adminRedis().hget(`{sluice:${dataset}}:version:v3`, 'status')).toBe('failed');
  expect((await api('/users/u7/recommendations')).body).toMatchObject({ version: 'v2' });
  // The next test swaps the environment; an iteration still in flight would otherwise rebuild the
  // handlers' cached runtime from this test's DATASET in the middle of that swap.
  await Promise.allSettled(invocations);
});

test('a repeated run of the same version ends early and successfully, changing nothing', async () => {
  await freshDataset('sm-repeat', { version: 'v2', orderKey: 2000 });
  const before = await pointer();
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/job-a/`, version: 'v2', orderKey: 2000 });
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { action: 'skip', reason: 'version v2 is already live' } });
  expect(await pointer()).toBe(before);
});

test('a bad version id fails Plan with InvalidInputError before S3 is listed', async () => {
  await freshDataset('sm-bad-input');
  // The bucket does not exist: listing it would fail with an S3 error, not InvalidInputError.
  const run = await runIngestLocally({ s3Uri: 's3://sm-no-such-bucket/x/', version: 'a b' });
  expect(run).toMatchObject({ status: 'FAILED', error: InvalidInputError.name });
  expect(run.cause).toMatch(/version "a b" must be/);
});
