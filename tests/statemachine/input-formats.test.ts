// CSV and gzip input through the real state machine definition and handlers, against the local
// Redis Cluster and s3rver: the same guarantees as JSON Lines (every record once across chunk
// edges, bad records counted with their place, nothing written when an object cannot be read).
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { rankedItemsParquet } from '../../local/sample-parquet.js';
import { runIngestLocally } from '../../local/state-machine.js';
import { adminRedis, api, closeTestClients, putObject, useSluiceEnv, versionKeyCount } from '../support/sluice.js';

const BUCKET = 'formats-bucket';
const USERS = 2000;
const expected = [...recommendations({ users: USERS, itemsPerUser: 5 })];

afterAll(closeTestClients);

function csvLines(header: boolean): string {
  const lines = expected.map((r) => [r.userId, 'DE', ...(r.items as number[])].join(','));
  return (header ? 'userId,country,r1,r2,r3,r4,r5\n' : '') + lines.join('\n') + '\n';
}

test('CSV with a header, cut into many chunks: every user once, lists in rank order', async () => {
  await useSluiceEnv({ DATASET: 'csvrecs', CHUNK_SIZE_BYTES: '4096', MAP_CONCURRENCY: '8', CSV_LAYOUT: JSON.stringify({ items: { trailing: 5 } }) });
  const text = csvLines(true);
  // Two objects, each with its own header: split at a line boundary.
  const cut = text.indexOf('\n', text.length / 2) + 1;
  await putObject(BUCKET, 'csv/part-0.csv.out', text.slice(0, cut));
  await putObject(BUCKET, 'csv/part-1.csv.out', 'userId,country,r1,r2,r3,r4,r5\r\n' + text.slice(cut).replaceAll('\n', '\r\n'));
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/csv/`, version: 'c1', orderKey: 1 });
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { objects: 2, result: { commit: { outcome: 'swapped', records: USERS, badRecords: 0 } } } });
  expect((run.output as { chunkCount: number }).chunkCount).toBeGreaterThan(10);
  for (const r of expected.filter((_, i) => i % 37 === 0)) {
    expect(await api(`/users/${r.userId}/recommendations`)).toEqual({ status: 200, body: { userId: r.userId, items: r.items, version: 'c1' } });
  }
});

test('CSV bad lines are counted with object and byte offset; the header is read only at the start', async () => {
  await useSluiceEnv({ DATASET: 'csvbad', CHUNK_SIZE_BYTES: '1048576', MAX_BAD_RECORD_RATIO: '0.5', CSV_LAYOUT: JSON.stringify({ items: { trailing: 2 } }) });
  const body = 'userId,a,b\nu1,1,2\nu2,"open,3\nuserId,a,b\nu3,5,6\n';
  await putObject(BUCKET, 'csvbad/x.out', body);
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/csvbad/`, version: 'b1', orderKey: 1 });
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { records: 3, badRecords: 1 } } } });
  const samples = (run.output as { result: { commit: { samples: unknown[] } } }).result.commit.samples;
  expect(samples).toEqual([{ object: `${BUCKET}/csvbad/x.out`, offset: body.indexOf('u2'), reason: expect.stringMatching(/quoted field 2 is not closed/) }]);
  // A second "header" inside the object is just a record (its key is "userId").
  expect((await api('/users/userId/recommendations')).body).toMatchObject({ items: ['a', 'b'] });
});

