// Two kinds of dataset side by side in one stack: the loan-approval example's feature rows
// (zipcode and customer features) and ranked recommendations, each with its own versions.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { runIngestLocally } from '../../local/state-machine.js';
import { adminRedis, api, closeTestClients, countKeys, putObject, useSluiceEnv } from '../support/sluice.js';

const BUCKET = 'features-bucket';
const example = (name: string) => fileURLToPath(new URL(`../../examples/loan/${name}`, import.meta.url));
const rows = (name: string) =>
  readFileSync(example(name), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const zipcodes = rows('zipcode-features.jsonl');
const customers = rows('customer-features.jsonl');
const without = (row: Record<string, unknown>, ...drop: string[]) => Object.fromEntries(Object.entries(row).filter(([k]) => !drop.includes(k)));

function completion(job: string, prefix: string, created: number) {
  const event = JSON.parse(readFileSync(new URL('../../events/sagemaker-transform-completed.json', import.meta.url), 'utf8')) as {
    detail: { TransformJobName: string; CreationTime: number; TransformOutput: { S3OutputPath: string }; TransformInput?: unknown };
  };
  delete event.detail.TransformInput; // these jobs' input is not in the test S3 (input completeness: tests/integration/release-checks.test.ts)
  event.detail.TransformJobName = job;
  event.detail.CreationTime = created;
  event.detail.TransformOutput.S3OutputPath = `s3://${BUCKET}/${prefix}/`;
  return event;
}

async function ingest(job: string, prefix: string, created: number) {
  const run = await runIngestLocally(completion(job, prefix, created));
  expect(run.status).toBe('SUCCEEDED');
  return run.output as { dataset: string; version: string; action: string; reason?: string; result?: { commit: { records: number; badRecords: number; samples: { reason: string }[] } } };
}

const pointer = async (dataset: string) => (JSON.parse((await adminRedis().get(`{sluice:${dataset}}:current`)) ?? 'null') as { version: string } | null)?.version;

beforeAll(async () => {
  await useSluiceEnv({ SLUICE_DATASETS_FILE: example('datasets.json') });
  await putObject(BUCKET, 'zip/2026-11-24/zipcodes.jsonl.out', readFileSync(example('zipcode-features.jsonl')));
  await putObject(BUCKET, 'cust/2026-11-24/customers.jsonl.out', readFileSync(example('customer-features.jsonl')));
  await putObject(BUCKET, 'recs/2026-11-24/part-0.out', jsonLinesParts({ users: 200 }, 1)[0]!);
});
afterAll(closeTestClients);

test('each completed job feeds the dataset that claims it; a job nobody claims is skipped', async () => {
  expect(await ingest('zipcode-features-2026-11-24', 'zip/2026-11-24', 1000)).toMatchObject({ dataset: 'zipcode_features', action: 'load', result: { commit: { records: zipcodes.length, badRecords: 0 } } });
  expect(await ingest('customer-features-2026-11-24', 'cust/2026-11-24', 1000)).toMatchObject({ dataset: 'customer_features', result: { commit: { records: customers.length } } });
  expect(await ingest('recs-2026-11-24', 'recs/2026-11-24', 1000)).toMatchObject({ dataset: 'recommendations', result: { commit: { records: 200 } } });
  expect(await ingest('churn-model-2026-11-24', 'recs/2026-11-24', 1000)).toMatchObject({ action: 'skip', reason: 'no dataset takes transform job churn-model-2026-11-24' });
});

test('the loan decision: one batch request per dataset returns exactly what was loaded, in request order', async () => {
  const zipKeys = [...zipcodes.map((z) => String(z.zipcode)).reverse(), '00000'];
  const z = await api('/datasets/zipcode_features/batch-get', { method: 'POST', body: { keys: zipKeys } });
  expect(z.status).toBe(200);
  expect(z.body).toEqual({
    dataset: 'zipcode_features',
    version: 'zipcode-features-2026-11-24',
    results: [...[...zipcodes].reverse().map((row) => ({ key: row.zipcode, found: true, value: without(row, 'zipcode') })), { key: '00000', found: false }],
  });
  const c = await api('/datasets/customer_features/batch-get', { method: 'POST', body: { keys: customers.map((r) => r.dob_ssn) } });
  expect(c.body.results).toEqual(customers.map((row) => ({ key: row.dob_ssn, found: true, value: without(row, 'dob_ssn', 'event_timestamp') })));
});

test('single items, field projection, and the recommendation routes unchanged', async () => {
  expect(await api('/datasets/customer_features/items/19530219_5179?fields=credit_score,hard_pulls')).toEqual({
    status: 200,
    body: { dataset: 'customer_features', key: '19530219_5179', version: 'customer-features-2026-11-24', value: { credit_score: customers[0]!.credit_score, hard_pulls: customers[0]!.hard_pulls } },
  });
  const user = [...recommendations({ users: 200 })][17]!;
  expect((await api('/datasets/recommendations/items/u17')).body.value).toEqual(user.items);
  expect(await api('/users/u17/recommendations')).toEqual({ status: 200, body: { userId: 'u17', items: user.items, version: 'recs-2026-11-24' } });
});

test('errors: unknown dataset or key 404, bad batch 400', async () => {
  expect((await api('/datasets/nope/items/1')).status).toBe(404);
  expect((await api('/datasets/zipcode_features/items/99999')).body).toEqual({ error: { code: 'not_found', message: 'no record with key 99999 in dataset zipcode_features' } });
  expect((await api('/datasets/zipcode_features/batch-get', { method: 'POST', body: { keys: Array.from({ length: 101 }, (_, i) => String(i)) } })).body).toEqual({
    error: { code: 'bad_request', message: '"keys" may hold at most 100 keys' },
  });
  expect((await api('/datasets/zipcode_features/batch-get', { method: 'POST', body: 'not json' })).status).toBe(400);
  expect((await api('/datasets/zipcode_features/batch-get', { method: 'POST', body: { keys: [{}] } })).status).toBe(400);
});

test('a load of one dataset never touches another; a mistyped feature is a counted, sampled bad record', async () => {
  const zipVersion = await pointer('zipcode_features');
  const zipKeys = await countKeys('sluice:zipcode_features:*');
  const changed = customers.map((r, i) => JSON.stringify(i === 3 ? { ...r, credit_score: 'high' } : { ...r, credit_score: 700 }));
  await putObject(BUCKET, 'cust/2026-11-25/customers.jsonl.out', changed.join('\n'));
  await useSluiceEnv({ SLUICE_DATASETS_FILE: example('datasets.json'), MAX_BAD_RECORD_RATIO: '0.05' });
  const out = await ingest('customer-features-2026-11-25', 'cust/2026-11-25', 2000);
  expect(out.result?.commit).toMatchObject({ records: customers.length - 1, badRecords: 1 });
  expect(out.result?.commit.samples[0]!.reason).toBe('field "credit_score" is a string; expected integer');
  expect(await pointer('customer_features')).toBe('customer-features-2026-11-25');
  expect(await pointer('zipcode_features')).toBe(zipVersion);
  expect(await countKeys('sluice:zipcode_features:*')).toBe(zipKeys);
  expect((await api('/datasets/customer_features/items/19530219_5179?fields=credit_score')).body.value).toEqual({ credit_score: 700 });
});

test('the events/ fixtures for the dataset routes answer through the handler as API Gateway would send them', async () => {
  const { handler } = await import('../../functions/handlers/read-api.js');
  const { lambdaContext } = await import('../../local/state-machine.js');
  const call = async (name: string) => {
    const event = JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as never;
    const r = (await handler(event, lambdaContext('ReadApiFunction'))) as { statusCode: number; body: string };
    return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
  };
  expect(await call('api-get-dataset-item.json')).toMatchObject({ status: 200, body: { key: '19530219_5179', value: { credit_score: 700 } } });
  const batch = await call('api-batch-get.json');
  expect(batch.status).toBe(200);
  expect((batch.body.results as { found: boolean }[]).map((r) => r.found)).toEqual([true, true, false]);
});

test('SageMaker CSV output joined with its input (no header, prediction column last) loads as typed feature rows', async () => {
  await putObject(BUCKET, 'scores/2026-11-24/customers.csv.out', readFileSync(example('loan-scores.csv.out')));
  expect(await ingest('loan-scores-2026-11-24', 'scores/2026-11-24', 1000)).toMatchObject({ dataset: 'loan_scores', result: { commit: { records: customers.length, badRecords: 0 } } });
  const lines = readFileSync(example('loan-scores.csv.out'), 'utf8').trim().split('\n');
  const keys = customers.map((c) => String(c.dob_ssn));
  const got = await api('/datasets/loan_scores/batch-get', { method: 'POST', body: { keys } });
  expect(got.body).toMatchObject({ dataset: 'loan_scores', version: 'loan-scores-2026-11-24' });
  (got.body.results as { key: string; value: Record<string, unknown> }[]).forEach((r, i) => {
    const c = customers[i]!;
    expect(r.value).toEqual({ credit_score: c.credit_score, hard_pulls: c.hard_pulls, bankruptcies: c.bankruptcies, approval_probability: Number(lines[i]!.split(',').at(-1)) });
  });
});

test('the same customer features as Parquet written by pyarrow (snappy, dictionary pages, int64, row groups of 10) load to the same answers', async () => {
  await putObject(BUCKET, 'cust-pq/2026-11-26/customers.parquet.out', readFileSync(example('customer-features.parquet')));
  const loaded = await ingest('customer-features-2026-11-26', 'cust-pq/2026-11-26', 3000);
  expect(loaded).toMatchObject({ dataset: 'customer_features', result: { commit: { records: customers.length, badRecords: 0 } } });
  const keys = customers.map((c) => String(c.dob_ssn));
  const got = await api('/datasets/customer_features/batch-get', { method: 'POST', body: { keys } });
  expect(got.body).toEqual({
    dataset: 'customer_features',
    version: 'customer-features-2026-11-26',
    results: customers.map((c) => ({ key: c.dob_ssn, found: true, value: without(c, 'dob_ssn', 'event_timestamp') })),
  });
});
