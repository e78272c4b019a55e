// Issue 15, item 1: what waiting for the replicas (WAIT after each chunk's last pipeline and
// after the swap) costs on the 1M-record load. A cluster shaped like production in this respect
// (3 masters, 1 replica each, on loopback), the same input loaded with the wait on and off,
// interleaved (off, on, off, on...) so a noisy neighbour slows both alike; each load starts from
// an empty cluster. Run alone: node --openssl-legacy-provider --import tsx bench/measure-replica-ack.ts
import { closeRuntime } from '../functions/lambda/runtime.js';
import { jsonLinesParts } from '../local/sample-data.js';
import { commit, planAndLoad } from './ingest.js';
import { benchEnv, startInfra } from './infra.js';
import { summarise } from './stats.js';
import { startLoadWorker, type LoadWorker } from './workers.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DATASET = 'ackbench';
const log = (s: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

async function main(): Promise<void> {
  log(`starting a Redis Cluster (3 masters, 1 replica each) and s3rver`);
  const infra = await startInfra({ replicasPerMaster: 1 });
  const workers: LoadWorker[] = [];
  try {
    Object.assign(process.env, benchEnv(infra, DATASET));
    const parts = jsonLinesParts({ users: RECORDS, scored: true }, 4);
    for (const [i, body] of parts.entries()) await infra.put(`scored/part-${i}.jsonl.out`, body);
    parts.length = 0;
    // REDIS_REPLICA_ACK_TIMEOUT_MS=0 switches the wait off.
    const variants = { off: '0', on: '10000' } as const;
    const worker = (name: string, v: keyof typeof variants) => startLoadWorker(name, { usesRuntime: true, env: { REDIS_REPLICA_ACK_TIMEOUT_MS: variants[v] } });
    const loaders = {
      off: [await worker('ack-off-1', 'off'), await worker('ack-off-2', 'off')],
      on: [await worker('ack-on-1', 'on'), await worker('ack-on-2', 'on')],
    };
    workers.push(...loaders.off, ...loaders.on);
    const rates: Record<keyof typeof variants, number[]> = { off: [], on: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const v of ['off', 'on'] as const) {
        await infra.flush();
        // The commit runs here, in the driver, with the same setting.
        await closeRuntime();
        process.env.REDIS_REPLICA_ACK_TIMEOUT_MS = variants[v];
        const loaded = await planAndLoad(loaders[v], DATASET, 'scored/', `${v}${round}`);
        const { ms: commitMs } = await commit(loaded);
        const ms = loaded.planMs + loaded.loadMs + commitMs;
        rates[v].push((loaded.records / ms) * 1000);
        log(`round ${round}, wait ${v}: ${loaded.records} records in ${Math.round(ms)} ms (${loaded.chunks} chunks, commit ${Math.round(commitMs)} ms): ${Math.round((loaded.records / ms) * 1000)} records/s`);
      }
    }
    const off = summarise(rates.off);
    const on = summarise(rates.on);
    const fmt = (s: typeof off) => `${Math.round(s.median).toLocaleString('en-US')} (${Math.round(s.min).toLocaleString('en-US')}–${Math.round(s.max).toLocaleString('en-US')})`;
    console.log(`| ${RECORDS.toLocaleString('en-US')} scored JSON Lines records, 2 load workers, 3 masters × 1 replica | records/s, wait off | ${fmt(off)} |`);
    console.log(`| same run | records/s, wait on (REDIS_REPLICA_ACK_TIMEOUT_MS) | ${fmt(on)} |`);
    console.log(`| same run | cost of the wait (median on / median off) | ${(on.median / off.median).toFixed(3)} |`);
  } finally {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await closeRuntime();
    await infra.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