test('gzip JSON Lines objects load whole, one chunk each, with the same answers', async () => {
  await useSluiceEnv({ DATASET: 'gzrecs', CHUNK_SIZE_BYTES: '4096', MAP_CONCURRENCY: '4' });
  const parts = jsonLinesParts({ users: USERS, itemsPerUser: 5 }, 3);
  for (const [i, body] of parts.entries()) await putObject(BUCKET, `gz/part-${i}.jsonl.gz.out`, gzipSync(body));
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/gz/`, version: 'g1', orderKey: 1 });
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { objects: 3, chunkCount: 3, result: { commit: { outcome: 'swapped', records: USERS, badRecords: 0 } } } });
  // Buckets are sized on the expanded bytes, not the compressed ones.
  const raw = parts.reduce((n, b) => n + b.length, 0);
  expect((run.output as { totalBytes: number }).totalBytes).toBe(raw);
  for (const r of expected.filter((_, i) => i % 41 === 0)) {
    expect((await api(`/users/${r.userId}/recommendations`)).body).toEqual({ userId: r.userId, items: r.items, version: 'g1' });
  }
});

test('gzip CSV loads; a corrupt gzip object fails the load and leaves no keys', async () => {
  await useSluiceEnv({ DATASET: 'gzcsv', CHUNK_SIZE_BYTES: '4096', CSV_LAYOUT: JSON.stringify({ items: { trailing: 5 } }) });
  await putObject(BUCKET, 'gzcsv/a.csv.gz.out', gzipSync(csvLines(true)));
  const ok = await runIngestLocally({ s3Uri: `s3://${BUCKET}/gzcsv/`, version: 'z1', orderKey: 1 });
  expect(ok).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { records: USERS } } } });

  // Broken early (seen at Plan, nothing written) and broken late (seen by the worker: cleaned up).
  const big = gzipSync(Buffer.from(Array.from({ length: 12 }, () => csvLines(false)).join('').replace(/^/, 'userId,country,r1,r2,r3,r4,r5\n')), { level: 1 });
  expect(big.length).toBeGreaterThan(200_000);
  for (const [name, at] of [['early', 3000], ['late', big.length - 20_000]] as const) {
    const corrupt = Buffer.concat([big.subarray(0, at), Buffer.alloc(3000, 7), big.subarray(at + 3000)]);
    await putObject(BUCKET, `gzcsv-${name}/a.csv.out`, corrupt);
    const bad = await runIngestLocally({ s3Uri: `s3://${BUCKET}/gzcsv-${name}/`, version: `z-${name}`, orderKey: 2 });
    expect(bad).toMatchObject({ status: 'FAILED', error: 'BadDataError', cause: expect.stringMatching(new RegExp(`gzcsv-${name}/a\\.csv\\.out is not a valid gzip stream`)) });
    expect(await versionKeyCount('gzcsv', `z-${name}`)).toBe(0);
  }
  expect(JSON.parse((await adminRedis().get('{sluice:gzcsv}:current'))!)).toMatchObject({ version: 'z1' });
});

test('an object that is neither JSON nor CSV, or a broken Parquet file, fails at Plan, named, before anything is written', async () => {
  await useSluiceEnv({ DATASET: 'unknownfmt', CSV_LAYOUT: '' });
  await putObject(BUCKET, 'odd/a.out', '{"userId":"u1","items":[1]}\n');
  await putObject(BUCKET, 'odd/b.out', 'PAR1\u0000\u0001binary');
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/odd/`, version: 'o1', orderKey: 1 });
  expect(run).toMatchObject({ status: 'FAILED', error: 'BadDataError', cause: expect.stringMatching(/odd\/b\.out is not a readable Parquet file/) });
  await putObject(BUCKET, 'odd/b.out', 'hello\nworld\n');
  const text = await runIngestLocally({ s3Uri: `s3://${BUCKET}/odd/`, version: 'o1', orderKey: 1 });
  expect(text).toMatchObject({ status: 'FAILED', error: 'BadDataError', cause: expect.stringMatching(/odd\/b\.out cannot be loaded: its lines are neither JSON nor delimited text/) });
  expect(await adminRedis().exists('{sluice:unknownfmt}:version:o1')).toBe(0);
});

