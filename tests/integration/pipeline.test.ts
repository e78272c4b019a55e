// The whole pipeline on the real cluster and s3rver, through the real state machine and the
// read handler: the AWS sample, 25k records in three files, and invariants 1-6 of DESIGN.md.
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { AWS_SAMPLE_DOCUMENT, jsonLinesParts, recommendations, type SampleRecord } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally } from '../../local/state-machine.js';
import { VersionStore } from '../../functions/adapters/version-store.js';
import { useClock } from '../../functions/lambda/runtime.js';
import { adminRedis, api, closeTestClients, putObject, useSluiceEnv, versionKeyCount } from '../support/sluice.js';
import { SteppingClock } from '../support/stepping-clock.js';
import { datasetVars } from '../../local/datasets-file.js';

const BUCKET = 'pipeline-bucket';
/** The runtime's time for the whole file (the real time, moved on where a test passes a grace period). */
const clock = new SteppingClock();
beforeAll(() => void useClock(clock));
afterAll(async () => {
  useClock();
  await closeTestClients();
});

describe('the AWS sample (pandas orient="table" document)', () => {
  beforeAll(async () => {
    await useSluiceEnv({ ...datasetVars('movies') });
    await putObject(BUCKET, 'sample/movies.json', AWS_SAMPLE_DOCUMENT);
  });

  test('loads through the state machine and answers both routes', async () => {
    const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/sample/movies.json` });
    expect(run.status).toBe('SUCCEEDED');
    const version = (run.output as { version: string }).version;
    expect(version).toMatch(/^manual-/);
    expect(await api('/recommendations?userId=1&rank=1')).toEqual({ status: 200, body: { userId: '1', rank: 1, item: 2012, version } });
    expect(await api('/users/1/recommendations')).toEqual({ status: 200, body: { userId: '1', items: [2012, 553, 780], version } });
    expect((await api('/users/3/recommendations')).body.items).toEqual([2424, 527, 3949, 1302]);
    expect((await api('/recommendations?userId=2&rank=1')).body.item).toBe(1704);
  });

  test('errors: 400 for bad parameters, 404 for unknown users and ranks past the list, as JSON without internals', async () => {
    expect(await api('/recommendations?userId=1&rank=4')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'user 1 has 3 recommendations; rank 4 is past the end' } } });
    expect(await api('/users/999/recommendations')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no recommendations for user 999' } } });
    expect((await api('/recommendations?userId=1')).status).toBe(400);
    expect((await api('/recommendations?userId=1&rank=0')).body).toEqual({ error: { code: 'bad_request', message: 'rank must be an integer between 1 and 10000' } });
    expect((await api('/recommendations?rank=1')).status).toBe(400);
  });

  test('503 when the dataset has no live version', async () => {
    await useSluiceEnv({ ...datasetVars('never-loaded') });
    expect(await api('/users/1/recommendations')).toEqual({ status: 503, body: { error: { code: 'no_live_version', message: 'no version of this dataset is live yet' } } });
  });

  test('503 when Redis cannot be reached', async () => {
    await useSluiceEnv({ ...datasetVars('movies'), REDIS_PORT: '1', REDIS_COMMAND_TIMEOUT_MS: '300' });
    const answer = await api('/users/1/recommendations');
    expect(answer).toEqual({ status: 503, body: { error: { code: 'unavailable', message: 'the data store is unavailable; retry shortly' } } });
  });
});

describe('a three-file JSON Lines output with 25k records', () => {
  // 25k records and 256 KiB chunks: several chunks per file, so records cross chunk edges and
  // files end mid-chunk as with 100k records and 1 MiB chunks, in a quarter of the time.
  const USERS = 25_000;
  beforeAll(async () => {
    await useSluiceEnv({ ...datasetVars('big'), CHUNK_SIZE_BYTES: String(1 << 18), MAP_CONCURRENCY: '8' });
    const parts = jsonLinesParts({ users: USERS, scored: true, joined: true }, 3);
    for (const [i, body] of parts.entries()) await putObject(BUCKET, `big/2026-11-24/part-${i}.jsonl.out`, body);
  });

  test('every record is loaded once and reads back through the API handler', async () => {
    const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/big/2026-11-24/`, version: 'big-1' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ objects: 3, result: { commit: { outcome: 'swapped', records: USERS, badRecords: 0 } } });
    // Each record is a field in exactly one bucket: the field count is the record count.
    const buckets = (run.output as { buckets: number }).buckets;
    let fields = 0;
    const redis = adminRedis();
    for (let b = 0; b < buckets; b += 500) {
      for (let i = b; i < Math.min(buckets, b + 500); i++) fields += await redis.hlen(`sluice:big:big-1:${i}`);
    }
    expect(fields).toBe(USERS);
    // Every record, through the API handler's batch route (100 keys a request: one round trip per node).
    const expected = [...recommendations({ users: USERS, scored: true })];
    const limit = pLimit(8);
    const mismatches: string[] = [];
    const batches = Array.from({ length: Math.ceil(expected.length / 100) }, (_, i) => expected.slice(i * 100, i * 100 + 100));
    await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          const a = await api('/datasets/big/batch-get', { method: 'POST', body: { keys: batch.map((r) => r.userId) } });
          const results = (a.body.results ?? []) as { key: string; found: boolean; value?: unknown }[]; // value: the stored items
          if (a.status !== 200 || a.body.version !== 'big-1' || results.length !== batch.length) return void mismatches.push(`batch from ${batch[0]!.userId}: ${a.status}`);
          batch.forEach((r, i) => {
            const got = results[i]!;
            if (got.key !== r.userId || !got.found || JSON.stringify(got.value) !== JSON.stringify(r.items)) mismatches.push(r.userId);
          });
        }),
      ),
    );
    expect(mismatches).toEqual([]);
  });
});

