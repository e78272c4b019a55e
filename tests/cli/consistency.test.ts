// Exit codes and messages a new user met that disagreed with the documentation or with the
// other commands (project issue 11): S3 unreachable, an undeclared dataset, JSON errors, times
// in ISO, a failure in Plan, and the chunk number on --verbose log lines.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { localS3Client } from '../../local/s3-server.js';
import { jsonLinesParts } from '../../local/sample-data.js';
import { retryPolicies } from '../../local/state-machine.js';
import { testInfra } from '../support/infra.js';
import { SteppingClock } from '../support/stepping-clock.js';
import { closeTestClients, putObject } from '../support/sluice.js';
import { RunningCli, sluice, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'cli-consistency';
const BUCKET = 'cli-consistency';
const env = testStackEnv({ ...datasetVars(DATASET), SLUICE_BUCKET: BUCKET });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-consistency-'));
  await writeFile(join(dir, 'recs.out'), jsonLinesParts({ users: 500, scored: true }, 1)[0]!);
  await putObject(BUCKET, 'first/recs.out', jsonLinesParts({ users: 500, scored: true }, 1)[0]!);
  await putObject(BUCKET, 'nothing/_SUCCESS', ''); // a marker, no data object
});
afterAll(async () => {
  await closeTestClients();
  await rm(dir, { recursive: true, force: true });
});

async function keysUnder(prefix: string): Promise<string[]> {
  const s3 = localS3Client(testInfra().s3Endpoint);
  try {
    return ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
  } finally {
    s3.destroy();
  }
}

test('S3 unreachable while listing exits 3, as documented, after the retries the definition gives Plan, each said', async () => {
  // The pauses on a movable clock: asked for as the definition says, not sat out.
  const clock = new SteppingClock(); // also the runtime's time for the run: the real time, moved on by the pauses
  const run = await sluice(['ingest', `s3://${BUCKET}/first/`, '--version', 'x1'], { ...env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' }, 60_000, { clock });
  expect(run.code).toBe(3);
  expect(run.stdout).toMatch(/^load failed: TransientError: /);
  // Plan's Retry: MaxAttempts 4, so five attempts, each failure said (the pauses are the definition's:
  // tests/statemachine/ingest.test.ts shows retryPauseMs 'as-defined', which the command uses).
  const notes = run.stderr.match(/^Plan failed \(attempt \d of 5\): .*; the state machine retries it after a pause, as in AWS$/gm) ?? [];
  expect(notes.map((n) => /attempt (\d)/.exec(n)![1])).toEqual(['1', '2', '3', '4']);
  expect(notes[0]).toContain('listing s3://');
  // Before retries 1-4: full jitter up to 2, 4, 8 and 16 s (Plan's Retry: 2 s, doubling).
  const plan = retryPolicies().Plan;
  expect(clock.sleeps).toHaveLength(4);
  clock.sleeps.forEach((ms) => expect(ms).toBeGreaterThanOrEqual(0));
  clock.sleeps.forEach((ms, i) => expect(ms).toBeLessThanOrEqual(plan.pauseMs(i + 1, () => 1)));
}, 120_000);

test('ingest --dataset with an undeclared dataset exits 2 before uploading anything', async () => {
  const run = await sluice(['ingest', join(dir, 'recs.out'), '--dataset', 'nope'], env);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^sluice: unknown dataset "nope"; this stack serves cli-consistency/);
  expect(run.stderr).not.toContain('uploaded');
  expect(await keysUnder('local/')).toEqual([]);
});

test('rollback of an unknown version with --json prints a JSON error on stdout', async () => {
  const run = await sluice(['rollback', 'no-such-version', '--json'], env);
  expect(run.code).toBe(5);
  expect(JSON.parse(run.stdout)).toEqual({ error: { name: 'NotFoundError', message: expect.stringContaining('has no version no-such-version'), exitCode: 5 } });
});

test('a refused (older) load names order keys in ISO time, as status does', async () => {
  expect(await sluice(['ingest', `s3://${BUCKET}/first/`, '--version', 'newer', '--order-key', '2026-11-24T02:00:00Z'], env)).toEqual(expect.objectContaining({ code: 0 }));
  const stale = await sluice(['ingest', `s3://${BUCKET}/first/`, '--version', 'older', '--order-key', '2026-01-01T00:00:00Z'], env);
  expect(stale.code).toBe(6);
  expect(stale.stdout).toBe('not loaded: version older (order key 2026-01-01T00:00:00.000Z) is ordered before the live version newer (order key 2026-11-24T02:00:00.000Z), and an older load never replaces newer data; a manual run loads it with a later --order-key\n');
});

test('a load failing in Plan says so, not that "version (unknown)" was not made live', async () => {
  const run = await sluice(['ingest', `s3://${BUCKET}/nothing/`, '--version', 'none'], env);
  expect(run.code).toBe(1);
  expect(run.stdout).not.toContain('(unknown)');
  expect(run.stdout).toMatch(/^load failed: InvalidInputError: .*\n {2}it failed in Plan, before any data was written; the live version is untouched \(execution arn:aws:states:/);
});

test('--verbose: each "chunk loaded" line carries its own chunk number', async () => {
  const run = await sluice(['ingest', `s3://${BUCKET}/first/`, '--version', 'verbose', '--order-key', '2026-11-25T02:00:00Z', '--verbose'], { ...env, CHUNK_SIZE_BYTES: '16384', POWERTOOLS_LOG_LEVEL: 'INFO' });
  expect(run).toEqual(expect.objectContaining({ code: 0 }));
  const chunks = Number(/ (\d+) chunks/.exec(run.stdout)![1]);
  expect(chunks).toBeGreaterThan(3);
  const numbers = [...run.stderr.matchAll(/"message": "chunk loaded",[^}]*?"chunk": (\d+)/gs)].map((m) => Number(m[1]));
  expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: chunks }, (_, i) => i));
});

