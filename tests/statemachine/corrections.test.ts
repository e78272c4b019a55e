// Corrections (puts) through the real admin handler, the real state machine and the real cluster
// (invariant 12): a put is readable at once and kept through later loads by the rewind window
// rule, a put racing a Commit is never lost, held versions get puts and a promote applies the
// log, and a put with a bad record is refused whole. Erasure wins over corrections (invariant 11):
// an erase drops the key's logged correction, a put of an erased key is refused, and a put whose
// writes land after an erase deletes the key again.
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { lambdaContext, realTaskHandlers, runIngestLocally, type TaskHandler } from '../../local/state-machine.js';
import type { Context } from 'aws-lambda';
import { bucketOf, dataKey } from '../../functions/domain/key-layout.js';
import { runtime } from '../../functions/lambda/runtime.js';
import { promoteVersion } from '../../functions/pipeline/promote-version.js';
import { retireVersions } from '../../functions/pipeline/retire-versions.js';
import { rollbackVersion } from '../../functions/pipeline/rollback-version.js';
import { putRecords } from '../../functions/pipeline/put-records.js';
import type { BulkWriter } from '../../functions/domain/bulk-writer.js';
import { adminRedis, api, closeTestClients, putObject, useSluiceEnv } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';

const BUCKET = 'corr-bucket';
const USERS = 300;
const HOUR = 3_600_000;
const batch = [...recommendations({ users: USERS, itemsPerUser: 3 })];

type AdminHandler = (event: unknown, context: Context) => Promise<unknown>;
let adminHandler: AdminHandler | null = null;
async function admin(event: unknown): Promise<Record<string, unknown>> {
  adminHandler ??= (await import('../../functions/handlers/admin.js')).handler as unknown as AdminHandler;
  return (await adminHandler(event, lambdaContext('AdminFunction'))) as Record<string, unknown>;
}

let dataset = '';
const key = (suffix: string) => `{sluice:${dataset}}:${suffix}`;
const put = (records: unknown[]) => admin({ action: 'put', dataset, records });
const load = (version: string, orderKey: number, options: Parameters<typeof runIngestLocally>[1] = {}) =>
  runIngestLocally({ s3Uri: `s3://${BUCKET}/night/`, version, orderKey }, options);
const read = async (user: string) => (await api(`/users/${user}/recommendations`)).body as { items?: unknown[]; version?: string };
const logLength = () => adminRedis().hlen(key('corrections'));
const ERASURES = { ERASURE_LOG_URI: `s3://${BUCKET}/sluice-erasures/` };
const erase = (keys: string[]) => admin({ action: 'erase', dataset, keys, reason: 'test erasure' });
const statusOf = async (path: string) => (await api(path)).status;

async function freshDataset(name: string, extra: Record<string, string> = {}): Promise<void> {
  dataset = name;
  await useSluiceEnv({ ...datasetVars({ name, promote: 'auto', checks: { minRecords: 1 } }), CHUNK_SIZE_BYTES: '8192', MAP_CONCURRENCY: '4', RETAIN_VERSIONS: '2', ...extra });
  expect((await load('v1', 1000)).status).toBe('SUCCEEDED');
}

beforeAll(async () => {
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 3 }, 2).entries()) await putObject(BUCKET, `night/part-${i}.out`, body);
});
afterAll(closeTestClients);

test('a put is readable at once, and a night whose job is older than the put gets it before going live', async () => {
  await freshDataset('corr-older');
  const answer = await put([{ userId: 'u5', recommendations: [7, 8, 9] }]);
  expect(answer).toMatchObject({ records: 1, versions: ['v1'], generation: 1 });
  expect(await read('u5')).toMatchObject({ items: [7, 8, 9], version: 'v1' });
  // The night's job was created an hour before the put: its u5 is older than the correction.
  const run = await load('v2', Date.now() - HOUR);
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped' } } } });
  expect(await read('u5')).toEqual({ userId: 'u5', items: [7, 8, 9], version: 'v2' });
  expect(await read('u6')).toEqual({ userId: 'u6', items: batch[6]!.items, version: 'v2' });
  expect(await adminRedis().hget(key('version:v2'), 'correctionsApplied')).toBe('1');
  // Still needed (v1 is retained and older), so it stays in the log; status shows it.
  const status = (await admin({ action: 'status', dataset })) as { datasets: { corrections: { length: number; oldest: string } }[] };
  expect(status.datasets[0]!.corrections).toMatchObject({ length: 1 });
  expect(Date.parse(status.datasets[0]!.corrections.oldest)).toBeGreaterThan(Date.now() - 60_000);
});

