// Reads pinned to a version (?version= / x-sluice-version) on the real cluster, through the
// read handler: the live, a retained and a held version through swaps, every route including
// batch-get, and the 404s for versions that cannot answer (unknown, loading, failed, retired),
// also when a reader's cached metadata is older than the retirement.
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally } from '../../local/state-machine.js';
import { runtime, useClock } from '../../functions/lambda/runtime.js';
import { adminRedis, api, closeTestClients, eventually, putObject, useSluiceEnv } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';
import { SteppingClock } from '../support/stepping-clock.js';

const BUCKET = 'pinned-bucket';
const DATASET = 'pins';
const USERS = 3000;
const data = (itemBase: number) => [...recommendations({ users: USERS, itemsPerUser: 5, itemBase })];
// Item ids tell the versions apart: p1 items are < 1e6, p2 items in [1e6, 2e6), ...
const P = { p1: data(0), p2: data(1_000_000), p3: data(2_000_000), p4: data(3_000_000) };
const ENV = { ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '32768', MAP_CONCURRENCY: '4', GRACE_SECONDS: '2', RETAIN_VERSIONS: '2' };

const pointer = async () => JSON.parse((await adminRedis().get(`{sluice:${DATASET}}:current`)) ?? 'null') as { version: string } | null;
const itemsOf = (v: keyof typeof P, u: number) => P[v][u]!.items;
/** A GET pinned by header (`via: 'header'`) or by query parameter. */
function pinned(path: string, version: string, via: 'header' | 'query' = 'query', init: { method?: string; body?: unknown } = {}) {
  if (via === 'query') return api(`${path}${path.includes('?') ? '&' : '?'}version=${encodeURIComponent(version)}`, init);
  return api(path, { ...init, headers: { 'x-sluice-version': version } });
}

/** The runtime's time for the whole file (the real time, moved on where a test passes a grace period). */
const clock = new SteppingClock();
afterAll(async () => {
  useClock();
  await closeTestClients();
});

beforeAll(async () => {
  useClock(clock);
  await useSluiceEnv(ENV);
  for (const [name, base] of [['p1', 0], ['p2', 1_000_000], ['p3', 2_000_000], ['p4', 3_000_000]] as const) {
    const parts = jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase: base }, 2);
    for (const [i, body] of parts.entries()) await putObject(BUCKET, `${name}/part-${i}.out`, body);
  }
  expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/p1/`, version: 'p1', orderKey: 1000 })).status).toBe('SUCCEEDED');
});

test('a reader pinned to the live version keeps its answers while the pointer moves; unpinned readers move on', async () => {
  let loading = true;
  const stats = { pinned: 0, pinnedWrong: 0, errors: 0, unpinnedV2: 0 };
  const pinnedReader = async (seed: number, via: 'header' | 'query') => {
    for (let i = seed; loading || i < seed + 20; i += 7) {
      const u = i % USERS;
      const a = await pinned(`/users/u${u}/recommendations`, 'p1', via);
      if (a.status !== 200) stats.errors++;
      else if (a.body.version !== 'p1' || JSON.stringify(a.body.items) !== JSON.stringify(itemsOf('p1', u))) stats.pinnedWrong++;
      stats.pinned++;
    }
  };
  const unpinnedReader = async () => {
    while (loading) {
      const a = await api('/users/u5/recommendations');
      if (a.status !== 200) stats.errors++;
      else if (a.body.version === 'p2') stats.unpinnedV2++;
    }
  };
  const readers = [pinnedReader(0, 'header'), pinnedReader(613, 'query'), pinnedReader(1229, 'header'), unpinnedReader()];
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/p2/`, version: 'p2', orderKey: 2000 });
  // Go on past the swap for a while: the pinned readers must still get p1.
  await eventually(async () => stats.unpinnedV2, (n) => n >= 20);
  loading = false;
  await Promise.all(readers);
  expect(run.status).toBe('SUCCEEDED');
  expect((await pointer())?.version).toBe('p2');
  expect(stats).toMatchObject({ errors: 0, pinnedWrong: 0 });
  expect(stats.pinned).toBeGreaterThan(50);

  // After the swap: p1 is retained (superseded) and still answers when asked for, on every route.
  expect(await api('/users/u7/recommendations')).toEqual({ status: 200, body: { userId: 'u7', items: itemsOf('p2', 7), version: 'p2' } });
  expect(await pinned('/users/u7/recommendations', 'p1', 'header')).toEqual({ status: 200, body: { userId: 'u7', items: itemsOf('p1', 7), version: 'p1' } });
  expect(await pinned('/users/u7/recommendations', 'p2', 'header')).toEqual({ status: 200, body: { userId: 'u7', items: itemsOf('p2', 7), version: 'p2' } });
  expect(await pinned('/recommendations?userId=u7&rank=2', 'p1')).toEqual({ status: 200, body: { userId: 'u7', rank: 2, item: itemsOf('p1', 7)[1], version: 'p1' } });
  expect(await pinned(`/datasets/${DATASET}/items/u8`, 'p1')).toEqual({ status: 200, body: { dataset: DATASET, key: 'u8', version: 'p1', value: itemsOf('p1', 8) } });
  // Both ways at once must agree.
  expect((await api('/users/u7/recommendations?version=p1', { headers: { 'x-sluice-version': 'p1' } })).body.version).toBe('p1');
});

