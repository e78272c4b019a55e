// Issue 13: what the release checks cost on a 1M-record load. The same input is loaded as two
// datasets, one with every check switched off and one with the default checks (coverage
// sampling, list-length stats, the comparison with the live version's stats), each against a
// live version of the same data (the previous round's load). Within a round the two loads'
// chunks alternate in one worker, so both see the same machine. Beside the wall clock it
// counts the CPU each load used (the worker process, this driver process with its in-process S3
// server, Plan and Commit, and the Redis masters): on a shared machine wall-clock rounds move by
// more than the 5 % being judged, while CPU time follows the work done much more closely.
import { runtime } from '../functions/lambda/runtime.js';
import { commit, ingest, plan } from './ingest.js';
import type { BenchInfra } from './infra.js';
import { ratioOf, type Row } from './report.js';
import { summarise } from './stats.js';
import type { LoadWorker } from './workers.js';

/** The dataset benchEnv declares next to `dataset` with every check switched off. */
export const withoutChecks = (dataset: string) => `${dataset}-nochecks`;

export const CHECKS_OFF = {
  minRecords: 0,
  maxRecordDrop: false,
  maxRecordGrowth: false,
  minLiveKeyCoverage: false,
  duplicateKeys: 'last-wins',
  maxEmptyListShareIncrease: false,
  maxListLengthFactor: false,
  maxNullRateIncrease: false,
  inputCompleteness: false,
};

