// Issue 13: what the release checks cost on a 1M-record load. Each round loads a live version
// first (not measured), then measures a load of the same input against it twice: once as a
// dataset with every check switched off, once with the default checks (coverage sampling,
// list-length stats, HLEN count and the comparison with the live version's stats). The order
// alternates between rounds so a noisy neighbour slows both alike.
import { runtime } from '../functions/lambda/runtime.js';
import { ingest } from './ingest.js';
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
  const rates = { off: [] as number[], on: [] as number[] };
  const commits = { off: [] as number[], on: [] as number[] };
  const counts: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    log(`release checks, round ${round}/${rounds}`);
    const order = round % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const);
    for (const variant of order) {
      const ds = variant === 'on' ? dataset : withoutChecks(dataset);
      await infra.flush();
      await ingest([worker], ds, prefix, `live${round}${variant}`);
      const r = await ingest([worker], ds, prefix, `next${round}${variant}`);
      if (r.records !== records) throw new Error(`the ${variant} load wrote ${r.records} records, expected ${records}`);
      rates[variant].push((r.records / r.ms) * 1000);
      commits[variant].push(r.commitMs);
      log(`  checks ${variant}: ${Math.round((r.records / r.ms) * 1000).toLocaleString('en-US')} records/s, commit ${r.commitMs.toFixed(0)} ms`);
      if (variant === 'off') {
        // The distinct count (HLEN over every bucket) runs in both variants: time it alone too.
        const { pipeline } = (await runtime()).dataset(ds);
        const meta = (await pipeline.versions.get(r.version))!;
        const t0 = performance.now();
        const n = await pipeline.versions.countRecords(r.version, meta.buckets);
        counts.push(performance.now() - t0);
        if (n !== records) throw new Error(`HLEN counted ${n} records, expected ${records}`);
      }
    }
  }
  await infra.flush();
  const section = `Release checks: a ${(records / 1e6).toString()}M-record JSON Lines load against a live version of the same data (one worker process)`;
  const off = summarise(rates.off);
  const on = summarise(rates.on);
  const ratio = ratioOf(on, off);
  return [
    { section, name: 'every check switched off (plan + loadChunk + commit)', unit: 'records/s', summary: off },
    { section, name: 'default checks (plan + loadChunk + commit)', unit: 'records/s', summary: on, ratio: { value: ratio, vs: 'off' }, target: { text: '≥ 0.95 × off (at most 5% slower)', met: ratio >= 0.95 } },
    { section, name: 'commit step, every check switched off', unit: 'ms', summary: summarise(commits.off), digits: 0 },
    { section, name: 'commit step, default checks', unit: 'ms', summary: summarise(commits.on), digits: 0 },
    { section, name: 'of which in both: the distinct count (HLEN over every bucket, pipelined per master)', unit: 'ms', summary: summarise(counts), digits: 0 },
  ];
}