describe('invariants while versions come and go', () => {
  const DATASET = 'inv';
  const USERS = 5000;
  const data = (itemBase: number) => [...recommendations({ users: USERS, itemsPerUser: 5, itemBase })];
  // Item ids tell the versions apart: v1 items are < 1e6, v2 items in [1e6, 2e6), ...
  const versionOfItems = (items: number[]) => Math.floor(items[0]! / 1_000_000) + 1;

  async function upload(prefix: string, itemBase: number): Promise<void> {
    const parts = jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase }, 2);
    for (const [i, body] of parts.entries()) await putObject(BUCKET, `${prefix}/part-${i}.out`, body);
  }

  const pointer = async () => JSON.parse((await adminRedis().get(`{sluice:${DATASET}}:current`)) ?? 'null') as { version: string } | null;

  beforeAll(async () => {
    await useSluiceEnv({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '32768', MAP_CONCURRENCY: '4', GRACE_SECONDS: '5', RETAIN_VERSIONS: '2' });
    await upload('inv/v1', 0);
    await upload('inv/v2', 1_000_000);
    await upload('inv/v3', 2_000_000);
    expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/inv/v1/`, version: 'v1', orderKey: 1000 })).status).toBe('SUCCEEDED');
  });

  test('1. readers during a load and swap see the old or the new version, never a mix, with 0 errors', async () => {
    const v1 = data(0);
    const v2 = data(1_000_000);
    let loading = true;
    const stats = { answers: 0, errors: 0, mixed: 0, backwards: 0, v1: 0, v2: 0 };
    const reader = async (seed: number) => {
      let seenV2 = false;
      // Three more reads each once the run has returned: with other files running alongside, a
      // reader may get no turn between the swap and the run's end, and must still see v2 after v1.
      let after = 0;
      for (let i = seed; loading || after++ < 3; i += 7) {
        const u = i % USERS;
        const a = await api(`/users/u${u}/recommendations`);
        stats.answers++;
        if (a.status !== 200) {
          stats.errors++;
          continue;
        }
        const items = a.body.items as number[];
        const expected = a.body.version === 'v1' ? v1[u]! : a.body.version === 'v2' ? v2[u]! : null;
        if (!expected || JSON.stringify(items) !== JSON.stringify(expected.items) || versionOfItems(items) !== Number(String(a.body.version).slice(1))) stats.mixed++;
        if (a.body.version === 'v2') seenV2 = true;
        else if (seenV2) stats.backwards++;
        stats[a.body.version as 'v1' | 'v2']++;
      }
    };
    const readers = Array.from({ length: 8 }, (_, k) => reader(k * 613));
    const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/inv/v2/`, version: 'v2', orderKey: 2000 });
    loading = false;
    await Promise.all(readers);
    expect(run.status).toBe('SUCCEEDED');
    expect(stats).toMatchObject({ errors: 0, mixed: 0, backwards: 0 });
    expect(stats.v1).toBeGreaterThan(0);
    expect(stats.v2).toBeGreaterThan(0);
  });

  test('3. an older order key is refused: at plan time, and at commit time after a newer version went live', async () => {
    const early = await runIngestLocally({ s3Uri: `s3://${BUCKET}/inv/v1/`, version: 'old', orderKey: 1500 });
    expect(early).toMatchObject({ status: 'SUCCEEDED', output: { action: 'skip', reason: 'version old (order key 1500) is ordered before the live version v2 (order key 2000), and an older load never replaces newer data; a manual run loads it with a later --order-key', existing: 'older' } });
    expect(await versionKeyCount(DATASET, 'old')).toBe(0);

    // A late job registers (order 2500) and loads, but v3 (order 3000) goes live before it commits.
    const h = await realTaskHandlers();
    const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/inv/v1/`, version: 'late', orderKey: 2500 }, executionId: 'exec-late' })) as {
      chunks: unknown[];
      chunkCount: number;
    };
    for (const chunk of plan.chunks) await h.LoadChunk({ dataset: DATASET, version: 'late', owner: 'exec-late', chunk });
    expect(await versionKeyCount(DATASET, 'late')).toBeGreaterThan(0);
    expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/inv/v3/`, version: 'v3', orderKey: 3000 })).status).toBe('SUCCEEDED');
    const commit = await h.Commit({ dataset: DATASET, version: 'late', owner: 'exec-late', chunkCount: plan.chunkCount });
    expect(commit).toMatchObject({ outcome: 'refused', previous: 'v3' });
    expect((await pointer())?.version).toBe('v3');
    expect(await versionKeyCount(DATASET, 'late')).toBe(0);
    expect(await adminRedis().hget(`{sluice:${DATASET}}:version:late`, 'status')).toBe('refused');
    // Retried (the first attempt's answer was lost): refused again, not an error.
    await expect(h.Commit({ dataset: DATASET, version: 'late', owner: 'exec-late', chunkCount: plan.chunkCount })).resolves.toMatchObject({ outcome: 'refused', previous: 'v3' });
    expect((await pointer())?.version).toBe('v3');
  });

  test('4. a repeated SageMaker event is a no-op, also when both executions run at once', async () => {
    const event = JSON.parse(readFileSync(new URL('../../events/sagemaker-transform-completed.json', import.meta.url), 'utf8')) as {
      detail: { TransformJobName: string; CreationTime: number; TransformOutput: { S3OutputPath: string }; TransformInput?: unknown };
    };
    delete event.detail.TransformInput; // its input is not in the test S3 (input completeness has its own tests)
    event.detail.TransformJobName = 'recs-job-4';
    event.detail.CreationTime = 4000;
    event.detail.TransformOutput.S3OutputPath = `s3://${BUCKET}/inv/v1/`;
    const [a, b] = await Promise.all([runIngestLocally(event), runIngestLocally(event)]);
    const outcomes = [a, b].map((r) => (r.output as { action: string }).action).sort();
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(outcomes).toEqual(['load', 'skip']);
    const again = await runIngestLocally(event);
    expect(again.output).toMatchObject({ action: 'skip', reason: 'version recs-job-4 is already live' });
    expect((await pointer())?.version).toBe('recs-job-4');
    expect((await api('/users/u1/recommendations')).body.items).toEqual(data(0)[1]!.items);
  });

  test('5. a load failing midway on bad data leaves the live version answering and its own keys gone', async () => {
    const lines = jsonLinesParts({ users: 400, itemsPerUser: 5, itemBase: 7_000_000 }, 1)[0]!.toString().split('\n');
    for (let i = 300; i < 360; i++) lines[i] = lines[i]!.slice(0, 20); // 60 truncated lines: 15%
    await putObject(BUCKET, 'inv/bad/part-0.out', lines.join('\n'));
    const live = (await pointer())?.version;
    const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/inv/bad/`, version: 'bad', orderKey: 9000 });
    expect(run).toMatchObject({ status: 'FAILED', error: 'TooManyBadRecordsError' });
    expect(run.cause).toMatch(/60 of 400 records are bad .* s3:\/\/pipeline-bucket\/inv\/bad\/part-0\.out at byte \d+: malformed JSON/);
    expect((await pointer())?.version).toBe(live);
    expect(await versionKeyCount(DATASET, 'bad')).toBe(0);
    expect((await api('/users/u3/recommendations')).body.version).toBe(live);
  });

  test('2/6. retention: versions past the count are deleted only after the grace period, by known keys', async () => {
    // Live: recs-job-4; superseded: v3, v2, v1 (v1 long enough ago, v3 moments ago).
    const h = await realTaskHandlers();
    const retire = () => h.Retire({ dataset: DATASET }) as Promise<{ retired: string[]; deferred: string[] }>;
    // The grace period (GRACE_SECONDS=5) passes on the movable clock (the runtime's): not sat out.
    const first = await retire();
    expect(first.deferred).toContain('v2'); // superseded by v3 seconds ago: readers may still hold it
    clock.advance(5_000);
    expect((await retire()).retired).toContain('v2');
    for (const v of ['v1', 'v2']) {
      expect(await versionKeyCount(DATASET, v)).toBe(0);
      expect(await adminRedis().hget(`{sluice:${DATASET}}:version:${v}`, 'status')).toBe('retired');
    }
    expect(await versionKeyCount(DATASET, 'v3')).toBeGreaterThan(0); // the one previous version is kept
    expect((await pointer())?.version).toBe('recs-job-4');
    expect(await adminRedis().zrange(`{sluice:${DATASET}}:versions`, '0', '-1')).toEqual(['v3', 'recs-job-4']);
  });
});

describe('a commit retried after its swap landed', () => {
  // Step Functions retries Commit when an attempt fails after its swap (the wait for the
  // replicas timed out, the Lambda timed out): the retry must report the load as landed, also
  // when a newer version has replaced it in between, and must not touch what is live.
  const DATASET = 'retried';
  const ref = (version: string, owner: string, chunkCount: number) => ({ dataset: DATASET, version, owner, chunkCount });
  const status = (version: string) => adminRedis().hget(`{sluice:${DATASET}}:version:${version}`, 'status');
  const live = async () => (JSON.parse((await adminRedis().get(`{sluice:${DATASET}}:current`)) ?? 'null') as { version: string } | null)?.version;

  test('already-live while it is live; superseded, without error, once a newer version replaced it', async () => {
    await useSluiceEnv({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '32768', MAP_CONCURRENCY: '4', GRACE_SECONDS: '5', RETAIN_VERSIONS: '3' });
    for (const [i, body] of jsonLinesParts({ users: 500, itemsPerUser: 3 }, 1).entries()) await putObject(BUCKET, `retried/r1/part-${i}.out`, body);
    // r2 has r1's users and as many again: it passes its checks against r1, while r1 checked
    // against r2 would now fail (it covers half of r2's keys): the retry must not check again.
    for (const [i, body] of jsonLinesParts({ users: 1000, itemsPerUser: 3, itemBase: 1_000_000 }, 1).entries()) await putObject(BUCKET, `retried/r2/part-${i}.out`, body);
    const h = await realTaskHandlers();
    const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/retried/r1/`, version: 'r1', orderKey: 1000 }, executionId: 'exec-r1' })) as { chunks: unknown[]; chunkCount: number };
    for (const chunk of plan.chunks) await h.LoadChunk({ dataset: DATASET, version: 'r1', owner: 'exec-r1', chunk });
    await expect(h.Commit(ref('r1', 'exec-r1', plan.chunkCount))).resolves.toMatchObject({ outcome: 'swapped' });
    await expect(h.Commit(ref('r1', 'exec-r1', plan.chunkCount))).resolves.toMatchObject({ outcome: 'already-live' });

    expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/retried/r2/`, version: 'r2', orderKey: 2000 })).status).toBe('SUCCEEDED');
    expect(await status('r1')).toBe('superseded');
    await expect(h.Commit(ref('r1', 'exec-r1', plan.chunkCount))).resolves.toMatchObject({ outcome: 'superseded', version: 'r1', previous: 'r2', records: 500 });
    // Nothing moved: r2 live, r1 retained with its data.
    expect(await live()).toBe('r2');
    expect(await status('r1')).toBe('superseded');
    expect(await versionKeyCount(DATASET, 'r1')).toBeGreaterThan(0);
    // Another execution is not the one that loaded r1: its commit is an error, as before.
    await expect(h.Commit(ref('r1', 'exec-other', plan.chunkCount))).rejects.toThrow(/r1 of retried is superseded, expected loading/);
    // The swap script itself, for a retry that looked while r1 was live and swaps after r2 replaced it.
    const store = new VersionStore(adminRedis(), DATASET);
    await expect(store.swap({ version: 'r1', owner: 'exec-r1', requiredStatus: 'loading', force: false, now: Date.now(), fields: {} })).resolves.toEqual({ outcome: 'superseded', previous: 'r2' });
    await expect(store.swap({ version: 'r1', owner: 'exec-other', requiredStatus: 'loading', force: false, now: Date.now(), fields: {} })).rejects.toThrow('is superseded, expected loading');
    // Only a version that went live (committedAt) is 'superseded': one held and then retired unpromoted is not.
    const heldKey = `{sluice:${DATASET}}:version:h1`;
    await adminRedis().hset(heldKey, { status: 'retired', owner: 'exec-h1', orderKey: '1500', buckets: '1', heldAt: '1' });
    await expect(store.swap({ version: 'h1', owner: 'exec-h1', requiredStatus: 'loading', force: false, now: Date.now(), fields: {} })).rejects.toThrow('h1 of retried is retired, expected loading');
    await adminRedis().hset(heldKey, 'committedAt', '2');
    await expect(store.swap({ version: 'h1', owner: 'exec-h1', requiredStatus: 'loading', force: false, now: Date.now(), fields: {} })).resolves.toEqual({ outcome: 'superseded', previous: 'r2' });
    await adminRedis().del(heldKey);
  });

  test('a Plan retried after its registration landed loads the version, instead of skipping it as "already loading"', async () => {
    const h = await realTaskHandlers();
    const event = { s3Uri: `s3://${BUCKET}/retried/r2/`, version: 'r3', orderKey: 3000 };
    const first = (await h.Plan({ event, executionId: 'exec-r3' })) as { action: string; chunkCount: number };
    expect(first.action).toBe('load');
    // Its answer lost (a dropped connection, a Lambda timeout): Step Functions runs Plan again, same execution.
    const plan = (await h.Plan({ event, executionId: 'exec-r3' })) as { action: string; reason?: string; chunks: number[]; chunkCount: number };
    expect(plan).toMatchObject({ action: 'load', chunkCount: first.chunkCount });
    // Another execution with the same event is still a duplicate.
    await expect(h.Plan({ event, executionId: 'exec-other' })).resolves.toMatchObject({ action: 'skip', existing: 'loading', reason: 'version r3 is already loading in another run; nothing was loaded (sluice status --dataset ' + DATASET + ' shows it)' });
    for (const chunk of plan.chunks) await h.LoadChunk({ dataset: DATASET, version: 'r3', owner: 'exec-r3', chunk });
    await expect(h.Commit(ref('r3', 'exec-r3', plan.chunkCount))).resolves.toMatchObject({ outcome: 'swapped', previous: 'r2', records: 1000 });
    expect(await live()).toBe('r3');
  });

  test('a Cleanup retried after its deletion stopped halfway finishes it, instead of finding its own claim busy', async () => {
    const h = await realTaskHandlers();
    const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/retried/r2/`, version: 'r4', orderKey: 4000 }, executionId: 'exec-r4' })) as { chunks: number[] };
    for (const chunk of plan.chunks.slice(0, 2)) await h.LoadChunk({ dataset: DATASET, version: 'r4', owner: 'exec-r4', chunk });
    expect(await versionKeyCount(DATASET, 'r4')).toBeGreaterThan(0);
    // The first Cleanup attempt marked it failed and claimed it, then stopped (a timeout, a dropped connection).
    const store = new VersionStore(adminRedis(), DATASET);
    expect((await store.markFailed('r4', 'exec-r4', 'BadDataError: first attempt', Date.now())).failed).toBe(true);
    expect(await store.beginDelete('r4', Date.now(), undefined, 'cleanup:exec-r4')).toBe('claimed');
    expect(await store.beginDelete('r4', Date.now())).toBe('busy'); // anyone else: being deleted
    expect(await store.markFailed('r4', 'exec-other', 'not its load', Date.now())).toEqual({ failed: false, status: 'failed' });
    const failure = { Error: 'BadDataError', Cause: 'first attempt' };
    await expect(h.Cleanup({ dataset: DATASET, version: 'r4', owner: 'exec-r4', failure })).resolves.toMatchObject({ cleaned: true });
    expect(await versionKeyCount(DATASET, 'r4')).toBe(0);
    expect(await status('r4')).toBe('failed');
    expect(await adminRedis().exists(`{sluice:${DATASET}}:lock:r4`)).toBe(0);
    expect(await live()).toBe('r3');
  });
});