export async function measureChecks(infra: BenchInfra, worker: LoadWorker, dataset: string, prefix: string, records: number, rounds: number, log: (s: string) => void): Promise<Row[]> {
  const variants = ['off', 'on'] as const;
  type Variant = (typeof variants)[number];
  const ds = (v: Variant) => (v === 'on' ? dataset : withoutChecks(dataset));
  const perVariant = () => ({ off: [] as number[], on: [] as number[] });
  const rates = perVariant();
  const commits = perVariant();
  const cpu = perVariant();
  const workerCpu = perVariant();
  const counts: number[] = [];
  // What one step cost: wall clock, and the CPU of this driver (Plan, Commit, the S3 server the
  // worker reads from), the worker and the Redis masters.
  const measured = async <T>(step: () => Promise<T>, workerMs: (r: T) => number) => {
    const redis0 = await infra.redisCpuSeconds();
    const driver0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await step();
    const ms = performance.now() - t0;
    const driver = process.cpuUsage(driver0);
    const redisMs = ((await infra.redisCpuSeconds()) - redis0) * 1000;
    return { result, ms, cpuMs: (driver.user + driver.system) / 1000 + workerMs(result) + redisMs, workerMs: workerMs(result) };
  };
  await infra.flush();
  // A live version of each dataset to check against; each round's loads are the next round's live ones.
  for (const v of variants) await ingest([worker], ds(v), prefix, `live-${v}`);
  for (let round = 1; round <= rounds; round++) {
    log(`release checks, round ${round}/${rounds}`);
    const order: readonly Variant[] = round % 2 ? variants : [...variants].reverse();
    const totals = { off: { ms: 0, cpuMs: 0, workerMs: 0, records: 0 }, on: { ms: 0, cpuMs: 0, workerMs: 0, records: 0 } };
    const plans = {} as Record<Variant, { owner: string; chunks: number[]; chunkCount: number; version: string }>;
    for (const v of order) {
      const version = `next${round}${v}`;
      const step = await measured(() => plan(ds(v), prefix, version), () => 0);
      plans[v] = { ...step.result, version };
      totals[v].ms += step.ms;
      totals[v].cpuMs += step.cpuMs;
    }
    if (plans.on.chunks.length !== plans.off.chunks.length) throw new Error(`the two variants planned ${plans.on.chunks.length} and ${plans.off.chunks.length} chunks of the same input`);
    // The two loads' chunks alternate (ABBA), a second or two apart: a shared machine's speed,
    // which drifts over tens of seconds, weighs on both alike.
    for (let i = 0; i < plans.off.chunks.length; i++) {
      for (const v of i % 2 ? [...order].reverse() : order) {
        const p = plans[v];
        const step = await measured(() => worker.run({ kind: 'sluice', dataset: ds(v), version: p.version, owner: p.owner, chunks: [p.chunks[i]!] }), (o) => o.cpuMs);
        totals[v].ms += step.ms;
        totals[v].cpuMs += step.cpuMs;
        totals[v].workerMs += step.workerMs;
        totals[v].records += step.result.records;
      }
    }
    for (const v of order) {
      const p = plans[v];
      const step = await measured(() => commit({ dataset: ds(v), version: p.version, owner: p.owner, chunks: p.chunkCount, records: totals[v].records, bytes: 0, planMs: 0, loadMs: 0, outcomes: [] }), () => 0);
      totals[v].ms += step.ms;
      totals[v].cpuMs += step.cpuMs;
      commits[v].push(step.result.ms);
    }
    for (const v of variants) {
      if (totals[v].records !== records) throw new Error(`the ${v} load wrote ${totals[v].records} records, expected ${records}`);
      rates[v].push((records / totals[v].ms) * 1000);
      cpu[v].push(totals[v].cpuMs);
      workerCpu[v].push(totals[v].workerMs);
      log(`  checks ${v}: ${Math.round(rates[v].at(-1)!).toLocaleString('en-US')} records/s, commit ${commits[v].at(-1)!.toFixed(0)} ms, CPU ${(totals[v].cpuMs / 1000).toFixed(2)} s (worker ${(totals[v].workerMs / 1000).toFixed(2)} s)`);
    }
    // The distinct count (HLEN over every bucket) runs in both variants: time it alone too.
    const { pipeline } = (await runtime()).dataset(ds('off'));
    const meta = (await pipeline.versions.get(plans.off.version))!;
    const t0 = performance.now();
    const n = await pipeline.versions.countRecords(plans.off.version, meta.buckets);
    counts.push(performance.now() - t0);
    if (n !== records) throw new Error(`HLEN counted ${n} records, expected ${records}`);
  }
  await infra.flush();
  const section = `Release checks: a ${(records / 1e6).toString()}M-record JSON Lines load against a live version of the same data (one worker process)`;
  const off = summarise(rates.off);
  const on = summarise(rates.on);
  const ratio = ratioOf(on, off);
  const cpuOff = summarise(cpu.off);
  const cpuOn = summarise(cpu.on);
  const cpuRatio = ratioOf(cpuOn, cpuOff);
  // The two loads of a round ran chunk by chunk, interleaved: their ratio is the paired comparison.
  const paired = (a: number[], b: number[]) => summarise(a.map((v, i) => v / b[i]!));
  const pairedRate = paired(rates.on, rates.off);
  const pairedCpu = paired(cpu.on, cpu.off);
  // The target is judged on the paired ratios, the comparison this interleaved design makes;
  // ratios of the two variants' medians (which may come from different rounds) are shown too.
  return [
    { section, name: 'every check switched off (plan + loadChunk + commit; its chunks interleaved with the other variant)', unit: 'records/s', summary: off },
    { section, name: 'default checks (plan + loadChunk + commit)', unit: 'records/s', summary: on, ratio: { value: ratio, vs: 'off, medians' } },
    { section, name: 'per round: records/s with checks ÷ without (the two interleaved loads of one round)', unit: '×', summary: pairedRate, digits: 3, target: { text: '≥ 0.95 (at most 5% slower)', met: pairedRate.median >= 0.95 } },
    { section, name: 'CPU per load, every check switched off (worker + driver with Plan, Commit and S3 + Redis masters)', unit: 'ms', summary: cpuOff, digits: 0 },
    { section, name: 'CPU per load, default checks', unit: 'ms', summary: cpuOn, digits: 0, ratio: { value: cpuRatio, vs: 'off, medians' } },
    { section, name: 'per round: CPU per load with checks ÷ without', unit: '×', summary: pairedCpu, digits: 3, target: { text: '≤ 1.05', met: pairedCpu.median <= 1.05 } },
    { section, name: 'load worker CPU, every check switched off', unit: 'ms', summary: summarise(workerCpu.off), digits: 0 },
    { section, name: 'load worker CPU, default checks', unit: 'ms', summary: summarise(workerCpu.on), digits: 0, ratio: { value: ratioOf(summarise(workerCpu.on), summarise(workerCpu.off)), vs: 'off, medians' } },
    { section, name: 'per round: load worker CPU with checks ÷ without', unit: '×', summary: paired(workerCpu.on, workerCpu.off), digits: 3 },
    { section, name: 'commit step, every check switched off', unit: 'ms', summary: summarise(commits.off), digits: 0 },
    { section, name: 'commit step, default checks', unit: 'ms', summary: summarise(commits.on), digits: 0 },
    { section, name: 'of which in both: the distinct count (HLEN over every bucket, pipelined per master)', unit: 'ms', summary: summarise(counts), digits: 0 },
  ];
}
