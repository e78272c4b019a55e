// Input formats at Plan, through the real state machine: JSON Lines whose records start with a
// "data" member (SageMaker output joined with an input `{"data": [...]}`) load as JSON Lines
// and serve the model's prediction; gzip and CSV objects are refused before anything is
// written, with a message naming the object.
import { gzipSync } from 'node:zlib';
import { runIngestLocally } from '../../local/state-machine.js';
import { adminRedis, api, closeTestClients, putObject, useSluiceEnv } from '../support/sluice.js';

const BUCKET = 'input-formats';
afterAll(closeTestClients);

test('joined JSON Lines starting with "data" load as JSON Lines and serve the prediction, not the input', async () => {
  await useSluiceEnv({ DATASET: 'formats-joined' });
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

test.each([
  ['gzip', 'gz/part-0.out', gzipSync('{"userId":"u1","items":[1]}\n'), 'gzip-compressed input is not supported (yet)'],
  ['gzip by name', 'gzname/part-0.jsonl.gz', '{"userId":"u1","items":[1]}\n', 'gzip-compressed input is not supported (yet)'],
  ['CSV', 'csv/part-0.out', 'userId,items\nu1,"[1,2]"\nu2,"[3]"\n', 'CSV input is not supported (yet)'],
])('%s input fails at Plan, naming the object, before any write', async (_name, key, body, message) => {
  const dataset = `formats-${key.split('/')[0]}`;
  await useSluiceEnv({ DATASET: dataset, OBJECT_SUFFIX: '.out,.gz' });
  await putObject(BUCKET, key, body);
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/${key.split('/')[0]}/` });
  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('InvalidInputError');
  expect(run.cause).toContain(`s3://${BUCKET}/${key}: ${message}`);
  // Refused before registration: the dataset has no version at all.
  expect(await adminRedis().zcard(`{sluice:${dataset}}:versions`)).toBe(0);
  expect(await adminRedis().exists(`{sluice:${dataset}}:current`)).toBe(0);
});
