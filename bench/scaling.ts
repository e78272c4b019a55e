// Issue 5, item 6, on paper: how ingestion time and cost scale on AWS with Lambda concurrency
// and shards, from this run's per-worker figures and the assumptions stated in the text.
import type { IngestionFigures } from './measure-ingestion.js';

// Public list prices (us-east-1, as docs/deployment.md#what-it-costs uses them): Lambda arm64 per GB-s and
// per request, Step Functions Standard per state transition, cache.r7g.large Valkey per hour.
const LAMBDA_GB_S = 0.0000133334;
const LAMBDA_REQUEST = 0.2 / 1e6;
const SFN_TRANSITION = 0.025 / 1000;
const LAMBDA_GB = 1.769; // one full vCPU
const CHUNK_BYTES = 64 * 1024 * 1024; // CHUNK_SIZE_BYTES default
const TRANSITIONS_PER_CHUNK = 4; // Map iteration: start, LoadChunk task, retry bookkeeping, end
const FIXED_TRANSITIONS = 15; // Plan, Commit, Wait, Retire, Choice states around the Map
const R7G_LARGE_USABLE_GIB = 9.8;

const fmtS = (s: number): string => (s < 120 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);
const usd = (v: number): string => (v < 0.01 ? `$${v.toFixed(4)}` : `$${v.toFixed(2)}`);

export function scalingSection(f: IngestionFigures): string {
  const perShard = 1e6 / f.redisCpuUsPerRecord; // one Redis main thread per shard, if the write CPU per record holds
  const lines: string[] = [];
  lines.push(
    `Starting points, from this run (medians): one worker loads **${Math.round(f.workerRecordsPerSecond).toLocaleString('en-US')} records/s** ` +
      `(${f.inputBytesPerRecord.toFixed(0)}-byte JSON Lines records, 10 scored items); Redis spends **${f.redisCpuUsPerRecord.toFixed(2)} µs of CPU per record** ` +
      `written (all masters, user + sys, I/O included), so one shard's main thread saturates near **${Math.round(perShard).toLocaleString('en-US')} records/s**; ` +
      `a record takes **${f.redisBytesPerRecord.toFixed(0)} bytes** of Redis memory.`,
    '',
    'Assumptions: a LoadChunk Lambda at 1,769 MB (one vCPU, arm64) loads at the rate one worker process does here ' +
      '(Graviton and this EPYC core are within ~20 % of each other on JSON work; the VPC round trip to ElastiCache, ~0.3–1 ms instead of ' +
      '~0.05 ms, is hidden by 4 pipelines of 1,000 in flight); chunks of 64 MiB; the Map runs min(chunks, MapConcurrency) workers (inline ' +
      'Map: at most 40); writes spread evenly over shards (bucket keys hash over all slots); a shard is its master\'s one thread (replicas replay ' +
      'the writes on their own CPU); ~2 s of cold start and Step Functions overhead per load on top. Time = records / min(workers × worker rate, ' +
      'shards × shard rate). Cost counts Lambda GB-s and requests and Step Functions transitions; the cache runs all month anyway ([docs/deployment.md](docs/deployment.md#what-it-costs)).',
    '',
    '| Records | Input | Chunks | Workers (MapConcurrency) | Shards | Bound by | Load time | Lambda + Step Functions per load |',
    '| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  );
  const shardsForMemory = (records: number) => Math.ceil((3 * records * f.redisBytesPerRecord) / 1024 ** 3 / R7G_LARGE_USABLE_GIB);
  const configs: Record<number, [number, number][]> = {
    10e6: [[10, 2], [40, 2], [40, 4], [40, 8]],
    100e6: [[10, shardsForMemory(100e6)], [40, shardsForMemory(100e6)]],
  };
  for (const [records, list] of Object.entries(configs).map(([r, l]) => [Number(r), l] as const)) {
    const bytes = records * f.inputBytesPerRecord;
    const chunks = Math.ceil(bytes / CHUNK_BYTES);
    for (const [concurrency, shards] of list) {
      const workers = Math.min(chunks, concurrency);
      const workerRate = workers * f.workerRecordsPerSecond;
      const redisRate = shards * perShard;
      const rate = Math.min(workerRate, redisRate);
      const seconds = records / rate + 2;
      // Every worker runs until the load ends (they wait on Redis when Redis is the bound).
      const gbSeconds = (records / rate) * workers * LAMBDA_GB;
      const cost = gbSeconds * LAMBDA_GB_S + chunks * LAMBDA_REQUEST + (chunks * TRANSITIONS_PER_CHUNK + FIXED_TRANSITIONS) * SFN_TRANSITION;
      lines.push(
        `| ${(records / 1e6).toFixed(0)}M | ${(bytes / 1e9).toFixed(1)} GB | ${chunks} | ${workers} (${concurrency}) | ${shards} | ${workerRate <= redisRate ? 'workers' : 'Redis'} | ${fmtS(seconds)} | ${usd(cost)} |`,
      );
    }
  }
  const gib = (records: number) => ((records * f.redisBytesPerRecord) / 1024 ** 3).toFixed(1);
  const tenWorkers = 10 * f.workerRecordsPerSecond;
  const twoShards = 2 * perShard;
  lines.push(
    '',
    `Reading the table: at the default MapConcurrency of 10, ten workers offer ~${Math.round(tenWorkers).toLocaleString('en-US')} records/s and two shards ` +
      `absorb ~${Math.round(twoShards).toLocaleString('en-US')}: ${tenWorkers > twoShards ? 'the shards are already the bound, so more concurrency only adds waiting Lambdas and more shards are what helps' : 'the workers are the bound, so raising MapConcurrency helps until the shards saturate'}. ` +
      'Lambda cost stays in cents per load: it is worker-seconds, records ÷ worker rate, plus the waiting when Redis is the bound. ' +
      `Memory decides the shard count before throughput does: a version is ${gib(10e6)} GiB at 10M records and ${gib(100e6)} GiB at 100M, and a load holds ` +
      `three copies (RetainVersions 2 + the new one), so 100M records need ≥ ${shardsForMemory(100e6)} shards of r7g.large (${R7G_LARGE_USABLE_GIB} GiB usable each) ` +
      `or fewer, larger nodes; 10M fit the default two shards ${shardsForMemory(10e6) <= 2 ? 'with room' : 'only barely'}. ` +
      'Not modelled: S3 GET throughput (3,500+ requests/s per prefix, far above 40 streams), Valkey 8 I/O threads on multi-vCPU nodes (which would raise the shard rate), and cross-AZ transfer for replicas.',
  );
  return lines.join('\n');
}
