// Plan reads the keys a load's chunks check records against (tombstones, keys with corrections
// that apply) once and stores them beside the version (pipeline/load-keys.ts); a chunk container
// takes them instead of listing both sets on the control slot's master. Each test uses stores of
// its own, as a fresh container would.
import { Cluster } from 'ioredis';
import { CorrectionStore } from '../../functions/adapters/correction-store.js';
import { ErasureStore } from '../../functions/adapters/erasure-store.js';
import { RedisLoadKeySnapshots } from '../../functions/adapters/load-key-snapshots.js';
import type { DatasetSpec } from '../../functions/domain/dataset-spec.js';
import { KeyFilter } from '../../functions/domain/key-filter.js';
import { primeLoadKeys, readLoadKeys } from '../../functions/pipeline/load-keys.js';
import { testInfra } from '../support/infra.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = new Cluster(testInfra().seeds, { redisOptions: { protocol: 2 } });
  await cluster.ping();
});
afterAll(() => cluster.quit());

const HOUR = 3600_000;
/** A version ordered at this time; corrections logged after ORDER_KEY - 24 h apply to it. */
const ORDER_KEY = 100 * HOUR;
const MIN_AT = ORDER_KEY - 24 * HOUR;

/** What one container holds: its own stores, so nothing is cached from another test's. */
function container(dataset: string) {
  return {
    dataset,
    spec: { rewindWindowHours: 24 } as DatasetSpec,
    erasures: new ErasureStore(cluster, dataset),
    corrections: new CorrectionStore(cluster, dataset),
    loadKeys: new RedisLoadKeySnapshots(cluster, dataset),
  };
}

/**
 * Changes every place a container could read the keys from, except the snapshot, without moving
 * a generation: a key that shows up in an answer tells where the answer came from.
 */
async function tamper(dataset: string): Promise<void> {
  const tag = `{sluice:${dataset}}`;
  await cluster.hset(`${tag}:tombstones`, 'in-hash', '{}');
  await cluster.append(`${tag}:tombstones:list`, ',"in-list"');
  await cluster.zadd(`${tag}:corrections:at`, ORDER_KEY, 'c-in-index');
  await cluster.append(`${tag}:corrections:list`, `,"c-in-list",${ORDER_KEY}`);
}

const ERASED = ['e1', 'quote"and\nnewline', 'é2'];

async function seed(dataset: string): Promise<void> {
  const plan = container(dataset);
  await plan.erasures.addTombstones(ERASED, { at: ORDER_KEY - HOUR, reason: 'test', requestId: 'r1' }, 'token-1');
  expect(await plan.corrections.log([{ key: 'c1', value: '[1]' }, { key: 'c2', value: '[2]' }], ORDER_KEY - HOUR, 'r2')).not.toBeNull();
  expect(await plan.corrections.log([{ key: 'old', value: '[3]' }], MIN_AT - HOUR, 'r3')).not.toBeNull();
  await plan.loadKeys.save('v1', (await readLoadKeys(plan, ORDER_KEY))!);
}

test("a chunk container takes the Plan's keys and filter and lists neither set; without a snapshot it lists them", async () => {
  const dataset = `snapshot-${process.pid}`;
  await seed(dataset);
  await tamper(dataset);
  const chunk = container(dataset);
  await primeLoadKeys(chunk, 'v1');
  const erased = await chunk.erasures.tombstonedKeys();
  const corrected = await chunk.corrections.correctedKeys(MIN_AT);
  expect([...erased].sort()).toEqual([...ERASED].sort());
  expect([...corrected.keys].sort()).toEqual(['c1', 'c2']);
  // The filter over them is the Plan's: the same bits as one built here, and no key of either set missing.
  const filter = KeyFilter.of(erased, corrected.keys)!;
  const built = KeyFilter.of(new Set(erased), new Set(corrected.keys))!;
  expect(filter).not.toBe(built);
  expect(filter.bits).toEqual(built.bits);

  // A version Plan left no snapshot for: the container reads the keys itself, from the lists the
  // erase and put scripts keep (adapters/key-lists.ts), not by listing the sets.
  const other = container(dataset);
  await primeLoadKeys(other, 'v2');
  expect([...(await other.erasures.tombstonedKeys())].sort()).toEqual([...ERASED, 'in-list'].sort());
  expect([...(await other.corrections.correctedKeys(MIN_AT)).keys].sort()).toEqual(['c-in-list', 'c1', 'c2']);
});

test('an unerase and a put after the Plan are seen: the stores still compare their generations', async () => {
  const dataset = `snapshot-moved-${process.pid}`;
  await seed(dataset);
  const admin = container(dataset);
  await admin.erasures.removeTombstones(['e1'], 'token-2');
  expect(await admin.corrections.log([{ key: 'c3', value: '[4]' }], ORDER_KEY - HOUR, 'r4')).not.toBeNull();
  const chunk = container(dataset);
  await primeLoadKeys(chunk, 'v1');
  expect([...(await chunk.erasures.tombstonedKeys())].sort()).toEqual(ERASED.filter((k) => k !== 'e1').sort());
  expect([...(await chunk.corrections.correctedKeys(MIN_AT)).keys].sort()).toEqual(['c1', 'c2', 'c3']);
});

test('a snapshot that cannot be read is passed over: the container reads the keys itself', async () => {
  const dataset = `snapshot-bad-${process.pid}`;
  await seed(dataset);
  await cluster.set(`{sluice:${dataset}}:load-keys:v1`, '{"tombstones": [not json\n');
  const chunk = container(dataset);
  await primeLoadKeys(chunk, 'v1');
  expect([...(await chunk.erasures.tombstonedKeys())].sort()).toEqual([...ERASED].sort());
});

test('nothing erased or corrected: there is no snapshot to store', async () => {
  const plan = container(`snapshot-none-${process.pid}`);
  expect(await readLoadKeys(plan, ORDER_KEY)).toBeNull();
});
