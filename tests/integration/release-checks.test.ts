// Release checks on the real cluster, s3rver and the real state machine: each check passing
// and failing, an ordinary night passing all of them, and duplicates counted exactly under a
// retried chunk. A failing check fails the execution for now (held versions come next) and
// leaves the live version answering.
import { realTaskHandlers, runIngestLocally, type TaskHandler } from '../../local/state-machine.js';
import type { CheckResult } from '../../functions/domain/release-checks.js';
import { adminRedis, api, closeTestClients, eventually, putObject, useSluiceEnv, versionKeyCount } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';

const BUCKET = 'checks-bucket';
afterAll(async () => {
  delete process.env.SLUICE_DATASETS_FILE;
  await closeTestClients();
});

/** Each test states its dataset's declaration (its checks) and the settings it changes. */
async function useEnv(declaration: string | Record<string, unknown>, vars: Record<string, string> = {}): Promise<void> {
  const named = typeof declaration === 'string' ? { name: declaration } : declaration;
  await useSluiceEnv({ ...vars, ...datasetVars(named) });
}

interface User {
  id: string;
  items: number[];
}
/** Users `prefix<from>..prefix<to-1>`; `length(i)` items each, ids offset by `base`. */
function users(from: number, to: number, length: (i: number) => number, base = 0, prefix = 'u'): User[] {
  const out: User[] = [];
  for (let i = from; i < to; i++) out.push({ id: `${prefix}${i}`, items: Array.from({ length: length(i) }, (_, k) => base + i * 10 + k) });
  return out;
}
const jsonl = (list: User[]) => list.map((u) => JSON.stringify({ userId: u.id, recommendations: u.items })).join('\n') + '\n';

/** Uploads the users as three `.out` parts under `prefix`. */
async function upload(prefix: string, list: User[]): Promise<void> {
  for (let p = 0; p < 3; p++) await putObject(BUCKET, `${prefix}/part-${p}.out`, jsonl(list.filter((_, i) => i % 3 === p)));
}

type Output = { result?: { commit: { outcome: string; records: number; samples: { reason: string }[]; checks: { passed: boolean; checks: CheckResult[]; stats: { records: number; written: number; duplicates: number } } } } };
const checksOf = (run: { output?: unknown }) => Object.fromEntries((run.output as Output).result!.commit.checks.checks.map((c) => [c.name, c]));
const pointerOf = async (dataset: string) => (JSON.parse((await adminRedis().get(`{sluice:${dataset}}:current`)) ?? 'null') as { version: string } | null)?.version;
const versionField = (dataset: string, version: string, field: string) => adminRedis().hget(`{sluice:${dataset}}:version:${version}`, field);
async function storedChecks(dataset: string, version: string): Promise<Record<string, CheckResult>> {
  const list = JSON.parse((await versionField(dataset, version, 'checks')) ?? '[]') as CheckResult[];
  return Object.fromEntries(list.map((c) => [c.name, c]));
}

/** What the held notification (SNS) said, where a failing check explains itself. */
const heldNotice = (run: Awaited<ReturnType<typeof runIngestLocally>>) => run.notifications?.map((n) => n.message).join('\n') ?? '';

/** A failed check holds the version: the execution succeeds as "held", the live version stays and answers, the held one keeps its data. */
async function expectHeldBack(dataset: string, version: string, run: Awaited<ReturnType<typeof runIngestLocally>>, live: string, failing: string[]): Promise<void> {
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'held' } } } });
  const failed = Object.values(checksOf(run)).filter((c) => c.outcome === 'fail').map((c) => c.name);
  expect(failed.sort()).toEqual([...failing].sort());
  expect(run.notifications?.map((n) => n.message).join('\n')).toContain(failing[0]);
  expect(await pointerOf(dataset)).toBe(live);
  expect(await versionField(dataset, version, 'status')).toBe('held');
  const stored = await storedChecks(dataset, version);
  expect(Object.values(stored).filter((c) => c.outcome === 'fail').map((c) => c.name).sort()).toEqual([...failing].sort());
  expect(JSON.parse((await versionField(dataset, version, 'stats'))!)).toHaveProperty('records');
  expect(await versionKeyCount(dataset, version)).toBeGreaterThan(0);
}