test('each local upload loads exactly the files given: not those of another directory of the same name, nor one deleted since', async () => {
  const [a, b] = [join(dir, 'a', 'same'), join(dir, 'b', 'same')];
  await mkdir(a, { recursive: true });
  await mkdir(b, { recursive: true });
  await writeFile(join(a, 'x.out'), jsonLinesParts({ users: 100, scored: true }, 1)[0]!);
  await writeFile(join(a, 'y.out'), jsonLinesParts({ users: 200, scored: true, seed: 3, userPrefix: 'y' }, 1)[0]!);
  await writeFile(join(b, 'z.out'), jsonLinesParts({ users: 300, scored: true, seed: 4 }, 1)[0]!);
  // What is uploaded is the point here, not the release checks (a directory's files change on purpose).
  const unchecked = { ...env, ...datasetVars({ name: DATASET, checks: { minLiveKeyCoverage: false, maxRecordDrop: false, maxRecordGrowth: false } }) };
  const ingest = (from: string, version: string, day: number) => sluice(['ingest', from, '--version', version, '--order-key', `2026-12-${day}T00:00:00Z`, '--json'], unchecked);

  const first = await ingest(a, 'same-a', 10);
  expect(JSON.parse(first.stdout)).toMatchObject({ outcome: 'loaded', objects: 2, records: 300 });
  const other = await ingest(b, 'same-b', 11);
  expect(JSON.parse(other.stdout)).toMatchObject({ outcome: 'loaded', objects: 1, records: 300 });
  expect(other.stderr).toContain('and removed 2 other objects there');
  expect(await keysUnder('local/same/')).toEqual(['local/same/z.out']);

  await rm(join(a, 'y.out'));
  const again = await ingest(a, 'same-a2', 12);
  expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'loaded', objects: 1, records: 100 });
  expect(await keysUnder('local/same/')).toEqual(['local/same/x.out']);
});

describe('local retention (RETAIN_VERSIONS=2, GRACE_SECONDS=60 on a movable clock)', () => {
  const retention = testStackEnv({ ...datasetVars('cli-retention'), SLUICE_BUCKET: BUCKET, RETAIN_VERSIONS: '2', GRACE_SECONDS: '60' });
  const versions = async () => {
    const status = JSON.parse((await sluice(['status', '--json'], retention)).stdout) as { datasets: { versions: { version: string; status: string }[] }[] };
    return status.datasets[0]!.versions.map((v) => `${v.version} ${v.status}`);
  };

  test('ingest retires as the state machine does, waiting the grace period only for what Retire keeps for readers', async () => {
    // The grace wait on a movable clock: asked for and taken (the time moves on by it), not sat out.
    const clock = new SteppingClock();
    for (const [i, version] of ['r1', 'r2', 'r3'].entries()) {
      const run = await sluice(['ingest', `s3://${BUCKET}/first/`, '--version', version, '--order-key', `2026-12-0${i + 1}T00:00:00Z`], retention, 60_000, { clock });
      expect(run).toEqual(expect.objectContaining({ code: 0 }));
      // r1 and r2: nothing past retention, no wait. r3: r1 is past it, superseded moments ago: waited for, then retired.
      if (i < 2) expect(run.stderr).not.toContain('waiting');
      else expect(run.stderr).toContain("version r3 is live; waiting 60 s (GRACE_SECONDS) for readers' cached pointers before retiring r1");
    }
    expect(clock.sleeps).toEqual([60_000]);
    expect(await versions()).toEqual(['r3 live', 'r2 superseded']);
  });

  test('Ctrl-C during the grace wait: the version stays live (exit 0, said so), and the next load retires what was left', async () => {
    const run = RunningCli.start(['ingest', `s3://${BUCKET}/first/`, '--version', 'r4', '--order-key', '2026-12-04T00:00:00Z'], { ...retention, GRACE_SECONDS: '600' });
    await run.waitForStderr(/version r4 is live; waiting 600 s/);
    expect(await run.stop('SIGINT')).toBe(0);
    expect(run.stdout).toMatch(/^version r4 of cli-retention is live: 500 records/);
    expect(run.stdout).toContain('but then: Interrupted: Ctrl-C during the grace wait: older versions were not retired; the next load retires them');
    expect(await versions()).toEqual(['r4 live', 'r3 superseded', 'r2 superseded']);
    const clock = new SteppingClock(); // r3, superseded moments ago, is waited for on it
    expect(await sluice(['ingest', `s3://${BUCKET}/first/`, '--version', 'r5', '--order-key', '2026-12-05T00:00:00Z'], retention, 60_000, { clock })).toEqual(expect.objectContaining({ code: 0 }));
    expect(clock.sleeps).toEqual([60_000]);
    expect(await versions()).toEqual(['r5 live', 'r4 superseded']);
  });
});
