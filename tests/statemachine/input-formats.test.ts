// CSV and gzip input through the real state machine definition and handlers, against the local
// Redis Cluster and s3rver: the same guarantees as JSON Lines (every record once across chunk
// edges, bad records counted with their place, nothing written when an object cannot be read).
import { gzipSync } from 'node:zlib';
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
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

test('an object that is neither JSON nor CSV, or Parquet, fails at Plan, named, before anything is written', async () => {
  await useSluiceEnv({ DATASET: 'unknownfmt' });
  await putObject(BUCKET, 'odd/a.out', '{"userId":"u1","items":[1]}\n');
  await putObject(BUCKET, 'odd/b.out', 'PAR1\u0000\u0001binary');
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/odd/`, version: 'o1', orderKey: 1 });
  expect(run).toMatchObject({ status: 'FAILED', error: 'BadDataError', cause: expect.stringMatching(/odd\/b\.out cannot be loaded: it is a Parquet file/) });
  expect(await adminRedis().exists('{sluice:unknownfmt}:version:o1')).toBe(0);
});