describe('Parquet', () => {
  function rankedParquet(rowGroupSize: number): Buffer {
    const users: (string | null)[] = expected.map((r) => r.userId);
    users[7] = null; // a row without a key: a bad record named by its row
    return rankedItemsParquet(expected, rowGroupSize, { userIds: users, extra: { country: expected.map(() => 'DE') } });
  }

  test('row groups are the chunks: every row once, list columns become ranked items, a keyless row is counted by its row number', async () => {
    await useSluiceEnv({ DATASET: 'pqrecs', CHUNK_SIZE_BYTES: '8192', MAP_CONCURRENCY: '4', MAX_BAD_RECORD_RATIO: '0.01' });
    await putObject(BUCKET, 'pq/part-0.parquet.out', rankedParquet(150));
    const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/pq/`, version: 'p1', orderKey: 1 });
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { objects: 1, result: { commit: { outcome: 'swapped', records: USERS - 1, badRecords: 1 } } } });
    expect((run.output as { chunkCount: number }).chunkCount).toBeGreaterThan(3);
    expect((run.output as { result: { commit: { samples: unknown[] } } }).result.commit.samples).toEqual([
      { object: `${BUCKET}/pq/part-0.parquet.out`, offset: 7, unit: 'row', reason: expect.stringMatching(/key field "userId" is null/) },
    ]);
    for (const r of expected.filter((_, i) => i % 29 === 0 && i !== 7)) {
      expect((await api(`/users/${r.userId}/recommendations`)).body).toEqual({ userId: r.userId, items: r.items, version: 'p1' });
    }
  });

  test('feature rows map columns by name with type checks; 64-bit integers and nulls come through', async () => {
    const datasets = [{ name: 'pqfeat', kind: 'feature-rows', key: ['zip'], fields: { pop: 'integer', wage: 'number', city: 'string' } }];
    await useSluiceEnv({ DATASETS: JSON.stringify(datasets), DATASET: 'pqfeat', CHUNK_SIZE_BYTES: '1048576' });
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'zip', data: ['94105', '10001', '60601', '02139'], type: 'STRING' },
        { name: 'pop', data: [9007199254740991n, null, 3n, 4n], type: 'INT64' },
        { name: 'wage', data: [1.5, 2, null, 4.25], type: 'DOUBLE' },
        { name: 'city', data: ['SF', 'NYC', 'CHI', 'BOS'], type: 'STRING' },
        { name: 'ignored', data: [true, false, true, false], type: 'BOOLEAN' },
      ],
    });
    await putObject(BUCKET, 'pqf/zips.parquet.out', Buffer.from(buf));
    const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/pqf/`, version: 'f1', orderKey: 1, dataset: 'pqfeat' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { records: 4, badRecords: 0 } } } });
    const got = await api('/datasets/pqfeat/batch-get', { method: 'POST', body: { keys: ['94105', '10001', '60601'] } });
    expect(got.body.results).toEqual([
      { key: '94105', found: true, value: { pop: 9007199254740991, wage: 1.5, city: 'SF' } },
      { key: '10001', found: true, value: { pop: null, wage: 2, city: 'NYC' } },
      { key: '60601', found: true, value: { pop: 3, wage: null, city: 'CHI' } },
    ]);
  });

  test('a row group too large for a worker, or columns that do not fit the dataset, fail at Plan by name', async () => {
    await useSluiceEnv({ DATASETS: '', DATASET: 'pqbig', MAX_ROW_GROUP_BYTES: '4096' });
    await putObject(BUCKET, 'pqbig/a.parquet.out', rankedParquet(100_000));
    const big = await runIngestLocally({ s3Uri: `s3://${BUCKET}/pqbig/`, version: 'b1', orderKey: 1 });
    expect(big).toMatchObject({ status: 'FAILED', error: 'BadDataError', cause: expect.stringMatching(/pqbig\/a\.parquet\.out: row group of rows 0-1999 is \d+ bytes uncompressed, over MAX_ROW_GROUP_BYTES=4096/) });
    await useSluiceEnv({ DATASET: 'pqbig', KEY_FIELD: 'customer_id', MAX_ROW_GROUP_BYTES: '' });
    const wrong = await runIngestLocally({ s3Uri: `s3://${BUCKET}/pqbig/`, version: 'b2', orderKey: 2 });
    expect(wrong).toMatchObject({ status: 'FAILED', error: 'BadDataError', cause: expect.stringMatching(/the Parquet columns do not fit dataset pqbig: no key column \(customer_id\)/) });
    expect(await adminRedis().exists('{sluice:pqbig}:version:b1', '{sluice:pqbig}:version:b2')).toBe(0);
  });
});

test('a Spark or pandas prefix of Parquet, CSV and gzip objects loads with no settings; its markers are skipped', async () => {
  await useSluiceEnv({ DATASETS: '', DATASET: 'sparkout', KEY_FIELD: '', CSV_LAYOUT: '', OBJECT_SUFFIX: '', MAX_ROW_GROUP_BYTES: '', CHUNK_SIZE_BYTES: '1048576' });
  const [pq, csv, gz] = [expected.slice(0, 500), expected.slice(500, 1000), expected.slice(1000, 1500)];
  await putObject(BUCKET, 'spark/part-00000-7c1f.c000.snappy.parquet', rankedItemsParquet(pq, 1000));
  await putObject(BUCKET, 'spark/part-00001-7c1f.c000.csv', `userId,r1,r2,r3,r4,r5\n${csv.map((r) => [r.userId, ...r.items].join(',')).join('\n')}\n`);
  await putObject(BUCKET, 'spark/part-00002-7c1f.c000.json.gz', gzipSync(gz.map((r) => JSON.stringify({ userId: r.userId, recommendations: r.items })).join('\n')));
  for (const marker of ['_SUCCESS', '.part-00000-7c1f.c000.snappy.parquet.crc', '_committed_4711', '_started_4711']) await putObject(BUCKET, `spark/${marker}`, marker === '_SUCCESS' ? '' : 'crc');
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/spark/`, version: 's1', orderKey: 1 });
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { objects: 3, result: { commit: { outcome: 'swapped', records: 1500, badRecords: 0 } } } });
  for (const r of [pq[3]!, csv[4]!, gz[5]!]) expect((await api(`/users/${r.userId}/recommendations`)).body).toEqual({ userId: r.userId, items: r.items, version: 's1' });
});
