// The VersionRepository contract, run against both implementations: the Redis store
// (functions/adapters/version-store.ts, Lua on the shared test cluster) and the in-memory one the
// pipeline's unit tests use (tests/support/in-memory-versions.ts). The same calls must give the
// same answers and leave the same statuses, or the unit tests prove things about a fake that the
// real store does not do.
import { randomUUID } from 'node:crypto';
import { ClusterBulkWriter } from '../../functions/adapters/cluster-writer.js';
import { VersionStore } from '../../functions/adapters/version-store.js';
import type { BulkWriter } from '../../functions/domain/bulk-writer.js';
import { controlKeys, dataKey } from '../../functions/domain/key-layout.js';
import type { VersionRepository } from '../../functions/domain/version-repository.js';
import { VersionStateError } from '../../functions/errors.js';
import { InMemoryVersions } from '../support/in-memory-versions.js';
import { adminRedis, closeTestClients } from '../support/sluice.js';

/** One implementation under test, for a dataset of its own. */
interface Subject {
  repo: VersionRepository;
  writer(): BulkWriter;
  /** The load's process stopped: its lock expires (as its TTL would). */
  expireLock(version: string): Promise<void>;
  /** Data keys of the version still present. */
  dataKeys(version: string, buckets: number): Promise<number>;
}

/** The time both implementations judge a load's lock by (its lockUntil), moved by the tests. */
let time = 0;
const clock = () => time;

const IMPLEMENTATIONS: [string, (dataset: string) => Subject][] = [
  [
    'in memory',
    (dataset) => {
      const repo = new InMemoryVersions(dataset, clock);
      return {
        repo,
        writer: () => repo.newWriter(),
        expireLock: async (version) => repo.expireLock(version),
        dataKeys: async (version) => repo.keysOf(version).length,
      };
    },
  ],
  [
    'Redis (VersionStore)',
    (dataset) => {
      const redis = adminRedis();
      return {
        repo: new VersionStore(redis, dataset, undefined, clock),
        writer: () => new ClusterBulkWriter(redis, { batchSize: 100, batchesInFlight: 2 }),
        expireLock: async (version) => void (await redis.del(controlKeys(dataset).lock(version))),
        dataKeys: async (version, buckets) => {
          let n = 0;
          for (let b = 0; b < buckets; b++) n += await redis.exists(dataKey(dataset, version, b));
          return n;
        },
      };
    },
  ],
];

afterAll(() => closeTestClients());

