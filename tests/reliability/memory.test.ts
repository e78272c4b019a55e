// Memory: the pre-flight estimate against what a load really takes, a load refused before
// anything is written when it cannot fit, and Redis reaching maxmemory in the middle of a load
// (noeviction, as the template configures): a clean failure, the live version untouched.
import type { Cluster } from 'ioredis';
import { jsonLinesParts } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally, type TaskHandler } from '../../local/state-machine.js';
import { runtime } from '../../functions/lambda/runtime.js';
import { planChunks, type InputObject } from '../../functions/domain/chunk-plan.js';
import { bucketCountFor } from '../../functions/domain/key-layout.js';
import { RESERVE_FRACTION, estimateLoad, preflight, shortfalls } from '../../functions/pipeline/preflight.js';
import { api, eventually, putObject } from '../support/sluice.js';
import { countKeys, livePointer, masterMemory, startHarness, versionKeyCount, versionStatus, type Harness } from './support/harness.js';
import { startReaders } from './support/readers.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'memory';
const BUCKET = 'memory-bucket';
const USERS = 40_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ maxmemory: '64mb' });
  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '524288', MAP_CONCURRENCY: '3' });
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5 }, 2).entries()) await putObject(BUCKET, `v1/part-${i}.out`, body);
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 10, scored: true, joined: true, itemBase: 1_000_000 }, 3).entries()) await putObject(BUCKET, `v2/part-${i}.out`, body);
});
afterAll(() => h?.stop());

const usedOnMasters = async () => (await masterMemory(h.admin)).reduce((sum, m) => sum + m.used, 0);

async function setMaxmemory(admin: Cluster, bytesFor: (used: number) => number): Promise<void> {
  for (const node of admin.nodes('master')) {
    const info = await node.info('memory');
    const used = Number(/^used_memory:(\d+)/m.exec(info)![1]) - Number(/^mem_not_counted_for_evict:(\d+)/m.exec(info)![1]);
    await node.config('SET', 'maxmemory', String(bytesFor(used)));
  }
}

async function estimateFor(prefix: string, version: string) {
  const { pipeline } = (await runtime()).dataset(DATASET);
  const objects: InputObject[] = [];
  for await (const o of pipeline.objects.list(BUCKET, prefix)) objects.push({ bucket: BUCKET, ...o, format: 'jsonl' });
  const plan = planChunks(objects, 1 << 20, 1000);
  return preflight({ version, objects, totalBytes: plan.totalBytes, buckets: bucketCountFor(plan.totalBytes) }, pipeline);
}

test('the pre-flight arithmetic: each master takes its slot share, keeps a reserve, and no maxmemory means no limit', () => {
  const estimate = estimateLoad(30 * 2 ** 20, 3840, { storedPerInputByte: 0.5, records: 1000, inputBytes: 100_000 });
  expect(estimate.bytes).toBe(Math.ceil(30 * 2 ** 20 * 0.5 * 1.3 + 3840 * 160));
  const master = (node: string, usedBytes: number, maxBytes: number, slotShare: number) => ({ node, usedBytes, maxBytes, slotShare });
  const max = 64 * 2 ** 20;
  const roomy = max * (1 - RESERVE_FRACTION) - estimate.bytes / 3 - 1; // just enough left after its third
  expect(shortfalls(estimate, [master('a', roomy, max, 1 / 3), master('b', 0, 0, 1 / 3), master('c', 0, max, 1 / 3)])).toEqual([]);
  expect(shortfalls(estimate, [master('a', roomy + 2, max, 1 / 3)]).map((s) => s.node)).toEqual(['a']);
  expect(shortfalls(estimate, [master('a', 0, max, 1)])).toEqual([]); // 21 MiB fits in 64
  expect(shortfalls(estimateLoad(200 * 2 ** 20, 1, null), [master('a', 0, max, 1)])).toHaveLength(1);
});

