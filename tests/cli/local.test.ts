// The sluice command against the test cluster and s3rver, as a user runs it (a child process):
// ingest of a local directory and of an S3 prefix, a failing and a stale ingest with their exit
// codes, get, status, rollback, serve over real HTTP; and the admin function on the same data.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { jsonLinesParts, recommendations, transformOutput } from '../../local/sample-data.js';
import { lambdaContext } from '../../local/state-machine.js';
import { adminRedis, closeTestClients, putObject, useSluiceEnv, versionKeyCount } from '../support/sluice.js';
import { RunningCli, sluice, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';
import { SteppingClock } from '../support/stepping-clock.js';

const DATASET = 'cli-recs';
const BUCKET = 'cli-bucket';
const USERS = 3000;
const env = testStackEnv({ ...datasetVars(DATASET), SLUICE_BUCKET: BUCKET, CHUNK_SIZE_BYTES: '65536' });
const day1 = [...recommendations({ users: USERS, scored: true })];
const day2 = [...recommendations({ users: USERS, scored: true, itemBase: 500_000, seed: 9 })];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  await mkdir(join(dir, 'day1'));
  await writeFile(join(dir, 'day1', '_SUCCESS'), 'a job-success marker, not data: uploaded, then skipped by Plan');
  for (const o of transformOutput({ users: USERS, scored: true, joined: true }, 3)) await writeFile(join(dir, 'day1', o.key), o.body);
  for (const o of transformOutput({ users: USERS, scored: true, itemBase: 500_000, seed: 9 }, 2)) await putObject(BUCKET, `day2/${o.key}`, o.body);
  const lines = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `not json ${i}` : JSON.stringify({ userId: `b${i}`, recommendations: [1, 2] })));
  await writeFile(join(dir, 'bad.out'), `${lines.join('\n')}\n`);
});
afterAll(async () => {
  await closeTestClients();
  await rm(dir, { recursive: true, force: true });
});

const pointer = async () => JSON.parse((await adminRedis().get(`{sluice:${DATASET}}:current`)) ?? 'null') as { version: string } | null;

test('ingest of a local directory: uploaded, loaded through the state machine, progress lines on stderr, a summary on stdout', async () => {
  const run = await sluice(['ingest', join(dir, 'day1'), '--version', 'd1', '--order-key', '2026-11-23T02:00:00Z'], env);
  expect(run).toEqual(expect.objectContaining({ code: 0 }));
  expect(run.stderr).toContain(`uploaded 4 files`);
  expect(run.stderr).toMatch(/loading version d1 of cli-recs: 3 objects, [\d.]+ [KM]iB, \d+ chunks/);
  expect(run.stderr).toMatch(/ {2}(\d+)\/\1 chunks, 3,000 records/); // non-TTY: plain lines, the last one complete
  expect(run.stdout).toMatch(/^version d1 of cli-recs is live: 3,000 records \(0 bad\) from 3 objects/);
  expect(run.stdout).toContain('it is the first live version of this dataset');
  expect(await pointer()).toMatchObject({ version: 'd1' });
});

test('ingest of an S3 prefix with --json; the previous version is kept', async () => {
  const run = await sluice(['ingest', `s3://${BUCKET}/day2/`, '--version', 'd2', '--order-key', '2026-11-24T02:00:00Z', '--json'], env);
  expect(run).toEqual(expect.objectContaining({ code: 0 }));
  expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'loaded', dataset: DATASET, version: 'd2', previous: 'd1', objects: 2, records: USERS, badRecords: 0, samples: [] });
});

test('get: a user, a rank, and the API errors as exit codes', async () => {
  const [user, rank, missing, badRank] = await Promise.all([
    sluice(['get', 'u7'], env),
    sluice(['get', 'u7', '--rank', '2'], env),
    sluice(['get', 'nobody'], env),
    sluice(['get', 'u7', '--rank', '0'], env),
  ]);
  expect(user).toEqual(expect.objectContaining({ code: 0 }));
  expect(JSON.parse(user.stdout)).toEqual({ userId: 'u7', items: day2[7]!.items, version: 'd2' });
  expect(JSON.parse(rank.stdout)).toEqual({ userId: 'u7', rank: 2, item: day2[7]!.items[1], version: 'd2' });
  expect(missing).toMatchObject({ code: 5, stdout: '' });
  expect(missing.stderr).toContain('404 not_found: no recommendations for user nobody');
  expect(badRank.code).toBe(2);
});

test('a failing ingest exits 1 with the reason and samples of bad records; the live version is untouched and the partial one deleted', async () => {
  const run = await sluice(['ingest', join(dir, 'bad.out'), '--version', 'bad1'], env);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/^load failed: TooManyBadRecordsError: 100 of 300 records are bad/);
  expect(run.stdout).toContain('the live version is untouched');
  expect(run.stdout).toMatch(/bad records \(100\), first \d+:\n {2}s3:\/\/cli-bucket\/local\/bad.out\/bad.out at byte 0: malformed JSON/);
  expect(await pointer()).toMatchObject({ version: 'd2' });
  expect(await versionKeyCount(DATASET, 'bad1')).toBe(0);
});

