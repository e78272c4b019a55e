// Before/after for an optimisation of the load path, in one run: the same loads through this
// tree's code and through another checkout's (BENCH_BEFORE_TREE, e.g. a copy of this tree with
// the change reverted), interleaved round by round. Not part of `npm run bench`.
//   BENCH_BEFORE_TREE=/tmp/sluice-before node --openssl-legacy-provider --import tsx bench/compare-trees.ts
// BENCH_AFTER_FLAGS adds Node flags to the "after" worker only (e.g. --max-semi-space-size=64).
import { closeRuntime } from '../functions/lambda/runtime.js';
import { putInputs } from './data.js';
import { ingest } from './ingest.js';
import { benchEnv, startInfra } from './infra.js';
import { summarise } from './stats.js';
import { startLoadWorker, type LoadWorker } from './workers.js';

const before = process.env.BENCH_BEFORE_TREE;
if (!before) throw new Error('set BENCH_BEFORE_TREE to the checkout to compare against');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const records = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const afterFlags = (process.env.BENCH_AFTER_FLAGS ?? '').split(' ').filter(Boolean);

const infra = await startInfra();
const workers: LoadWorker[] = [];
try {
  Object.assign(process.env, benchEnv(infra, 'bench'));
  const inputs = await putInputs(infra, records, 1000);
  const variants = {
    before: await startLoadWorker('before', { usesRuntime: true, tree: before }),
    after: await startLoadWorker('after', { usesRuntime: true, nodeFlags: afterFlags }),
  };
  workers.push(variants.before, variants.after);
  const rates: Record<string, number[]> = {};
  let n = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const [format, key, single] of [['jsonl', inputs.scored.prefix, false], ['pandas', inputs.pandas.key, true]] as const) {
      for (const [name, worker] of Object.entries(variants)) {
        await infra.flush();
        const run = await ingest([worker], 'bench', key, `v${n++}`, single);
        const rate = (run.records / run.ms) * 1000;
        (rates[`${format} ${name}`] ??= []).push(rate);
        console.log(`round ${round} ${format} ${name}: ${Math.round(rate)} records/s`);
      }
    }
  }
  for (const format of ['jsonl', 'pandas']) {
    const b = summarise(rates[`${format} before`]!);
    const a = summarise(rates[`${format} after`]!);
    console.log(`${format}: before ${Math.round(b.median)} (${Math.round(b.min)}-${Math.round(b.max)}), after ${Math.round(a.median)} (${Math.round(a.min)}-${Math.round(a.max)}) records/s: ${(a.median / b.median).toFixed(2)}x`);
  }
} finally {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await closeRuntime();
  await infra.stop();
}
