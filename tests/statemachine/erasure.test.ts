// Erasure (DESIGN invariant 11) and suppression (13) through the real state machine definition
// and handlers, on the real cluster and S3: an erased key is never served again by any route or
// version (a later load, a rollback, a promote of a held version, a load that raced the erase, a
// cluster that lost its tombstones), and suppressed items leave every list answer, pinned too.
import { realTaskHandlers, runIngestLocally, lambdaContext } from '../../local/state-machine.js';
import { jsonLinesParts } from '../../local/sample-data.js';
import { runtime } from '../../functions/lambda/runtime.js';
import { bucketOf, dataKey } from '../../functions/domain/key-layout.js';
import { promoteVersion } from '../../functions/pipeline/promote-version.js';
import { rollbackVersion } from '../../functions/pipeline/rollback-version.js';
import { datasetStatus } from '../../functions/pipeline/version-status.js';
import { adminRedis, api, closeTestClients, putObject, useSluiceEnv } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'era';
const BUCKET = 'era-bucket';
const USERS = 200;
const env = (extra: Record<string, string> = {}, promote: 'auto' | 'manual' = 'auto') =>
  useSluiceEnv({
    ...datasetVars({ name: DATASET, promote, checks: { minRecords: 1, maxRecordDrop: 0.02 } }),
    CHUNK_SIZE_BYTES: '4096',
    MAP_CONCURRENCY: '4',
    RETAIN_VERSIONS: '5',
    ERASURE_LOG_URI: `s3://${BUCKET}/sluice-erasures/`,
    ...extra,
  });

type Admin = (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
const admin = async (event: Record<string, unknown>) => ((await import('../../functions/handlers/admin.js')).handler as unknown as Admin)(event, lambdaContext('AdminFunction'));
const load = (version: string, orderKey: number, prefix = 'd1') => runIngestLocally({ s3Uri: `s3://${BUCKET}/${prefix}/`, version, orderKey });
const pipeline = async () => (await runtime()).dataset(DATASET).pipeline;
const list = async (user: string, version?: string) => api(`/users/${user}/recommendations${version ? `?version=${version}` : ''}`);
const status = (user: string, version?: string) => list(user, version).then((a) => a.status);

let order = 1000;
const next = () => (order += 100);

beforeAll(async () => {
  await env();
  for (const [prefix, base] of [['d1', 0], ['d2', 1_000_000]] as const) {
    for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 4, itemBase: base }, 2).entries()) await putObject(BUCKET, `${prefix}/part-${i}.out`, body);
  }
  expect((await load('v1', next())).status).toBe('SUCCEEDED');
});
afterAll(closeTestClients);

test('erase, then load a night whose files hold the key: never served, counted as erased (not bad), the checks do not count it', async () => {
  // 10 of 200 erased (5%): over CHECK_MAX_RECORD_DROP=0.02 if the erased records counted as a drop.
  const keys = Array.from({ length: 10 }, (_, i) => `u${i + 100}`);
  expect(await status('u100')).toBe(200);
  const erased = await admin({ action: 'erase', keys, reason: 'test erasure' });
  expect(erased).toMatchObject({ action: 'erase', keys: 10, versions: ['v1'], log: expect.stringMatching(/^s3:\/\/era-bucket\/sluice-erasures\/era\/.+\.json$/) });
  // At once, from every route.
  expect(await status('u100')).toBe(404);
  expect(await status('u100', 'v1')).toBe(404);
  expect((await api('/recommendations?userId=u101&rank=1')).status).toBe(404);
  expect((await api(`/datasets/${DATASET}/items/u102`)).status).toBe(404);
  expect((await api(`/datasets/${DATASET}/batch-get`, { method: 'POST', body: { keys: ['u103', 'u1'] } })).body).toMatchObject({ results: [{ key: 'u103', found: false }, { key: 'u1', found: true }] });

  const run = await load('v2', next(), 'd2');
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toMatchObject({ result: { commit: { outcome: 'swapped', records: USERS - 10, erased: 10, badRecords: 0 } } });
  expect(await status('u100')).toBe(404);
  expect(await status('u109', 'v2')).toBe(404);
  expect((await list('u1')).body).toMatchObject({ version: 'v2' });
  expect((await datasetStatus(await pipeline())).tombstones).toBeGreaterThanOrEqual(10);
});

test('erase, then roll back: the retained version no longer has the key either', async () => {
  expect(await status('u20', 'v1')).toBe(200);
  await admin({ action: 'erase', keys: ['u20'] });
  const rolled = await rollbackVersion({ version: 'v1' }, await pipeline());
  expect(rolled).toMatchObject({ outcome: 'swapped', version: 'v1' });
  expect(await status('u20')).toBe(404);
  expect(await status('u21')).toBe(200);
  // Forward again for the tests after this one.
  await rollbackVersion({ version: 'v2' }, await pipeline());
});

