// SageMaker completion events arriving repeated, out of order and all at once: four jobs, each
// event delivered twice, eight executions started together in a shuffled order while readers
// keep asking. The newest job must end up live, no job may be loaded twice, readers never see
// the pointer go backwards or a mixed answer, and nothing outside the retained versions keeps
// a key once retention has run.
import { readFileSync } from 'node:fs';
import { jsonLinesParts } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally } from '../../local/state-machine.js';
import { eventually, putObject } from '../support/sluice.js';
import { countKeys, livePointer, startHarness, versionKeyCount, versionStatus, type Harness } from './support/harness.js';
import { startReaders } from './support/readers.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'events';
const BUCKET = 'events-bucket';
const USERS = 3000;
const JOBS = ['recs-job-1', 'recs-job-2', 'recs-job-3', 'recs-job-4'];
let h: Harness;

const template = JSON.parse(readFileSync(new URL('../../events/sagemaker-transform-completed.json', import.meta.url), 'utf8')) as {
  detail: { TransformJobName: string; CreationTime: number | string; TransformOutput: { S3OutputPath: string }; TransformInput?: unknown };
};
delete template.detail.TransformInput; // its input is not in the test S3 (input completeness has its own tests)
function completed(job: number): unknown {
  const event = structuredClone(template);
  event.detail.TransformJobName = JOBS[job]!;
  event.detail.CreationTime = new Date(Date.UTC(2026, 10, 20 + job)).toISOString(); // ISO here, epoch ms elsewhere: both occur
  event.detail.TransformOutput.S3OutputPath = `s3://${BUCKET}/${JOBS[job]}/`;
  return event;
}

beforeAll(async () => {
  h = await startHarness();
  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '32768', MAP_CONCURRENCY: '3', GRACE_SECONDS: '2', RETAIN_VERSIONS: '2' });
  for (const [j, job] of JOBS.entries()) {
    for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase: j * 1_000_000 }, 2).entries()) await putObject(BUCKET, `${job}/part-${i}.out`, body);
  }
});
afterAll(() => h?.stop());

test('repeated and out-of-order events, eight executions at once: the newest job is live, none loaded twice, readers never go back', async () => {
  // Job 1 is live before the storm, so readers have something to read.
  expect((await runIngestLocally(completed(0))).status).toBe('SUCCEEDED');
  const versions = Object.fromEntries(JOBS.map((job, j) => [job, { itemBase: j * 1_000_000, order: j }]));
  const readers = startReaders({ users: USERS, versions, concurrency: 6, maxMs: 90_000 });
  const order = [2, 0, 3, 1, 2, 0, 1, 3]; // job indexes: newest before older, every event twice
  const runs = await Promise.all(order.map((j, k) => runIngestLocally(completed(j), { executionName: `storm-${k}-${JOBS[j]}` })));
  const stats = await readers.stop();

  // A failed execution shows its error and cause, not just its status.
  expect(runs.map((r) => (r.status === 'SUCCEEDED' ? r.status : `${r.status} ${r.error}: ${r.cause}`))).toEqual(order.map(() => 'SUCCEEDED'));
  const outcome = (r: (typeof runs)[number]) => {
    const out = r.output as { action: string; reason?: string; version: string; result?: { commit: { outcome: string } } };
    return out.action === 'skip' ? `skip:${out.version}` : `${out.result!.commit.outcome}:${out.version}`;
  };
  const outcomes = runs.map(outcome);
  // Each job is loaded by at most one execution; job 4 (the newest) always goes live.
  for (const job of JOBS) expect(outcomes.filter((o) => o.endsWith(`:${job}`) && !o.startsWith('skip')).length).toBeLessThanOrEqual(1);
  expect(outcomes).toContain('swapped:recs-job-4');
  expect((await livePointer(h.admin, DATASET))?.version).toBe('recs-job-4');
  expect(stats.wrong).toEqual([]);
  expect(stats.backwards).toBe(0);
  expect(stats.failures).toEqual({});

  // The same events again, late: all no-ops.
  const late = await Promise.all([0, 3].map((j) => runIngestLocally(completed(j))));
  expect(late.map((r) => (r.output as { action: string }).action)).toEqual(['skip', 'skip']);

  // Retention (after the grace period): only the live job and one previous keep data; refused ones were deleted at commit.
  // Retire runs until nothing is deferred any more (the grace period has passed for every superseded version).
  const retire = (await realTaskHandlers()).Retire as (p: unknown) => Promise<{ deferred: string[] }>;
  await eventually(() => retire({ dataset: DATASET }), (r) => r.deferred.length === 0);
  const statuses = Object.fromEntries(await Promise.all(JOBS.map(async (job) => [job, await versionStatus(h.admin, DATASET, job)] as const)));
  expect(statuses['recs-job-4']).toBe('live');
  const keep = new Set(await h.admin.zrange(`{sluice:${DATASET}}:versions`, '0', '-1'));
  expect(keep.size).toBeLessThanOrEqual(2);
  expect(keep.has('recs-job-4')).toBe(true);
  for (const job of JOBS) {
    const keys = await versionKeyCount(h.admin, DATASET, job);
    if (keep.has(job)) expect(keys).toBeGreaterThan(0);
    else expect(`${job} (${statuses[job]}): ${keys} keys`).toBe(`${job} (${statuses[job]}): 0 keys`);
  }
  // Nothing else of the dataset's data lingers: no stray keys beyond the retained versions' buckets.
  const retained = await Promise.all([...keep].map((v) => versionKeyCount(h.admin, DATASET, v)));
  expect(await countKeys(h.admin, `sluice:${DATASET}:*`)).toBe(retained.reduce((a, b) => a + b, 0));
  console.log(`event storm: ${outcomes.join(', ')}; readers ${stats.answers} answers ${JSON.stringify(stats.byVersion)}`);
}, 180_000);
