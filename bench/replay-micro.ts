// The correction replay alone, on a local 3-master cluster (no replicas) of its own: N corrections
// (default 100,000, ~370-byte values) logged, then read back only (HSCAN pages and parsing), then
// replayed into a version of 45,000 buckets (a 1M-record load's count), three times; wall clock
// and this process's CPU. The replay is CPU-bound in the client (ioredis commands), so the CPU
// figure is the steadier one on a shared machine. Then the same log after a load's chunks wrote every
// key's correction themselves: what is left of the replay for its Commit (two key lists compared).
// Usage: node --import tsx bench/replay-micro.ts   (N=20000 for fewer)
import { Cluster } from 'ioredis';
import { startRedisCluster } from '../local/redis-cluster.js';
import { REDIS_SERVER_SETTINGS } from '../functions/domain/server-settings.js';
import { CorrectionStore } from '../functions/adapters/correction-store.js';
import { ClusterBulkWriter } from '../functions/adapters/cluster-writer.js';
import type { WriterOptions } from '../functions/domain/bulk-writer.js';
import { replayCorrections } from '../functions/pipeline/replay-corrections.js';

const N = Number(process.env.N ?? 100_000);
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0, settings: { ...REDIS_SERVER_SETTINGS } });
const redis = new Cluster(cluster.seeds, { scaleReads: 'master', redisOptions: { commandTimeout: 5000 } });
try {
  const store = new CorrectionStore(redis, 'bench');
  const value = JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => [`${500000 + i}`, 0.5]) }).padEnd(370, ' ');
  for (let from = 0; from < N; from += 700) {
    await store.log(Array.from({ length: Math.min(700, N - from) }, (_, i) => ({ key: `u${from + i}`, value })), Date.now(), 'bench');
  }
  // As runtime.ts builds the writer (WRITE_BATCH_SIZE, WRITE_BATCHES_IN_FLIGHT defaults).
  const newWriter = (o?: WriterOptions) => new ClusterBulkWriter(redis, { batchSize: 1000, batchesInFlight: 4, packed: o?.packed });
  for (let rep = 1; rep <= 3; rep++) {
    let t = performance.now();
    let cpu = process.cpuUsage();
    let read = 0;
    for await (const page of store.entries()) read += page.length;
    const readLine = `read ${read} in ${(performance.now() - t).toFixed(0)} ms (CPU ${cpuMs(cpu).toFixed(0)} ms)`;
    t = performance.now();
    cpu = process.cpuUsage();
    const r = await replayCorrections({ dataset: 'bench', spec: {} as never, newWriter, corrections: store }, { version: `v${rep}`, orderKey: Date.now(), buckets: 45_000 });
    console.log(`rep ${rep}: ${readLine}; replay of ${r.applied} in ${(performance.now() - t).toFixed(0)} ms (CPU ${cpuMs(cpu).toFixed(0)} ms)`);
  }
  // What a load's Commit replays once its chunks wrote every logged key themselves (load-chunk.ts):
  // the applying keys and the marked ones are read and compared, and nothing is left to write.
  const gen = await store.generation();
  const keys = Array.from({ length: N }, (_, i) => `u${i}`);
  for (let i = 0; i < N; i += 1000) await store.markSubstituted('marked', keys.slice(i, i + 1000));
  for (let rep = 1; rep <= 3; rep++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const r = await replayCorrections({ dataset: 'bench', spec: {} as never, newWriter, corrections: store }, { version: 'marked', orderKey: Date.now(), buckets: 45_000, substitutedUpTo: gen });
    console.log(`rep ${rep}: every key written by the chunks: the Commit's replay wrote ${r.applied} in ${(performance.now() - t).toFixed(0)} ms (CPU ${cpuMs(cpu).toFixed(0)} ms)`);
  }
} finally {
  redis.disconnect();
  await cluster.stop();
}
