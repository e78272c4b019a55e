// The correction log is read in HSCAN pages, the next page asked for while the caller writes the
// current one (correction-store.ts entries()). A replay must see every logged entry exactly once,
// with its value, time and generation intact, however the pages fall. After a load's chunks wrote
// corrections themselves, the Commit reads only what they left.
import { Cluster } from 'ioredis';
import { CorrectionStore } from '../../functions/adapters/correction-store.js';
import { ErasureStore } from '../../functions/adapters/erasure-store.js';
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

test("what a load's chunks left: the applying keys they did not mark, the applying puts logged after their read, and the rest counted as superseded; the generation index follows trims and erases", async () => {
  const dataset = `left-${process.pid}`;
  const store = new CorrectionStore(cluster, dataset);
  const put = async (keys: string[], at: number) => expect(await store.log(keys.map((key) => ({ key, value: `v-${key}-${at}` })), at, 'r')).not.toBeNull();
  await put(['old1', 'old2'], 1_000); // before minAt: superseded for this version
  await put(['a', 'b', 'c', 'add'], 5_000);
  const { gen, keys } = await store.correctedKeys(2_000);
  expect([...keys].sort()).toEqual(['a', 'add', 'b', 'c']);
  await store.markSubstituted('v9', ['a', 'b', 'c']); // the chunks wrote these; 'add' is in no chunk
  await put(['b'], 6_000); // re-put after the chunks read the log
  const left: string[] = [];
  let superseded = 0;
  for await (const page of store.unsubstituted('v9', 2_000, gen)) {
    superseded += page.superseded;
    left.push(...page.entries.map((e) => `${e.key}=${e.value}`));
  }
  expect(left.sort()).toEqual(['add=v-add-5000', 'b=v-b-6000']);
  expect(superseded).toBe(2);
  // The generation index holds exactly the log's keys, through a trim and an erase.
  const k = (s: string) => `{sluice:${dataset}}:corrections${s}`;
  await cluster.zadd(`{sluice:${dataset}}:versions`, 4_000, 'v9');
  expect(await store.trim(2_000)).toBe(2); // old1, old2: logged more than the window before v9's order key
  expect((await cluster.zrange(k(':bygen'), '0', '-1')).sort()).toEqual((await cluster.hkeys(k(''))).sort());
  await new ErasureStore(cluster, dataset).addTombstones(['a'], { at: 7_000, reason: 'test', requestId: 'r' }, 'token');
  expect((await cluster.zrange(k(':bygen'), '0', '-1')).sort()).toEqual(['add', 'b', 'c']);
  await store.dropSubstituted('v9');
  expect(await cluster.exists(k(':substituted:v9'))).toBe(0);
});

test('when the chunks marked every applying key, nothing is left; a put after their read is still left, though the counts agree', async () => {
  const store = new CorrectionStore(cluster, `counted-${process.pid}`);
  const put = async (keys: string[], at: number) => expect(await store.log(keys.map((key) => ({ key, value: `v-${key}-${at}` })), at, 'r')).not.toBeNull();
  const left = async (gen: number) => {
    const out: string[] = [];
    let superseded = 0;
    for await (const page of store.unsubstituted('v1', 2_000, gen)) {
      superseded += page.superseded;
      out.push(...page.entries.map((e) => `${e.key}=${e.value}`));
    }
    return { out: out.sort(), superseded };
  };
  await put(['old'], 1_000);
  await put(['a', 'b'], 5_000);
  const { gen } = await store.correctedKeys(2_000);
  await store.markSubstituted('v1', ['a', 'b']);
  expect(await left(gen)).toEqual({ out: [], superseded: 1 });
  // b again after the chunks read the log: as many applying keys as marks, but b's new value is not in the version.
  await put(['b'], 6_000);
  expect(await left(gen)).toEqual({ out: ['b=v-b-6000'], superseded: 1 });
});

test('marks of more keys than one HSET takes are all kept, with the expiry that drops them if the load never finishes', async () => {
  const dataset = `marks-${process.pid}`;
  const store = new CorrectionStore(cluster, dataset);
  const keys = Array.from({ length: 2_500 }, (_, i) => `m${i}`);
  for (let i = 0; i < keys.length; i += 1000) expect(await store.log(keys.slice(i, i + 1000).map((key) => ({ key, value: `v-${key}` })), 5_000, 'r')).not.toBeNull();
  const { gen } = await store.correctedKeys(2_000);
  await store.markSubstituted('v3', keys.slice(0, 2_499)); // the chunks wrote all but the last
  const marks = `{sluice:${dataset}}:corrections:substituted:v3`;
  expect(await cluster.hlen(marks)).toBe(2_499);
  expect(await cluster.ttl(marks)).toBeGreaterThan(0);
  const left: string[] = [];
  for await (const page of store.unsubstituted('v3', 2_000, gen)) left.push(...page.entries.map((e) => e.key));
  expect(left).toEqual(['m2499']);
});