describe('ranked items: counts, coverage and list shape against the live version', () => {
  const DATASET = 'rc';
  const ENV = { CHUNK_SIZE_BYTES: '16384', MAP_CONCURRENCY: '4' };
  // Live: 2000 users with 10 items, 2% of them empty.
  const v1 = users(0, 2000, (i) => (i % 50 === 0 ? 0 : 10));
  const run = (prefix: string, version: string, orderKey: number) => runIngestLocally({ s3Uri: `s3://${BUCKET}/${prefix}/`, version, orderKey });

  beforeAll(async () => {
    await useEnv(DATASET, ENV);
    await upload('rc/v1', v1);
  });

  test('the first load has nothing to compare with: the relative checks are skipped, its stats are stored', async () => {
    const r = await run('rc/v1', 'v1', 1000);
    expect(r.status).toBe('SUCCEEDED');
    const checks = checksOf(r);
    expect(checks['record-count-min']).toMatchObject({ outcome: 'pass', value: 2000 });
    expect(checks['duplicate-keys']).toMatchObject({ outcome: 'pass', value: 0 });
    for (const name of ['record-count-change', 'live-key-coverage', 'empty-list-share', 'list-length-median', 'list-length-p99']) {
      expect(checks[name]).toMatchObject({ outcome: 'skipped', detail: 'no live version to compare with' });
    }
    const stats = JSON.parse((await versionField(DATASET, 'v1', 'stats'))!) as { records: number; lists: { lists: number; empty: number } };
    expect(stats).toMatchObject({ records: 2000, written: 2000, duplicates: 0, lists: { lists: 2000, empty: 40 } });
  });

  test('an ordinary night passes every check: 90% of the keys kept, 5% new, some lists changed or shortened', async () => {
    const kept = users(200, 2000, (i) => (i % 40 === 0 ? 0 : i % 5 === 0 ? 7 : 10), 5_000_000);
    const added = users(0, 100, () => 10, 0, 'new');
    await upload('rc/v2', [...kept, ...added]);
    const r = await run('rc/v2', 'v2', 2000);
    expect(r.status).toBe('SUCCEEDED');
    expect((r.output as Output).result!.commit).toMatchObject({ outcome: 'swapped', records: 1900 });
    const checks = checksOf(r);
    expect(Object.keys(checks).sort()).toEqual(['duplicate-keys', 'empty-list-share', 'list-length-median', 'list-length-p99', 'live-key-coverage', 'record-count-change', 'record-count-min']);
    expect(Object.values(checks).filter((c) => c.outcome !== 'pass')).toEqual([]);
    expect(checks['record-count-change']!.value).toBe(0.95);
    expect(checks['live-key-coverage']!.value).toBeGreaterThan(0.85); // 90% of the live keys, sampled
    expect(checks['live-key-coverage']!.value).toBeLessThan(0.95);
    expect(checks['list-length-median']).toMatchObject({ value: 10 });
  });

  test('output for a third of the users fails on count and coverage; the live version is untouched', async () => {
    await upload('rc/third', users(200, 867, () => 10, 6_000_000));
    const r = await run('rc/third', 'third', 3000);
    await expectHeldBack(DATASET, 'third', r, 'v2', ['record-count-change', 'live-key-coverage']);
    expect(heldNotice(r)).toMatch(/\d+ of 1000 keys sampled from live version v2 are in this version \((2|3)\d\.\d%\)/);
    expect((await api('/users/u300/recommendations')).body).toMatchObject({ version: 'v2' });
  });

  test('more than doubling fails', async () => {
    await upload('rc/double', [...users(200, 2000, () => 10), ...users(0, 2100, () => 10, 0, 'extra')]);
    await expectHeldBack(DATASET, 'double', await run('rc/double', 'double', 3100), 'v2', ['record-count-change']);
  });

  test('lists ten times shorter fail on median and p99; lists suddenly empty fail on the empty share', async () => {
    const same = (length: (i: number) => number) => [...users(200, 2000, length), ...users(0, 100, length, 0, 'new')];
    await upload('rc/short', same(() => 1));
    await expectHeldBack(DATASET, 'short', await run('rc/short', 'short', 3200), 'v2', ['list-length-median', 'list-length-p99']);
    await upload('rc/empty', same((i) => (i % 3 === 0 ? 0 : 10)));
    await expectHeldBack(DATASET, 'empty', await run('rc/empty', 'empty', 3300), 'v2', ['empty-list-share']);
  });

  test('a record-count minimum fails a load below it', async () => {
    await useEnv({ name: DATASET, checks: { minRecords: 5000 } }, ENV);
    await expectHeldBack(DATASET, 'min', await run('rc/v2', 'min', 3400), 'v2', ['record-count-min']);
  });

  test('switched off, the same third-of-the-users load goes live', async () => {
    await useEnv({ name: DATASET, checks: { maxRecordDrop: false, minLiveKeyCoverage: false } }, ENV);
    const r = await run('rc/third', 'third-accepted', 3500);
    expect(r.status).toBe('SUCCEEDED');
    const checks = checksOf(r);
    expect(checks['record-count-change']).toMatchObject({ outcome: 'pass', threshold: '0x to 2x of live' }); // growth is still checked
    expect(checks['live-key-coverage']).toBeUndefined();
    expect(await pointerOf(DATASET)).toBe('third-accepted');
  });
});

