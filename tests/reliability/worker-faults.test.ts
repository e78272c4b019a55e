// Faults inside the chunk workers: a worker dying halfway through its chunk (Lambda crash or
// timeout) and retried by the state machine, and an input object replaced between chunks.
import { jsonLinesParts } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally, type TaskHandler } from '../../local/state-machine.js';
import { runtime } from '../../functions/lambda/runtime.js';
import { loadChunk } from '../../functions/pipeline/load-chunk.js';
import { api, eventually, putObject } from '../support/sluice.js';
import { livePointer, startHarness, versionFieldCount, versionKeyCount, versionStatus, type Harness } from './support/harness.js';
import { startReaders } from './support/readers.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'workers';
const BUCKET = 'workers-bucket';
const USERS = 12_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '262144', MAP_CONCURRENCY: '3', WRITE_BATCH_SIZE: '200' });
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5 }, 2).entries()) await putObject(BUCKET, `v1/part-${i}.out`, body);
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase: 1_000_000 }, 2).entries()) await putObject(BUCKET, `v2/part-${i}.out`, body);
  expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/v1/`, version: 'v1', orderKey: 1000 })).status).toBe('SUCCEEDED');
});
afterAll(() => h?.stop());

/** A Lambda that dies: the runtime crashes or the invocation times out, as Step Functions reports them. */
function died(name: 'Lambda.Unknown' | 'Sandbox.Timedout'): Error {
  return Object.assign(new Error(`the worker died (${name})`), { name });
}

test('a chunk worker dying mid-chunk is retried: exact counts, no duplicates, no lost records', async () => {
  const real = await realTaskHandlers();
  const attempts = new Map<number, number>();
  const writtenBeforeDeath: number[] = [];
  const dying: TaskHandler = async (payload) => {
    const { chunk: index, version, owner } = payload as { chunk: number; version: string; owner: string };
    const attempt = (attempts.get(index) ?? 0) + 1;
    attempts.set(index, attempt);
    if (attempt > 1 || index % 2 === 0) return real.LoadChunk(payload);
    // First attempt of every odd chunk: the real worker, stopped dead once part of its chunk is written.
    const { pipeline } = (await runtime()).dataset(DATASET);
    let written = 0;
    try {
      await loadChunk({ dataset: DATASET, version, owner, chunk: index }, pipeline, (p) => {
        written = p.records;
        if (p.records >= 600) throw died(index % 4 === 1 ? 'Lambda.Unknown' : 'Sandbox.Timedout');
      });
    } catch (err) {
      writtenBeforeDeath.push(written);
      throw err;
    }
    throw new Error(`chunk ${index} finished before it could die`);
  };
  const readers = startReaders({ users: USERS, versions: { v1: { itemBase: 0, order: 1 }, v2: { itemBase: 1_000_000, order: 2 } }, concurrency: 4, maxMs: 60_000 });
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v2/`, version: 'v2', orderKey: 2000 }, { handlers: { LoadChunk: dying } });
  await eventually(async () => readers.stats.byVersion.v2 ?? 0, (n) => n > 100);
  const stats = await readers.stop();

  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped', records: USERS, badRecords: 0 } } } });
  const chunkCount = (run.output as { chunkCount: number }).chunkCount;
  expect(chunkCount).toBeGreaterThanOrEqual(4);
  // Every odd chunk died once, part-way: some records written, not all.
  expect(writtenBeforeDeath.length).toBe(Math.floor(chunkCount / 2));
  for (const n of writtenBeforeDeath) expect(n).toBeGreaterThanOrEqual(600);
  expect([...attempts.entries()].filter(([i]) => i % 2 === 1).every(([, n]) => n === 2)).toBe(true);
  // One result per chunk, and exactly USERS fields across the version's buckets.
  expect(await h.admin.hlen(`{sluice:${DATASET}}:chunks:v2`)).toBe(chunkCount);
  const pointer = await livePointer(h.admin, DATASET);
  expect(await versionFieldCount(h.admin, DATASET, 'v2', pointer!.buckets)).toBe(USERS);
  expect(stats).toMatchObject({ wrong: [], backwards: 0, failures: {} });
});

test('the input object replaced mid-load: the load fails naming the object, its keys are deleted, the live version keeps answering', async () => {
  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '65536', MAP_CONCURRENCY: '1' });
  const parts = jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase: 2_000_000 }, 2);
  for (const [i, body] of parts.entries()) await putObject(BUCKET, `v3/part-${i}.out`, body);
  const real = await realTaskHandlers();
  let replaced = false;
  const replacing: TaskHandler = async (payload) => {
    const result = await real.LoadChunk(payload);
    if (!replaced) {
      // After the first chunk, the job's output is rewritten (say, a re-run of the transform job).
      replaced = true;
      await putObject(BUCKET, 'v3/part-0.out', jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase: 9_000_000 }, 2)[0]!);
    }
    return result;
  };
  const live = (await livePointer(h.admin, DATASET))!.version;
  const readers = startReaders({ users: USERS, versions: { [live]: { itemBase: 1_000_000, order: 1 } }, concurrency: 4, maxMs: 60_000 });
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v3/`, version: 'v3', orderKey: 3000 }, { handlers: { LoadChunk: replacing } });
  const stats = await readers.stop();

  expect(run).toMatchObject({ status: 'FAILED', error: 'InputChangedError' });
  expect(run.cause).toMatch(/^s3:\/\/workers-bucket\/v3\/part-0\.out changed during the load \(planned ETag "?[0-9a-f]+"?\); start a new load$/);
  expect((await livePointer(h.admin, DATASET))?.version).toBe(live);
  await eventually(() => versionKeyCount(h.admin, DATASET, 'v3'), (n) => n === 0);
  expect(await versionStatus(h.admin, DATASET, 'v3')).toBe('failed');
  expect(await h.admin.hget(`{sluice:${DATASET}}:version:v3`, 'error')).toMatch(/^InputChangedError: s3:\/\/workers-bucket\/v3\/part-0\.out changed/);
  expect(stats).toMatchObject({ wrong: [], backwards: 0, failures: {} });
  expect(stats.byVersion[live]).toBeGreaterThan(0);
  expect((await api('/users/u3/recommendations')).body.version).toBe(live);
});
