import { cleanupVersion } from '../../../functions/pipeline/cleanup-version.js';
import { testPipeline } from './fixtures.js';

const failure = { Error: 'BadDataError', Cause: 'no records' };

describe('cleanupVersion', () => {
  it('fails and deletes a loading version of its own execution', async () => {
    const p = testPipeline();
    p.versions.seed('v2', 'loading', 2);
    expect(await cleanupVersion({ dataset: p.deps.dataset, version: 'v2', owner: 'exec-v2', failure }, p.deps)).toEqual({ cleaned: true, status: 'failed' });
    expect((await p.versions.get('v2'))?.fields).toMatchObject({ status: 'failed', error: 'BadDataError: no records' });
    expect(p.versions.keysOf('v2')).toEqual([]);
  });

  it("leaves another execution's load and a live version alone", async () => {
    const p = testPipeline();
    p.versions.seed('v1', 'live', 1);
    p.versions.seed('v2', 'loading', 2);
    expect(await cleanupVersion({ dataset: p.deps.dataset, version: 'v2', owner: 'exec-other', failure }, p.deps)).toEqual({ cleaned: false, status: 'loading' });
    expect(await cleanupVersion({ dataset: p.deps.dataset, version: 'v1', owner: 'exec-v1', failure }, p.deps)).toEqual({ cleaned: false, status: 'live' });
    expect(p.versions.keysOf('v1')).toHaveLength(2);
    expect(p.versions.keysOf('v2')).toHaveLength(2);
    expect((await p.versions.get('v2'))?.status).toBe('loading');
  });

  it('a retry finishes a deletion its first attempt claimed and left halfway; another claimant finds it busy', async () => {
    const p = testPipeline();
    p.versions.seed('v2', 'loading', 2);
    expect((await p.versions.markFailed('v2', 'exec-v2', 'BadDataError: no records', 0)).failed).toBe(true);
    expect(await p.versions.beginDelete('v2', 0, undefined, 'cleanup:exec-v2')).toBe('claimed');
    expect(await p.versions.beginDelete('v2', 0, undefined, 'cleanup:exec-other')).toBe('busy');
    expect(p.versions.keysOf('v2')).toHaveLength(2);
    expect(await cleanupVersion({ dataset: p.deps.dataset, version: 'v2', owner: 'exec-v2', failure }, p.deps)).toEqual({ cleaned: true, status: 'failed' });
    expect(p.versions.keysOf('v2')).toEqual([]);
  });
});