test('an ingest older than the live version is refused (exit 6); a repeated one is a no-op (exit 0)', async () => {
  const [stale, again] = await Promise.all([
    sluice(['ingest', `s3://${BUCKET}/day2/`, '--version', 'd0', '--order-key', '2026-01-01T00:00:00Z'], env),
    sluice(['ingest', `s3://${BUCKET}/day2/`, '--version', 'd2', '--order-key', '2026-11-24T02:00:00Z'], env),
  ]);
  expect(stale.code).toBe(6);
  expect(stale.stdout).toMatch(/^not loaded: version \S+ \(order key [^)]+\) is ordered before the live version d2 \(order key /);
  expect(again).toEqual(expect.objectContaining({ code: 0 }));
  expect(again.stdout).toBe('nothing to do: version d2 is already live\n');
});

test('status: the live version and the retained one, as a table and as JSON', async () => {
  const [table, json] = await Promise.all([sluice(['status'], env), sluice(['status', '--json'], env)]);
  expect(table).toEqual(expect.objectContaining({ code: 0 }));
  expect(table.stdout).toMatch(/^dataset cli-recs: live version d2 \(order key 2026-11-24T02:00:00.000Z\)\n/);
  expect(table.stdout).toMatch(/\* +d2 +live +2026-11-24T02:00:00.000Z +3,000 +0 /);
  expect(table.stdout).toMatch(/ {2}d1 +superseded +2026-11-23T02:00:00.000Z +3,000 +0 .* s3:\/\/cli-bucket\/local\/day1\//);
  const status = JSON.parse(json.stdout) as { datasets: { dataset: string; live: unknown; versions: { version: string }[] }[] };
  expect(status.datasets).toHaveLength(1);
  expect(status.datasets[0]).toMatchObject({
    dataset: DATASET,
    live: { version: 'd2', orderKey: Date.parse('2026-11-24T02:00:00Z') },
    versions: [
      { version: 'd2', status: 'live', live: true, records: USERS, badRecords: 0, source: `s3://${BUCKET}/day2/`, objects: 2 },
      { version: 'd1', status: 'superseded', live: false, records: USERS, supersededAt: expect.any(String), loadSeconds: expect.any(Number) },
    ],
  });
});

test('rollback: a dry run changes nothing; then the newest retained version goes live again, saying it goes back in order; and forward again', async () => {
  const dry = await sluice(['rollback', '--dry-run'], env);
  expect(dry).toEqual(expect.objectContaining({ code: 0 }));
  expect(dry.stdout).toMatch(/^dry run: would make version d1 .* live again, replacing d2/);
  expect(dry.stdout).toContain('this goes back in order');
  expect(await pointer()).toMatchObject({ version: 'd2' });

  const back = await sluice(['rollback'], env);
  expect(back).toEqual(expect.objectContaining({ code: 0 }));
  expect(back.stdout).toMatch(/^cli-recs: version d1 \(order key 2026-11-23T02:00:00.000Z\) is live again, replacing d2/);
  expect(back.stdout).toContain('this goes back in order (d2 is ordered after d1)');
  expect(await pointer()).toMatchObject({ version: 'd1' });
  const [get, status] = await Promise.all([sluice(['get', 'u7'], env), sluice(['status', '--json'], env)]);
  expect(JSON.parse(get.stdout)).toEqual({ userId: 'u7', items: day1[7]!.items, version: 'd1' });
  // Live again since the rollback, but its load time is still that of its load.
  const d1 = (JSON.parse(status.stdout) as { datasets: { versions: { version: string; liveSince?: string; loadedAt?: string }[] }[] }).datasets[0]!.versions.find((v) => v.version === 'd1')!;
  expect(Date.parse(d1.loadedAt!)).toBeLessThan(Date.parse(d1.liveSince!));

  const [forward, missing] = await Promise.all([sluice(['rollback', 'd2', '--json'], env), sluice(['rollback', 'nope'], env)]);
  expect(JSON.parse(forward.stdout)).toMatchObject({ outcome: 'swapped', version: 'd2', previous: 'd1', backInOrder: false });
  expect(missing.code).toBe(5);
  expect(missing.stderr).toContain('dataset cli-recs has no version nope');
  expect(await pointer()).toMatchObject({ version: 'd2' });
});

test('serve: real HTTP through the read handler, one log line per request, and a clean stop', async () => {
  const server = RunningCli.start(['serve', '--port', '0'], env);
  try {
    const [, url] = await server.waitFor(/serving dataset cli-recs on (http:\/\/127\.0\.0\.1:\d+) \(live version d2\)/);
    const user = await fetch(`${url}/users/u42/recommendations`);
    expect(user.status).toBe(200);
    expect(await user.json()).toEqual({ userId: 'u42', items: day2[42]!.items, version: 'd2' });
    const rank = await fetch(`${url}/recommendations?userId=u42&rank=1`);
    expect(await rank.json()).toEqual({ userId: 'u42', rank: 1, item: day2[42]!.items[0], version: 'd2' });
    // Pinned to the retained version d1, by header or by query parameter; an unknown version is a 404.
    const pinned = await fetch(`${url}/users/u42/recommendations`, { headers: { 'x-sluice-version': 'd1' } });
    expect(await pinned.json()).toEqual({ userId: 'u42', items: day1[42]!.items, version: 'd1' });
    const pinnedRank = await fetch(`${url}/recommendations?userId=u42&rank=1&version=d1`);
    expect(await pinnedRank.json()).toEqual({ userId: 'u42', rank: 1, item: day1[42]!.items[0], version: 'd1' });
    const unknown = await fetch(`${url}/users/u42/recommendations?version=d9`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'version_not_found', message: 'dataset cli-recs has no version d9' } });
    const bad = await fetch(`${url}/recommendations?userId=u42&rank=x`);
    expect(bad.status).toBe(400);
    await server.waitFor(/GET \/recommendations\?userId=u42&rank=x 400 [\d.]+ ms/);
    expect(server.stdout).toMatch(/GET \/users\/u42\/recommendations 200 [\d.]+ ms/);
  } finally {
    expect(await server.stop('SIGTERM')).toBe(0);
  }
  expect(server.stdout).toMatch(/stopped\n$/);
});

