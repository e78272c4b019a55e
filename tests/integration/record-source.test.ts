// Bounded memory for the formats that cannot be cut into byte ranges: a gzip object is
// decompressed as it is read (the first records come out after a small prefix of the object,
// and reading pauses while the records are not taken), and a Parquet part fetches only its own
// row group's bytes (plus the footer), never the file.
import { gzipSync } from 'node:zlib';
import { S3ObjectStore } from '../../functions/adapters/object-store.js';
import { parseDatasetSpecs } from '../../functions/domain/dataset-spec.js';
import { shapeFor } from '../../functions/domain/record-shape.js';
import { inspectObject } from '../../functions/pipeline/inspect-object.js';
import { openShapedRecords } from '../../functions/pipeline/record-source.js';
import { localS3Client } from '../../local/s3-server.js';
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { rankedItemsParquet } from '../../local/sample-parquet.js';
import { testInfra } from '../support/infra.js';
import { closeTestClients, putObject } from '../support/sluice.js';

const BUCKET = 'record-source-bucket';
const [spec] = parseDatasetSpecs([{ name: 'rs' }]);
const s3 = localS3Client(testInfra().s3Endpoint);
const objects = new S3ObjectStore(s3);
const deps = { objects, spec: spec!, shape: shapeFor(spec!, 1 << 20), maxRecordBytes: 1 << 20 };

afterAll(async () => {
  s3.destroy();
  await closeTestClients();
});

test('gzip: records flow after a small prefix is read, and reading waits for the consumer', async () => {
  // 40,000 records: ~3 MB gzipped, of which the first read takes 64 KiB, far under the quarter allowed below.
  const [body] = jsonLinesParts({ users: 40_000, scored: true }, 1);
  const packed = gzipSync(body!, { level: 1 });
  await putObject(BUCKET, 'big.jsonl.gz', packed);
  const head = await objects.head(BUCKET, 'big.jsonl.gz');
  const object = await inspectObject(BUCKET, head!, { objects, spec: spec!, inputFormat: 'auto', maxRowGroupBytes: 1 << 28 });
  expect(object).toMatchObject({ compression: 'gzip', format: 'jsonl' });
  // The expanded size is estimated from the head's ratio: close to the truth.
  expect(object.expandedSize! / body!.length).toBeGreaterThan(0.8);
  expect(object.expandedSize! / body!.length).toBeLessThan(1.25);

  const source = await openShapedRecords({ bucket: BUCKET, key: 'big.jsonl.gz', etag: head!.etag, start: 0, end: packed.length, format: 'jsonl', compression: 'gzip' }, deps);
  const it = source.batches[Symbol.asyncIterator]();
  const first = await it.next();
  expect(first.done).toBe(false);
  expect(first.value!.shaped.length).toBeGreaterThan(0);
  const afterFirst = source.bytesRead;
  expect(afterFirst).toBeLessThan(packed.length / 4);
  // Nobody takes records for a while: the read does not run ahead of the consumer.
  await new Promise((r) => setTimeout(r, 300));
  expect(source.bytesRead).toBeLessThan(packed.length / 4);
  let records = first.value!.shaped.length;
  for (let next = await it.next(); !next.done; next = await it.next()) records += next.value.shaped.length;
  expect(records).toBe(40_000);
  expect(source.bytesRead).toBe(packed.length);
  source.close();
});

test('Parquet: a part reads its own row group and the footer, not the file', async () => {
  const users = [...recommendations({ users: 50_000, itemsPerUser: 10 })];
  const file = rankedItemsParquet(users, 5_000);
  await putObject(BUCKET, 'rows.parquet', file);
  const head = await objects.head(BUCKET, 'rows.parquet');
  const object = await inspectObject(BUCKET, head!, { objects, spec: spec!, inputFormat: 'auto', maxRowGroupBytes: 1 << 28 });
  expect(object.rowGroups).toHaveLength(10);
  const g = object.rowGroups![6]!;
  const source = await openShapedRecords(
    { bucket: BUCKET, key: 'rows.parquet', etag: head!.etag, start: g.start, end: g.end, format: 'parquet', rows: [g.rowStart, g.rowEnd], columns: object.columns!, objectSize: file.length },
    deps,
  );
  const shaped = [];
  for await (const batch of source.batches) shaped.push(...batch.shaped);
  expect(shaped).toHaveLength(5_000);
  expect(shaped[0]).toEqual({ key: users[g.rowStart]!.userId, value: JSON.stringify(users[g.rowStart]!.items), items: 10 });
  const footer = file.length - g.end;
  expect(source.bytesRead).toBeLessThanOrEqual(g.end - g.start + footer + 64 * 1024);
  expect(source.bytesRead).toBeLessThan(file.length / 3);
});
