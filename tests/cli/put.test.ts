// sluice put as an operator runs it (a child process, the test cluster): a JSON Lines file larger
// than one call is sent in batches and readable at once; a CSV file is shaped with the dataset's
// csv layout; a file with a bad line is refused before anything is written, naming the line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLinesParts } from '../../local/sample-data.js';
import { batches, readRecords } from '../../cli/put.js';
import { adminRedis, closeTestClients, putObject } from '../support/sluice.js';
import { sluice, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'cli-put';
const BUCKET = 'cli-put-bucket';
const env = testStackEnv({ ...datasetVars(DATASET), SLUICE_BUCKET: BUCKET, GRACE_SECONDS: '2', ERASURE_LOG_URI: `s3://${BUCKET}/sluice-erasures/` });
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-put-'));
  for (const [i, body] of jsonLinesParts({ users: 200 }, 1).entries()) await putObject(BUCKET, `d1/part-${i}.out`, body);
  expect(await sluice(['ingest', `s3://${BUCKET}/d1/`, '--version', 'p1', '--order-key', '2026-11-01T02:00:00Z'], env)).toEqual(expect.objectContaining({ code: 0 }));
});
afterAll(async () => {
  await closeTestClients();
  await rm(dir, { recursive: true, force: true });
});

test('batches keep to 1,000 records and 256 KiB a call, in order', () => {
  const small = readRecords(Array.from({ length: 2500 }, (_, i) => JSON.stringify({ userId: `u${i}`, recommendations: [i] })).join('\n'), false);
  expect(batches(small).map((b) => b.records.length)).toEqual([1000, 1000, 500]);
  const big = readRecords(Array.from({ length: 100 }, (_, i) => JSON.stringify({ userId: `u${i}`, recommendations: ['x'.repeat(5000)] })).join('\n'), false);
  const sizes = batches(big).map((b) => b.records.length);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(100);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(52);
  expect(batches(big)[1]!.lines[0]).toBe(sizes[0]! + 1);
});

test('a JSON Lines file in several calls is readable at once; a CSV file is shaped like a load', async () => {
  const lines = Array.from({ length: 1200 }, (_, i) => JSON.stringify({ userId: `u${i}`, recommendations: [i, 1] }));
  await writeFile(join(dir, 'fix.jsonl'), `${lines.join('\n')}\n`);
  const run = await sluice(['put', '--file', join(dir, 'fix.jsonl')], env);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout).toMatch(/^cli-put: 1200 records put in 2 call\(s\), written to p1/);
  expect(JSON.parse((await sluice(['get', 'u1100'], env)).stdout)).toMatchObject({ items: [1100, 1], version: 'p1' });
  await writeFile(join(dir, 'fix.csv'), 'userId,items\nu3,9|8\n');
  // The dataset's CSV layout, as a load of CSV objects would read them: the items column split on '|'.
  const csv = await sluice(['put', '--file', join(dir, 'fix.csv'), '--json'], { ...env, ...datasetVars({ name: DATASET, csv: { header: true, items: { column: 'items', separator: '|' } } }) });
  expect({ code: csv.code, stderr: csv.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(csv.stdout)).toMatchObject({ records: 1, calls: [{ versions: ['p1'] }] });
  expect(JSON.parse((await sluice(['get', 'u3'], env)).stdout)).toMatchObject({ items: [9, 8] });
  const status = await sluice(['status'], env);
  expect(status.stdout).toMatch(/correction log: 1,200 entries, oldest \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
});

test('a file with a bad line is refused whole, naming the line; nothing is written', async () => {
  const before = await adminRedis().hlen(`{sluice:${DATASET}}:corrections`);
  await writeFile(join(dir, 'bad.jsonl'), `${JSON.stringify({ userId: 'u1', recommendations: [5] })}\n\n${JSON.stringify({ recommendations: [1] })}\n`);
  const run = await sluice(['put', '--file', join(dir, 'bad.jsonl')], env);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/put refused \(nothing was written\): 1 bad records\n {2}line 3: /);
  expect(await adminRedis().hlen(`{sluice:${DATASET}}:corrections`)).toBe(before);
  expect(JSON.parse((await sluice(['get', 'u1'], env)).stdout)).toMatchObject({ items: [1, 1] });
});

test('a batch refused after earlier batches were written says what was written and where it stopped', async () => {
  expect((await sluice(['erase', 'u1150', '--reason', 'cli put test'], env)).code).toBe(0);
  const lines = Array.from({ length: 1200 }, (_, i) => JSON.stringify({ userId: `u${i}`, recommendations: [i, 2] }));
  await writeFile(join(dir, 'erased.jsonl'), `${lines.join('\n')}\n`);
  const run = await sluice(['put', '--file', join(dir, 'erased.jsonl')], env);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/put stopped at lines 1001-1200: 1000 records of earlier batches were written, none from there on: .*u1150/);
  expect(JSON.parse((await sluice(['get', 'u5'], env)).stdout)).toMatchObject({ items: [5, 2] });
  expect(JSON.parse((await sluice(['get', 'u1100'], env)).stdout)).toMatchObject({ items: [1100, 1] });
});
