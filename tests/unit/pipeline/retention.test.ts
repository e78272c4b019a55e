import type { MasterMemory, MemoryProbe } from '../../../functions/adapters/cluster-memory.js';
import { DEFAULT_RELEASE_CHECKS } from '../../../functions/domain/release-checks.js';
import { commitVersion } from '../../../functions/pipeline/commit-version.js';
import { planLoad } from '../../../functions/pipeline/plan-load.js';
import { RESERVE_FRACTION, estimateLoad, preflight } from '../../../functions/pipeline/preflight.js';
import { retireBeforeLoad, retireVersions } from '../../../functions/pipeline/retire-versions.js';
import { chunkResult, testPipeline, type TestPipeline } from './fixtures.js';

/** v3 live; v1 and v2 superseded two minutes ago (past the grace period). */
function twoRetainedPastGrace() {
  const p = testPipeline();
  const past = String(p.clock.now - 120_000);
  p.versions.seed('v1', 'superseded', 1, { supersededAt: past });
  p.versions.seed('v2', 'superseded', 2, { supersededAt: past });
  p.versions.seed('v3', 'live', 3);
  return p;
}

describe('retireVersions (retain 2, grace 60 s)', () => {
  it('keeps the live version and the newest retained one, deletes older ones past grace', async () => {
    const p = twoRetainedPastGrace();
    expect(await retireVersions(p.deps)).toEqual({ retired: ['v1'], deferred: [] });
    expect((await p.versions.get('v1'))?.status).toBe('retired');
    expect(p.versions.keysOf('v1')).toEqual([]);
    expect((await p.versions.list()).map((v) => [v.id, v.status])).toEqual([['v2', 'superseded'], ['v3', 'live']]);
  });

  it('a retried Retire resumes its own claim on a deletion left halfway; another claimant leaves it', async () => {
    const p = twoRetainedPastGrace();
    // The first attempt claimed v1 (now retiring), then stopped before deleting anything.
    expect(await p.versions.beginDelete('v1', p.clock.now, undefined, 'retire:exec-3')).toBe('claimed');
    expect(await retireVersions(p.deps, undefined, 'retire:exec-other')).toEqual({ retired: [], deferred: [] });
    expect(p.versions.keysOf('v1')).toHaveLength(2);
    expect(await retireVersions(p.deps, undefined, 'retire:exec-3')).toEqual({ retired: ['v1'], deferred: [] });
    expect(p.versions.keysOf('v1')).toEqual([]);
    expect((await p.versions.get('v1'))?.status).toBe('retired');
  });

  it('defers a version superseded inside the grace period: readers may still hold it', async () => {
    const p = testPipeline();
    p.versions.seed('v1', 'superseded', 1, { supersededAt: String(p.clock.now - 120_000) });
    p.versions.seed('v2', 'superseded', 2, { supersededAt: String(p.clock.now - 10_000) });
    p.versions.seed('v3', 'live', 3);
    p.versions.seed('v0', 'superseded', 0, { supersededAt: String(p.clock.now - 30_000) });
    expect(await retireVersions(p.deps)).toEqual({ retired: ['v1'], deferred: ['v0'] });
    expect((await p.versions.get('v0'))?.status).toBe('superseded');
    expect(p.versions.keysOf('v0')).toHaveLength(2);
    p.clock.now += 60_000;
    expect(await retireVersions(p.deps)).toEqual({ retired: ['v0'], deferred: [] });
  });

  it('never touches a running load; cleans failed versions and stale loads', async () => {
    const p = testPipeline();
    p.versions.seed('v1', 'live', 1);
    p.versions.seed('run', 'loading', 2);
    p.versions.seed('gone', 'loading', 3);
    p.versions.expireLock('gone');
    p.versions.seed('bad', 'failed', 4);
    expect((await retireBeforeLoad(p.deps)).retired.sort()).toEqual(['bad', 'gone']);
    expect((await p.versions.get('run'))?.status).toBe('loading');
    expect(p.versions.keysOf('run')).toHaveLength(2);
    expect((await p.versions.get('gone'))?.fields.error).toMatch(/^abandoned load: no heartbeat since/);
    expect(p.versions.keysOf('gone')).toEqual([]);
  });
});

/** A complete load of `id` (one chunk, two records) by its own execution, then its commit. */
async function night(p: TestPipeline, id: string, orderKey: number) {
  p.versions.seed(id, 'loading', orderKey);
  expect(await p.versions.recordChunk(id, `exec-${id}`, chunkResult(0, 2))).toBe(true);
  return commitVersion({ dataset: p.deps.dataset, version: id, owner: `exec-${id}`, chunkCount: 1 }, p.deps);
}

/** Versions whose data is in the store. */
const holdingData = (p: TestPipeline) => p.versions.list().then((vs) => vs.filter((v) => p.versions.keysOf(v.id).length > 0).map((v) => v.id));

