// The tombstone and correction key lists (adapters/key-lists.ts): the erase and put scripts append
// to them, every other change leaves them stale and the next reader rebuilds them. What must hold
// is that a reader never misses a key: an erased key a load would write, a corrected key a load
// would not correct. Checked on the real cluster against the sets themselves (HKEYS, ZRANGEBYSCORE)
// after every step of long random sequences, and for each way a list goes stale on its own.
import { Cluster } from 'ioredis';
import { CorrectionStore } from '../../functions/adapters/correction-store.js';
import { ErasureStore } from '../../functions/adapters/erasure-store.js';
import type { Tombstone } from '../../functions/domain/erasure.js';
import { controlKeys, correctionKeys } from '../../functions/domain/key-layout.js';
import { testInfra } from '../support/infra.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = new Cluster(testInfra().seeds, { redisOptions: { protocol: 2 } });
  await cluster.ping();
});
afterAll(() => cluster.quit());

const tombstone = (at: number): Tombstone => ({ at, reason: 'test', requestId: 'r' });
const sorted = (keys: Iterable<string>) => [...keys].sort();

/** A small seeded generator: a failing sequence can be run again. */
function random(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

/** Keys with characters JSON and Lua both have to escape. */
const UNIVERSE = Array.from({ length: 40 }, (_, i) => (i % 7 === 0 ? `k"${i}\n\\é` : `k${i}`));

function pick(rnd: (n: number) => number, most: number): string[] {
  const n = 1 + rnd(most);
  return [...new Set(Array.from({ length: n }, () => UNIVERSE[rnd(UNIVERSE.length)]!))];
}

test('a reader of the tombstones gets exactly the set after any sequence of erase, unerase and restore', async () => {
  const dataset = `lists-erase-${process.pid}`;
  const writer = new ErasureStore(cluster, dataset);
  const cached = new ErasureStore(cluster, dataset);
  const rnd = random(21);
  for (let step = 0; step < 300; step++) {
    const op = rnd(10);
    if (op < 5) await writer.addTombstones(pick(rnd, 6), tombstone(step), `t${step}`);
    else if (op < 8) await writer.removeTombstones(pick(rnd, 6), `t${step}`);
    else await writer.restoreFromLog(new Map(pick(rnd, 4).map((k) => [k, tombstone(step)])), `t${step}`);
    // Read after some steps only: changes between reads must be seen too (a read rebuilds the list).
    if (rnd(3) === 0) continue;
    const truth = sorted(await cluster.hkeys(controlKeys(dataset).tombstones));
    // A container that cached an earlier answer, and one that reads for the first time.
    expect({ step, keys: sorted(await cached.tombstonedKeys()) }).toEqual({ step, keys: truth });
    expect({ step, keys: sorted(await new ErasureStore(cluster, dataset).tombstonedKeys()) }).toEqual({ step, keys: truth });
  }
});

test('an erase after an unerase does not extend the stale list: the lifted key is not read back as erased', async () => {
  const dataset = `lists-unerase-${process.pid}`;
  const store = new ErasureStore(cluster, dataset);
  await store.addTombstones(['a', 'b'], tombstone(1), 't1');
  await store.removeTombstones(['a'], 't2');
  await store.addTombstones(['c'], tombstone(3), 't3');
  expect(sorted(await new ErasureStore(cluster, dataset).tombstonedKeys())).toEqual(['b', 'c']);
  // The reader stored the rebuilt list: the next erase appends to it again.
  await store.addTombstones(['d'], tombstone(4), 't4');
  const k = controlKeys(dataset);
  expect(await cluster.get(k.tombstoneListGeneration)).toBe('t4');
  expect(sorted(await new ErasureStore(cluster, dataset).tombstonedKeys())).toEqual(['b', 'c', 'd']);
});

/** Registers a version ordered at `orderKey`: the trim keeps what a version that can still go live needs. */
async function versionAt(dataset: string, orderKey: number): Promise<void> {
  await cluster.zadd(controlKeys(dataset).versions, orderKey, `v${orderKey}`);
}

test('a reader of the corrections gets exactly the applying keys after any sequence of puts, erases and trims', async () => {
  const dataset = `lists-put-${process.pid}`;
  const log = new CorrectionStore(cluster, dataset);
  const erasures = new ErasureStore(cluster, dataset);
  const cached = new CorrectionStore(cluster, dataset);
  const keys = correctionKeys(dataset);
  const rnd = random(12);
  let now = 10_000;
  await versionAt(dataset, 0);
  for (let step = 0; step < 300; step++) {
    now += 100;
    const op = rnd(10);
    if (op < 6) {
      // Times out of order too: the log keeps the last put's time, as ZADD does.
      const keysPut = pick(rnd, 8);
      await log.log(keysPut.map((key) => ({ key, value: `[${step}]` })), now - rnd(3000), `r${step}`);
    } else if (op < 8) {
      // Erasing a corrected key drops its correction; the key is lifted again so it can be put later.
      const erased = pick(rnd, 3);
      await erasures.addTombstones(erased, tombstone(now), `t${step}`);
      await erasures.removeTombstones(erased, `u${step}`);
    } else {
      await cluster.zadd(controlKeys(dataset).versions, now, `v${step}`);
      await cluster.zrem(controlKeys(dataset).versions, ...(await cluster.zrange(controlKeys(dataset).versions, '0', '0')));
      await log.trim(1000 + rnd(2000));
    }
    if (rnd(3) === 0) continue;
    const minAt = now - rnd(4000);
    const truth = sorted(await cluster.zrangebyscore(keys.at, minAt, '+inf'));
    expect({ step, keys: sorted((await cached.correctedKeys(minAt)).keys) }).toEqual({ step, keys: truth });
    expect({ step, keys: sorted((await new CorrectionStore(cluster, dataset).correctedKeys(minAt)).keys) }).toEqual({ step, keys: truth });
  }
});

test('a trim leaves the list stale: a trimmed key is not read back as corrected', async () => {
  const dataset = `lists-trim-${process.pid}`;
  const log = new CorrectionStore(cluster, dataset);
  await log.log([{ key: 'old', value: '[1]' }], 1_000, 'r1');
  await log.log([{ key: 'new', value: '[2]' }], 9_000, 'r2');
  await versionAt(dataset, 10_000);
  expect(await log.trim(2_000)).toBe(1);
  expect(sorted((await new CorrectionStore(cluster, dataset).correctedKeys(0)).keys)).toEqual(['new']);
});

test('keys put again and again are compacted by the next reader', async () => {
  const dataset = `lists-compact-${process.pid}`;
  const log = new CorrectionStore(cluster, dataset);
  const records = Array.from({ length: 500 }, (_, i) => ({ key: `user-${i}`, value: '[1]' }));
  for (let round = 0; round < 8; round++) await log.log(records, 5_000 + round, `r${round}`);
  const list = correctionKeys(dataset).list;
  const long = await cluster.strlen(list);
  const read = await new CorrectionStore(cluster, dataset).correctedKeys(0);
  expect(read.keys.size).toBe(500);
  const compacted = await cluster.strlen(list);
  expect(compacted).toBeLessThan(long / 4);
  // Compacted to the last put's times: a window after the first rounds still holds every key.
  expect((await new CorrectionStore(cluster, dataset).correctedKeys(5_007)).keys.size).toBe(500);
});

test('a list lost while its generation stayed (evicted, deleted by hand) is not read as empty', async () => {
  const dataset = `lists-lost-${process.pid}`;
  await new ErasureStore(cluster, dataset).addTombstones(['a', 'b'], tombstone(1), 't1');
  await new CorrectionStore(cluster, dataset).log([{ key: 'c', value: '[1]' }], 5_000, 'r1');
  await cluster.del(controlKeys(dataset).tombstoneList, correctionKeys(dataset).list);
  expect(sorted(await new ErasureStore(cluster, dataset).tombstonedKeys())).toEqual(['a', 'b']);
  expect(sorted((await new CorrectionStore(cluster, dataset).correctedKeys(0)).keys)).toEqual(['c']);
  // So is a generation token lost with the tombstones still there.
  await cluster.del(controlKeys(dataset).tombstonesGeneration);
  expect(sorted(await new ErasureStore(cluster, dataset).tombstonedKeys())).toEqual(['a', 'b']);
});

describe("a load's Plan rebuilds a stale list, once, so that its chunk containers read it instead of each listing the set", () => {
  /** Adds to the set without moving its generation: a key that shows up tells the answer came from the set. */
  const tag = (dataset: string) => `{sluice:${dataset}}`;

  test('tombstones: after an unerase', async () => {
    const dataset = `lists-refresh-erase-${process.pid}`;
    const plan = new ErasureStore(cluster, dataset);
    await plan.addTombstones(['a', 'b'], tombstone(1), 't1');
    await plan.removeTombstones(['a'], 't2');
    await plan.refreshKeyList();
    await cluster.hset(`${tag(dataset)}:tombstones`, 'in-hash', '{}');
    expect(sorted(await new ErasureStore(cluster, dataset).tombstonedKeys())).toEqual(['b']);
    // An exact list is left as it is (nothing listed, nothing stored): the appended key stays.
    await cluster.append(controlKeys(dataset).tombstoneList, ',"in-list"');
    await plan.refreshKeyList();
    expect(sorted(await new ErasureStore(cluster, dataset).tombstonedKeys())).toEqual(['b', 'in-list']);
  });

  test('corrections: after a trim', async () => {
    const dataset = `lists-refresh-trim-${process.pid}`;
    const plan = new CorrectionStore(cluster, dataset);
    await plan.log([{ key: 'old', value: '[1]' }], 1_000, 'r1');
    await plan.log([{ key: 'new', value: '[2]' }, { key: 'again', value: '[2]' }], 9_000, 'r2');
    await plan.log([{ key: 'again', value: '[3]' }], 9_500, 'r3');
    await versionAt(dataset, 10_000);
    expect(await plan.trim(2_000)).toBe(1);
    await plan.refreshKeyList();
    await cluster.zadd(correctionKeys(dataset).at, 9_000, 'in-index');
    const read = await new CorrectionStore(cluster, dataset).correctedKeys(0);
    expect(sorted(read.keys)).toEqual(['again', 'new']);
    // Rebuilt with each key's time: a window after the first put of "again" still holds it.
    expect(sorted((await new CorrectionStore(cluster, dataset).correctedKeys(9_200)).keys)).toEqual(['again']);
  });
});
