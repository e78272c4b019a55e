// The bulk writer lifts ioredis' per-command `commandTimeout` for the synchronous send of each
// pipeline (cluster-writer.ts execBatch) and puts one timer on the whole batch instead. That
// relies on ioredis reading the option when it sends a command: this pins it for the installed
// ioredis, and that the option is back in place afterwards.
import { Cluster, Command } from 'ioredis';
import { ClusterBulkWriter } from '../../functions/adapters/cluster-writer.js';
import type { WriteCommand } from '../../functions/domain/bulk-writer.js';
import { testInfra } from '../support/infra.js';

const COMMAND_TIMEOUT_MS = 4321;
let cluster: Cluster;

beforeAll(async () => {
  cluster = new Cluster(testInfra().seeds, { redisOptions: { commandTimeout: COMMAND_TIMEOUT_MS, protocol: 2 } });
  await cluster.ping(); // slot map loaded
  // Every master connected: commands queued on a connection that is not ready yet are sent
  // later from ioredis' offline queue, timers and all (harmless, but not what is pinned here).
  await Promise.all(cluster.nodes('master').map((node) => node.ping()));
});
afterAll(() => cluster.quit());

/** Runs `fn` and returns the names of the commands ioredis armed a per-command timer for. */
async function timedCommands(fn: () => Promise<unknown>): Promise<string[]> {
  const proto = Command.prototype as unknown as { setTimeout(this: Command, ms: number): void };
  const original = proto.setTimeout;
  const names: string[] = [];
  proto.setTimeout = function (this: Command, ms: number) {
    names.push(this.name);
    return original.call(this, ms);
  };
  try {
    await fn();
  } finally {
    proto.setTimeout = original;
  }
  return names;
}

test('pipelines go out without per-command timers, and commandTimeout is restored on every master', async () => {
  // The control: an ordinary command on the same client does get its timer, so the probe sees them.
  expect(await timedCommands(() => cluster.hget('sluice:bw-timeout:0', 'f'))).toContain('hget');

  const commands: WriteCommand[] = Array.from({ length: 600 }, (_, i) => ({ op: 'hset', key: `sluice:bw-timeout:${i % 40}`, field: `f${i}`, value: String(i) }));
  const writer = new ClusterBulkWriter(cluster, { batchSize: 50, batchesInFlight: 4 });
  const timed = await timedCommands(async () => {
    await writer.write(commands);
    await writer.flush();
  });
  expect(timed.filter((name) => name === 'hset')).toEqual([]);

  const masters = cluster.nodes('master');
  expect(masters.length).toBeGreaterThanOrEqual(3);
  for (const node of masters) expect(node.options.commandTimeout).toBe(COMMAND_TIMEOUT_MS);
  // Everything arrived, and later commands are timed again.
  expect(await cluster.hget('sluice:bw-timeout:7', 'f567')).toBe('567');
  expect(await timedCommands(() => cluster.hget('sluice:bw-timeout:1', 'f1'))).toContain('hget');
});
