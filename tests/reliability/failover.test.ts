// A Redis master dies in the middle of a load (SIGKILL, by PID) and its replica is promoted:
// the load retries through the failover and completes, every record is readable afterwards,
// and the live version keeps answering with its own data throughout. The master killed is the
// one owning the dataset's control slot (pointer, version metadata, chunk results), so both
// the bulk writes and the version store's scripts meet the failover.
import calculateSlot from 'cluster-key-slot';
import pLimit from 'p-limit';
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally, type TaskHandler } from '../../local/state-machine.js';
import { api, eventually, putObject } from '../support/sluice.js';
import { livePointer, startHarness, versionFieldCount, versionKeyCount, type Harness } from './support/harness.js';
import { startReaders } from './support/readers.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'failover';
const BUCKET = 'failover-bucket';
const USERS = 30_000;
let h: Harness;

beforeAll(async () => {
  // A short node timeout so the replica takes over in seconds, not the default 15 s. The harness
  // starts every node with REDIS_SERVER_SETTINGS, as the template's parameter group does: reads
  // are served while the cluster is "down" (a master failed, its replica not yet promoted).
  h = await startHarness({ settings: { 'cluster-node-timeout': '2000', 'cluster-replica-validity-factor': '0' } });
  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '131072', MAP_CONCURRENCY: '4', POINTER_CACHE_MS: '1000', REDIS_COMMAND_TIMEOUT_MS: '1000', GRACE_SECONDS: '2' });
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5 }, 2).entries()) await putObject(BUCKET, `v1/part-${i}.out`, body);
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase: 1_000_000 }, 2).entries()) await putObject(BUCKET, `v2/part-${i}.out`, body);
  expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/v1/`, version: 'v1', orderKey: 1000 })).status).toBe('SUCCEEDED');
});
afterAll(() => h?.stop());

test('a master killed mid-load: its replica is promoted, the load completes, every record reads back, readers never see a wrong answer', async () => {
  const controlSlot = calculateSlot(`{sluice:${DATASET}}:current`);
  const slots = (await h.admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  const victimPort = slots.find(([from, to]) => controlSlot >= from && controlSlot <= to)![2][1];

  const real = await realTaskHandlers();
  let failover: Promise<{ ms: number; promoted: { port: number } }> | undefined;
  let chunksDone = 0;
  const attempts = new Map<number, number>();
  const loadChunk: TaskHandler = async (payload) => {
    const index = (payload as { chunk: number }).chunk;
    attempts.set(index, (attempts.get(index) ?? 0) + 1);
    const result = await real.LoadChunk(payload);
    // Two chunks in, with others writing: kill the master by its PID.
    if (++chunksDone === 2) {
      failover = h.cluster.killMaster(victimPort, { timeoutMs: 30_000 });
    }
    return result;
  };

  const readers = startReaders({ users: USERS, versions: { v1: { itemBase: 0, order: 1 }, v2: { itemBase: 1_000_000, order: 2 } }, concurrency: 8, maxMs: 120_000 });
  // The real retry interval is 2 s with backoff; locally 1 s between attempts is close enough.
  const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v2/`, version: 'v2', orderKey: 2000 }, { handlers: { LoadChunk: loadChunk }, retryPauseMs: 1000 });
  const promotion = await failover!;
  // Keep reading until the readers' cached pointers have moved to v2, then check every answer.
  await eventually(async () => readers.stats.byVersion.v2 ?? 0, (n) => n >= 1000, 10_000);
  const stats = await readers.stop();

  expect(run).toMatchObject({ status: 'SUCCEEDED' });
  expect(run.output).toMatchObject({ result: { commit: { outcome: 'swapped', records: USERS, badRecords: 0, previous: 'v1' } } });
  expect(promotion.promoted.port).not.toBe(victimPort);
  const pointer = await livePointer(h.admin, DATASET);
  expect(pointer?.version).toBe('v2');
  expect(await versionFieldCount(h.admin, DATASET, 'v2', pointer!.buckets)).toBe(USERS); // nothing lost, nothing twice

  // Readers: never a wrong or mixed answer, never back to v1 after v2, and none failed: reads of
  // the dying master's data fall back to its replica (live-reader.ts).
  expect(stats.wrong).toEqual([]);
  expect(stats.backwards).toBe(0);
  expect(stats.byVersion.v2).toBeGreaterThan(0);
  expect(stats.failures).toEqual({});
  console.log(
    `failover: promoted in ${promotion.ms} ms; ${stats.answers} reads, ${stats.ok} ok, failures ${JSON.stringify(stats.failures)} ` +
      `over ${stats.failedUntil ? stats.failedUntil - stats.failedFrom! : 0} ms; chunk attempts ${JSON.stringify([...attempts.values()].reduce((a, b) => a + b, 0))} for ${attempts.size} chunks`,
  );

  // Every record, read back through the API after the failover.
  const limit = pLimit(32);
  const mismatches: string[] = [];
  await Promise.all(
    [...recommendations({ users: USERS, itemsPerUser: 5, itemBase: 1_000_000 })].map((r) =>
      limit(async () => {
        const a = await api(`/users/${r.userId}/recommendations`);
        if (a.status !== 200 || a.body.version !== 'v2' || JSON.stringify(a.body.items) !== JSON.stringify(r.items)) mismatches.push(r.userId);
      }),
    ),
  );
  expect(mismatches.slice(0, 10)).toEqual([]);
  expect(await versionKeyCount(h.admin, DATASET, 'v2')).toBe(pointer!.buckets);
}, 180_000);