test('batch-get pinned: every key from that one version, misses reported as misses', async () => {
  const keys = ['u1', 'u2', 'nobody', 'u2999'];
  for (const v of ['p1', 'p2'] as const) {
    const a = await pinned(`/datasets/${DATASET}/batch-get`, v, 'header', { method: 'POST', body: { keys } });
    expect(a).toEqual({
      status: 200,
      body: {
        dataset: DATASET,
        version: v,
        results: [
          { key: 'u1', found: true, value: itemsOf(v, 1) },
          { key: 'u2', found: true, value: itemsOf(v, 2) },
          { key: 'nobody', found: false },
          { key: 'u2999', found: true, value: itemsOf(v, 2999) },
        ],
      },
    });
  }
  // A miss in a version that still holds its data is a plain 404 for the key.
  expect(await pinned('/users/nobody/recommendations', 'p1')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no recommendations for user nobody' } } });
});

test('a held version (complete, never live) answers only when asked for; while loading it is a 404', async () => {
  // Plan and load p3 without committing it, then hold it as the release checks do: status
  // held, its buckets kept, the lock gone.
  const h = await realTaskHandlers();
  const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/p3/`, version: 'p3', orderKey: 3000 }, executionId: 'exec-p3' })) as { chunks: unknown[] };
  for (const chunk of plan.chunks) await h.LoadChunk({ dataset: DATASET, version: 'p3', owner: 'exec-p3', chunk });
  expect(await pinned('/users/u3/recommendations', 'p3')).toEqual({
    status: 404,
    body: { error: { code: 'version_not_found', message: 'version p3 of dataset pins is still loading; it can be read once it is complete' } },
  });
  const held = await adminRedis().eval(
    `if redis.call('HGET', KEYS[1], 'status') ~= 'loading' then return 0 end
     redis.call('HSET', KEYS[1], 'status', 'held', 'heldAt', ARGV[1], 'heldReason', 'manual approval')
     redis.call('DEL', KEYS[2])
     return 1`,
    2,
    `{sluice:${DATASET}}:version:p3`,
    `{sluice:${DATASET}}:lock:p3`,
    String(Date.now()),
  );
  expect(held).toBe(1);
  expect(await adminRedis().hget(`{sluice:${DATASET}}:version:p3`, 'buckets')).toMatch(/^\d+$/);

  expect(await pinned('/users/u3/recommendations', 'p3', 'header')).toEqual({ status: 200, body: { userId: 'u3', items: itemsOf('p3', 3), version: 'p3' } });
  expect(await pinned('/recommendations?userId=u3&rank=5', 'p3')).toEqual({ status: 200, body: { userId: 'u3', rank: 5, item: itemsOf('p3', 3)[4], version: 'p3' } });
  const batch = await pinned(`/datasets/${DATASET}/batch-get`, 'p3', 'query', { method: 'POST', body: { keys: ['u3', 'u4'] } });
  expect(batch.body).toEqual({ dataset: DATASET, version: 'p3', results: [{ key: 'u3', found: true, value: itemsOf('p3', 3) }, { key: 'u4', found: true, value: itemsOf('p3', 4) }] });
  // Nothing changed for everyone else.
  expect((await api('/users/u3/recommendations')).body).toEqual({ userId: 'u3', items: itemsOf('p2', 3), version: 'p2' });
  expect((await pointer())?.version).toBe('p2');
});

test('unknown, malformed and contradictory version names', async () => {
  expect(await pinned('/users/u1/recommendations', 'nope')).toEqual({ status: 404, body: { error: { code: 'version_not_found', message: 'dataset pins has no version nope' } } });
  expect(await pinned(`/datasets/${DATASET}/batch-get`, 'nope', 'header', { method: 'POST', body: { keys: ['u1'] } })).toMatchObject({ status: 404, body: { error: { code: 'version_not_found' } } });
  expect(await pinned('/users/u1/recommendations', 'a b')).toEqual({
    status: 400,
    body: { error: { code: 'bad_request', message: 'the version parameter must name a version: 1-64 characters of A-Z a-z 0-9 . _ -' } },
  });
  expect(await pinned('/users/u1/recommendations', '')).toMatchObject({ status: 400 });
  expect((await api('/users/u1/recommendations?version=p1', { headers: { 'x-sluice-version': 'p2' } })).body).toEqual({
    error: { code: 'bad_request', message: 'the version parameter and the x-sluice-version header name different versions; give one, or the same in both' },
  });
});

test('failed and retired versions are a 404 that says so and when', async () => {
  const lines = jsonLinesParts({ users: 400, itemsPerUser: 5, itemBase: 9_000_000 }, 1)[0]!.toString().split('\n');
  for (let i = 100; i < 200; i++) lines[i] = lines[i]!.slice(0, 20);
  await putObject(BUCKET, 'bad/part-0.out', lines.join('\n'));
  expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/bad/`, version: 'bad', orderKey: 3500 })).status).toBe('FAILED');
  const failed = await pinned('/users/u1/recommendations', 'bad');
  expect(failed.status).toBe(404);
  expect((failed.body.error as { message: string }).message).toMatch(/^version bad of dataset pins failed to load on \d{4}-\d\d-\d\dT[\d:.]+Z$/);

  // p4 goes live: p2 is the one version retained, p1 is retired after the grace period.
  expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/p4/`, version: 'p4', orderKey: 4000 })).status).toBe('SUCCEEDED');
  const h = await realTaskHandlers();
  // The execution's own Retire step may already have done it; otherwise a Retire once the grace
  // period (GRACE_SECONDS=2) has passed does, on the movable clock (the runtime's): not sat out.
  clock.advance(2_000);
  await h.Retire({ dataset: DATASET });
  expect(await adminRedis().hget(`{sluice:${DATASET}}:version:p1`, 'status')).toBe('retired');
  const retiredAt = Number(await adminRedis().hget(`{sluice:${DATASET}}:version:p1`, 'retiredAt'));
  expect(await pinned('/users/u1/recommendations', 'p1')).toEqual({
    status: 404,
    body: { error: { code: 'version_not_found', message: `version p1 of dataset pins was retired on ${new Date(retiredAt).toISOString()}` } },
  });
  expect((await pinned('/users/u1/recommendations', 'p2')).body).toEqual({ userId: 'u1', items: itemsOf('p2', 1), version: 'p2' });
  expect((await pinned('/users/u1/recommendations', 'p4')).body).toEqual({ userId: 'u1', items: itemsOf('p4', 1), version: 'p4' });
  // p3 was held, ordered before p4: it can never be promoted now, so retention deleted it too.
  expect(await pinned('/users/u1/recommendations', 'p3')).toMatchObject({ status: 404, body: { error: { code: 'version_not_found' } } });
});

test('a reader whose cached metadata predates a retirement answers "retired", never a wrong "no such record"', async () => {
  // Metadata cached for a minute (grace 70 s keeps the invariant-6 bound the config enforces).
  await useSluiceEnv({ ...ENV, POINTER_CACHE_MS: '60000', GRACE_SECONDS: '70' });
  expect((await pinned('/users/u9/recommendations', 'p2')).body).toEqual({ userId: 'u9', items: itemsOf('p2', 9), version: 'p2' });
  // Retire p2 behind the reader's back, the way Retire does: claim it (status retiring), delete its keys.
  const { versions, newWriter } = (await runtime()).dataset(DATASET).pipeline;
  const meta = await versions.get('p2');
  expect(await versions.beginDelete('p2', Date.now())).toBe('claimed');
  await versions.deleteData('p2', meta!.buckets, newWriter(), Date.now());
  // The cached entry still says superseded; the miss is checked against Redis before answering.
  const retiredAt = Number(await adminRedis().hget(`{sluice:${DATASET}}:version:p2`, 'retiredAt'));
  const gone = { status: 404, body: { error: { code: 'version_not_found', message: `version p2 of dataset pins was retired on ${new Date(retiredAt).toISOString()}` } } };
  expect(await pinned('/users/u9/recommendations', 'p2')).toEqual(gone);
  expect(await pinned(`/datasets/${DATASET}/batch-get`, 'p2', 'header', { method: 'POST', body: { keys: ['u9', 'u10'] } })).toEqual(gone);
  // The live version is unaffected.
  expect((await api('/users/u9/recommendations')).body).toEqual({ userId: 'u9', items: itemsOf('p4', 9), version: 'p4' });
});
