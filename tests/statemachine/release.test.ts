// Release control through the real state machine definition and handlers, on the real cluster:
// a load that fails a check (the real record-count-min check) or waits for manual approval is
// held, announced on SNS (recorded by the local runner), then promoted or discarded; retention
// with held versions; and loads whose process stopped (stale) found, taken over and cleaned up.
// The grace and stale decisions run on a movable clock (the runtime's, useClock): GRACE_SECONDS
// and LOAD_STALE_SECONDS are a minute, never sat out; the test moves the clock past them. One
// test waits for a lock to expire in real time, by Redis's key expiry (PX): the real timer.
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally } from '../../local/state-machine.js';
import { runtime, useClock } from '../../functions/lambda/runtime.js';
import { discardVersion } from '../../functions/pipeline/discard-version.js';
import { promoteVersion } from '../../functions/pipeline/promote-version.js';
import { retireVersions } from '../../functions/pipeline/retire-versions.js';
import { datasetStatus } from '../../functions/pipeline/version-status.js';
import { adminRedis, api, closeTestClients, eventually, putObject, useSluiceEnv, versionKeyCount } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';
import { SteppingClock } from '../support/stepping-clock.js';

const DATASET = 'rel';
const BUCKET = 'rel-bucket';
const USERS = 2000;
const GRACE_MS = 60_000;
const STALE_MS = 60_000;
/** The runtime's time, moved on by the tests past a grace period or a lock's TTL. */
const clock = new SteppingClock();
const data = (itemBase: number) => [...recommendations({ users: USERS, itemsPerUser: 4, itemBase })];
/** The dataset as declared for this test (its checks, its promote mode) and the settings it changes. */
const env = (declared: { checks?: Record<string, unknown>; promote?: 'auto' | 'manual' } = {}, extra: Record<string, string> = {}) =>
  useSluiceEnv({ ...datasetVars({ name: DATASET, ...declared }), CHUNK_SIZE_BYTES: '16384', MAP_CONCURRENCY: '4', GRACE_SECONDS: String(GRACE_MS / 1000), RETAIN_VERSIONS: '2', LOAD_STALE_SECONDS: String(STALE_MS / 1000), ...extra });

const key = (suffix: string) => `{sluice:${DATASET}}:${suffix}`;
const pointer = async () => (JSON.parse((await adminRedis().get(key('current'))) ?? 'null') as { version: string } | null)?.version ?? null;
const statusOf = (v: string) => adminRedis().hget(key(`version:${v}`), 'status');
const pipeline = async () => (await runtime()).dataset(DATASET).pipeline;
const load = (version: string, orderKey: number, prefix = 'd1') => runIngestLocally({ s3Uri: `s3://${BUCKET}/${prefix}/`, version, orderKey });

beforeAll(async () => {
  useClock(clock);
  await env();
  for (const [prefix, base] of [['d1', 0], ['d2', 1_000_000]] as const) {
    for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 4, itemBase: base }, 2).entries()) await putObject(BUCKET, `${prefix}/part-${i}.out`, body);
  }
  expect((await load('v1', 1000)).status).toBe('SUCCEEDED');
});
afterAll(async () => {
  useClock();
  await closeTestClients();
});