test('a night whose job is newer than the put by more than the rewind window wins; the correction leaves the log', async () => {
  await freshDataset('corr-newer', { RETAIN_VERSIONS: '1' });
  await put([{ userId: 'u7', recommendations: [1] }]);
  expect(await logLength()).toBe(1);
  const run = await load('v2', Date.now() + 25 * HOUR); // default window: 24 h
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped' } } } });
  expect(await read('u7')).toEqual({ userId: 'u7', items: batch[7]!.items, version: 'v2' });
  expect(await adminRedis().hget(key('version:v2'), 'correctionsSuperseded')).toBe('1');
  // v1 (older than the put, so it would need the correction back) can still be rolled back to:
  // the correction stays until retention retires v1 (the next Retire, past the readers' grace).
  expect(await logLength()).toBe(1);
  expect(await retireVersions((await runtime()).dataset(dataset).pipeline, 0)).toMatchObject({ retired: ['v1'] });
  expect(await logLength()).toBe(0);
});

test('a rollback to a retained version older than the correction applies it, though a newer night superseded it', async () => {
  await freshDataset('corr-rollback', { RETAIN_VERSIONS: '3' });
  expect((await load('v2', 2000)).status).toBe('SUCCEEDED');
  await put([{ userId: 'u8', recommendations: [42] }]); // written to v2 (live); v1 never had it
  expect((await load('v3', Date.now() + 25 * HOUR)).status).toBe('SUCCEEDED');
  expect(await read('u8')).toMatchObject({ items: batch[8]!.items, version: 'v3' });
  // v1 and v2 are retained and older than the correction: it stays in the log for them.
  expect(await logLength()).toBe(1);
  const { pipeline } = (await runtime()).dataset(dataset);
  expect(await rollbackVersion({ version: 'v1' }, pipeline)).toMatchObject({ outcome: 'swapped' });
  expect(await read('u8')).toMatchObject({ items: [42], version: 'v1' });
});

test('puts concurrent with a Commit: none is lost', async () => {
  await freshDataset('corr-race');
  const real = await realTaskHandlers();
  let committing = false;
  let stop = false;
  const sent: Map<string, number[]> = new Map();
  const loop = async (lane: number) => {
    for (let i = 0; !stop; i++) {
      const user = `u${(lane * 50 + (i % 50)) % USERS}`;
      const items = [lane, i];
      await put([{ userId: user, recommendations: items }]);
      sent.set(user, items);
    }
  };
  let loops: Promise<void>[] = [];
  const commit: TaskHandler = async (payload) => {
    committing = true;
    loops = [0, 1, 2, 3].map(loop);
    try {
      return await real.Commit(payload);
    } finally {
      // A few more puts land after the swap: they must reach the new live version directly.
      await new Promise((r) => setTimeout(r, 20));
      stop = true;
      await Promise.all(loops);
    }
  };
  const run = await load('v2', Date.now() - HOUR, { handlers: { Commit: commit } });
  expect(committing).toBe(true);
  expect({ error: run.error, cause: run.cause }).toEqual({ error: undefined, cause: undefined });
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped' } } } });
  expect(sent.size).toBeGreaterThan(20);
  const wrong: string[] = [];
  for (const [user, items] of sent) {
    const got = await read(user);
    if (got.version !== 'v2' || JSON.stringify(got.items) !== JSON.stringify(items)) wrong.push(`${user}: ${JSON.stringify(got)} != ${JSON.stringify(items)}`);
  }
  expect(wrong).toEqual([]);
});

