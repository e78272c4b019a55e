// Issue 21, corrections: put throughput through the admin path (the real admin handler, in calls as
// `sluice put` makes them), and a load with 100k corrections in the log to replay before its swap against
// the same load with an empty log, interleaved in the same run. The load is planned and loaded by
// the warm workers (bench/ingest.ts) and committed in the driver, where the replay runs.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Context } from 'aws-lambda';
import { recommendations } from '../local/sample-data.js';
import { SCORED } from './protocol.js';
import { lambdaContext } from '../local/state-machine.js';
import { batches } from '../cli/put.js';
import { commit, planAndLoad } from './ingest.js';
import type { BenchInfra } from './infra.js';
import { withTombstones } from './measure-corrections.js';
import { ratioOf, type Row } from './report.js';
import { summarise } from './stats.js';
import { processCpuUs } from './workers.js';
import type { LoadWorker } from './workers.js';

type AdminHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Puts `count` records of the bench's users through the admin handler, `lanes` callers at once;
 * records/s and records per call. The records have the input's own shape (SCORED) and size, with
 * other items (`seed`), so a correction writes as many bytes as the record it replaces.
 */
async function putThroughAdmin(dataset: string, count: number, lanes: number, seed: number): Promise<{ rate: number; perCall: number }> {
  const admin = (await import('../functions/handlers/admin.js')).handler as unknown as AdminHandler;
  const records = [...recommendations({ users: count, scored: SCORED, seed })].map((r) => ({ userId: r.userId, recommendations: r.items }));
  // Calls as `sluice put` makes them: at most 1,000 records or 256 KiB.
  const calls = batches({ records, lines: records.map((_, i) => i + 1) }).map((b) => b.records);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < calls.length) await admin({ action: 'put', dataset, records: calls[next++] }, lambdaContext('AdminFunction'));
    }),
  );
  return { rate: count / ((performance.now() - t0) / 1000), perCall: count / calls.length };
}

export async function measureCorrections(
  infra: BenchInfra,
  workers: LoadWorker[],
  dataset: string,
  prefix: string,
  records: number,
  reps: number,
  corrections: number,
  log: (s: string) => void,
): Promise<Row[]> {
  const section = `Corrections (put): ${corrections.toLocaleString('en-US')} corrections replayed into a load of ${records.toLocaleString('en-US')} records`;
  const without: number[] = [];
  const withLog: number[] = [];
  const commitWithout: number[] = [];
  const commitWith: number[] = [];
  const putRates: number[] = [];
  const putRates4: number[] = [];
  let perCall = 0;
  for (let rep = 0; rep < reps; rep++) {
    // Interleaved: a load with an empty log, then the same load with `corrections` in it.
    for (const variant of ['none', 'log'] as const) {
      await infra.flush();
      if (variant === 'log') {
        // No live version yet: the puts only log (what a put's own HSETs cost is the throughput below).
        await putThroughAdmin(dataset, corrections, 4, 5);
      }
      const t0 = performance.now();
      const loaded = await planAndLoad(workers, dataset, prefix, `corr-${variant}-${rep}`);
      const committed = await commit(loaded);
      const ms = performance.now() - t0;
      const applied = Number(committed.result.outcome === 'swapped' ? ((await infra.admin.hget(`{sluice:${dataset}}:version:corr-${variant}-${rep}`, 'correctionsApplied')) ?? 0) : 0);
      if (variant === 'log' && applied !== corrections) throw new Error(`the load applied ${applied} corrections, not ${corrections}`);
      (variant === 'none' ? without : withLog).push(ms);
      (variant === 'none' ? commitWithout : commitWith).push(committed.ms);
      log(`  rep ${rep + 1}, ${variant === 'none' ? 'empty log' : `${corrections} corrections`}: load ${(ms / 1000).toFixed(2)} s (commit ${committed.ms.toFixed(0)} ms)`);
    }
    // Puts with a live version of `records` records: each call logs and writes into it.
    const one = await putThroughAdmin(dataset, 20_000, 1, 7);
    const four = await putThroughAdmin(dataset, 20_000, 4, 8);
    putRates.push(one.rate);
    putRates4.push(four.rate);
    perCall = one.perCall;
    log(`  rep ${rep + 1}: put ${one.rate.toFixed(0)} records/s (1 caller), ${four.rate.toFixed(0)} (4 callers), ${one.perCall.toFixed(0)} records a call`);
  }
  const a = summarise(without);
  const b = summarise(withLog);
  const ratio = b.median / a.median;
  return [
    { section, name: 'load + commit, empty correction log', unit: 'ms', summary: a },
    { section, name: `load + commit, ${corrections.toLocaleString('en-US')} corrections to replay`, unit: 'ms', summary: b, ratio: { value: ratio, vs: 'empty log' }, target: { text: '≤ 1.05×', met: ratio <= 1.05 } },
    { section, name: 'commit alone, empty log', unit: 'ms', summary: summarise(commitWithout) },
    { section, name: `commit alone, ${corrections.toLocaleString('en-US')} corrections`, unit: 'ms', summary: summarise(commitWith) },
    { section, name: `put through the admin handler, 1 caller, calls as \`sluice put\` makes them (${perCall.toFixed(0)} records)`, unit: 'records/s', summary: summarise(putRates) },
    { section, name: `put through the admin handler, 4 callers, calls as \`sluice put\` makes them (${perCall.toFixed(0)} records)`, unit: 'records/s', summary: summarise(putRates4) },
  ];
}