describe('a load that fails a release check', () => {
  test('a failed notification fails the execution (HeldNotificationFailed) but the version stays held and the live one untouched', async () => {
    await env({ checks: { minRecords: USERS + 500 } });
    const run = await runIngestLocally(
      { s3Uri: `s3://${BUCKET}/d2/`, version: 'h0', orderKey: 1900 },
      { publish: async () => Promise.reject(Object.assign(new Error('Topic does not exist'), { name: 'SNS.NotFoundException' })) },
    );
    expect(run).toMatchObject({ status: 'FAILED', error: 'HeldNotificationFailed', notifications: [] });
    expect(await statusOf('h0')).toBe('held');
    expect(await pointer()).toBe('v1');
    await discardVersion({ version: 'h0' }, await pipeline());
  });

  test('is held: kept with its check report, never live; readers keep the live version; SNS says which check failed and by how much', async () => {
    await env({ checks: { minRecords: USERS + 500 } });
    // A fresh runtime (new settings) connects first; readers then run while the load is held.
    expect((await api('/users/u1/recommendations')).status).toBe(200);
    let reading = true;
    const answers = { v1: 0, other: [] as unknown[] };
    const reader = (async () => {
      for (let i = 0; reading || i < 20; i++) {
        const a = await api(`/users/u${(i * 37) % USERS}/recommendations`);
        if (a.status === 200 && a.body.version === 'v1') answers.v1++;
        else answers.other.push(a);
      }
    })();
    const run = await load('h1', 2000, 'd2');
    reading = false;
    await reader;
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({
      version: 'h1',
      result: {
        commit: {
          outcome: 'held',
          previous: 'v1',
          records: USERS,
          checks: { passed: false, checks: expect.arrayContaining([expect.objectContaining({ name: 'record-count-min', outcome: 'fail', value: USERS, threshold: `>= ${USERS + 500}` })]) },
          held: { reason: 'checks-failed' },
        },
      },
    });
    expect(answers.other).toEqual([]);
    expect(answers.v1).toBeGreaterThan(0);
    expect(await pointer()).toBe('v1');
    expect(await statusOf('h1')).toBe('held');
    expect(await adminRedis().exists(key('lock:h1'))).toBe(0);
    expect(await versionKeyCount(DATASET, 'h1')).toBeGreaterThan(0); // kept, for promote
    expect(JSON.parse((await adminRedis().hget(key('version:h1'), 'checks'))!)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'record-count-min', outcome: 'fail' })]));

    expect(run.notifications).toHaveLength(1);
    const [note] = run.notifications;
    expect(note).toMatchObject({ state: 'NotifyHeld', topicArn: 'arn:aws:sns:us-east-1:000000000000:AlarmTopic', subject: `Sluice: ${DATASET} version h1 held, not live` });
    expect(note!.message).toContain(`record-count-min: ${USERS} (threshold >= ${USERS + 500})`);
    expect(note!.message).toContain('The live version (v1) is untouched');

    const status = await datasetStatus(await pipeline());
    expect(status.versions.find((v) => v.version === 'h1')).toMatchObject({
      status: 'held',
      live: false,
      heldReason: 'checks-failed',
      failedChecks: [{ name: 'record-count-min', value: USERS, threshold: `>= ${USERS + 500}` }],
    });
  });

  test('a re-run of the held version changes nothing and says how to go on', async () => {
    const run = await load('h1', 2000, 'd2');
    expect(run.output).toMatchObject({ action: 'skip', reason: expect.stringMatching(/^version h1 is already held .*sluice promote h1/) });
  });

  test('only the newest held version is kept: a late, older load that is held is retired at once; promote makes the newest live', async () => {
    // hA (1500), a late job, is held while h1 (2000) is held: its own hold retires it (it goes, h1 stays).
    await env({ checks: { minRecords: USERS + 500 } });
    expect((await load('hA', 1500)).output).toMatchObject({ result: { commit: { outcome: 'held', retention: { retired: ['hA'] } } } });
    expect(await statusOf('hA')).toBe('retired');
    expect(await versionKeyCount(DATASET, 'hA')).toBe(0);
    expect(await statusOf('h1')).toBe('held');
    // Then v15 (1700) goes live (Plan, chunks, Commit: no Retire yet).
    await env();
    const h = await realTaskHandlers();
    const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/d1/`, version: 'v15', orderKey: 1700 }, executionId: 'exec-v15' })) as { chunks: number[]; chunkCount: number };
    for (const chunk of plan.chunks) await h.LoadChunk({ dataset: DATASET, version: 'v15', owner: 'exec-v15', chunk });
    expect(await h.Commit({ dataset: DATASET, version: 'v15', owner: 'exec-v15', chunkCount: plan.chunkCount })).toMatchObject({ outcome: 'swapped', previous: 'v1' });

    const deps = await pipeline();
    await expect(promoteVersion({ version: 'hA' }, deps)).rejects.toThrow('version hA of rel is retired; only a held version can be promoted');
    expect(await pointer()).toBe('v15');
    await expect(promoteVersion({ version: 'v15' }, deps)).resolves.toMatchObject({ outcome: 'already-live' });
    await expect(promoteVersion({ version: 'nope' }, deps)).rejects.toThrow('dataset rel has no version nope');

    const promoted = await promoteVersion({ version: 'h1' }, deps);
    expect(promoted).toMatchObject({ outcome: 'swapped', version: 'h1', previous: 'v15', heldReason: 'checks-failed' });
    expect(await pointer()).toBe('h1');
    expect((await api('/users/u5/recommendations')).body).toEqual({ userId: 'u5', items: data(1_000_000)[5]!.items, version: 'h1' });
    expect(await statusOf('v15')).toBe('superseded');
    await expect(promoteVersion({ version: 'v15' }, deps)).rejects.toThrow(/v15 of rel is superseded; only a held version can be promoted \(.*sluice rollback/);
  });

  test('a held version that a newer load overtakes is retired by that load\'s Retire', async () => {
    // h2 (order 3000) is held; then v3 (order 4000) goes live through a normal load.
    await env({ checks: { minRecords: USERS + 500 } });
    expect((await load('h2', 3000)).output).toMatchObject({ result: { commit: { outcome: 'held' } } });
    await env();
    expect((await load('v3', 4000, 'd2')).output).toMatchObject({ result: { commit: { outcome: 'swapped', previous: 'h1' } } });
    expect(await statusOf('h2')).toBe('retired');
    expect(await versionKeyCount(DATASET, 'h2')).toBe(0);
  });
});

describe('manual approval (promote: manual)', () => {
  test('a load that passes every check ends held and announced; promote makes it live', async () => {
    await env({ promote: 'manual' });
    const run = await load('m1', 5000);
    expect(run.output).toMatchObject({ result: { commit: { outcome: 'held', previous: 'v3', checks: { passed: true }, held: { reason: 'manual-approval' } } } });
    expect(run.notifications[0]!.message).toContain('manual approval');
    expect(await pointer()).toBe('v3');
    expect(await statusOf('m1')).toBe('held');
    await expect(promoteVersion({ version: 'm1' }, await pipeline())).resolves.toMatchObject({ outcome: 'swapped', previous: 'v3', heldReason: 'manual-approval' });
    expect(await pointer()).toBe('m1');
    expect((await api('/users/u9/recommendations')).body).toMatchObject({ version: 'm1', items: data(0)[9]!.items });
  });

  test('discard deletes a held version: keys gone, metadata kept as discarded; promote of it is then refused', async () => {
    await env({ promote: 'manual' });
    expect((await load('m2', 6000, 'd2')).output).toMatchObject({ result: { commit: { outcome: 'held' } } });
    expect(await versionKeyCount(DATASET, 'm2')).toBeGreaterThan(0);
    const discarded = await discardVersion({ version: 'm2' }, await pipeline());
    expect(discarded).toMatchObject({ outcome: 'discarded', version: 'm2', was: 'held' });
    expect(await versionKeyCount(DATASET, 'm2')).toBe(0);
    expect(await statusOf('m2')).toBe('discarded');
    expect(await adminRedis().ttl(key('version:m2'))).toBeGreaterThan(0);
    expect(await adminRedis().zscore(key('versions'), 'm2')).toBeNull();
    await expect(promoteVersion({ version: 'm2' }, await pipeline())).rejects.toThrow('version m2 of rel is discarded; only a held version can be promoted');
    await expect(discardVersion({ version: 'm1' }, await pipeline())).rejects.toThrow('version m1 of rel is live; only a held version or a stale load can be discarded');
    expect(await pointer()).toBe('m1');
    // A discarded version may be loaded again (a fixed threshold, a re-run job).
    await env();
    expect((await load('m2', 6000, 'd2')).output).toMatchObject({ result: { commit: { outcome: 'swapped', previous: 'm1' } } });
  });
});

describe('retention with held versions', () => {
  test('a held version newer than the live one takes a retention slot; promote retires what is past the grace and defers the rest', async () => {
    // Live m2; superseded m1 (and older ones retired already).
    await env({ promote: 'manual' });
    expect((await load('m3', 7000)).output).toMatchObject({ result: { commit: { outcome: 'held' } } });
    const deps = await pipeline();
    const before = (await deps.versions.list()).map((v) => [v.id, v.status]);
    expect(before).toEqual(expect.arrayContaining([['m2', 'live'], ['m3', 'held']]));
    // RETAIN_VERSIONS=2: live m2 and the newest other, the held m3: m1 goes once past its grace.
    expect(await statusOf('m1')).toBe('superseded');
    expect((await retireVersions(deps)).deferred).toContain('m1'); // superseded within the grace
    clock.advance(GRACE_MS);
    expect((await retireVersions(deps)).retired).toContain('m1');
    expect(await statusOf('m1')).toBe('retired');
    expect(await versionKeyCount(DATASET, 'm1')).toBe(0);
    expect(await versionKeyCount(DATASET, 'm3')).toBeGreaterThan(0);
    // Promote m3: m2 becomes superseded just now, inside its grace: kept (it is the one rollback target anyway).
    const promoted = await promoteVersion({ version: 'm3' }, deps);
    expect(promoted).toMatchObject({ outcome: 'swapped', previous: 'm2', retired: [], deferred: [] });
    expect((await deps.versions.list()).map((v) => [v.id, v.status])).toEqual([['m2', 'superseded'], ['m3', 'live']]);
  });

  test('with RETAIN_VERSIONS=1 a promote defers the replaced version until its grace has passed', async () => {
    await env({ promote: 'manual' }, { RETAIN_VERSIONS: '1' });
    expect((await load('m4', 8000, 'd2')).output).toMatchObject({ result: { commit: { outcome: 'held' } } });
    const deps = await pipeline();
    const promoted = await promoteVersion({ version: 'm4' }, deps);
    expect(promoted.deferred).toContain('m3'); // superseded a moment ago: readers may still hold it
    expect(await versionKeyCount(DATASET, 'm3')).toBeGreaterThan(0);
    clock.advance(GRACE_MS - 1_000);
    // A second short of m3's grace. m2 (superseded by the test before, on a clock that also runs
    // in real time) may already be past its own and go now: only m3 is held to its grace here.
    const early = await retireVersions(deps);
    expect(early.retired).not.toContain('m3');
    expect(early.deferred).toContain('m3');
    clock.advance(1_000);
    expect((await retireVersions(deps)).retired).toContain('m3');
    expect(await versionKeyCount(DATASET, 'm3')).toBe(0);
    expect((await deps.versions.list()).map((v) => [v.id, v.status])).toEqual([['m4', 'live']]);
  });
});

describe('stale loads (the process stopped mid-way)', () => {
  /** Plan and the first chunk run, then the "process" stops: no worker runs, so nothing heartbeats. */
  async function deadLoad(version: string, orderKey: number): Promise<{ chunkCount: number }> {
    const h = await realTaskHandlers();
    const plan = (await h.Plan({ event: { s3Uri: `s3://${BUCKET}/d1/`, version, orderKey }, executionId: `exec-${version}` })) as { chunkCount: number; action: string };
    expect(plan.action).toBe('load');
    await h.LoadChunk({ dataset: DATASET, version, owner: `exec-${version}`, chunk: 0 });
    return plan;
  }

  test('a running load is loading; once nothing heartbeats for LOAD_STALE_SECONDS it is stale, and a re-ingest takes it over, cleaning it first', async () => {
    await env();
    const plan = await deadLoad('s1', 9000);
    expect(plan.chunkCount).toBeGreaterThan(2);
    const keys = await versionKeyCount(DATASET, 's1');
    expect(keys).toBeGreaterThan(0);
    const deps = await pipeline();
    // One last beat, as its last worker would give.
    expect(await deps.versions.heartbeat('s1', 'exec-s1', clock.now(), STALE_MS)).toBe(true);
    const report = async () => (await datasetStatus(deps)).versions.find((v) => v.version === 's1');
    expect((await report())?.status).toBe('loading'); // its lock is fresh
    // While it is not stale, a re-ingest is a duplicate and discard refuses.
    expect((await load('s1', 9000)).output).toMatchObject({ action: 'skip', existing: 'loading', reason: 'version s1 is already loading in another run; nothing was loaded (sluice status --dataset rel shows it)' });
    await expect(discardVersion({ version: 's1' }, deps)).rejects.toThrow(/s1 of rel is loading under a running execution/);
    clock.advance(STALE_MS - 1_000);
    expect((await report())?.status).toBe('loading'); // a second short of LOAD_STALE_SECONDS since the beat
    clock.advance(1_000);
    // Stale by the clock, though Redis still has its lock key (its PX is a minute of real time).
    expect(await adminRedis().exists(key('lock:s1'))).toBe(1);
    expect(await report()).toMatchObject({ status: 'stale', chunksDone: 1, chunks: plan.chunkCount, heartbeatAt: expect.any(String) });

    const again = await load('s1', 9000);
    expect(again.status).toBe('SUCCEEDED');
    expect(again.output).toMatchObject({ action: 'load', result: { commit: { outcome: 'swapped', previous: 'm4', records: USERS } } });
    expect(await pointer()).toBe('s1');
    // Exactly the new load's records: nothing of the dead one is left over.
    const buckets = (again.output as { buckets: number }).buckets;
    let fields = 0;
    for (let b = 0; b < buckets; b++) fields += await adminRedis().hlen(`sluice:${DATASET}:s1:${b}`);
    expect(fields).toBe(USERS);
  });

  test('the dead load\'s workers cannot write into the version once it was taken over', async () => {
    await env();
    const h = await realTaskHandlers();
    await deadLoad('s2', 10_000);
    const deps = await pipeline();
    expect((await deps.versions.get('s2'))?.stale).toBe(false);
    clock.advance(STALE_MS);
    expect((await deps.versions.get('s2'))?.stale).toBe(true);
    expect((await load('s2', 10_000, 'd2')).output).toMatchObject({ result: { commit: { outcome: 'swapped' } } });
    // A late worker of the old execution: refused before it writes anything.
    await expect(h.LoadChunk({ dataset: DATASET, version: 's2', owner: 'exec-s2', chunk: 1 })).rejects.toThrow(/s2 of rel is live, not loading under this execution/);
    expect((await api('/users/u3/recommendations')).body).toMatchObject({ version: 's2', items: data(1_000_000)[3]!.items });
  });

  test('discard removes a stale load; Retire (or the next load) cleans up stale loads of other versions', async () => {
    await env();
    const deps = await pipeline();
    await deadLoad('s3', 11_000);
    await deadLoad('s4', 12_000);
    expect((await retireVersions(deps)).retired).not.toContain('s4'); // still loading, by the clock
    clock.advance(STALE_MS);
    expect(await Promise.all(['s3', 's4'].map(async (v) => (await deps.versions.get(v))?.stale))).toEqual([true, true]);
    expect(await discardVersion({ version: 's3' }, deps)).toMatchObject({ outcome: 'discarded', was: 'stale' });
    expect(await versionKeyCount(DATASET, 's3')).toBe(0);
    expect(await statusOf('s3')).toBe('discarded');

    const retired = await retireVersions(deps);
    expect(retired.retired).toContain('s4');
    expect(await versionKeyCount(DATASET, 's4')).toBe(0);
    expect(await statusOf('s4')).toBe('failed');
    expect(await adminRedis().hget(key('version:s4'), 'error')).toMatch(/^abandoned load: no heartbeat since \d{4}-/);
    expect(await adminRedis().zscore(key('versions'), 's4')).toBeNull();

    // The next load of another version cleans one up too, before its pre-flight.
    await deadLoad('s5', 13_000);
    clock.advance(STALE_MS);
    expect((await deps.versions.get('s5'))?.stale).toBe(true);
    expect((await load('s6', 14_000)).status).toBe('SUCCEEDED');
    expect(await versionKeyCount(DATASET, 's5')).toBe(0);
    expect(await statusOf('s5')).toBe('failed');
  });
});

