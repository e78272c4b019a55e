// Issue 21's erasure and suppression figures, each against its own baseline in the same run:
//  - an erase call of 1,000 keys on a dataset with 3 readable versions (S3 log, tombstones, HDEL
//    from every version), in ms;
//  - reads through the real read handler with 1,000 suppressed items against none (throughput,
//    p99), interleaved rounds;
//  - the tombstone half of "a load with 100k tombstones and 100k corrections against a load with
//    none": withTombstones() sets the tombstones up and takes them away again, so a caller can
//    wrap any load measurement in it (the corrections half adds its own around the same load).
import { randomUUID } from 'node:crypto';
import { runtime } from '../functions/lambda/runtime.js';
import { eraseKeys } from '../functions/pipeline/erase-keys.js';
import { controlKeys } from '../functions/domain/key-layout.js';
import { httpLoad, type LoadResult } from './http-load.js';
import type { BenchInfra } from './infra.js';
import { commit, ingest, planAndLoad } from './ingest.js';
import { ratioOf, type Row } from './report.js';
import { summarise } from './stats.js';
import { processCpuUs, startReadServer } from './workers.js';
import type { LoadWorker } from './workers.js';

const SECTION = 'Erasure and suppression (issue 21)';

/** Erase calls of 1,000 distinct keys (users of the input) with 3 readable versions: one live, two retained. */
export async function measureErase(workers: LoadWorker[], dataset: string, prefix: string, users: number, reps: number, log: (s: string) => void): Promise<Row[]> {
  for (const v of ['erase-1', 'erase-2', 'erase-3']) await commit(await planAndLoad(workers, dataset, prefix, v));
  const { pipeline } = (await runtime()).dataset(dataset);
  const ms: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const keys = Array.from({ length: 1000 }, (_, i) => `u${(rep * 1000 + i * 7) % users}`);
    const t = performance.now();
    const result = await eraseKeys({ keys: [...new Set(keys)], reason: 'bench', requestId: randomUUID() }, pipeline);
    ms.push(performance.now() - t);
    if ((result.versions ?? []).length < 3) throw new Error(`erase reached ${result.versions?.length} versions, not 3`);
    log(`erase of ${result.keys} keys from ${result.versions!.length} versions: ${ms[ms.length - 1]!.toFixed(0)} ms`);
  }
  await clearErasures(dataset);
  return [{ section: SECTION, name: 'erase call, 1,000 keys, 3 readable versions (S3 log + tombstones + HDEL from each version)', unit: 'ms', summary: summarise(ms), digits: 0 }];
}

/** Reads through the read handler with `items` suppressed names against none, interleaved, `rounds` each. */
export async function measureSuppressedReads(o: { dataset: string; users: number; items: number; rounds: number; connections: number; warmupMs: number; durationMs: number }, log: (s: string) => void): Promise<Row[]> {
  const { pipeline } = (await runtime()).dataset(o.dataset);
  // Names of items the lists hold ([id, score] pairs, ids below 100,000): about 1 % of all items.
  const names = Array.from({ length: o.items }, (_, i) => String(i * Math.floor(100_000 / o.items)));
  const api = await startReadServer('api');
  const results = { none: [] as LoadResult[], suppressed: [] as LoadResult[] };
  // The read server's CPU per answered request: steadier than req/s on a shared machine.
  const cpu = { none: [] as number[], suppressed: [] as number[] };
  try {
    for (let round = 1; round <= o.rounds; round++) {
      // Alternating which goes first: a drift over the run (the machine, the read server's heap) falls on both.
      for (const variant of round % 2 === 1 ? (['none', 'suppressed'] as const) : (['suppressed', 'none'] as const)) {
        await pipeline.erasures.suppress(names, variant === 'suppressed', randomUUID());
        // The warm-up outlasts the read server's pointer cache (POINTER_CACHE_MS, 1 s): it reads the new set first.
        const cpuBefore = processCpuUs(api.pid);
        const r = await httpLoad({ port: api.port, connections: o.connections, warmupMs: o.warmupMs, durationMs: o.durationMs, path: () => `/users/u${Math.floor(Math.random() * o.users)}/recommendations` });
        if (r.non200 > 0 || r.errors > 0) throw new Error(`${variant}: ${r.non200} non-200 answers, ${r.errors} socket errors`);
        results[variant].push(r);
        cpu[variant].push((processCpuUs(api.pid) - cpuBefore) / r.answered);
        log(`reads, ${variant === 'none' ? 'nothing suppressed' : `${o.items} items suppressed`}, round ${round}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(2)} ms`);
      }
    }
  } finally {
    await api.stop();
    await pipeline.erasures.suppress(names, false, randomUUID());
  }
  const rps = { none: summarise(results.none.map((r) => r.rps)), suppressed: summarise(results.suppressed.map((r) => r.rps)) };
  const p99 = { none: summarise(results.none.map((r) => r.p99Ms)), suppressed: summarise(results.suppressed.map((r) => r.p99Ms)) };
  const cpuUs = { none: summarise(cpu.none), suppressed: summarise(cpu.suppressed) };
  // The machine's pace drifts by more than the filter costs within a run: each round measures both
  // variants back to back, so the ratio per round is the steadier figure (as for the loads).
  const perRound = (f: (i: number) => number) => summarise(results.none.map((_, i) => f(i)));
  const throughput = perRound((i) => results.suppressed[i]!.rps / results.none[i]!.rps);
  const latency = perRound((i) => results.none[i]!.p99Ms / results.suppressed[i]!.p99Ms);
  const cpuRatio = perRound((i) => cpu.none[i]! / cpu.suppressed[i]!);
  const target = (s: { median: number }) => ({ text: '>= 0.95x', met: s.median >= 0.95 });
  return [
    { section: SECTION, name: 'reads, nothing suppressed (user lists, 50 connections)', unit: 'req/s', summary: rps.none },
    { section: SECTION, name: `reads, ${o.items} items suppressed`, unit: 'req/s', summary: rps.suppressed, ratio: { value: ratioOf(rps.suppressed, rps.none), vs: 'none, medians' } },
    { section: SECTION, name: 'read p99, nothing suppressed', unit: 'ms', summary: p99.none, digits: 2 },
    { section: SECTION, name: `read p99, ${o.items} items suppressed`, unit: 'ms', summary: p99.suppressed, digits: 2, ratio: { value: ratioOf(p99.none, p99.suppressed), vs: 'none (p99 none / p99 suppressed), medians' } },
    { section: SECTION, name: 'read server CPU per request, nothing suppressed', unit: 'µs', summary: cpuUs.none },
    { section: SECTION, name: `read server CPU per request, ${o.items} items suppressed`, unit: 'µs', summary: cpuUs.suppressed, ratio: { value: ratioOf(cpuUs.none, cpuUs.suppressed), vs: 'none (none / suppressed), medians' } },
    { section: SECTION, name: 'per round, throughput with items suppressed / with none, measured back to back', unit: '×', summary: throughput, digits: 3, target: target(throughput) },
    { section: SECTION, name: 'per round, p99 with none / p99 with items suppressed', unit: '×', summary: latency, digits: 3, target: target(latency) },
    { section: SECTION, name: 'per round, read server CPU per request with none / with items suppressed', unit: '×', summary: cpuRatio, digits: 3, target: target(cpuRatio) },
  ];
}

