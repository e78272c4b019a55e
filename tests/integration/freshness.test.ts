// The admin function's freshness action (what the stack's schedule runs) on the real cluster:
// each dataset's live version's age from the end of its load, emitted as EMF metrics.
import { readFileSync } from 'node:fs';
import { jsonLinesParts } from '../../local/sample-data.js';
import { lambdaContext, runIngestLocally } from '../../local/state-machine.js';
import { adminRedis, closeTestClients, putObject, useSluiceEnv } from '../support/sluice.js';

const BUCKET = 'freshness-bucket';
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));
type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

afterAll(closeTestClients);

/** Runs the admin handler and returns its answer and the EMF blobs it printed. */
async function freshness(): Promise<{ answer: unknown; metrics: Record<string, unknown>[] }> {
  const admin = (await import('../../functions/handlers/admin.js')).handler as unknown as Handler;
  const printed: string[] = [];
  // With POWERTOOLS_DEV each single metric prints through the global console (read at its
  // creation); dev mode would also disable metrics unless told otherwise.
  const original = console.log;
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  console.log = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  try {
    const answer = await admin(fixture('admin-freshness.json'), lambdaContext('AdminFunction'));
    const metrics = printed
      .flatMap((p) => p.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { answer, metrics };
  } finally {
    console.log = original;
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  }
}

test('ages of the live versions per dataset, the oldest over them, and nothing for a dataset with nothing live', async () => {
  const datasets = [
    { name: 'fresh-a', kind: 'ranked-items' },
    { name: 'fresh-b', kind: 'ranked-items' },
    { name: 'fresh-never', kind: 'ranked-items' },
  ];
  await useSluiceEnv({ DATASETS: JSON.stringify(datasets), DATASET: 'fresh-a' });
  for (const d of ['fresh-a', 'fresh-b']) {
    for (const [i, body] of jsonLinesParts({ users: 200, itemsPerUser: 3 }, 1).entries()) await putObject(BUCKET, `${d}/part-${i}.out`, body);
    expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/${d}/`, version: `${d}-v1`, dataset: d })).status).toBe('SUCCEEDED');
  }
  // fresh-b's live data was loaded 40 hours ago (as a rollback to an old version would leave it).
  const longAgo = Date.now() - 40 * 3_600_000;
  await adminRedis().hset('{sluice:fresh-b}:version:fresh-b-v1', 'loadedAt', String(longAgo));

  const { answer, metrics } = await freshness();
  const report = answer as { datasets: { dataset: string; liveVersion: string | null; loadedAt?: string; ageHours?: number }[]; oldestAgeHours: number };
  expect(report.datasets.map((d) => [d.dataset, d.liveVersion])).toEqual([
    ['fresh-a', 'fresh-a-v1'],
    ['fresh-b', 'fresh-b-v1'],
    ['fresh-never', null],
  ]);
  const [a, b, never] = report.datasets;
  expect(a!.ageHours).toBeLessThan(0.1);
  expect(b!.ageHours).toBeCloseTo(40, 1);
  expect(b!.loadedAt).toBe(new Date(longAgo).toISOString());
  expect(never).toEqual({ dataset: 'fresh-never', liveVersion: null });
  expect(report.oldestAgeHours).toBe(b!.ageHours);

  // What CloudWatch receives: the per-dataset metric with its dataset, the oldest without one.
  const byName = (name: string) => metrics.filter((m) => name in m);
  expect(byName('LiveVersionAgeHours').map((m) => [m.dataset, m.LiveVersionAgeHours])).toEqual([
    ['fresh-a', a!.ageHours],
    ['fresh-b', b!.ageHours],
  ]);
  const [oldest, ...more] = byName('OldestLiveVersionAgeHours');
  expect(more).toEqual([]);
  expect(oldest).toMatchObject({ OldestLiveVersionAgeHours: b!.ageHours, service: 'sluice' });
  expect(oldest).not.toHaveProperty('dataset');
  const directive = (oldest!._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }).CloudWatchMetrics[0]!;
  expect(directive).toMatchObject({ Namespace: 'Sluice', Dimensions: [['service']] });
});

test('before any first load the oldest age is 0, so a fresh deploy does not raise the stale-data alarm', async () => {
  await useSluiceEnv({ DATASETS: '', DATASET: 'fresh-nothing-live' });
  const { answer, metrics } = await freshness();
  expect(answer).toEqual({ datasets: [{ dataset: 'fresh-nothing-live', liveVersion: null }] });
  expect(metrics.filter((m) => 'LiveVersionAgeHours' in m)).toEqual([]);
  // A value below any MaxVersionAgeHours (at least 1): OK, not missing data (which breaches).
  const oldest = metrics.filter((m) => 'OldestLiveVersionAgeHours' in m);
  expect(oldest).toHaveLength(1);
  expect(oldest[0]).toMatchObject({ OldestLiveVersionAgeHours: 0, service: 'sluice' });
  expect(oldest[0]).not.toHaveProperty('dataset');
});
