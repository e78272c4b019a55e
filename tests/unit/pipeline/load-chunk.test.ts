import type { Chunk } from '../../../functions/domain/chunk-plan.js';
import { loadChunk } from '../../../functions/pipeline/load-chunk.js';
import { testPipeline } from './fixtures.js';

const lines = ['{"userId":"u1","recommendations":[1,2]}', '{"userId":"u2","recommendations":[3]}', '{"userId":"u3","recommendations":[4,5,6]}'];
const body = Buffer.from(lines.join('\n') + '\n');
const chunk: Chunk = { index: 0, parts: [{ bucket: 'in', key: 'part.jsonl', etag: 'e', start: 0, end: body.length, format: 'jsonl' }] };

/** A registered load of v2 (order 2, 4 buckets, no data yet) and its input object. */
async function registered() {
  const p = testPipeline();
  p.objects.objects.set('in/part.jsonl', body);
  expect(await p.versions.register({ version: 'v2', orderKey: 2, owner: 'exec-v2', buckets: 4, lockTtlMs: 60_000, now: p.deps.now(), metadata: { createdAt: 1 } })).toEqual({ outcome: 'registered' });
  return { p, input: { dataset: p.deps.dataset, version: 'v2', owner: 'exec-v2', chunk } };
}

/** Runs `during` once, while the chunk's writes are being flushed. */
function whileWriting(p: ReturnType<typeof testPipeline>, during: () => Promise<unknown>): void {
  let done = false;
  p.deps.newWriter = () => {
    const w = p.versions.newWriter();
    w.beforeFlush = async () => {
      if (!done) await during();
      done = true;
    };
    return w;
  };
}

describe('loadChunk', () => {
  it('writes the records into the version and records the chunk', async () => {
    const { p, input } = await registered();
    expect(await loadChunk(input, p.deps)).toMatchObject({ index: 0, records: 3, badRecords: 0, bytes: body.length });
    expect(await p.versions.countRecords('v2', 4)).toBe(3);
    expect(await p.versions.chunkResults('v2')).toMatchObject([{ index: 0, records: 3 }]);
  });

  it('takes a chunk number and loads that chunk of the stored plan', async () => {
    const { p, input } = await registered();
    await p.versions.savePlan('v2', [{ index: 0, parts: [] }, { ...chunk, index: 1 }]);
    expect(await loadChunk({ ...input, chunk: 1 }, p.deps)).toMatchObject({ index: 1, records: 3 });
    expect(await p.versions.countRecords('v2', 4)).toBe(3);
    await expect(loadChunk({ ...input, chunk: 2 }, p.deps)).rejects.toThrow('version v2 of recommendations has no chunk 2 in its plan');
  });

  it('undoes its writes when the version stopped loading under it meanwhile (cleaned up)', async () => {
    const { p, input } = await registered();
    whileWriting(p, () => p.versions.markFailed('v2', 'exec-v2', 'cleaned up', 1));
    await expect(loadChunk(input, p.deps)).rejects.toThrow('version v2 stopped loading while chunk 0 was written; its writes were removed');
    expect(p.versions.keysOf('v2')).toEqual([]);
    expect(await p.versions.chunkResults('v2')).toEqual([]);
  });

  it('leaves the keys to a new load of the version that registered meanwhile', async () => {
    const { p, input } = await registered();
    whileWriting(p, async () => {
      await p.versions.markFailed('v2', 'exec-v2', 'cleaned up', 1);
      await p.versions.register({ version: 'v2', orderKey: 2, owner: 'exec-rerun', buckets: 4, lockTtlMs: 60_000, now: p.deps.now(), metadata: {} });
    });
    await expect(loadChunk(input, p.deps)).rejects.toThrow('stopped loading');
    expect(await p.versions.countRecords('v2', 4)).toBe(3);
  });

  it('writes nothing for a version not loading under this execution', async () => {
    const { p, input } = await registered();
    await expect(loadChunk({ ...input, owner: 'exec-other' }, p.deps)).rejects.toThrow('version v2 of recommendations is loading, not loading under this execution');
    expect(p.versions.keysOf('v2')).toEqual([]);
  });
});