describe('the admin function (sam remote invoke AdminFunction)', () => {
  type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
  const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));
  let admin: Handler;
  beforeAll(async () => {
    await useSluiceEnv({ ...datasetVars(DATASET) });
    admin = (await import('../../functions/handlers/admin.js')).handler as unknown as Handler;
  });

  test('events/admin-status.json: the status the CLI prints as JSON', async () => {
    const fromCli = JSON.parse((await sluice(['status', '--json'], env)).stdout) as unknown;
    expect(await admin(fixture('admin-status.json'), lambdaContext('AdminFunction'))).toEqual(fromCli);
  });

  test('events/admin-rollback.json is a dry run; a rollback and its errors', async () => {
    expect(await admin(fixture('admin-rollback.json'), lambdaContext('AdminFunction'))).toEqual({
      dataset: DATASET,
      outcome: 'planned',
      version: 'd1',
      orderKey: Date.parse('2026-11-23T02:00:00Z'),
      previous: 'd2',
      previousOrderKey: Date.parse('2026-11-24T02:00:00Z'),
      backInOrder: true,
    });
    expect(await pointer()).toMatchObject({ version: 'd2' });
    await expect(admin({ action: 'rollback', version: 'd1' }, lambdaContext('AdminFunction'))).resolves.toMatchObject({ outcome: 'swapped', previous: 'd2' });
    await expect(admin({ action: 'rollback', version: 'd1' }, lambdaContext('AdminFunction'))).resolves.toMatchObject({ outcome: 'already-live' });
    await expect(admin({ action: 'rollback', version: 'bad1' }, lambdaContext('AdminFunction'))).rejects.toThrow('version bad1 of cli-recs is failed');
    await expect(admin({ action: 'restart' }, lambdaContext('AdminFunction'))).rejects.toThrow('unknown action "restart"');
    await expect(admin({ action: 'status', dataset: 'nope' }, lambdaContext('AdminFunction'))).rejects.toThrow('unknown dataset "nope"');
    expect(await pointer()).toMatchObject({ version: 'd1' });
  });
});

// A server that answers a PUT into a missing bucket with NoSuchBucket may close the connection
// while the body is still being sent, and the next request may meet a closed connection: the
// client then sees EPIPE, not NoSuchBucket, and a streamed body cannot be sent again.
test('ingest of a file into buckets that do not exist yet: each is made first, every upload succeeds', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-newbucket-'));
  try {
    const file = join(dir, 'recs.out');
    await writeFile(file, jsonLinesParts({ users: 6000, scored: true }, 1)[0]!);
    // The grace waits before retiring the older loads are taken on a movable clock: the uploads are what is tested.
    const clock = new SteppingClock();
    for (let i = 0; i < 6; i++) {
      const bucket = `cli-new-bucket-${process.pid}-${i}`;
      const run = await sluice(['ingest', file, '--version', `nb${i}`, '--order-key', `2026-10-0${i + 1}T00:00:00Z`, '--bucket', bucket], { ...env, ...datasetVars('cli-new-bucket') }, 60_000, { clock });
      expect(run).toEqual(expect.objectContaining({ code: 0 }));
      expect(run.stderr).toMatch(new RegExp(`uploaded 1 file \\(\\d+ bytes\\) to s3://${bucket}/local/recs.out/`));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