describe('duplicate keys: counted exactly, named in the samples', () => {
  const DATASET = 'rcdup';
  // 4 lines, 2 distinct keys: the integer 1 and the string "1" are the same key.
  const body = ['{"userId":1,"recommendations":[1]}', '{"userId":"1","recommendations":[2]}', '{"userId":"a","recommendations":[3]}', '{"userId":"a","recommendations":[4]}'].join('\n');

  beforeAll(async () => {
    await putObject(BUCKET, 'dup/part-0.out', body);
  });

  test('reject (the default): 4 records with 2 distinct keys fail, naming the keys', async () => {
    await useEnv(DATASET);
    const r = await runIngestLocally({ s3Uri: `s3://${BUCKET}/dup/`, version: 'd1', orderKey: 1 });
    await expectHeldBack(DATASET, 'd1', r, undefined as never, ['duplicate-keys']);
    expect(heldNotice(r)).toContain('4 records written for 2 distinct keys: 2 were duplicates, e.g. "1", "a"');
    expect(JSON.parse((await versionField(DATASET, 'd1', 'stats'))!)).toMatchObject({ records: 2, written: 4, duplicates: 2 });
  });

  test('last-wins: the version goes live reporting 2 records, the duplicates named in the samples', async () => {
    await useEnv({ name: DATASET, checks: { duplicateKeys: 'last-wins' } });
    const r = await runIngestLocally({ s3Uri: `s3://${BUCKET}/dup/`, version: 'd2', orderKey: 2 });
    expect(r.status).toBe('SUCCEEDED');
    const commit = (r.output as Output).result!.commit;
    expect(commit).toMatchObject({ outcome: 'swapped', records: 2 });
    expect(commit.samples.map((s) => s.reason)).toEqual(['duplicate key "1": an earlier record had the same key', 'duplicate key "a": an earlier record had the same key']);
    expect(checksOf(r)['duplicate-keys']).toMatchObject({ outcome: 'pass', value: 2, threshold: 'any (last-wins)' });
    expect(await versionField(DATASET, 'd2', 'records')).toBe('2');
  });

  test('a retried chunk creates no false duplicates: one real duplicate across chunks is counted once and is the only sample', async () => {
    await useEnv({ name: 'rcretry', checks: { duplicateKeys: 'last-wins' } }, { CHUNK_SIZE_BYTES: '8192', MAP_CONCURRENCY: '1' });
    const list = users(0, 900, () => 5);
    await putObject(BUCKET, 'retry/part-0.out', jsonl(list.slice(0, 450)));
    await putObject(BUCKET, 'retry/part-1.out', jsonl([...list.slice(450), { id: 'u7', items: [9, 9] }])); // u7 again, in the last chunk
    const real = await realTaskHandlers();
    const calls = new Map<number, number>();
    const flaky: TaskHandler = async (payload) => {
      const index = (payload as { chunk: number }).chunk;
      calls.set(index, (calls.get(index) ?? 0) + 1);
      const result = await real.LoadChunk(payload); // the first attempt writes everything, then "dies"
      if (index === 1 && calls.get(index) === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.ServiceException' });
      return result;
    };
    const r = await runIngestLocally({ s3Uri: `s3://${BUCKET}/retry/`, version: 'r1', orderKey: 1 }, { handlers: { LoadChunk: flaky } });
    expect(r.status).toBe('SUCCEEDED');
    expect(calls.get(1)).toBe(2);
    expect(calls.size).toBeGreaterThan(2);
    const commit = (r.output as Output).result!.commit;
    expect(commit.checks.stats).toMatchObject({ records: 900, written: 901, duplicates: 1 });
    expect(commit.records).toBe(900);
    expect(commit.samples.map((s) => s.reason)).toEqual(['duplicate key "u7": an earlier record had the same key']);
    // With reject, the same retried load without the duplicate passes: the retry's rewrites are no duplicates.
    await useEnv('rcretry', { CHUNK_SIZE_BYTES: '8192', MAP_CONCURRENCY: '1' });
    await putObject(BUCKET, 'retry2/part-0.out', jsonl(list));
    calls.clear();
    const again = await runIngestLocally({ s3Uri: `s3://${BUCKET}/retry2/`, version: 'r2', orderKey: 2 }, { handlers: { LoadChunk: flaky } });
    expect(again.status).toBe('SUCCEEDED');
    expect(calls.get(1)).toBe(2);
    expect(checksOf(again)['duplicate-keys']).toMatchObject({ outcome: 'pass', value: 0 });
  });
});

describe('feature rows: null rate per declared field', () => {
  const DATASET = 'rcfeat';
  const rows = (n: number, nullEvery: number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ id: `c${i}`, score: i % nullEvery === 0 ? null : i / n, city: 'Berlin' })).join('\n');

  beforeAll(async () => {
    await useEnv({ name: DATASET, kind: 'feature-rows', key: 'id', fields: { score: 'number', city: 'string' } });
    await putObject(BUCKET, 'feat/v1/part-0.out', rows(400, 20)); // 5% null
    await putObject(BUCKET, 'feat/v2/part-0.out', rows(400, 2)); // 50% null
  });

  test('a field that turns null for half the rows fails; the others pass', async () => {
    const first = await runIngestLocally({ s3Uri: `s3://${BUCKET}/feat/v1/`, version: 'f1', orderKey: 1, dataset: DATASET });
    expect(first.status).toBe('SUCCEEDED');
    expect(checksOf(first)['null-rate:score']).toMatchObject({ outcome: 'skipped' });
    const r = await runIngestLocally({ s3Uri: `s3://${BUCKET}/feat/v2/`, version: 'f2', orderKey: 2, dataset: DATASET });
    await expectHeldBack(DATASET, 'f2', r, 'f1', ['null-rate:score']);
    expect(heldNotice(r)).toContain('50.0% of rows have score null against 5.0% in live version f1');
    expect((await storedChecks(DATASET, 'f2'))['null-rate:city']).toMatchObject({ outcome: 'pass', value: 0 });
  });
});