/** A full collection of this process's heap (V8's gc, exposed once, at first use). */
let gc: (() => void) | undefined;
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * Issue 21's figure as the issue names it: a load (plan, chunks, commit) with `count` tombstones
 * AND `count` corrections to replay, against the same load with neither, interleaved in one run.
 * The tombstones are keys no input holds (every lookup misses) recorded an hour ago; the
 * corrections are users of the input, logged through the admin handler before the load (no live
 * version: the puts only log), so each one is written into the new version before its swap: by
 * the chunk that holds its user (load-chunk.ts); additions (users no input holds) would be the
 * Commit's, replayed packed (bench/replay-micro.ts measures that).
 * Only the load is timed, not setting the tombstones and corrections up.
 */
export async function measureCombinedLoad(infra: BenchInfra, workers: LoadWorker[], dataset: string, prefix: string, records: number, count: number, reps: number, log: (s: string) => void): Promise<Row[]> {
  const n = count.toLocaleString('en-US');
  const section = `Corrections and erasure together: a load of ${records.toLocaleString('en-US')} records with ${n} tombstones and ${n} corrections to replay, against none (issue 21)`;
  const ms = { none: [] as number[], both: [] as number[] };
  const commitMs = { none: [] as number[], both: [] as number[] };
  const cpuMs = { none: [] as number[], both: [] as number[] };
  // BENCH_COMBINED_ONLY=tombstones or =corrections: the second load has only that half (which
  // half costs what); =none: the second load has neither, an A/A run that shows the noise;
  // =each: four loads per repetition (neither, tombstones alone, corrections alone, both), so the
  // halves are compared within one run too.
  const only = process.env.BENCH_COMBINED_ONLY;
  const each = only === 'each';
  const halves = { tombstones: [] as number[], corrections: [] as number[] };
  // The first load of a run is slower (JIT, connections, Redis allocations): one unmeasured load first.
  await infra.flush();
  await commit(await planAndLoad(workers, dataset, prefix, 'both-warmup'));
  for (let rep = 0; rep < reps; rep++) {
    for (const kind of each ? (['none', 'tombstones', 'corrections', 'both'] as const) : (['none', 'both'] as const)) {
      // What the load has: with =each each kind its own, otherwise the second load what BENCH_COMBINED_ONLY says.
      const has = kind === 'both' && !each ? only : kind;
      await infra.flush();
      const version = `both-${kind}-${rep}`;
      const load = async () => {
        // The setup (100k puts through the admin handler) ran in this process, which also serves
        // the chunks' S3 reads: its garbage is collected now, not during the timed load.
        collectGarbage();
        // CPU of everything the load runs on: this driver (Plan, Commit, s3rver), the workers, the Redis masters.
        const workersCpu = () => workers.reduce((n, w) => n + processCpuUs(w.pid), 0) / 1000;
        const stats0 = process.env.BENCH_CMDSTATS ? await commandStats(infra) : undefined;
        const redis0 = await infra.redisCpuSeconds();
        const driver0 = process.cpuUsage();
        const workers0 = workersCpu();
        const t0 = performance.now();
        const loaded = await planAndLoad(workers, dataset, prefix, version);
        const committed = await commit(loaded);
        const ms = performance.now() - t0;
        const driver = process.cpuUsage(driver0);
        if (stats0) logCommandStats(stats0, await commandStats(infra), log);
        const parts = { driver: (driver.user + driver.system) / 1000, workers: workersCpu() - workers0, redis: ((await infra.redisCpuSeconds()) - redis0) * 1000 };
        return { ms, commitMs: committed.ms, planMs: loaded.planMs, chunksMs: loaded.loadMs, cpuMs: parts.driver + parts.workers + parts.redis, parts };
      };
      let r: { ms: number; commitMs: number; planMs: number; chunksMs: number; cpuMs: number; parts: { driver: number; workers: number; redis: number } };
      if (has === 'none') r = await load();
      else {
        if (has !== 'tombstones') await putThroughAdmin(dataset, count, 4, 5);
        r = has === 'corrections' ? await load() : await withTombstones(dataset, count, load);
        const applied = Number((await infra.admin.hget(`{sluice:${dataset}}:version:${version}`, 'correctionsApplied')) ?? 0);
        if (applied !== count && has !== 'tombstones') throw new Error(`the load applied ${applied} corrections, not ${count}`);
      }
      if (kind === 'tombstones' || kind === 'corrections') halves[kind].push(r.ms);
      else {
        ms[kind].push(r.ms);
        commitMs[kind].push(r.commitMs);
        cpuMs[kind].push(r.cpuMs);
      }
      const what = { none: 'no tombstones, empty log', tombstones: `${n} tombstones alone`, corrections: `${n} corrections alone`, both: `${n} tombstones + ${n} corrections` }[kind];
      log(`  rep ${rep + 1}, ${what}: load ${(r.ms / 1000).toFixed(2)} s (plan ${r.planMs.toFixed(0)} ms, chunks ${(r.chunksMs / 1000).toFixed(2)} s, commit ${r.commitMs.toFixed(0)} ms; CPU ${(r.cpuMs / 1000).toFixed(2)} s: driver ${(r.parts.driver / 1000).toFixed(2)}, workers ${(r.parts.workers / 1000).toFixed(2)}, Redis ${(r.parts.redis / 1000).toFixed(2)})`);
    }
  }
  const none = summarise(ms.none);
  const both = summarise(ms.both);
  const ratio = ratioOf(both, none);
  // Whole loads move by more than the corrections cost on a shared machine: each repetition's pair
  // is measured back to back, so the ratio per repetition is the steadier figure. (The Commit alone
  // no longer says it: a load's chunks write most corrections, load-chunk.ts.)
  const paired = summarise(ms.both.map((m, i) => m / ms.none[i]!));
  return [
    { section, name: 'load (plan, chunks, commit), no tombstones, empty correction log', unit: 'ms', summary: none },
    { section, name: `the same load, ${n} tombstones and ${n} corrections to replay`, unit: 'ms', summary: both, ratio: { value: ratio, vs: 'none' }, target: { text: '<= 1.05x', met: ratio <= 1.05 } },
    { section, name: 'commit alone (checks, replay, swap), none', unit: 'ms', summary: summarise(commitMs.none) },
    { section, name: `commit alone, ${n} tombstones and ${n} corrections`, unit: 'ms', summary: summarise(commitMs.both) },
    { section, name: 'CPU per load (driver with Plan, Commit and s3rver + workers + Redis masters), none', unit: 'ms', summary: summarise(cpuMs.none), digits: 0 },
    { section, name: `CPU per load, ${n} tombstones and ${n} corrections`, unit: 'ms', summary: summarise(cpuMs.both), digits: 0, ratio: { value: ratioOf(summarise(cpuMs.both), summarise(cpuMs.none)), vs: 'none, medians' } },
    {
      section,
      name: 'per repetition, CPU per load with both / with neither',
      unit: '×',
      summary: summarise(cpuMs.both.map((c, i) => c / cpuMs.none[i]!)),
      digits: 3,
    },
    {
      section,
      name: 'per repetition, the load with both / the load with neither, measured back to back',
      unit: '×',
      summary: paired,
      digits: 3,
      target: { text: '<= 1.05x', met: paired.median <= 1.05 },
    },
    ...(each
      ? (['tombstones', 'corrections'] as const).map((half) => ({
          section,
          name: `per repetition, the load with ${n} ${half} alone / the load with neither (BENCH_COMBINED_ONLY=each)`,
          unit: '×',
          summary: summarise(halves[half].map((m, i) => m / ms.none[i]!)),
          digits: 3,
        }))
      : []),
  ];
}

