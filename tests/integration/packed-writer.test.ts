// A packed writer (cluster-writer.ts PUT_FIELDS) sends many HSETs per script call to keys of many
// slots of one master. Held here on the real cluster: every field lands where a plain writer puts
// it, commands keep their order around the packed runs, and a call sent to a master that no longer
// owns one of its keys (a slot moved: the script stops at that key) is re-sent to the owner.
import { Cluster } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { ClusterBulkWriter } from '../../functions/adapters/cluster-writer.js';
import type { WriteCommand } from '../../functions/domain/bulk-writer.js';
import { testInfra } from '../support/infra.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = new Cluster(testInfra().seeds, { redisOptions: { protocol: 2 } });
  await cluster.ping();
  await Promise.all(cluster.nodes('master').map((node) => node.ping()));
});
afterAll(() => cluster.quit());

const readBack = (commands: WriteCommand[]) => Promise.all(commands.map((c) => (c.op === 'hset' ? cluster.hget(c.key, c.field) : null)));

const hsets = (prefix: string, n: number): WriteCommand[] => Array.from({ length: n }, (_, i) => ({ op: 'hset', key: `sluice:${prefix}:${i % 997}`, field: `k${i}`, value: `v${i}-é` }));

test('every field lands in its bucket on every master, as a plain writer writes it', async () => {
  const commands = hsets('packed-a', 3000);
  const writer = new ClusterBulkWriter(cluster, { batchSize: 700, batchesInFlight: 4, packed: true });
  await writer.write(commands);
  await writer.flush();
  const masters = new Set(commands.map((c) => cluster.slots[calculateSlot(c.key)]![0]));
  expect(masters.size).toBeGreaterThanOrEqual(3);
  expect(await readBack(commands)).toEqual(commands.map((c) => (c.op === 'hset' ? c.value : null)));
});

test('it reports the fields that were already stored, as HSET replies 0 for them, and no others', async () => {
  const first = hsets('packed-existing', 1000);
  const writer = new ClusterBulkWriter(cluster, { batchSize: 300, batchesInFlight: 4, packed: true });
  const existing: string[] = [];
  writer.onExistingField((c) => existing.push(c.field));
  await writer.write(first);
  await writer.flush();
  expect(existing).toEqual([]);
  // Every 7th field again (other values), new fields between them, and one field twice in a batch.
  const again = first.filter((_, i) => i % 7 === 0).map((c) => ({ ...c, value: 'again' }) as WriteCommand);
  const fresh = hsets('packed-existing-new', 500);
  const twice = { op: 'hset', key: 'sluice:packed-existing-twice:0', field: 'k', value: '1' } as const;
  await writer.write([...fresh.slice(0, 250), ...again, twice, ...fresh.slice(250), { ...twice, value: '2' }]);
  await writer.flush();
  expect(existing.sort()).toEqual([...again.map((c) => (c.op === 'hset' ? c.field : '')), 'k'].sort());
  expect(await cluster.hget(twice.key, twice.field)).toBe('2');
});

test('an HDEL or UNLINK between HSETs of one key keeps its place', async () => {
  const key = 'sluice:packed-b:0';
  const writer = new ClusterBulkWriter(cluster, { batchSize: 100, batchesInFlight: 1, packed: true });
  await writer.write([
    { op: 'hset', key, field: 'a', value: '1' },
    { op: 'hdel', key, field: 'a' },
    { op: 'hset', key, field: 'b', value: '2' },
    { op: 'unlink', key },
    { op: 'hset', key, field: 'c', value: '3' },
  ]);
  await writer.flush();
  expect(await cluster.hgetall(key)).toEqual({ c: '3' });
});

test('a call sent to a master that does not own one of its keys stops there and is re-sent to the owner', async () => {
  const commands = hsets('packed-c', 400);
  // Point one key's slot at another master in the client's map, as a stale map after a resharding would.
  const victim = commands[123]!.key;
  const slot = calculateSlot(victim);
  const owner = cluster.slots[slot]![0]!;
  const other = cluster.nodes('master').map((n) => `${n.options.host}:${n.options.port}`).find((n) => n !== owner)!;
  cluster.slots[slot] = [other];
  const writer = new ClusterBulkWriter(cluster, { batchSize: 1000, batchesInFlight: 1, packed: true });
  await writer.write(commands);
  await writer.flush();
  expect(cluster.slots[slot]![0]).toBe(owner); // the retry reloaded the slot map
  expect(await readBack(commands)).toEqual(commands.map((c) => (c.op === 'hset' ? c.value : null)));
});
