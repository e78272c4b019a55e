// A load at the scale S3 pages and the state's size limit matter: thousands of input objects run
// through statemachine/ingest.asl.json with the real handlers, against the shared local cluster
// and s3rver. In the end-to-end tier (`npm run test:e2e`, run by CI): putting and reading 1,500
// objects is most of a minute of CPU, too much for the edit loop of `npm test`.
import { recommendations } from '../../local/sample-data.js';
import { runIngestLocally } from '../../local/state-machine.js';
import { closeTestClients, putObject, useSluiceEnv } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';

const BUCKET = 'sm-many-bucket';

afterAll(closeTestClients);

test('thousands of input objects: the Map carries chunk numbers, the chunk list lives with the version', async () => {
  await useSluiceEnv({ ...datasetVars('sm-many'), CHUNK_SIZE_BYTES: '65536', MAP_CONCURRENCY: '4' });
  // 1,500: two S3 list pages (1,000 keys each), and their keys alone (44 bytes each in JSON) are
  // more than the 64 KiB the output is held to below, so a list carried in the state would fail it.
  const objects = 1500;
  const lines = [...recommendations({ users: objects, scored: true })];
  await Promise.all(lines.map((r, i) => putObject(BUCKET, `many/part-${String(i).padStart(5, '0')}-of-a-long-series.jsonl.out`, JSON.stringify({ userId: r.userId, recommendations: r.items }))));
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/many/`, version: 'many', orderKey: 5000 });
  expect(run.status).toBe('SUCCEEDED');
  const out = run.output as { objects: number; chunks: number[]; result: { commit: { records: number } } };
  expect(out.objects).toBe(objects);
  expect(out.result.commit.records).toBe(objects);
  expect(Buffer.byteLength(JSON.stringify(run.output))).toBeLessThan(64 * 1024); // far inside the 256 KiB state limit
}, 180_000);