describe('held versions are bounded (retain 2)', () => {
  /** Live v2 and the rollback target v1, superseded two minutes ago; every load from here fails a check. */
  function afterTwoGoodNights() {
    const p = testPipeline({ checks: { ...DEFAULT_RELEASE_CHECKS, minRecords: 1000 } });
    p.versions.seed('v1', 'superseded', 1, { supersededAt: String(p.clock.now - 120_000) });
    p.versions.seed('v2', 'live', 2, { records: '2' });
    return p;
  }

  it('four bad nights leave the live version and the newest held one: each hold retires the held versions before it', async () => {
    const p = afterTwoGoodNights();
    for (const [i, id] of ['h3', 'h4', 'h5', 'h6'].entries()) {
      const held = await night(p, id, 3 + i);
      expect(held).toMatchObject({ outcome: 'held', retention: { retired: i === 0 ? ['v1'] : [`h${2 + i}`], deferred: [] } });
    }
    expect((await p.versions.list()).map((v) => [v.id, v.status])).toEqual([['v2', 'live'], ['h6', 'held']]);
    expect(await holdingData(p)).toEqual(['v2', 'h6']);
    // Retired, not failed or discarded: a check failure never deletes a held version by itself.
    expect((await p.versions.get('h5'))?.status).toBe('retired');
  });

  it('with RETAIN_VERSIONS=1 the newest held version stays all the same', async () => {
    const p = afterTwoGoodNights();
    p.deps.load = { ...p.deps.load, retainVersions: 1 };
    expect(await night(p, 'h3', 3)).toMatchObject({ outcome: 'held', retention: { retired: ['v1'] } });
    expect(await holdingData(p)).toEqual(['v2', 'h3']);
  });

  it('a held version older than the newest is retired when the next load is planned, even if its hold did not apply retention', async () => {
    const p = afterTwoGoodNights();
    p.versions.seed('h3', 'held', 3);
    p.versions.seed('h4', 'held', 4);
    expect(await retireBeforeLoad(p.deps)).toEqual({ retired: ['v1', 'h3'], deferred: [] });
    expect(await holdingData(p)).toEqual(['v2', 'h4']);
  });
});

describe('a cache sized as the README says (max(RETAIN_VERSIONS, 2) + 1 copies)', () => {
  const body = Buffer.from(Array.from({ length: 200 }, (_, i) => JSON.stringify({ userId: `u${i}`, recommendations: [`i${i}`, `i${i + 1}`] })).join('\n') + '\n');
  const copy = estimateLoad(body.length, 1, null).bytes * 2; // what one version takes, with room for the estimate's sample

  /** One master; every version with data in the store takes `copy` bytes of it. */
  function memory(p: TestPipeline, copies: number): MemoryProbe {
    return {
      masters: async (): Promise<MasterMemory[]> => [{ node: 'm1', usedBytes: (await holdingData(p)).length * copy, maxBytes: Math.ceil((copies * copy) / (1 - RESERVE_FRACTION)) + 1, slotShare: 1 }],
    };
  }

  function sized() {
    const p = testPipeline({ checks: { ...DEFAULT_RELEASE_CHECKS, minRecords: 1000 } });
    p.versions.seed('v1', 'superseded', 1, { supersededAt: String(p.clock.now - 120_000) });
    p.versions.seed('v2', 'live', 2, { records: '2' });
    p.objects.objects.set('in/night4/part-0.out', body);
    p.deps.memory = memory(p, 3);
    return p;
  }

  const plan = (p: TestPipeline) =>
    planLoad({ bucket: 'in', key: 'night4/', singleObject: false, explicitVersion: 'v4', orderKey: 4, origin: 'test' }, 'exec-v4', p.deps);

  it('one held night does not keep the next good night out: its pre-flight passes', async () => {
    const p = sized();
    expect(await night(p, 'h3', 3)).toMatchObject({ outcome: 'held' });
    await expect(plan(p)).resolves.toMatchObject({ action: 'load', version: 'v4' });
  });

  it('when a load does not fit, the pre-flight names the held versions, their size and the command that frees them', async () => {
    const p = sized();
    expect(await night(p, 'h3', 3)).toMatchObject({ outcome: 'held' });
    p.deps.memory = memory(p, 2);
    const refused = plan(p);
    await expect(refused).rejects.toMatchObject({ name: 'InsufficientMemoryError' });
    await expect(refused).rejects.toThrow(
      /Nothing was written\. Held version of recommendations takes memory: h3 \(2 records, 0\.0 KiB of input\); sluice discard h3 --dataset recommendations frees it \(or promote it\); otherwise free memory/,
    );
    expect((await p.versions.get('v4'))?.status).toBe('failed');
  });

  it('with no held version the pre-flight says only how to free memory', async () => {
    const p = testPipeline();
    p.versions.seed('v2', 'live', 2);
    p.deps.memory = memory(p, 1);
    const objects = [{ bucket: 'in', key: 'k.out', etag: 'e', size: body.length, format: 'jsonl' as const }];
    await expect(preflight({ version: 'v3', objects, totalBytes: body.length, buckets: 1 }, p.deps)).rejects.toThrow(/Nothing was written\. To load it, free memory \(lower RETAIN_VERSIONS\) or grow the cache$/);
  });
});
