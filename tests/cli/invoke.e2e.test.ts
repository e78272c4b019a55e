// Every fixture in events/ through `sluice invoke` (sam local invoke without Docker), against a
// stack from `sluice up --seed` holding the demo data: the transform output at the fixtures' own
// S3 location, loaded by the completion event fixture (and one earlier night, so there is a
// version to roll back to), plus the loan example's feature datasets. The fixtures are read from
// the directory, so one added later is covered too.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { datasetVars } from '../../local/datasets-file.js';
import { RunningCli, sluiceSpawned as sluice } from './run-cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = readdirSync(join(root, 'events')).filter((f) => f.endsWith('.json')).sort();
const loanDatasets = join(root, 'examples/loan/datasets.json');
// The loan declarations with the recommendations held for approval: a held version for promote and discard.
const loanHeld = datasetVars(
  ...(JSON.parse(readFileSync(loanDatasets, 'utf8')) as Record<string, unknown>[]).map((d) => (d.name === 'recommendations' ? { ...d, promote: 'manual' } : d)),
);

/** Which function a fixture is for, by its name. A new kind of fixture must be added here. */
function functionFor(fixture: string): string {
  const rules: [RegExp, string][] = [
    [/^admin-/, 'AdminFunction'],
    [/^api-/, 'ReadApiFunction'],
    [/^(sagemaker-|manual-)/, 'PlanFunction'],
    [/^load-chunk/, 'LoadChunkFunction'],
    [/^commit/, 'CommitFunction'],
    [/^retire/, 'RetireFunction'],
    [/^cleanup/, 'CleanupFunction'],
  ];
  const rule = rules.find(([pattern]) => pattern.test(fixture));
  if (!rule) throw new Error(`events/${fixture}: which function is it for? Add its name to functionFor() in ${fileURLToPath(import.meta.url)}`);
  return rule[1];
}

/**
 * Fixtures whose function refuses them, by design: a transform job that did not complete (the
 * EventBridge rule never sends these; they exist to test its pattern), and a chunk of a
 * version that is live, not loading under that execution.
 */
const REFUSED: Record<string, string> = {
  'sagemaker-transform-failed.json': 'InvalidInputError',
  'sagemaker-transform-inprogress.json': 'InvalidInputError',
  'load-chunk.json': 'VersionStateError',
};

let up: RunningCli;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-invoke-'));
  // The one documented command that puts the fixtures' data (and the loan example) into a local stack.
  up = RunningCli.start(['up', '--seed', '--write-env', join(dir, 'env')]);
  const [, exported] = await up.waitFor(/^export (.+)$/m, 180_000);
  // A short grace: `sluice ingest` really waits it after a swap (as Step Functions does).
  env = { ...Object.fromEntries(exported!.split(' ').map((kv) => kv.split('=') as [string, string])), GRACE_SECONDS: '2', POINTER_CACHE_MS: '500', REDIS_COMMAND_TIMEOUT_MS: '1000' };
  expect(env.SLUICE_DATASETS_FILE).toBe(loanDatasets);
}, 240_000);

afterAll(async () => {
  if (up) expect(await up.stop('SIGINT')).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

const invoke = (id: string, fixture: string, extra: Record<string, string> = {}, flags: string[] = []) =>
  sluice(['invoke', id, '--event', join(root, 'events', fixture), ...flags], { ...env, ...extra });

/** Fixtures that act on a held version: run one after another, each on a version held for it. */
const SEQUENTIAL = ['admin-discard.json', 'admin-promote.json'];

test('every fixture in events/ runs through sluice invoke against the demo data', async () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(14);
  // None of them changes what another one finds (Plan skips, Commit finds the version live,
  // Cleanup and Retire have nothing to do, the rollback is a dry run): a few at a time.
  const limit = pLimit(4);
  const parallel = fixtures.filter((f) => !SEQUENTIAL.includes(f));
  const runs = await Promise.all(parallel.map((fixture) => limit(() => invoke(functionFor(fixture), fixture))));
  // Promote and discard change what they act on: each gets a held version of its own, in turn.
  for (const fixture of SEQUENTIAL) {
    const held = await sluice(['ingest', 's3://example-ml-predictions/recs/2026-11-24/', '--dataset', 'recommendations', '--version', 'recs-nightly-2026-11-25', '--order-key', '2026-11-25T03:00:00Z'], { ...env, ...loanHeld });
    expect({ fixture, code: held.code }).toEqual({ fixture, code: 7 });
    runs.push(await invoke(functionFor(fixture), fixture));
  }
  // The promote made the held version live: put the fixtures' live version back for the tests after this one.
  const back = await sluice(['rollback', 'recs-nightly-2026-11-24', '--dataset', 'recommendations'], env);
  expect({ code: back.code, stderr: back.stderr }).toEqual(expect.objectContaining({ code: 0 }));
  for (const [i, fixture] of [...parallel, ...SEQUENTIAL].entries()) {
    const run = runs[i]!;
    const refusal = REFUSED[fixture];
    const result = JSON.parse(run.stdout) as { statusCode?: number; errorType?: string; body?: string };
    if (refusal) {
      expect({ fixture, code: run.code, errorType: result.errorType }).toEqual({ fixture, code: 1, errorType: refusal });
      continue;
    }
    expect({ fixture, code: run.code, stderr: run.stderr }).toEqual({ fixture, code: 0, stderr: '' });
    expect(result.errorType).toBeUndefined();
    // API fixtures must find what they ask for.
    if (result.statusCode !== undefined) expect({ fixture, statusCode: result.statusCode, body: result.body }).toMatchObject({ fixture, statusCode: 200 });
  }
}, 300_000);

test('Cleanup on a version that is not loading under its execution counts no failed load', async () => {
  const metrics = { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'INFO' };
  const cleanup = await invoke('CleanupFunction', 'cleanup.json', metrics, ['--verbose']);
  expect(cleanup).toEqual(expect.objectContaining({ code: 0 }));
  expect(JSON.parse(cleanup.stdout)).toEqual({ cleaned: false, status: 'live' });
  expect(cleanup.stderr).toContain('nothing to clean up');
  expect(cleanup.stderr).not.toContain('LoadsFailed');
  // Metrics do show this way: a commit reports its outcome.
  const commit = await invoke('CommitFunction', 'commit.json', metrics, ['--verbose']);
  expect(commit.stderr).toContain('"VersionsCommitted":1');
});

test('a put logs its request id and emits RecordsPut; the corrected record is live at once', async () => {
  const put = await invoke('AdminFunction', 'admin-put.json', { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'INFO' }, ['--verbose']);
  expect(put).toEqual(expect.objectContaining({ code: 0 }));
  const result = JSON.parse(put.stdout) as { records: number; requestId: string; versions: string[] };
  expect(result).toMatchObject({ records: 2, versions: ['recs-nightly-2026-11-24'] });
  expect(put.stderr).toContain('"RecordsPut":2');
  expect(put.stderr).toMatch(new RegExp(`"message": "put",[^}]*"requestId": "${result.requestId}"`));
  const get = await sluice(['get', 'new-user-9001'], { ...env, SLUICE_DATASETS_FILE: join(root, 'examples/loan/datasets.json') });
  expect(JSON.parse(get.stdout)).toMatchObject({ items: [{ item: 'i3003', score: 0.5 }] });
});

test('without a local stack, invoke says where the cache address must come from', async () => {
  const run = await sluice(['invoke', 'PlanFunction', '--event', join(root, 'events/manual-start.json')], { PATH: process.env.PATH ?? '' });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('PlanFunction takes REDIS_HOST, REDIS_PORT from the deployed stack; point it at a local one: sluice up');
});
