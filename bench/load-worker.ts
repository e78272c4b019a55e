// A worker process of the benchmark: loads what the driver tells it to, with the environment
// the driver set (the same variables the Lambdas read), and reports time and peak RSS. Run in
// its own process so its CPU and memory are its own, as a Lambda's are; the driver keeps the
// local S3 server.
import { readFileSync } from 'node:fs';
import { Cluster } from 'ioredis';
import { runtime } from '../functions/lambda/runtime.js';
import { loadChunk } from '../functions/pipeline/load-chunk.js';
import { localS3Client } from '../local/s3-server.js';
import { oneAwaitedWritePerRecord, pipelinedCeiling, prebuild, type Prebuilt, type Written } from './baselines.js';
import type { FromWorker, LoadJob, ToWorker } from './protocol.js';

function rssKb(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : process.resourceUsage().maxRSS;
}

const send = (m: FromWorker): void => void process.send!(m);

let plain: Cluster | null = null;
async function plainCluster(): Promise<Cluster> {
  if (plain) return plain;
  const seeds = (process.env.BENCH_REDIS_SEEDS ?? '').split(',').map((s) => {
    const [host, port] = s.split(':');
    return { host: host!, port: Number(port) };
  });
  const cluster = new Cluster(seeds, { scaleReads: 'master', redisOptions: { protocol: 2 } });
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', resolve);
    cluster.once('error', reject);
  });
  plain = cluster;
  return cluster;
}

let prebuilt: { source: string; data: Prebuilt } | null = null;

async function run(job: LoadJob): Promise<Written> {
  switch (job.kind) {
    case 'sluice': {
      const { pipeline } = (await runtime()).dataset(job.dataset);
      const started = performance.now();
      let records = 0;
      let bytes = 0;
      for (const index of job.chunks) {
        // As the LoadChunk handler does: the Map item is a chunk number, loadChunk finds it in the stored plan.
        const r = await loadChunk({ dataset: job.dataset, version: job.version, owner: job.owner, chunk: index }, pipeline);
        records += r.records;
        bytes += r.bytes;
      }
      return { records, bytes, ms: performance.now() - started };
    }
    case 'one-awaited-write': {
      const redis = await plainCluster();
      const s3 = localS3Client(process.env.AWS_ENDPOINT_URL_S3!);
      try {
        return await oneAwaitedWritePerRecord(redis, s3, job);
      } finally {
        s3.destroy();
      }
    }
    case 'pipelined-ceiling': {
      const redis = await plainCluster();
      // Before the clock: the values are "already in memory" (kept for the next repetition).
      const source = JSON.stringify(job.source);
      if (prebuilt?.source !== source) prebuilt = { source, data: prebuild(job.source) };
      const data = prebuilt.data;
      return pipelinedCeiling(redis, data, job);
    }
  }
}

// The driver went away (crashed, interrupted): do not outlive it.
process.on('disconnect', () => process.exit(1));
process.on('message', (m: ToWorker) => {
  if (m.type === 'exit') {
    void Promise.allSettled([plain?.quit()]).finally(() => process.exit(0));
    return;
  }
  const cpu0 = process.cpuUsage();
  run(m.job).then(
    (w) => {
      const cpu = process.cpuUsage(cpu0);
      send({ type: 'done', id: m.id, outcome: { ...w, peakRssKb: rssKb('VmHWM'), readyRssKb, cpuMs: (cpu.user + cpu.system) / 1000 } });
    },
    (err: unknown) => send({ type: 'failed', id: m.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});

// Build the container's clients before reporting ready, as a warm Lambda has them.
if (process.env.BENCH_WORKER_USES_RUNTIME === '1') await runtime();
const readyRssKb = rssKb('VmRSS');
send({ type: 'ready', rssKb: readyRssKb });
