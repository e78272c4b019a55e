// Plan grows the chunk size so a load fits one execution, and says so in its result.
import { planLoad } from '../../../functions/pipeline/plan-load.js';
import { testPipeline } from './fixtures.js';

const lines = (from: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `{"userId":"u${from + i}","movieId":[1,2,3]}\n`).join(''));

test('more chunks than MAX_CHUNKS at CHUNK_SIZE_BYTES: Plan cuts bigger chunks, and its result gives the size it used', async () => {
  const { deps, objects } = testPipeline();
  deps.load = { ...deps.load, chunkSizeBytes: 1000, maxChunks: 3 };
  for (let i = 0; i < 4; i++) objects.objects.set(`b/job/part-${i}.out`, lines(i * 100, 100));
  const total = [...objects.objects.values()].reduce((n, b) => n + b.length, 0);
  const plan = await planLoad({ bucket: 'b', key: 'job/', singleObject: false, origin: 'manual' }, 'exec-1', deps);
  expect(plan.action).toBe('load');
  expect(plan.chunkCount).toBeLessThanOrEqual(3);
  expect(plan.chunkSizeBytes).toBeGreaterThanOrEqual(Math.ceil(total / 3));
  expect(plan.chunkSizeBytes).toBeGreaterThan(1000);
});
