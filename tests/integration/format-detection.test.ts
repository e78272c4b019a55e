// Format detection at Plan, through the real state machine: JSON Lines whose records start
// with a "data" member (SageMaker output joined with an input `{"data": [...]}`) load as JSON
// Lines and serve the model's prediction; an object's bytes, not its name, decide. (CSV, gzip
// and Parquet loads: tests/statemachine/input-formats.test.ts.)
import { runIngestLocally } from '../../local/state-machine.js';
import { adminRedis, api, closeTestClients, putObject, useSluiceEnv } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';

const BUCKET = 'input-formats';
afterAll(closeTestClients);

test('joined JSON Lines starting with "data" load as JSON Lines and serve the prediction, not the input', async () => {
  await useSluiceEnv({ ...datasetVars('formats-joined') });
  const lines = Array.from({ length: 50 }, (_, i) =>
    // The first record's input is longer than Plan's first look (4 KiB): it must look further.
    JSON.stringify({ data: Array.from({ length: i === 0 ? 3000 : 3 }, (_, j) => i + j), userId: `h${i}`, items: [`history${i}`], SageMakerOutput: { recommendations: [`pred${i}`] } }),
  );
  await putObject(BUCKET, 'joined/part-0.out', `${lines.join('\n')}\n`);
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/joined/`, version: 'j1' });
  expect(run.status).toBe('SUCCEEDED');
  expect(JSON.stringify(run.output)).toContain('"records":50,"badRecords":0');
  expect(await api('/users/h5/recommendations')).toEqual({ status: 200, body: { userId: 'h5', items: ['pred5'], version: 'j1' } });
  expect(await api('/users/h49/recommendations')).toEqual({ status: 200, body: { userId: 'h49', items: ['pred49'], version: 'j1' } });
});

test('the bytes decide, not the name: a ".gz" object that is plain JSON Lines loads as JSON Lines', async () => {
  await useSluiceEnv({ ...datasetVars('formats-gzname'), OBJECT_SUFFIX: '.out,.gz' });
  await putObject(BUCKET, 'gzname/part-0.jsonl.gz', '{"userId":"u1","items":[1]}\n{"userId":"u2","items":[2]}\n');
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/gzname/`, version: 'n1' });
  expect(run.status).toBe('SUCCEEDED');
  expect(await api('/users/u2/recommendations')).toEqual({ status: 200, body: { userId: 'u2', items: [2], version: 'n1' } });
  expect(await adminRedis().exists('{sluice:formats-gzname}:current')).toBe(1);
});