describe.each(IMPLEMENTATIONS)('VersionRepository: %s', (_, make) => {
  let s: Subject;
  let repo: VersionRepository;
  let dataset: string;
  beforeEach(() => {
    dataset = `contract-${randomUUID().slice(0, 8)}`;
    time = 0;
    s = make(dataset);
    repo = s.repo;
  });

  const register = (version: string, orderKey: number, owner = `exec-${version}`) =>
    repo.register({ version, orderKey, owner, buckets: 2, lockTtlMs: 60_000, now: time, metadata: { source: `s3://b/${version}/`, createdAt: 1 } });
  const commit = (version: string, owner = `exec-${version}`, now = 10) =>
    repo.swap({ version, owner, requiredStatus: 'loading', force: false, now, fields: { records: 2 } });
  const status = async (version: string) => (await repo.get(version))?.status ?? 'missing';
  /** Registers and writes one record per bucket, as a load would. */
  const load = async (version: string, orderKey: number) => {
    expect(await register(version, orderKey)).toEqual({ outcome: 'registered' });
    const writer = s.writer();
    await writer.write([0, 1].map((b) => ({ op: 'hset' as const, key: dataKey(dataset, version, b), field: `k${b}`, value: '[]' })));
    await writer.flush();
  };

  test('register: a new version loads under a lock; the same one again is a duplicate, a retry of its owner is not', async () => {
    expect(await register('v1', 100)).toEqual({ outcome: 'registered' });
    expect(await repo.get('v1')).toMatchObject({ id: 'v1', status: 'loading', orderKey: 100, buckets: 2, stale: false, fields: expect.objectContaining({ source: 's3://b/v1/', owner: 'exec-v1' }) });
    expect(await register('v1', 100, 'someone-else')).toEqual({ outcome: 'duplicate', status: 'loading' });
    expect(await register('v1', 100)).toEqual({ outcome: 'registered' });
    expect(await repo.assertLoading('v1', 'exec-v1')).toBe(2);
    await expect(repo.assertLoading('v1', 'someone-else')).rejects.toBeInstanceOf(VersionStateError);
    expect((await repo.list()).map((v) => v.id)).toEqual(['v1']);
  });

  test('register: a load whose lock expired is abandoned; one ordered at or before the live version is stale', async () => {
    await register('v1', 100);
    await s.expireLock('v1');
    expect(await repo.get('v1')).toMatchObject({ status: 'loading', stale: true });
    expect(await register('v1', 100, 'someone-else')).toEqual({ outcome: 'abandoned' });
    await register('v2', 200);
    expect(await commit('v2')).toEqual({ outcome: 'swapped', previous: '' });
    expect(await register('v0', 150)).toEqual({ outcome: 'stale', live: 'v2' });
    expect(await register('v00', 200)).toEqual({ outcome: 'stale', live: 'v2' });
    expect(await register('v2', 300)).toEqual({ outcome: 'duplicate', status: 'live' });
  });

  test('commit: the swap is a compare-and-set that refuses a version ordered before the live one', async () => {
    await register('v1', 100);
    await register('v3', 300);
    await register('v4', 400);
    expect(await commit('v1')).toEqual({ outcome: 'swapped', previous: '' });
    expect(await commit('v4')).toEqual({ outcome: 'swapped', previous: 'v1' });
    expect(await repo.current()).toEqual({ version: 'v4', orderKey: 400, buckets: 2 });
    expect(await status('v1')).toBe('superseded');
    expect(await repo.get('v1')).toMatchObject({ supersededAt: 10 });
    // v3 finished after v4 went live: refused, and marked so.
    expect(await commit('v3')).toEqual({ outcome: 'refused', previous: 'v4' });
    expect(await repo.get('v3')).toMatchObject({ status: 'refused', fields: expect.objectContaining({ refusedBy: 'v4' }) });
    // A retried commit of the live version; a commit of another owner; one of a version not loading.
    expect(await commit('v4')).toEqual({ outcome: 'already-live', previous: 'v4' });
    await register('v5', 500);
    await expect(commit('v5', 'someone-else')).rejects.toBeInstanceOf(VersionStateError);
    await expect(commit('v3')).rejects.toBeInstanceOf(VersionStateError);
    await expect(commit('nope')).rejects.toBeInstanceOf(VersionStateError);
    expect(await repo.current()).toEqual({ version: 'v4', orderKey: 400, buckets: 2 });
  });

  test('commit: a retry of a commit whose version went live and was replaced since finds it superseded', async () => {
    await register('v1', 100);
    await register('v2', 200);
    await commit('v1');
    await commit('v2');
    expect(await commit('v1')).toEqual({ outcome: 'superseded', previous: 'v2' });
  });

  test('hold, then promote; a held version ordered before the live one is refused', async () => {
    await register('v1', 100);
    await register('v2', 200);
    expect(await repo.hold({ version: 'v2', owner: 'exec-v2', now: 5, reason: 'check failed', fields: { records: 2 } })).toEqual({ outcome: 'held', live: '' });
    expect(await repo.get('v2')).toMatchObject({ status: 'held', fields: expect.objectContaining({ heldReason: 'check failed', records: '2' }) });
    // Holding again (a retried Commit) keeps it held; another owner cannot.
    expect(await repo.hold({ version: 'v2', owner: 'exec-v2', now: 6, reason: 'check failed', fields: {} })).toEqual({ outcome: 'held', live: '' });
    await expect(repo.hold({ version: 'v1', owner: 'someone-else', now: 6, reason: 'x', fields: {} })).rejects.toBeInstanceOf(VersionStateError);
    // Held is not loading: the lock is gone, yet the version is not stale.
    expect(await repo.heartbeat('v2', 'exec-v2', 7, 60_000)).toBe(false);
    expect(await repo.swap({ version: 'v2', owner: '', requiredStatus: 'held', force: false, now: 8, fields: {} })).toEqual({ outcome: 'swapped', previous: '' });
    expect(await status('v2')).toBe('live');
    expect(await repo.hold({ version: 'v1', owner: 'exec-v1', now: 9, reason: 'manual', fields: {} })).toEqual({ outcome: 'refused', live: 'v2' });
    expect(await status('v1')).toBe('refused');
  });

  test('rollback: a superseded version goes live again only when forced past the order rule', async () => {
    await register('v1', 100);
    await register('v2', 200);
    await commit('v1');
    await commit('v2');
    const back = { version: 'v1', owner: '', requiredStatus: 'superseded' as const, now: 20, fields: {} };
    expect(await repo.swap({ ...back, force: false })).toEqual({ outcome: 'refused', previous: 'v2' });
    expect(await status('v1')).toBe('refused');
    await register('v3', 300);
    await register('v4', 400);
    await commit('v3');
    await commit('v4');
    expect(await repo.swap({ ...back, version: 'v3', force: true })).toEqual({ outcome: 'swapped', previous: 'v4' });
    expect(await repo.current()).toEqual({ version: 'v3', orderKey: 300, buckets: 2 });
    expect(await status('v4')).toBe('superseded');
  });

  test('discard: a held version or a stale load, not a running load or the live version', async () => {
    await register('v1', 100);
    await register('v2', 200);
    await repo.hold({ version: 'v1', owner: 'exec-v1', now: 5, reason: 'manual', fields: {} });
    expect(await repo.discard('v1', 30)).toBe('discarded');
    expect(await repo.get('v1')).toMatchObject({ status: 'discarded', fields: expect.objectContaining({ discardedFrom: 'held' }) });
    expect(await repo.discard('v2', 30)).toBe('loading');
    await s.expireLock('v2');
    expect(await repo.discard('v2', 31)).toBe('discarded');
    await register('v3', 300);
    await commit('v3');
    expect(await repo.discard('v3', 32)).toBe('live');
    expect(await repo.discard('nope', 32)).toBe('missing');
  });

  test('retention: a superseded version is claimed, its data deleted, and it leaves the list as retired', async () => {
    await load('v1', 100);
    await load('v2', 200);
    await commit('v1');
    await commit('v2');
    expect(await s.dataKeys('v1', 2)).toBe(2);
    expect(await repo.beginDelete('v2', 40, 'abandoned', 'retire-1')).toBe('live');
    expect(await repo.beginDelete('v1', 40, 'abandoned', 'retire-1')).toBe('claimed');
    expect(await status('v1')).toBe('retiring');
    // The same claimant again (a retried step) gets it; anyone else finds it busy.
    expect(await repo.beginDelete('v1', 41, 'abandoned', 'retire-1')).toBe('claimed');
    expect(await repo.beginDelete('v1', 41, 'abandoned', 'retire-2')).toBe('busy');
    await repo.deleteData('v1', 2, s.writer(), 42);
    expect(await s.dataKeys('v1', 2)).toBe(0);
    expect(await repo.get('v1')).toMatchObject({ status: 'retired', fields: expect.objectContaining({ retiredAt: '42' }) });
    expect((await repo.list()).map((v) => v.id)).toEqual(['v2']);
    await expect(repo.swap({ version: 'v1', owner: '', requiredStatus: 'superseded', force: true, now: 43, fields: {} })).rejects.toBeInstanceOf(VersionStateError);
  });

  test('locks: heartbeats keep a load alive for its owner; a stale load is failed when claimed for deletion', async () => {
    await register('v1', 100);
    expect(await repo.heartbeat('v1', 'exec-v1', 50, 60_000)).toBe(true);
    expect(await repo.get('v1')).toMatchObject({ stale: false, fields: expect.objectContaining({ heartbeatAt: '50' }) });
    expect(await repo.heartbeat('v1', 'someone-else', 51, 60_000)).toBe(false);
    expect(await repo.beginDelete('v1', 52)).toBe('loading');
    await s.expireLock('v1');
    // A heartbeat after the lock expired brings the lock back (the load was only late).
    expect(await repo.heartbeat('v1', 'exec-v1', 53, 60_000)).toBe(true);
    expect(await repo.get('v1')).toMatchObject({ stale: false });
    await s.expireLock('v1');
    expect(await repo.beginDelete('v1', 54, 'abandoned load: no heartbeat since 53')).toBe('claimed');
    expect(await repo.get('v1')).toMatchObject({ status: 'failed', fields: expect.objectContaining({ error: 'abandoned load: no heartbeat since 53' }) });
  });

  test('locks by the clock: a load is stale once the time passes its lock (heartbeats move it on), though the lock key is still there', async () => {
    await register('v1', 100); // locked until 60_000
    await register('v2', 200);
    await register('v3', 300);
    time = 59_999;
    expect(await repo.get('v1')).toMatchObject({ status: 'loading', stale: false });
    expect(await repo.heartbeat('v2', 'exec-v2', time, 60_000)).toBe(true); // until 119_999
    time = 60_000;
    expect(await repo.get('v1')).toMatchObject({ status: 'loading', stale: true });
    expect(await repo.get('v2')).toMatchObject({ status: 'loading', stale: false });
    expect(await register('v1', 100, 'someone-else')).toEqual({ outcome: 'abandoned' });
    expect(await register('v2', 200, 'someone-else')).toEqual({ outcome: 'duplicate', status: 'loading' });
    expect(await repo.discard('v2', time)).toBe('loading');
    expect(await repo.beginDelete('v2', time)).toBe('loading');
    expect(await repo.discard('v1', time)).toBe('discarded');
    expect(await repo.get('v1')).toMatchObject({ status: 'discarded', fields: expect.objectContaining({ discardedFrom: 'loading' }) });
    expect(await repo.beginDelete('v3', time, 'abandoned load')).toBe('claimed');
    expect(await repo.get('v3')).toMatchObject({ status: 'failed', fields: expect.objectContaining({ error: 'abandoned load' }) });
  });

  test('markFailed: only the owner fails its load, and again on a retry', async () => {
    await register('v1', 100);
    expect(await repo.markFailed('v1', 'someone-else', 'boom', 60)).toEqual({ failed: false, status: 'loading' });
    expect(await repo.markFailed('v1', 'exec-v1', 'boom', 61)).toEqual({ failed: true, status: 'failed' });
    expect(await repo.markFailed('v1', 'exec-v1', 'boom', 62)).toEqual({ failed: true, status: 'failed' });
    expect(await repo.get('v1')).toMatchObject({ status: 'failed', fields: expect.objectContaining({ error: 'boom', failedAt: '61' }) });
    expect(await repo.markFailed('nope', 'exec-v1', 'boom', 63)).toEqual({ failed: false, status: 'missing' });
    // A failed version may be registered again (a new load of the same name).
    expect(await register('v1', 100, 'exec-again')).toEqual({ outcome: 'registered' });
  });

  test('chunk plan, attempts and results: results only while the version loads under the owner', async () => {
    await register('v1', 100);
    const chunk = { index: 0, parts: [{ key: 'a.out', start: 0, end: 10, etag: 'e' }] } as unknown as Parameters<VersionRepository['savePlan']>[1][number];
    await repo.savePlan('v1', [chunk]);
    expect(await repo.planChunk('v1', 0)).toEqual(chunk);
    expect(await repo.planChunk('v1', 1)).toBeNull();
    expect([await repo.chunkAttempt('v1', 0), await repo.chunkAttempt('v1', 0)]).toEqual([1, 2]);
    const result = { index: 0, records: 2, badRecords: 0 } as unknown as Parameters<VersionRepository['recordChunk']>[2];
    expect(await repo.recordChunk('v1', 'exec-v1', result)).toBe(true);
    expect(await repo.recordChunk('v1', 'someone-else', result)).toBe(false);
    expect(await repo.chunkResults('v1')).toEqual([result]);
    expect(await repo.recordFields('v1', { checks: 'ok' })).toBe(true);
    expect(await repo.recordFields('nope', { checks: 'ok' })).toBe(false);
    expect(await repo.get('nope')).toBeNull();
  });

  test('edges: repeated discards and deletions, equal order keys, a refused name not reused, retired stays retired', async () => {
    await register('v1', 100);
    await repo.hold({ version: 'v1', owner: 'exec-v1', now: 5, reason: 'manual', fields: {} });
    expect(await repo.discard('v1', 6)).toBe('discarded');
    // A second discard while the first one's deletion holds the lock.
    expect(await repo.discard('v1', 7)).toBe('busy');
    await repo.deleteData('v1', 2, s.writer(), 8);
    expect(await repo.get('v1')).toMatchObject({ status: 'discarded', fields: expect.objectContaining({ dataDeletedAt: '8' }) });
    expect(await repo.beginDelete('v1', 9)).toBe('claimed');
    // Equal order keys: the later one is refused at commit.
    await register('v2', 200);
    await register('v3', 200);
    expect(await commit('v2')).toEqual({ outcome: 'swapped', previous: '' });
    expect(await commit('v3')).toEqual({ outcome: 'refused', previous: 'v2' });
    // A refused name is not registered again, whatever its order key (a new load takes a new name).
    expect(await register('v3', 200)).toEqual({ outcome: 'duplicate', status: 'refused' });
    expect(await register('v3', 300, 'exec-again')).toEqual({ outcome: 'duplicate', status: 'refused' });
    // Retired versions stay retired.
    await register('v4', 400);
    await commit('v4');
    expect(await repo.beginDelete('v2', 10, 'x', 'r')).toBe('claimed');
    await repo.deleteData('v2', 2, s.writer(), 11);
    expect(await repo.beginDelete('v2', 12, 'x', 'r2')).toBe('retired');
    expect(await repo.discard('v2', 12)).toBe('retired');
  });
});