describe('input completeness of a SageMaker job', () => {
  const DATASET = 'rcjob';
  const INPUT = 'checks-input';
  const OUTPUT = 'checks-output';
  const parts = ['part-0.jsonl', 'part-1.jsonl', 'sub/part-2.jsonl'];
  const list = users(0, 300, () => 5);

  function completion(job: string, created: number, input: { S3DataType: string; S3Uri: string }) {
    return {
      version: '0',
      'detail-type': 'SageMaker Transform Job State Change',
      source: 'aws.sagemaker',
      detail: {
        TransformJobName: job,
        TransformJobStatus: 'Completed',
        CreationTime: created,
        TransformInput: { DataSource: { S3DataSource: input } },
        TransformOutput: { S3OutputPath: `s3://${OUTPUT}/${job}` },
      },
    };
  }
  /** The job's outputs: `<relative key>.out` for the given parts. */
  async function outputs(job: string, which: number[]): Promise<void> {
    for (const p of which) await putObject(OUTPUT, `${job}/${parts[p]}.out`, jsonl(list.filter((_, i) => i % 3 === p)));
  }

  beforeAll(async () => {
    await useEnv(DATASET);
    for (const p of parts) await putObject(INPUT, `users/2026-11-24/${p}`, 'input\n');
    await putObject(INPUT, 'manifests/m.json', JSON.stringify([{ prefix: `s3://${INPUT}/users/2026-11-24/` }, ...parts]));
  });

  test('a job that wrote only some of its outputs fails, naming the missing ones', async () => {
    await outputs('job-partial', [0, 2]);
    const r = await runIngestLocally(completion('job-partial', 1000, { S3DataType: 'S3Prefix', S3Uri: `s3://${INPUT}/users/2026-11-24/` }));
    await expectHeldBack(DATASET, 'job-partial', r, undefined as never, ['input-completeness']);
    expect(heldNotice(r)).toContain(`1 of 3 input objects have no output, e.g. s3://${OUTPUT}/job-partial/part-1.jsonl.out`);
  });

  test('every output present passes, for an S3 prefix and for a manifest', async () => {
    await outputs('job-full', [0, 1, 2]);
    const r = await runIngestLocally(completion('job-full', 2000, { S3DataType: 'S3Prefix', S3Uri: `s3://${INPUT}/users/2026-11-24/` }));
    expect(r.status).toBe('SUCCEEDED');
    expect(checksOf(r)['input-completeness']).toMatchObject({ outcome: 'pass', value: 0, detail: 'all 3 input objects have their output' });
    await outputs('job-manifest', [0, 1, 2]);
    const m = await runIngestLocally(completion('job-manifest', 3000, { S3DataType: 'ManifestFile', S3Uri: `s3://${INPUT}/manifests/m.json` }));
    expect(m.status).toBe('SUCCEEDED');
    expect(checksOf(m)['input-completeness']).toMatchObject({ outcome: 'pass', value: 0 });
  });

  test('input that cannot be read fails the check, saying so; switched off, it is not checked', async () => {
    await outputs('job-unreadable', [0, 1, 2]);
    const event = completion('job-unreadable', 4000, { S3DataType: 'ManifestFile', S3Uri: `s3://${INPUT}/manifests/missing.json` });
    const r = await runIngestLocally(event);
    await expectHeldBack(DATASET, 'job-unreadable', r, 'job-manifest', ['input-completeness']);
    expect(heldNotice(r)).toContain(`the job's input could not be listed, so completeness is unknown: s3://${INPUT}/manifests/missing.json: the manifest does not exist`);
    await useEnv({ name: DATASET, checks: { inputCompleteness: false } });
    await outputs('job-unchecked', [0, 1, 2]);
    const off = await runIngestLocally({ ...event, detail: { ...event.detail, TransformJobName: 'job-unchecked', CreationTime: 5000, TransformOutput: { S3OutputPath: `s3://${OUTPUT}/job-unchecked` } } });
    expect(off.status).toBe('SUCCEEDED');
    expect(checksOf(off)['input-completeness']).toBeUndefined();
  });
});
