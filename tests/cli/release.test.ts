// Release control as an operator meets it, through the sluice command in a child process on the
// test cluster and s3rver: a held load (exit 7) and how status shows it, promote and discard
// with their exit codes, manual approval, a load whose process stopped mid-way (stale, then
// taken over or discarded), and the admin function's promote and discard on the same data.
// The commands run in process on a movable clock (SteppingClock, also the handlers' runtime's):
// grace waits and lock TTLs are a minute, moved past, never sat out. What a killed process
// leaves behind (a plan, some chunks, a lock nobody renews) is made with the real handlers.
import { readFileSync } from 'node:fs';
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { lambdaContext, realTaskHandlers } from '../../local/state-machine.js';
import { useClock } from '../../functions/lambda/runtime.js';
import { adminRedis, closeTestClients, putObject, useSluiceEnv, versionKeyCount } from '../support/sluice.js';
import { SteppingClock } from '../support/stepping-clock.js';
import { sluice as sluiceAt, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'cli-rel';
const BUCKET = 'cli-rel-bucket';
const USERS = 3000;
const BIG_USERS = 30_000;
const STALE_MS = 60_000;
const settings = { CHUNK_SIZE_BYTES: '65536', LOAD_STALE_SECONDS: String(STALE_MS / 1000), GRACE_SECONDS: '60' };
const env = testStackEnv({ ...datasetVars(DATASET), SLUICE_BUCKET: BUCKET, ...settings });
/** The time of every command here and of the handlers called directly. */
const clock = new SteppingClock();
const sluice = (args: string[], e: Record<string, string> = {}) => sluiceAt(args, e, 60_000, { clock });
const day2 = [...recommendations({ users: USERS, itemBase: 500_000, seed: 9 })];
const key = (suffix: string) => `{sluice:${DATASET}}:${suffix}`;
const pointer = async () => (JSON.parse((await adminRedis().get(key('current'))) ?? 'null') as { version: string } | null)?.version;
const ingest = (prefix: string, version: string, day: number, extra: Record<string, string> = {}, flags: string[] = []) =>
  sluice(['ingest', `s3://${BUCKET}/${prefix}/`, '--version', version, '--order-key', `2026-11-${String(day).padStart(2, '0')}T02:00:00Z`, ...flags], { ...env, ...extra });

beforeAll(async () => {
  useClock(clock);
  for (const [i, body] of jsonLinesParts({ users: USERS }, 2).entries()) await putObject(BUCKET, `d1/part-${i}.out`, body);
  for (const [i, body] of jsonLinesParts({ users: USERS, itemBase: 500_000, seed: 9 }, 2).entries()) await putObject(BUCKET, `d2/part-${i}.out`, body);
  for (const [i, body] of jsonLinesParts({ users: BIG_USERS, scored: true }, 3).entries()) await putObject(BUCKET, `big/part-${i}.out`, body);
  expect(await ingest('d1', 'r1', 1)).toEqual(expect.objectContaining({ code: 0 }));
});
afterAll(async () => {
  useClock();
  await closeTestClients();
});

test('a load that fails a release check is held: exit 7, which check failed by how much, the live version untouched', async () => {
  const run = await ingest('d2', 'r2', 2, datasetVars({ name: DATASET, checks: { minRecords: 5000 } }));
  expect(run.code).toBe(7);
  expect(run.stdout).toMatch(/^version r2 of cli-rel is held, not live: a release check failed; 3,000 records \(0 bad\)/);
  expect(run.stdout).toContain('  record-count-min: 3000 (threshold >= 5000): 3000 records loaded; at least 5000 required');
  expect(run.stdout).toContain('the live version r1 is untouched; sluice promote r2 --dataset cli-rel makes it live, sluice discard r2 --dataset cli-rel deletes it');
  expect(await pointer()).toBe('r1');
  const get = await sluice(['get', 'u7'], env);
  expect(JSON.parse(get.stdout)).toMatchObject({ version: 'r1' });
});

test('status shows the held version with its failed checks, as a table and as JSON', async () => {
  const [table, json] = await Promise.all([sluice(['status'], env), sluice(['status', '--json'], env)]);
  expect(table).toEqual(expect.objectContaining({ code: 0 }));
  expect(table.stdout).toMatch(/ {3}r2 +held +2026-11-02T02:00:00.000Z +3,000 +0 /);
  expect(table.stdout).toContain('  r2: held, not live: a release check failed; sluice promote r2 --dataset cli-rel makes it live, sluice discard r2 --dataset cli-rel deletes it');
  expect(table.stdout).toContain('    record-count-min: 3000 (threshold >= 5000): 3000 records loaded; at least 5000 required');
  const versions = (JSON.parse(json.stdout) as { datasets: { versions: Record<string, unknown>[] }[] }).datasets[0]!.versions;
  expect(versions.find((v) => v.version === 'r2')).toMatchObject({
    status: 'held',
    live: false,
    heldReason: 'checks-failed',
    heldAt: expect.any(String),
    failedChecks: [{ name: 'record-count-min', value: 3000, threshold: '>= 5000' }],
  });
});

test('promote: a held version goes live; the live one, a missing one and a retained one give their exit codes', async () => {
  const [missing, already, wrong] = await Promise.all([sluice(['promote', 'nope'], env), sluice(['promote', 'r1'], env), sluice(['discard', 'r1'], env)]);
  expect(missing.code).toBe(5);
  expect(missing.stderr).toContain('dataset cli-rel has no version nope');
  expect(already).toMatchObject({ code: 0, stdout: 'nothing to do: version r1 of cli-rel is already live\n' });
  expect(wrong.code).toBe(6);
  expect(wrong.stderr).toContain('version r1 of cli-rel is live; only a held version or a stale load can be discarded');

  const run = await sluice(['promote', 'r2'], env);
  expect(run).toEqual(expect.objectContaining({ code: 0 }));
  expect(run.stdout).toMatch(/^cli-rel: version r2 \(order key 2026-11-02T02:00:00.000Z\) is live, promoted from held \(checks-failed\)\n {2}it replaced r1/);
  expect(await pointer()).toBe('r2');
  const get = await sluice(['get', 'u7'], env);
  expect(JSON.parse(get.stdout)).toEqual({ userId: 'u7', items: day2[7]!.items, version: 'r2' });
  const again = await sluice(['promote', 'r1'], env);
  expect(again.code).toBe(6);
  expect(again.stderr).toMatch(/version r1 of cli-rel is superseded; only a held version can be promoted/);
});

test('manual approval: a load that passes every check is held (exit 7); discard deletes it', async () => {
  const run = await ingest('d1', 'r3', 3, datasetVars({ name: DATASET, promote: 'manual' }));
  expect(run.code).toBe(7);
  expect(run.stdout).toMatch(/^version r3 of cli-rel is held, not live: the dataset waits for approval \(promote: manual\)/);
  expect(await versionKeyCount(DATASET, 'r3')).toBeGreaterThan(0);
  const discard = await sluice(['discard', 'r3', '--json'], env);
  expect(discard).toEqual(expect.objectContaining({ code: 0 }));
  expect(JSON.parse(discard.stdout)).toMatchObject({ dataset: DATASET, outcome: 'discarded', version: 'r3', was: 'held' });
  expect(await versionKeyCount(DATASET, 'r3')).toBe(0);
  expect(await adminRedis().hget(key('version:r3'), 'status')).toBe('discarded');
  expect(await pointer()).toBe('r2');
});

describe('a load whose process stopped mid-way', () => {
  /**
   * What a killed `sluice ingest` of the big input leaves: its plan, the first chunk written, and a
   * lock that nothing renews (no process heartbeats for it). The real Plan and LoadChunk make it.
   */
  async function deadLoad(version: string, day: number): Promise<void> {
    await useSluiceEnv({ ...datasetVars(DATASET), ...settings });
    const h = await realTaskHandlers();
    const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/big/`, version, orderKey: `2026-11-${day}T02:00:00Z` }, executionId: `exec-${version}` })) as { action: string; chunkCount: number };
    expect(plan).toMatchObject({ action: 'load' });
    expect(plan.chunkCount).toBeGreaterThan(2);
    await h.LoadChunk({ dataset: DATASET, version, owner: `exec-${version}`, chunk: 0 });
  }

  test('status shows it loading while its lock is fresh, stale once LOAD_STALE_SECONDS pass without a heartbeat; a re-ingest takes it over, cleaning its keys first', async () => {
    await deadLoad('r4', 10);
    const keysLeft = await versionKeyCount(DATASET, 'r4');
    expect(keysLeft).toBeGreaterThan(0);
    expect((await sluice(['status'], env)).stdout).toMatch(/r4 +loading \d+\/\d+/);
    clock.advance(STALE_MS);
    const stale = await sluice(['status'], env);
    const [, done, total] = /r4 +stale (\d+)\/(\d+)/.exec(stale.stdout)!;
    expect(Number(done)).toBeLessThan(Number(total));
    expect(stale.stdout).toMatch(/ {2}r4: stale: nothing has loaded it since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(its process stopped\); sluice discard r4 --dataset cli-rel deletes it, a re-ingest takes it over/);

    // The big input has ten times the users of the live version: growth is the point here, not a check.
    const again = await sluice(['ingest', `s3://${BUCKET}/big/`, '--version', 'r4', '--order-key', '2026-11-10T02:00:00Z', '--json'], { ...env, ...datasetVars({ name: DATASET, checks: { maxRecordGrowth: false } }) });
    expect(again).toEqual(expect.objectContaining({ code: 0 }));
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'loaded', version: 'r4', previous: 'r2', records: BIG_USERS });
    // Exactly the new load's records.
    const buckets = Number(await adminRedis().hget(key('version:r4'), 'buckets'));
    let fields = 0;
    for (let b = 0; b < buckets; b++) fields += await adminRedis().hlen(`sluice:${DATASET}:r4:${b}`);
    expect(fields).toBe(BIG_USERS);
  });

  test('sluice discard removes a stale load (and refuses while its lock is fresh)', async () => {
    await deadLoad('r5', 11);
    const busy = await sluice(['discard', 'r5'], env);
    expect(busy.code).toBe(6);
    expect(busy.stderr).toMatch(/version r5 of cli-rel is loading under a running execution, last heartbeat [\d.]+ s ago/);
    clock.advance(STALE_MS);
    expect(JSON.parse((await sluice(['status', '--json'], env)).stdout)).toMatchObject({ datasets: [{ versions: expect.arrayContaining([expect.objectContaining({ version: 'r5', status: 'stale' })]) }] });
    const run = await sluice(['discard', 'r5'], env);
    expect(run).toEqual(expect.objectContaining({ code: 0 }));
    expect(run.stdout).toMatch(/^cli-rel: stale load r5 discarded: its data \(\d+ bucket keys\) deleted/);
    expect(await versionKeyCount(DATASET, 'r5')).toBe(0);
    expect(await pointer()).toBe('r4');
  });
});