test("a load's chunks write the logged corrections of their keys; the Commit replays only additions and puts logged after the chunks read the log", async () => {
  await freshDataset('corr-subst');
  const corrected = Array.from({ length: 40 }, (_, i) => `u${i * 7}`);
  await put(corrected.map((user, i) => ({ userId: user, recommendations: [9000 + i] })));
  await put([{ userId: 'new1', recommendations: [1] }, { userId: 'new2', recommendations: [2] }]);
  const real = await realTaskHandlers();
  // Once every chunk has read the log: a put of a key the chunks wrote with its older correction, and of one they wrote from the batch.
  const commit: TaskHandler = async (payload) => {
    await put([{ userId: 'u0', recommendations: [77] }, { userId: 'u1', recommendations: [78] }]);
    return real.Commit(payload);
  };
  const run = await load('v2', Date.now() - HOUR, { handlers: { Commit: commit } });
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped' } } } });
  const meta = await adminRedis().hgetall(key('version:v2'));
  // Every corrected key of the batch was written by its chunk; the Commit wrote the additions and the two late puts only.
  expect(Number(meta.correctionsSubstituted)).toBe(corrected.length);
  expect(Number(meta.correctionsApplied) - Number(meta.correctionsSubstituted)).toBe(4);
  expect(await read('u0')).toMatchObject({ items: [77], version: 'v2' });
  expect(await read('u1')).toMatchObject({ items: [78], version: 'v2' });
  for (const [i, user] of corrected.entries()) if (user !== 'u0') expect(await read(user)).toMatchObject({ items: [9000 + i], version: 'v2' });
  expect(await read('new1')).toMatchObject({ items: [1], version: 'v2' });
  expect(await read('new2')).toMatchObject({ items: [2], version: 'v2' });
  // Every user without a correction has the night's record: the chunks' key filter lets some of
  // them through as maybe corrected (about 1 in 24 at 42 keys), and those keep the batch's value.
  const buckets = Number(meta.buckets);
  const stored = await Promise.all(batch.map((r) => adminRedis().hget(dataKey(dataset, 'v2', bucketOf(r.userId, buckets)), r.userId)));
  const correctedNow = new Set([...corrected, 'u1']);
  const uncorrected = batch.map((r, i) => ({ r, i })).filter(({ r }) => !correctedNow.has(r.userId));
  expect(uncorrected.length).toBeGreaterThan(USERS - 50);
  for (const { r, i } of uncorrected) expect(JSON.parse(stored[i]!)).toEqual(r.items);
  // The marks served the Commit and are gone.
  expect(await adminRedis().exists(key('corrections:substituted:v2'))).toBe(0);
});

test('a load is held with the log applied, a put reaches a held version at once, and a promote applies the log', async () => {
  await freshDataset('corr-held');
  await useSluiceEnv({ ...datasetVars({ name: dataset, promote: 'manual', checks: { minRecords: 1 } }), CHUNK_SIZE_BYTES: '8192', MAP_CONCURRENCY: '4' });
  await put([{ userId: 'u11', recommendations: [11] }]); // before the night: only in v1 and the log
  const run = await load('v2', Date.now() - HOUR);
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'held' } } } });
  // Held with the log applied: a pinned read shows what a promote would make live.
  expect((await api('/users/u11/recommendations?version=v2')).body).toMatchObject({ items: [11], version: 'v2' });
  // As if a put had raced the hold (logged, but not in v2): the promote must apply it.
  const buckets = Number(await adminRedis().hget(key('version:v2'), 'buckets'));
  await adminRedis().hset(dataKey(dataset, 'v2', bucketOf('u11', buckets)), 'u11', JSON.stringify(batch[11]!.items));
  expect(await put([{ userId: 'u12', recommendations: [12] }])).toMatchObject({ versions: ['v1', 'v2'] });
  expect((await api('/users/u12/recommendations?version=v2')).body).toMatchObject({ items: [12], version: 'v2' });
  const { pipeline } = (await runtime()).dataset(dataset);
  expect(await promoteVersion({ version: 'v2' }, pipeline)).toMatchObject({ outcome: 'swapped' });
  expect(await read('u11')).toMatchObject({ items: [11], version: 'v2' });
  expect(await read('u12')).toMatchObject({ items: [12], version: 'v2' });
});