test('the pre-flight estimate covers what a load really takes, without asking for double', async () => {
  for (const [prefix, version, order] of [['v1/', 'v1', 1000], ['v2/', 'v2', 2000]] as const) {
    const estimate = (await estimateFor(prefix, version))!;
    const before = await usedOnMasters();
    expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/${prefix}`, version, orderKey: order })).status).toBe('SUCCEEDED');
    const taken = (await usedOnMasters()) - before;
    console.log(`pre-flight ${version}: estimated ${estimate.bytes} bytes (${estimate.basis}), Redis used ${taken} more bytes: ${(estimate.bytes / taken).toFixed(2)}x`);
    expect(estimate.bytes).toBeGreaterThanOrEqual(taken);
    expect(estimate.bytes).toBeLessThan(2 * taken);
  }
});

test('a load that cannot fit is refused before anything is written, and the live version keeps answering', async () => {
  await setMaxmemory(h.admin, (used) => used + 2 * 1024 * 1024); // 2 MiB free on each master: v3 needs more
  try {
    for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 10, scored: true, itemBase: 3_000_000 }, 2).entries()) await putObject(BUCKET, `v3/part-${i}.out`, body);
    const keysBefore = await countKeys(h.admin, `sluice:${DATASET}:*`);
    const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v3/`, version: 'v3', orderKey: 3000 });
    expect(run).toMatchObject({ status: 'FAILED', error: 'InsufficientMemoryError' });
    expect(run.cause).toMatch(/^version v3 does not fit in Redis: about [\d.]+ MiB for [\d.]+ MiB of input .*master 127\.0\.0\.1:\d+ would need [\d.]+ MiB but has [\d.]+ MiB free .*Nothing was written/);
    expect(await versionKeyCount(h.admin, DATASET, 'v3')).toBe(0);
    expect(await countKeys(h.admin, `sluice:${DATASET}:*`)).toBe(keysBefore);
    expect(await h.admin.exists(`{sluice:${DATASET}}:plan:v3`)).toBe(0);
    expect(await versionStatus(h.admin, DATASET, 'v3')).toBe('failed');
    expect(await h.admin.hget(`{sluice:${DATASET}}:version:v3`, 'error')).toMatch(/refused by the pre-flight check/);
    expect((await livePointer(h.admin, DATASET))?.version).toBe('v2');
    expect((await api('/users/u1/recommendations')).body.version).toBe('v2');
    // A duplicate event for the live version is still a no-op, not a refusal.
    expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/v2/`, version: 'v2', orderKey: 2000 })).output).toMatchObject({ action: 'skip' });
  } finally {
    await setMaxmemory(h.admin, () => 64 * 1024 * 1024);
  }
});

test('Redis reaching maxmemory mid-load: the load fails cleanly, its keys are deleted, the live version answers throughout', async () => {
  const real = await realTaskHandlers();
  // The pre-flight check passes; then the room it counted on is gone (another dataset's load
  // took it, say): here maxmemory drops to 256 KiB above what each master uses.
  const planThenFill: TaskHandler = async (payload) => {
    const plan = await real.Plan(payload);
    await setMaxmemory(h.admin, (used) => used + 256 * 1024);
    return plan;
  };
  const live = (await livePointer(h.admin, DATASET))!.version;
  const readers = startReaders({ users: USERS, itemsPerUser: 10, versions: { [live]: { itemBase: 1_000_000, order: 1, scored: true } }, concurrency: 4, maxMs: 60_000 });
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v3/`, version: 'v4', orderKey: 4000 }, { handlers: { Plan: planThenFill } });
  const stats = await readers.stop();
  expect(run).toMatchObject({ status: 'FAILED', error: 'InsufficientMemoryError' });
  expect(run.cause).toMatch(/^Redis reached maxmemory while chunk \d+ of version v4 was written \(OOM command not allowed when used memory > 'maxmemory'\); free memory or grow the cache, then load again$/);
  // Cleanup ran while Redis was still full: its keys are gone all the same.
  await eventually(() => versionKeyCount(h.admin, DATASET, 'v4'), (n) => n === 0);
  expect(await versionStatus(h.admin, DATASET, 'v4')).toBe('failed');
  expect((await livePointer(h.admin, DATASET))?.version).toBe(live);
  expect(stats).toMatchObject({ wrong: [], backwards: 0, failures: {} });
  expect(stats.ok).toBeGreaterThan(0);
  await setMaxmemory(h.admin, () => 64 * 1024 * 1024);
});
