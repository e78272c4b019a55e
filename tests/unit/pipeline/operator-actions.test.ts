import { discardVersion } from '../../../functions/pipeline/discard-version.js';
import { promoteVersion } from '../../../functions/pipeline/promote-version.js';
import { rollbackVersion } from '../../../functions/pipeline/rollback-version.js';
import { testPipeline } from './fixtures.js';

describe('rollbackVersion', () => {
  it('goes back to the newest retained version, forcing past the order check', async () => {
    const p = testPipeline();
    p.versions.seed('v1', 'superseded', 1, { supersededAt: '1' });
    p.versions.seed('v2', 'superseded', 2, { supersededAt: '2' });
    p.versions.seed('v3', 'live', 3);
    expect(await rollbackVersion({ dryRun: true }, p.deps)).toMatchObject({ outcome: 'planned', version: 'v2', previous: 'v3' });
    expect((await p.versions.current())?.version).toBe('v3');
    expect(await rollbackVersion({}, p.deps)).toMatchObject({ outcome: 'swapped', version: 'v2', previous: 'v3', backInOrder: true });
    expect((await p.versions.current())?.version).toBe('v2');
    expect((await p.versions.get('v3'))?.status).toBe('superseded');
    // The same command again (its first answer lost, say) goes further back, never forward to v3.
    expect(await rollbackVersion({}, p.deps)).toMatchObject({ outcome: 'swapped', version: 'v1', previous: 'v2' });
    await expect(rollbackVersion({}, p.deps)).rejects.toThrow(
      'has no retained version ordered before the live one to roll back to; retained versions ordered after the live one (v3, v2) go live only when named',
    );
    expect((await p.versions.current())?.version).toBe('v1');
  });

  it('refuses a version that is not superseded, and says so when none is retained', async () => {
    const p = testPipeline();
    p.versions.seed('v1', 'live', 1);
    p.versions.seed('h2', 'held', 2);
    await expect(rollbackVersion({ version: 'h2' }, p.deps)).rejects.toThrow('version h2 of recommendations is held: it never became live');
    await expect(rollbackVersion({}, p.deps)).rejects.toThrow('has no retained version ordered before the live one to roll back to');
    expect((await p.versions.current())?.version).toBe('v1');
  });
});

describe('promoteVersion', () => {
  it('makes a held version ordered after the live one live', async () => {
    const p = testPipeline();
    p.versions.seed('v1', 'live', 1);
    p.versions.seed('h2', 'held', 2, { heldReason: 'manual-approval' });
    expect(await promoteVersion({ version: 'h2' }, p.deps)).toMatchObject({ outcome: 'swapped', previous: 'v1', heldReason: 'manual-approval' });
    expect((await p.versions.current())?.version).toBe('h2');
  });

  it('refuses what is not held, and a held version not newer than the live one', async () => {
    const p = testPipeline();
    p.versions.seed('v1', 'superseded', 1, { supersededAt: '1' });
    p.versions.seed('v3', 'live', 3);
    p.versions.seed('h2', 'held', 2);
    await expect(promoteVersion({ version: 'v1' }, p.deps)).rejects.toThrow('is superseded; only a held version can be promoted (a retained earlier version');
    await expect(promoteVersion({ version: 'h2' }, p.deps)).rejects.toThrow('is not newer than the live version v3');
    expect((await p.versions.current())?.version).toBe('v3');
    expect((await p.versions.get('h2'))?.status).toBe('held');
  });
});

describe('discardVersion', () => {
  it('deletes a held version and a stale load', async () => {
    const p = testPipeline();
    p.versions.seed('h1', 'held', 1);
    p.versions.seed('s2', 'loading', 2);
    p.versions.expireLock('s2');
    expect(await discardVersion({ version: 'h1' }, p.deps)).toMatchObject({ outcome: 'discarded', was: 'held', buckets: 2 });
    expect(await discardVersion({ version: 's2' }, p.deps)).toMatchObject({ was: 'stale' });
    expect(p.versions.keysOf('h1')).toEqual([]);
    expect(p.versions.keysOf('s2')).toEqual([]);
  });

  it('refuses a running load, the live version and a retained one', async () => {
    const p = testPipeline();
    p.versions.seed('v1', 'superseded', 1, { supersededAt: '1' });
    p.versions.seed('v2', 'live', 2);
    p.versions.seed('r3', 'loading', 3);
    await expect(discardVersion({ version: 'r3' }, p.deps)).rejects.toThrow('is loading under a running execution');
    await expect(discardVersion({ version: 'v2' }, p.deps)).rejects.toThrow('is live; only a held version or a stale load can be discarded (the live version');
    await expect(discardVersion({ version: 'v1' }, p.deps)).rejects.toThrow('(a retained earlier version: retention deletes it)');
    for (const v of ['v1', 'v2', 'r3']) expect(p.versions.keysOf(v)).toHaveLength(2);
  });
});