describe('the admin function: promote and discard (events/admin-promote.json, admin-discard.json)', () => {
  type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
  const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
  let admin: Handler;
  beforeAll(async () => {
    await useSluiceEnv({ ...datasetVars(DATASET) });
    admin = (await import('../../functions/handlers/admin.js')).handler as unknown as Handler;
  });

  test('discard, then promote, the fixture\'s held version; status agrees with the CLI', async () => {
    const version = String(fixture('admin-promote.json').version);
    const hold = () => sluice(['ingest', `s3://${BUCKET}/d2/`, '--version', version, '--order-key', '2026-11-25T02:00:00Z'], { ...env, ...datasetVars({ name: DATASET, promote: 'manual', checks: { maxRecordDrop: false, minLiveKeyCoverage: false } }) });
    expect((await hold()).code).toBe(7);
    const fromCli = JSON.parse((await sluice(['status', '--json'], env)).stdout) as unknown;
    expect(await admin({ action: 'status' }, lambdaContext('AdminFunction'))).toEqual(fromCli);

    expect(await admin(fixture('admin-discard.json'), lambdaContext('AdminFunction'))).toMatchObject({ outcome: 'discarded', version, was: 'held' });
    expect(await versionKeyCount(DATASET, version)).toBe(0);
    await expect(admin(fixture('admin-promote.json'), lambdaContext('AdminFunction'))).rejects.toThrow(`version ${version} of ${DATASET} is discarded; only a held version can be promoted`);

    expect((await hold()).code).toBe(7); // a discarded version may be loaded again
    expect(await admin(fixture('admin-promote.json'), lambdaContext('AdminFunction'))).toMatchObject({ outcome: 'swapped', version, previous: 'r4', heldReason: 'manual-approval' });
    expect(await pointer()).toBe(version);
    await expect(admin({ action: 'promote' }, lambdaContext('AdminFunction'))).rejects.toThrow('promote needs the version');
  });
});
