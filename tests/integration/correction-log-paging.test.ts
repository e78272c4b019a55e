// The correction log is read in HSCAN pages, the next page asked for while the caller writes the
// current one (correction-store.ts entries()). A replay must see every logged entry exactly once,
// with its value, time and generation intact, however the pages fall.
import { Cluster } from 'ioredis';
import { CorrectionStore } from '../../functions/adapters/correction-store.js';
import type { CorrectionEntry } from '../../functions/domain/corrections.js';
import { testInfra } from '../support/infra.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = new Cluster(testInfra().seeds, { redisOptions: { protocol: 2 } });
  await cluster.ping();
});
afterAll(() => cluster.quit());

test('every entry of a log larger than a page is read once, with its value, time and generation', async () => {
  const store = new CorrectionStore(cluster, `paging-${process.pid}`);
  const calls = 12;
  for (let call = 0; call < calls; call++) {
    const entries = Array.from({ length: 1000 }, (_, i) => ({ key: `k${call * 1000 + i}`, value: JSON.stringify({ call, i, text: 'line\nbreak "quoted"' }) }));
    expect(await store.log(entries, 1_000_000 + call, `req-${call}`)).not.toBeNull();
  }
  const seen = new Map<string, CorrectionEntry>();
  let pages = 0;
  for await (const page of store.entries()) {
    pages++;
    for (const e of page) {
      expect(seen.has(e.key)).toBe(false);
      seen.set(e.key, e);
    }
  }
  expect(pages).toBeGreaterThan(1);
  expect(seen.size).toBe(calls * 1000);
  for (const n of [0, 999, 5000, 11_999]) {
    const call = Math.floor(n / 1000);
    expect(seen.get(`k${n}`)).toEqual({ key: `k${n}`, value: JSON.stringify({ call, i: n % 1000, text: 'line\nbreak "quoted"' }), at: 1_000_000 + call, requestId: `req-${call}`, gen: call + 1 });
  }
});
