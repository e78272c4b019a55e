import { cleanLeftovers, retireVersions } from '../../../functions/pipeline/retire-versions.js';
import { testPipeline } from './fixtures.js';

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
    expect((await cleanLeftovers(p.deps)).sort()).toEqual(['bad', 'gone']);
    expect((await p.versions.get('run'))?.status).toBe('loading');
    expect(p.versions.keysOf('run')).toHaveLength(2);
    expect((await p.versions.get('gone'))?.fields.error).toMatch(/^abandoned load: no heartbeat since/);
    expect(p.versions.keysOf('gone')).toEqual([]);
  });
});
