// What `sluice` tells an operator, in this process (runCli) on the test cluster and s3rver:
// exit codes a scheduler can tell apart (held, already held, already loading), the time to
// live apart from the wait after the swap, hints that work for any dataset, every check in
// JSON, duplicate keys apart from bad records, a second discard, an older order key, Ctrl-C
// during the upload, and `get --version/--dataset`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLinesParts } from '../../local/sample-data.js';
import { realTaskHandlers } from '../../local/state-machine.js';
import { closeTestClients, putObject, useSluiceEnv } from '../support/sluice.js';
import { sluice, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'cli-ops';
const BUCKET = 'cli-ops-bucket';
// GRACE_SECONDS=600: a load that waited the grace period would not end within the test's time.
const env = testStackEnv({ ...datasetVars({ name: DATASET, checks: { inputCompleteness: false } }), SLUICE_BUCKET: BUCKET, GRACE_SECONDS: '600', RETAIN_VERSIONS: '2' });
const ingest = (prefix: string, version: string, day: number, extra: Record<string, string> = {}, flags: string[] = []) =>
  sluice(['ingest', `s3://${BUCKET}/${prefix}/`, '--version', version, '--order-key', `2026-12-${String(day).padStart(2, '0')}T02:00:00Z`, ...flags], { ...env, ...extra });
const json = <T>(text: string) => JSON.parse(text) as T;
interface Check { name: string; value: unknown; threshold: string; outcome: string }
let dir: string;

beforeAll(async () => {
  for (const [i, body] of jsonLinesParts({ users: 1000 }, 2).entries()) await putObject(BUCKET, `full/part-${i}.out`, body);
  for (const [i, body] of jsonLinesParts({ users: 1000, itemBase: 500_000, seed: 3 }, 2).entries()) await putObject(BUCKET, `full2/part-${i}.out`, body);
  await putObject(BUCKET, 'part/part-0.out', jsonLinesParts({ users: 300 }, 1)[0]!);
  const [a, b] = jsonLinesParts({ users: 1000, seed: 5 }, 2);
  await putObject(BUCKET, 'dup/part-0.out', a!);
  await putObject(BUCKET, 'dup/part-1.out', Buffer.concat([b!, Buffer.from('{"userId":"u7","recommendations":[1,2]}\n')]));
  dir = await mkdtemp(join(tmpdir(), 'sluice-ops-'));
  await writeFile(join(dir, 'a.out'), jsonLinesParts({ users: 10 }, 1)[0]!);
});
afterAll(async () => {
  await closeTestClients();
  await rm(dir, { recursive: true, force: true });
});

test('a first load does not wait the grace period; the summary gives the time to live; --json has every check', async () => {
  const run = await ingest('full', 'o1', 1, {}, ['--json']);
  expect(run.code).toBe(0);
  expect(run.stderr).not.toContain('waiting');
  const report = json<{ outcome: string; ms: number; msToLive: number; checks: Check[] }>(run.stdout);
  expect(report).toMatchObject({ outcome: 'loaded', msToLive: expect.any(Number) });
  expect(report.msToLive).toBeLessThanOrEqual(report.ms);
  expect(report.checks.length).toBeGreaterThan(3);
  for (const c of report.checks) expect(c).toEqual(expect.objectContaining({ name: expect.any(String), threshold: expect.any(String), outcome: expect.stringMatching(/^(pass|fail|skipped)$/) }));
  expect(report.checks.map((c) => c.name)).toContain('record-count-min');
  // The next good night: the version it replaced takes the retention slot, nothing waits for its grace.
  const next = await ingest('full2', 'o2', 2);
  expect(next.code).toBe(0);
  expect(next.stdout).toMatch(/^version o2 of cli-ops is live: 1,000 records \(0 bad\) from 2 objects \(.*\) in \d+ chunks?, live in [\d.]+ s \([\d,]+ records\/s\)\n/);
  expect(next.stdout).not.toContain('in all');
  expect(next.stderr).not.toContain('waiting');
});

test('held: exit 7 with hints that name the dataset; a re-run exits 8; status says how many checks failed; --json has every check', async () => {
  const held = await ingest('part', 'o3', 3);
  expect(held.code).toBe(7);
  expect(held.stdout).toMatch(/^version o3 of cli-ops is held, not live: 2 release checks failed;/);
  expect(held.stdout).toContain('the live version o2 is untouched; sluice promote o3 --dataset cli-ops makes it live, sluice discard o3 --dataset cli-ops deletes it');
  const again = await ingest('part', 'o3', 3);
  expect(again).toEqual({ code: 8, stderr: '', stdout: 'not loaded again: version o3 is already held (loaded, not live): sluice promote o3 --dataset cli-ops makes it live, sluice discard o3 --dataset cli-ops deletes it\n' });
  const status = await sluice(['status'], env);
  expect(status.stdout).toContain('  o3: held, not live: 2 release checks failed; sluice promote o3 --dataset cli-ops makes it live, sluice discard o3 --dataset cli-ops deletes it\n');
  const versions = json<{ datasets: { versions: { version: string; checks?: Check[] }[] }[] }>((await sluice(['status', '--json'], env)).stdout).datasets[0]!.versions;
  const o3 = versions.find((v) => v.version === 'o3')!;
  expect(o3.checks?.filter((c) => c.outcome === 'fail').map((c) => c.name).sort()).toEqual(['live-key-coverage', 'record-count-change']);
  expect(o3.checks?.some((c) => c.outcome === 'pass')).toBe(true);
  expect(versions.find((v) => v.version === 'o2')!.checks?.every((c) => c.outcome !== 'fail')).toBe(true);
  // get --version reads the held version, as ?version= does; --dataset the dataset's item route.
  const pinned = await sluice(['get', 'u7', '--version', 'o3'], env);
  expect(json(pinned.stdout)).toMatchObject({ userId: 'u7', version: 'o3' });
  const item = await sluice(['get', 'u7', '--dataset', DATASET, '--version', 'o3'], env);
  expect(json(item.stdout)).toMatchObject({ dataset: DATASET, key: 'u7', version: 'o3' });
  expect(await sluice(['get', 'u7', '--version', 'nope'], env)).toMatchObject({ code: 5, stderr: expect.stringContaining('dataset cli-ops has no version nope') });
});

test('a second discard says nothing was left to delete', async () => {
  const first = await sluice(['discard', 'o3'], env);
  expect(first.stdout).toMatch(/^cli-ops: held version o3 discarded: its data \(\d+ bucket keys\) deleted/);
  const second = await sluice(['discard', 'o3'], env);
  expect(second).toMatchObject({ code: 0, stdout: expect.stringMatching(/^nothing to do: version o3 of cli-ops was discarded already \(2\d{3}-.*Z\) and its data deleted then\n$/) });
});

test('a load held for duplicate keys says 0 bad and lists the duplicates as such, not as bad records', async () => {
  const run = await ingest('dup', 'o4', 4);
  expect(run.code).toBe(7);
  expect(run.stdout).toMatch(/^version o4 of cli-ops is held, not live: a release check failed; 1,000 records \(0 bad\)/);
  expect(run.stdout).not.toContain('bad records');
  expect(run.stdout).toMatch(/\nduplicate keys, first 1:\n {2}s3:\/\/cli-ops-bucket\/dup\/part-1\.out at byte \d+: duplicate key "u7"/);
  await sluice(['discard', 'o4'], env);
});

test('an older order key is refused with both order keys (exit 6)', async () => {
  const run = await ingest('full', 'o0', 1);
  expect(run).toEqual({
    code: 6,
    stderr: '',
    stdout: 'not loaded: version o0 (order key 2026-12-01T02:00:00.000Z) is ordered before the live version o2 (order key 2026-12-02T02:00:00.000Z), and an older load never replaces newer data; a manual run loads it with a later --order-key\n',
  });
});

test('a version another run is loading exits 9', async () => {
  await useSluiceEnv({ ...datasetVars({ name: DATASET, checks: { inputCompleteness: false } }), GRACE_SECONDS: '600' });
  const h = await realTaskHandlers();
  await h.Plan({ event: { s3Uri: `s3://${BUCKET}/full/`, version: 'o9', orderKey: '2026-12-09T02:00:00Z' }, executionId: 'exec-o9' });
  const run = await ingest('full', 'o9', 9);
  expect(run).toEqual({ code: 9, stderr: '', stdout: 'not loaded again: version o9 is already loading in another run; nothing was loaded (sluice status --dataset cli-ops shows it)\n' });
});

test('Ctrl-C during the upload says what happened and exits 130', async () => {
  const stop = new AbortController();
  stop.abort();
  const run = await sluice(['ingest', dir, '--version', 'o10'], env, 60_000, { signal: stop.signal });
  expect(run.code).toBe(130);
  expect(run.stderr).toMatch(/^sluice: interrupted \(Ctrl-C\) while uploading .*a\.out to s3:\/\/cli-ops-bucket\/local\/sluice-ops-\w+\/: 0 of 1 file uploaded; nothing was loaded and the live version is untouched/);
});

test('status offers promote only for a held version newer than the live one', async () => {
  expect((await ingest('part', 'o11', 11)).code).toBe(7);
  // o12 goes live through Plan, LoadChunk and Commit, before any Retire: o11 is now older than the live version.
  await useSluiceEnv({ ...datasetVars({ name: DATASET, checks: { inputCompleteness: false } }), GRACE_SECONDS: '600' });
  const h = await realTaskHandlers();
  const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/full/`, version: 'o12', orderKey: '2026-12-12T02:00:00Z' }, executionId: 'exec-o12' })) as { chunks: number[]; chunkCount: number };
  for (const chunk of plan.chunks) await h.LoadChunk({ dataset: DATASET, version: 'o12', owner: 'exec-o12', chunk });
  expect(await h.Commit({ dataset: DATASET, version: 'o12', owner: 'exec-o12', chunkCount: plan.chunkCount })).toMatchObject({ outcome: 'swapped' });
  const status = await sluice(['status'], env);
  expect(status.stdout).toContain('  o11: held, not live: 2 release checks failed; it is not newer than the live version o12, so it cannot be made live; sluice discard o11 --dataset cli-ops deletes it (or the next Retire does)\n');
  expect(status.stdout).not.toContain('sluice promote o11');
});

test('when Retire must wait for readers, the summary gives the time to live and the total apart', async () => {
  // RETAIN_VERSIONS=1: the version just replaced is past retention and inside its grace: the load waits for it.
  // The one wall-clock test of the grace wait: GRACE_SECONDS=2 sat out on the real clock (cli/sleep.ts).
  // Every other test of what waits for the grace period moves a SteppingClock instead.
  const run = await ingest('full2', 'o13', 13, { RETAIN_VERSIONS: '1', GRACE_SECONDS: '2' });
  expect(run.code).toBe(0);
  expect(run.stderr).toContain("version o13 is live; waiting 2 s (GRACE_SECONDS) for readers' cached pointers before retiring o12");
  const m = /live in ([\d.]+) s \([\d,]+ records\/s\); ([\d.]+) s in all, with the wait before retiring older versions\n/.exec(run.stdout);
  expect(m).not.toBeNull();
  // Both figures are printed to a tenth of a second: their difference may show 1.9 for a 2 s wait.
  expect(Number(m![2]) - Number(m![1])).toBeGreaterThanOrEqual(1.9 - 1e-9);
});