test('a put with a bad record is refused whole, naming the record; nothing is written or logged', async () => {
  await freshDataset('corr-bad');
  const bad = put([{ userId: 'u1', recommendations: [1] }, { userId: 'u2', recommendations: 'not a list' }, { recommendations: [3] }]);
  await expect(bad).rejects.toMatchObject({ name: 'BadRecordsError', records: [{ index: 1 }, { index: 2 }] });
  await expect(bad).rejects.toThrow(/nothing was written: 2 of 3 records are bad \(record 1: .*; record 2: /);
  expect(await read('u1')).toEqual({ userId: 'u1', items: batch[1]!.items, version: 'v1' });
  expect(await logLength()).toBe(0);
  expect(await adminRedis().get(key('corrections:gen'))).toBeNull();
});

test('erasure wins: an erase drops the key\'s logged correction, so no later load, rollback or promote replays it', async () => {
  await freshDataset('corr-erased', { RETAIN_VERSIONS: '3', ...ERASURES });
  // u9999 is in no night's files: only the log could bring it back.
  await put([{ userId: 'u9999', recommendations: [9] }, { userId: 'u13', recommendations: [13] }]);
  expect(await read('u9999')).toMatchObject({ items: [9], version: 'v1' });
  const genBefore = Number(await adminRedis().get(key('corrections:gen')));
  await erase(['u9999']);
  expect(await adminRedis().hexists(key('corrections'), 'u9999')).toBe(0);
  expect(await adminRedis().zscore(key('corrections:at'), 'u9999')).toBeNull();
  expect(await adminRedis().hexists(key('corrections'), 'u13')).toBe(1);
  // The generation moved: a swap that replayed the entry before the erase is refused and sweeps again.
  expect(Number(await adminRedis().get(key('corrections:gen')))).toBe(genBefore + 1);
  // A night whose job is older than the put: the correction would apply, had it stayed in the log.
  const run = await load('v2', Date.now() - HOUR);
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped' } } } });
  const gone = async () => [
    await statusOf('/users/u9999/recommendations'),
    await statusOf('/users/u9999/recommendations?version=v1'),
    await statusOf('/users/u9999/recommendations?version=v2'),
    await statusOf('/recommendations?userId=u9999&rank=1'),
    await statusOf(`/datasets/${dataset}/items/u9999`),
  ];
  expect(await gone()).toEqual([404, 404, 404, 404, 404]);
  expect(await read('u13')).toMatchObject({ items: [13], version: 'v2' });
  const { pipeline } = (await runtime()).dataset(dataset);
  expect(await rollbackVersion({ version: 'v1' }, pipeline)).toMatchObject({ outcome: 'swapped' });
  expect(await gone()).toEqual([404, 404, 404, 404, 404]);
  expect(await rollbackVersion({ version: 'v2' }, pipeline)).toMatchObject({ outcome: 'swapped' });
  expect(await gone()).toEqual([404, 404, 404, 404, 404]);
  expect(await read('u13')).toMatchObject({ items: [13], version: 'v2' });
});

test('a put naming an erased key is refused whole, naming it; nothing is logged or written', async () => {
  await freshDataset('corr-put-erased', ERASURES);
  await erase(['u14']);
  const refused = put([{ userId: 'u15', recommendations: [15] }, { userId: 'u14', recommendations: [14] }]);
  await expect(refused).rejects.toMatchObject({ name: 'ErasedKeysError', keys: ['u14'] });
  await expect(refused).rejects.toThrow(/^put to dataset corr-put-erased refused, nothing was written: 1 of its keys are erased \(u14\)/);
  expect(await read('u15')).toEqual({ userId: 'u15', items: batch[15]!.items, version: 'v1' });
  expect(await statusOf('/users/u14/recommendations')).toBe(404);
  expect(await logLength()).toBe(0);
  expect(await adminRedis().get(key('corrections:gen'))).toBeNull();
});

test('an erase landing between a put\'s log step and its writes: the put deletes the key again', async () => {
  await freshDataset('corr-put-race', ERASURES);
  const { pipeline } = (await runtime()).dataset(dataset);
  // The put has logged u16 and learnt its targets; the erase runs whole before its HSETs are sent.
  let erased = false;
  const newWriter = (): BulkWriter => {
    const inner = pipeline.newWriter();
    return {
      write: async (commands) => {
        if (!erased) {
          erased = true;
          await erase(['u16']);
        }
        return inner.write(commands);
      },
      flush: () => inner.flush(),
      onExistingField: (fn) => inner.onExistingField(fn),
      awaitReplicas: () => inner.awaitReplicas(),
    };
  };
  const result = await putRecords({ records: [{ userId: 'u16', recommendations: [16] }, { userId: 'u17', recommendations: [17] }] }, { ...pipeline, newWriter }, 'req-race');
  expect(erased).toBe(true);
  expect(await statusOf('/users/u16/recommendations')).toBe(404);
  expect(await statusOf('/users/u16/recommendations?version=v1')).toBe(404);
  expect(await read('u17')).toMatchObject({ items: [17], version: 'v1' });
  expect(await adminRedis().hexists(key('corrections'), 'u16')).toBe(0);
  expect(result).toMatchObject({ records: 1, versions: ['v1'], erasedMeanwhile: ['u16'] });
});
