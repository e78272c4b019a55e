import { DEFAULT_RELEASE_CHECKS } from '../../../functions/domain/release-checks.js';
import { commitVersion } from '../../../functions/pipeline/commit-version.js';
import { chunkResult, testPipeline } from './fixtures.js';

/** A complete load of `id` (one chunk) with the same two keys as the live v1. */
async function loadedAfterLive(p: ReturnType<typeof testPipeline>, id: string, orderKey: number) {
  p.versions.seed('v1', 'live', 10, { records: '2' });
  p.versions.seed(id, 'loading', orderKey);
  expect(await p.versions.recordChunk(id, `exec-${id}`, chunkResult(0, 2))).toBe(true);
  return { dataset: p.deps.dataset, version: id, owner: `exec-${id}`, chunkCount: 1 };
}

describe('commitVersion', () => {
  it('swaps a load that passes its checks: it goes live, the one before is superseded', async () => {
    const p = testPipeline();
    const result = await commitVersion(await loadedAfterLive(p, 'v2', 20), p.deps);
    expect(result).toMatchObject({ outcome: 'swapped', version: 'v2', previous: 'v1', records: 2 });
    expect(result.checks.passed).toBe(true);
    expect(await p.versions.current()).toMatchObject({ version: 'v2', orderKey: 20 });
    expect((await p.versions.get('v1'))?.status).toBe('superseded');
  });

  it('refuses a load ordered before the live version, and deletes its data', async () => {
    const p = testPipeline();
    const result = await commitVersion(await loadedAfterLive(p, 'v0', 5), p.deps);
    expect(result).toMatchObject({ outcome: 'refused', previous: 'v1' });
    expect((await p.versions.current())?.version).toBe('v1');
    expect((await p.versions.get('v0'))?.status).toBe('refused');
    expect(p.versions.keysOf('v0')).toEqual([]);
    expect(p.versions.keysOf('v1')).toHaveLength(2);
  });

  it('holds a load whose release check fails: the live version stays, the notice says why', async () => {
    const p = testPipeline({ checks: { ...DEFAULT_RELEASE_CHECKS, minRecords: 3 } });
    const result = await commitVersion(await loadedAfterLive(p, 'v2', 20), p.deps);
    expect(result.outcome).toBe('held');
    expect(result.held?.reason).toBe('checks-failed');
    expect(result.checks.checks.find((c) => c.outcome === 'fail')?.name).toBe('record-count-min');
    expect((await p.versions.current())?.version).toBe('v1');
    expect((await p.versions.get('v2'))?.fields).toMatchObject({ status: 'held', heldReason: 'checks-failed' });
  });

  it('holds a load that passes when the dataset waits for manual approval', async () => {
    const p = testPipeline({ promote: 'manual' });
    const result = await commitVersion(await loadedAfterLive(p, 'v2', 20), p.deps);
    expect(result).toMatchObject({ outcome: 'held', previous: 'v1', held: { reason: 'manual-approval' } });
    expect(result.checks.passed).toBe(true);
    expect((await p.versions.current())?.version).toBe('v1');
  });

  it('refuses to commit while a chunk has not reported', async () => {
    const p = testPipeline();
    const input = await loadedAfterLive(p, 'v2', 20);
    await expect(commitVersion({ ...input, chunkCount: 2 }, p.deps)).rejects.toThrow('chunks 1 of 2 have not reported a result');
    expect((await p.versions.get('v2'))?.status).toBe('loading');
  });

  it('a retry after the swap, once a newer version replaced it: superseded, from the first report, nothing moves', async () => {
    // The first report passed; checked again (here: under a stricter minimum) v2 would be held.
    const p = testPipeline();
    const input = await loadedAfterLive(p, 'v2', 20);
    expect((await commitVersion(input, p.deps)).outcome).toBe('swapped');
    p.versions.seed('v3', 'loading', 30);
    expect(await p.versions.recordChunk('v3', 'exec-v3', chunkResult(0, 2))).toBe(true);
    expect((await commitVersion({ ...input, version: 'v3', owner: 'exec-v3' }, p.deps)).outcome).toBe('swapped');
    const strict = { ...p.deps, spec: { ...p.deps.spec, checks: { ...p.deps.spec.checks, minRecords: 3 } } };
    const retry = await commitVersion(input, strict);
    expect(retry).toMatchObject({ outcome: 'superseded', version: 'v2', previous: 'v3' });
    expect((await p.versions.current())?.version).toBe('v3');
    expect((await p.versions.get('v2'))?.status).toBe('superseded');
  });

  it('a retry after a refusal whose data and chunk results are gone: refused again, not an error', async () => {
    const p = testPipeline();
    const input = await loadedAfterLive(p, 'v0', 5);
    expect((await commitVersion(input, p.deps)).outcome).toBe('refused');
    expect(p.versions.keysOf('v0')).toEqual([]);
    await expect(commitVersion(input, p.deps)).resolves.toMatchObject({ outcome: 'refused', version: 'v0', previous: 'v1' });
    // Another execution's commit of it is still an error.
    await expect(commitVersion({ ...input, owner: 'exec-other' }, p.deps)).rejects.toThrow('have not reported');
  });

  it('a retry of a held commit keeps the first report: held again, even where checking again would pass', async () => {
    const p = testPipeline({ checks: { ...DEFAULT_RELEASE_CHECKS, minRecords: 3 } });
    const input = await loadedAfterLive(p, 'v2', 20);
    expect((await commitVersion(input, p.deps)).outcome).toBe('held');
    const lenient = { ...p.deps, spec: { ...p.deps.spec, checks: { ...p.deps.spec.checks, minRecords: 0 } } };
    const retry = await commitVersion(input, lenient);
    expect(retry).toMatchObject({ outcome: 'held', held: { reason: 'checks-failed' } });
    expect(retry.checks.checks.find((c) => c.outcome === 'fail')?.name).toBe('record-count-min');
    expect((await p.versions.current())?.version).toBe('v1');
  });

  it('a retry of a held commit whose version was retired since, unpromoted: an error that says so, not "superseded"', async () => {
    const p = testPipeline({ checks: { ...DEFAULT_RELEASE_CHECKS, minRecords: 3 } });
    const input = await loadedAfterLive(p, 'v2', 20);
    expect((await commitVersion(input, p.deps)).outcome).toBe('held');
    expect(await p.versions.beginDelete('v2', 0)).toBe('claimed');
    await p.versions.deleteData('v2', 2, p.versions.newWriter(), 0);
    await expect(commitVersion(input, p.deps)).rejects.toThrow('was held by this execution and has been retired since, unpromoted');
  });
});