/** usec and calls per command over the masters (BENCH_CMDSTATS=1: where a load's Redis CPU goes). */
async function commandStats(infra: BenchInfra): Promise<Map<string, { calls: number; usec: number }>> {
  const total = new Map<string, { calls: number; usec: number }>();
  for (const m of infra.masters()) {
    for (const line of (await m.info('commandstats')).split('\n')) {
      const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
      if (!match) continue;
      const name = match[1] === 'hset' ? `hset@${m.options.port}` : match[1]!;
      const t = total.get(name) ?? { calls: 0, usec: 0 };
      t.calls += Number(match[2]);
      t.usec += Number(match[3]);
      total.set(name, t);
    }
  }
  return total;
}

function logCommandStats(before: Map<string, { calls: number; usec: number }>, after: Map<string, { calls: number; usec: number }>, log: (s: string) => void): void {
  const rows = [...after].map(([cmd, a]) => ({ cmd, calls: a.calls - (before.get(cmd)?.calls ?? 0), usec: a.usec - (before.get(cmd)?.usec ?? 0) })).filter((r) => r.calls > 0);
  rows.sort((x, y) => y.usec - x.usec);
  log(`    Redis commands: ${rows.map((r) => `${r.cmd} ${r.calls} calls ${(r.usec / 1000).toFixed(0)} ms`).join(', ')}`);
}