test('erase while a version is held, then promote it: not served', async () => {
  await env({}, 'manual');
  const held = await load('h1', next());
  expect(held.output).toMatchObject({ result: { commit: { outcome: 'held' } } });
  expect(await status('u30', 'h1')).toBe(200);
  await admin({ action: 'erase', keys: ['u30'] });
  expect(await status('u30', 'h1')).toBe(404);
  await env();
  expect(await promoteVersion({ version: 'h1' }, await pipeline())).toMatchObject({ outcome: 'swapped' });
  expect(await status('u30')).toBe(404);
  expect(await status('u31')).toBe(200);
});

test('a chunk that read the tombstones before an erase cannot leak the key: the sweep before the swap deletes it', async () => {
  const h = await realTaskHandlers();
  const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/d1/`, version: 'L1', orderKey: next() }, executionId: 'exec-L1' })) as { chunks: number[]; chunkCount: number; buckets: number };
  for (const chunk of plan.chunks) await h.LoadChunk({ dataset: DATASET, version: 'L1', owner: 'exec-L1', chunk });
  // The erase deletes the key from the loading version too...
  await admin({ action: 'erase', keys: ['u40'] });
  const bucket = dataKey(DATASET, 'L1', bucketOf('u40', plan.buckets));
  expect(await adminRedis().hexists(bucket, 'u40')).toBe(0);
  // ...and a chunk that read the tombstones before it writes the record afterwards (as a slow worker would).
  await adminRedis().hset(bucket, 'u40', '[1,2,3]');
  expect(await h.Commit({ dataset: DATASET, version: 'L1', owner: 'exec-L1', chunkCount: plan.chunkCount })).toMatchObject({ outcome: 'swapped' });
  expect(await status('u40')).toBe(404);
  expect(await status('u41')).toBe(200);
});

test('suppressed items leave every list answer of every version, pinned or not; ranks close up; lifting puts them back', async () => {
  const before = (await list('u5')).body as { version: string; items: number[] };
  const pinnedBefore = (await list('u5', 'v2')).body as { items: number[] };
  const [first, second] = before.items;
  const suppressed = await admin({ action: 'suppress', items: [String(first), String(pinnedBefore.items[0])] });
  expect(suppressed).toMatchObject({ action: 'suppress', changed: 2, suppressed: 2 });
  expect((await list('u5')).body).toMatchObject({ items: before.items.slice(1) });
  expect((await list('u5', 'v2')).body).toMatchObject({ items: pinnedBefore.items.slice(1) });
  expect((await api('/recommendations?userId=u5&rank=1')).body).toMatchObject({ rank: 1, item: second });
  expect((await api(`/recommendations?userId=u5&rank=1&version=v2`)).body).toMatchObject({ rank: 1, item: pinnedBefore.items[1] });
  expect((await api(`/datasets/${DATASET}/items/u5`)).body).toMatchObject({ value: before.items.slice(1) });
  expect((await api(`/datasets/${DATASET}/batch-get?version=v2`, { method: 'POST', body: { keys: ['u5'] } })).body).toMatchObject({ results: [{ key: 'u5', found: true, value: pinnedBefore.items.slice(1) }] });
  expect((await datasetStatus(await pipeline())).suppressedItems).toBe(2);

  await admin({ action: 'unsuppress', items: [String(first), String(pinnedBefore.items[0])] });
  expect((await list('u5')).body).toMatchObject({ items: before.items });
  expect((await api('/recommendations?userId=u5&rank=1')).body).toMatchObject({ item: first });
});

test('tombstones lost with the cache come back from S3 before the next version goes live', async () => {
  await admin({ action: 'erase', keys: ['u50'] });
  // The cache loses everything of this dataset (a replacement cluster, a flush).
  const redis = adminRedis();
  for (const node of redis.nodes('master')) {
    for (const pattern of [`{sluice:${DATASET}}:*`, `sluice:${DATASET}:*`]) {
      let cursor = '0';
      do {
        const [nextCursor, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = nextCursor;
        for (const k of keys) await node.del(k);
      } while (cursor !== '0');
    }
  }
  expect(await redis.hlen(`{sluice:${DATASET}}:tombstones`)).toBe(0);
  const run = await load('r1', next());
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toMatchObject({ result: { commit: { outcome: 'swapped' } } });
  // u50 and the keys erased by the tests before (u100..u109, u20, u30, u40: all in d1), none served.
  expect((run.output as { result: { commit: { erased: number } } }).result.commit.erased).toBeGreaterThanOrEqual(14);
  for (const user of ['u50', 'u100', 'u20', 'u30', 'u40']) expect({ user, status: await status(user) }).toEqual({ user, status: 404 });
  expect(await status('u51')).toBe(200);
  // Lifted by name: the next load serves the key again (no data comes back until then).
  await admin({ action: 'unerase', keys: ['u50'] });
  expect(await status('u50')).toBe(404);
  await load('r2', next());
  expect(await status('u50')).toBe(200);
});

test('the erasure log under the data prefix is never taken for input, whatever OBJECT_SUFFIX says', async () => {
  await env({ OBJECT_SUFFIX: '.json' });
  const h = await realTaskHandlers();
  await expect(h.Plan({ event: { s3Uri: `s3://${BUCKET}/`, version: 'P0', orderKey: next() }, executionId: 'exec-P0' })).rejects.toThrow(/^no input objects under s3:\/\/era-bucket\//);
  await env();
});