describe('the real timer behind stale loads', () => {
  test('on the real clock, a load left alone goes stale once Redis expires its lock key (PX LOAD_STALE_SECONDS), and can be discarded', async () => {
    // The one wall-clock stale test: LOAD_STALE_SECONDS=2 sat out, nothing moved by hand.
    const back = useClock();
    try {
      await env({}, { LOAD_STALE_SECONDS: '2' });
      const h = await realTaskHandlers();
      expect(await h.Plan({ event: { s3Uri: `s3://${BUCKET}/d1/`, version: 's7', orderKey: 15_000 }, executionId: 'exec-s7' })).toMatchObject({ action: 'load' });
      const deps = await pipeline();
      expect((await deps.versions.get('s7'))?.stale).toBe(false);
      await eventually(() => adminRedis().exists(key('lock:s7')), (n) => n === 0, 10_000);
      expect((await deps.versions.get('s7'))?.stale).toBe(true);
      expect(await discardVersion({ version: 's7' }, deps)).toMatchObject({ outcome: 'discarded', was: 'stale' });
    } finally {
      back();
    }
  });
});

describe('the Lua steps, directly', () => {
  test('HOLD holds only a loading version of its owner; HEARTBEAT refreshes only its own load; a deletion blocks re-registration', async () => {
    await env();
    const deps = await pipeline();
    const h = await realTaskHandlers();
    await h.Plan({ event: { s3Uri: `s3://${BUCKET}/d1/`, version: 'x1', orderKey: 20_000 }, executionId: 'exec-x1' });
    const fields = { records: 1 };
    await expect(deps.versions.hold({ version: 'x1', owner: 'someone-else', now: 1, reason: 'checks-failed', fields })).rejects.toThrow('version x1 of rel is loading, not loading under this execution');
    expect(await deps.versions.heartbeat('x1', 'someone-else', 1, 60_000)).toBe(false);
    expect(await deps.versions.heartbeat('x1', 'exec-x1', clock.now(), 60_000)).toBe(true);
    expect(await adminRedis().pttl(key('lock:x1'))).toBeGreaterThan(50_000);
    expect(await deps.versions.beginDelete('x1')).toBe('loading'); // a running load is never deleted
    expect(await deps.versions.hold({ version: 'x1', owner: 'exec-x1', now: 2, reason: 'manual-approval', fields })).toEqual({ outcome: 'held', live: 's6' });
    // A retried Commit of the same execution gets the same answer; another execution cannot hold it.
    expect(await deps.versions.hold({ version: 'x1', owner: 'exec-x1', now: 3, reason: 'manual-approval', fields })).toEqual({ outcome: 'held', live: 's6' });
    await expect(deps.versions.hold({ version: 'x1', owner: 'exec-other', now: 3, reason: 'manual-approval', fields })).rejects.toThrow('version x1 of rel is held');
    expect(await adminRedis().hget(key('version:x1'), 'heldAt')).toBe('2');
    expect(await deps.versions.heartbeat('x1', 'exec-x1', 1, 60_000)).toBe(false);

    // Claimed for deletion: a second deleter and a re-registration both wait.
    expect(await deps.versions.discard('x1', 4)).toBe('discarded');
    expect(await deps.versions.discard('x1', 4)).toBe('busy');
    expect(await deps.versions.beginDelete('x1')).toBe('busy');
    expect((await load('x1', 20_000)).output).toMatchObject({ action: 'skip', existing: 'being deleted', reason: 'version x1 is already being deleted in another run; nothing was loaded (sluice status --dataset rel shows it)' });
    await deps.versions.deleteData('x1', (await deps.versions.get('x1'))!.buckets, deps.newWriter(), 5);
    expect(await adminRedis().exists(key('lock:x1'))).toBe(0);
    expect(await versionKeyCount(DATASET, 'x1')).toBe(0);
  });
});