/**
 * For the combined figure (tombstones and corrections around one load, measure-puts.ts) and measureTombstoneLoad below.
 * Runs `fn` with `count` tombstones on `dataset` (keys no input holds, so every record still loads
 * and each lookup misses: the cost without the benefit), recorded an hour ago as months-old
 * erasures would be (the sweep before the swap looks at the last 10 minutes only); then takes them away.
 */
export async function withTombstones<T>(dataset: string, count: number, fn: () => Promise<T>): Promise<T> {
  const { pipeline } = (await runtime()).dataset(dataset);
  const at = Date.now() - 3600_000;
  for (let from = 0; from < count; from += 1000) {
    const keys = Array.from({ length: Math.min(1000, count - from) }, (_, i) => `erased-${from + i}`);
    await pipeline.erasures.addTombstones(keys, { at, reason: 'bench', requestId: 'bench' }, randomUUID());
  }
  try {
    return await fn();
  } finally {
    await clearErasures(dataset);
  }
}

/** Takes every tombstone of the dataset away (bench only: an operator lifts them by name). */
async function clearErasures(dataset: string): Promise<void> {
  const rt = await runtime();
  const k = controlKeys(dataset);
  await rt.redis.del(k.tombstones, k.tombstonesAt);
  await rt.redis.set(k.tombstonesGeneration, randomUUID());
}

/** A whole load (plan, chunks, commit) of `prefix` with 100k tombstones against none, interleaved. */
export async function measureTombstoneLoad(infra: BenchInfra, workers: LoadWorker[], dataset: string, prefix: string, tombstones: number, reps: number, log: (s: string) => void): Promise<Row[]> {
  const ms = { none: [] as number[], tombstones: [] as number[] };
  for (let rep = 0; rep < reps; rep++) {
    for (const variant of ['none', 'tombstones'] as const) {
      await infra.flush();
      const run = () => ingest(workers, dataset, prefix, `tomb-${variant}-${rep}`);
      const r = variant === 'none' ? await run() : await withTombstones(dataset, tombstones, run);
      ms[variant].push(r.ms);
      log(`load, ${variant === 'none' ? 'no tombstones' : `${tombstones} tombstones`}, rep ${rep + 1}: ${(r.ms / 1000).toFixed(2)} s, ${r.records} records`);
    }
  }
  const none = summarise(ms.none);
  const with_ = summarise(ms.tombstones);
  const ratio = ratioOf(with_, none);
  return [
    { section: SECTION, name: 'load (plan, chunks, commit), no tombstones', unit: 'ms', summary: none },
    { section: SECTION, name: `the same load with ${tombstones.toLocaleString('en-US')} tombstones (tombstone half of the issue's figure)`, unit: 'ms', summary: with_, ratio: { value: ratio, vs: 'none' }, target: { text: '<= 1.05x', met: ratio <= 1.05 } },
  ];
}
