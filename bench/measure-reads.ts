// Issue 5, item 4: reads through the local HTTP API (the real read handler) against a bare
// node:http + ioredis server, same data, same load generator, interleaved rounds; and the
// Redis time of a read, from Redis itself (commandstats, latency histogram) and from a client.
import type { Redis } from 'ioredis';
import { bucketOf, controlKeys, dataKey } from '../functions/domain/key-layout.js';
import { httpLoad, type LoadResult } from './http-load.js';
import type { BenchInfra } from './infra.js';
import { parseInfo } from '../functions/domain/redis-info.js';
import { ratioOf, type Row } from './report.js';
import { quantile, Samples, summarise } from './stats.js';
import { processCpuUs, startReadServer } from './workers.js';

export interface ReadOptions {
  dataset: string;
  users: number;
  rounds: number;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

interface RedisTime {
  /** Redis commands per answered request. */
  commandsPerRequest: number;
  /** Server-side µs per HGET: mean (commandstats), p50/p99 (latency histogram bucket bounds). */
  hgetMeanUs: number;
  hgetP50Us: number;
  hgetP99Us: number;
  /** Server-side µs of all commands per answered request. */
  usPerRequest: number;
}

const randomUser = (users: number) => () => `/users/u${Math.floor(Math.random() * users)}/recommendations`;

async function resetStats(masters: Redis[]): Promise<void> {
  await Promise.all(masters.map((m) => m.config('RESETSTAT')));
}

/** Merges HGET latency histograms of the masters; returns the bucket bound (µs) at each quantile. */
async function hgetHistogram(masters: Redis[]): Promise<{ p50: number; p99: number }> {
  const counts = new Map<number, number>();
  for (const m of masters) {
    const reply = (await m.call('LATENCY', 'HISTOGRAM', 'hget')) as unknown[];
    const body = (reply[1] ?? []) as unknown[];
    const i = body.indexOf('histogram_usec');
    const hist = (body[i + 1] ?? []) as number[];
    // Cumulative counts per power-of-two bucket: turn them into per-bucket counts.
    let prev = 0;
    for (let j = 0; j < hist.length; j += 2) {
      counts.set(hist[j]!, (counts.get(hist[j]!) ?? 0) + hist[j + 1]! - prev);
      prev = hist[j + 1]!;
    }
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const at = (q: number): number => {
    let seen = 0;
    for (const [bound, n] of [...counts].sort((a, b) => a[0] - b[0])) {
      seen += n;
      if (seen >= q * total) return bound;
    }
    return Number.NaN;
  };
  return { p50: at(0.5), p99: at(0.99) };
}

async function redisTime(masters: Redis[], answered: number): Promise<RedisTime> {
  let calls = 0;
  let usec = 0;
  let hgetCalls = 0;
  let hgetUsec = 0;
  for (const m of masters) {
    for (const [k, v] of parseInfo(await m.info('commandstats'))) {
      if (!k.startsWith('cmdstat_') || k === 'cmdstat_config' || k === 'cmdstat_info' || k === 'cmdstat_latency' || k === 'cmdstat_cluster') continue;
      const c = Number(/calls=(\d+)/.exec(v)?.[1] ?? 0);
      const u = Number(/usec=(\d+)/.exec(v)?.[1] ?? 0);
      calls += c;
      usec += u;
      if (k === 'cmdstat_hget') {
        hgetCalls += c;
        hgetUsec += u;
      }
    }
  }
  const hist = await hgetHistogram(masters);
  return { commandsPerRequest: calls / answered, usPerRequest: usec / answered, hgetMeanUs: hgetUsec / hgetCalls, hgetP50Us: hist.p50, hgetP99Us: hist.p99 };
}

/** One HGET at a time from one client, as the read Lambda issues it: round trip in µs. */
async function clientRoundTrips(infra: BenchInfra, dataset: string, users: number, count: number): Promise<{ p50: number; p99: number }> {
  const pointer = JSON.parse((await infra.admin.get(controlKeys(dataset).current))!) as { version: string; buckets: number };
  const samples = new Samples();
  for (let i = 0; i < count; i++) {
    const user = `u${Math.floor(Math.random() * users)}`;
    const t = performance.now();
    await infra.admin.hget(dataKey(dataset, pointer.version, bucketOf(user, pointer.buckets)), user);
    samples.push((performance.now() - t) * 1000);
  }
  return { p50: quantile(samples.values(), 0.5), p99: quantile(samples.values(), 0.99) };
}

export async function measureReads(infra: BenchInfra, o: ReadOptions, log: (s: string) => void): Promise<Row[]> {
  const api = await startReadServer('api');
  const bare = await startReadServer('bare');
  const core = await startReadServer('core');
  const results = { api: [] as LoadResult[], pinned: [] as LoadResult[], bare: [] as LoadResult[], core: [] as LoadResult[] };
  const times = { api: [] as RedisTime[], pinned: [] as RedisTime[], bare: [] as RedisTime[], core: [] as RedisTime[] };
  const cpuUs = { api: [] as number[], pinned: [] as number[], bare: [] as number[], core: [] as number[] };
  // `pinned`: the same handler asked for the live version by name (?version=), a pinned read.
  const live = JSON.parse((await infra.admin.get(controlKeys(o.dataset).current))!) as { version: string };
  const pinnedPath = () => `${randomUser(o.users)()}?version=${encodeURIComponent(live.version)}`;
  const rtt: { p50: number; p99: number }[] = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      for (const [name, server] of [['api', api], ['pinned', api], ['bare', bare], ['core', core]] as const) {
        await resetStats(infra.masters());
        const cpuBefore = processCpuUs(server.pid);
        const path = name === 'pinned' ? pinnedPath : randomUser(o.users);
        const r = await httpLoad({ port: server.port, connections: o.connections, warmupMs: o.warmupMs, durationMs: o.durationMs, path });
        if (r.non200 > 0 || r.errors > 0) throw new Error(`${name}: ${r.non200} non-200 answers, ${r.errors} socket errors`);
        results[name].push(r);
        cpuUs[name].push((processCpuUs(server.pid) - cpuBefore) / r.answered);
        times[name].push(await redisTime(infra.masters(), r.answered));
        log(`  reads round ${round}, ${name}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`);
      }
      rtt.push(await clientRoundTrips(infra, o.dataset, o.users, 20_000));
    }
  } finally {
    await Promise.all([api.stop(), bare.stop(), core.stop()]);
  }
  const section = `Reads: GET /users/{id}/recommendations, ${o.connections} connections, random existing users of 1M, ${o.durationMs / 1000} s per run`;
  const rows: Row[] = [];
  const of = (name: 'api' | 'pinned' | 'bare' | 'core', f: (r: LoadResult) => number) => summarise(results[name].map(f));
  const bareRps = of('bare', (r) => r.rps);
  const apiRps = of('api', (r) => r.rps);
  const bareP99 = of('bare', (r) => r.p99Ms);
  const apiP99 = of('api', (r) => r.p99Ms);
  rows.push({ section, name: 'bare node:http + ioredis (pointer GET + data HGET)', unit: 'req/s', summary: bareRps });
  rows.push({ section, name: 'Sluice read handler behind local/api-server.ts', unit: 'req/s', summary: apiRps, ratio: { value: ratioOf(apiRps, bareRps), vs: 'bare' }, target: { text: '≥ 1.0 × bare', met: apiRps.median >= bareRps.median } });
  const pinnedRps = of('pinned', (r) => r.rps);
  rows.push({ section, name: 'Sluice read handler, pinned to the live version (?version=)', unit: 'req/s', summary: pinnedRps, ratio: { value: ratioOf(pinnedRps, apiRps), vs: 'unpinned' } });
  const coreRps = of('core', (r) => r.rps);
  rows.push({ section, name: 'Sluice read path without the Lambda layer (no API Gateway event, no routing)', unit: 'req/s', summary: coreRps, ratio: { value: ratioOf(coreRps, bareRps), vs: 'bare' } });
  const cpu = (name: 'api' | 'pinned' | 'bare' | 'core') => summarise(cpuUs[name]);
  rows.push({ section, name: 'bare: server CPU per request (user + sys)', unit: 'µs', summary: cpu('bare'), digits: 1 });
  rows.push({ section, name: 'Sluice: server CPU per request (user + sys)', unit: 'µs', summary: cpu('api'), digits: 1, ratio: { value: ratioOf(cpu('api'), cpu('bare')), vs: 'bare' } });
  rows.push({ section, name: 'Sluice without the Lambda layer: server CPU per request', unit: 'µs', summary: cpu('core'), digits: 1, ratio: { value: ratioOf(cpu('core'), cpu('bare')), vs: 'bare' } });
  rows.push({ section, name: 'Sluice, pinned read: server CPU per request', unit: 'µs', summary: cpu('pinned'), digits: 1, ratio: { value: ratioOf(cpu('pinned'), cpu('api')), vs: 'unpinned' } });
  rows.push({ section, name: 'bare: p50 latency', unit: 'ms', summary: of('bare', (r) => r.p50Ms), digits: 2 });
  rows.push({ section, name: 'Sluice: p50 latency', unit: 'ms', summary: of('api', (r) => r.p50Ms), digits: 2, ratio: { value: ratioOf(of('api', (r) => r.p50Ms), of('bare', (r) => r.p50Ms)), vs: 'bare' } });
  rows.push({ section, name: 'bare: p99 latency', unit: 'ms', summary: bareP99, digits: 2 });
  rows.push({ section, name: 'Sluice: p99 latency', unit: 'ms', summary: apiP99, digits: 2, ratio: { value: ratioOf(apiP99, bareP99), vs: 'bare' }, target: { text: 'p99 ≤ bare', met: apiP99.median <= bareP99.median } });

  const rt = `Redis time per read (Redis's own accounting during the runs above; client round trip on an idle cluster)`;
  const t = (name: 'api' | 'bare', f: (r: RedisTime) => number) => summarise(times[name].map(f));
  rows.push({ section: rt, name: 'HGET inside Redis, mean (INFO commandstats)', unit: 'µs', summary: t('api', (r) => r.hgetMeanUs), digits: 2 });
  rows.push({ section: rt, name: 'HGET inside Redis, p50 (LATENCY HISTOGRAM bucket bound)', unit: 'µs', summary: t('api', (r) => r.hgetP50Us) });
  rows.push({ section: rt, name: 'HGET inside Redis, p99 (LATENCY HISTOGRAM bucket bound)', unit: 'µs', summary: t('api', (r) => r.hgetP99Us) });
  rows.push({ section: rt, name: 'Sluice: Redis commands per request', unit: 'commands', summary: t('api', (r) => r.commandsPerRequest), digits: 3 });
  rows.push({ section: rt, name: 'bare: Redis commands per request', unit: 'commands', summary: t('bare', (r) => r.commandsPerRequest), digits: 3 });
  const apiUs = t('api', (r) => r.usPerRequest);
  const bareUs = t('bare', (r) => r.usPerRequest);
  rows.push({ section: rt, name: 'bare: Redis time per request, all commands', unit: 'µs', summary: bareUs, digits: 2 });
  rows.push({ section: rt, name: 'Sluice: Redis time per request, all commands', unit: 'µs', summary: apiUs, digits: 2, ratio: { value: ratioOf(apiUs, bareUs), vs: 'bare' } });
  rows.push({ section: rt, name: 'one HGET round trip from a Node client, p50', unit: 'µs', summary: summarise(rtt.map((r) => r.p50)) });
  rows.push({ section: rt, name: 'one HGET round trip from a Node client, p99', unit: 'µs', summary: summarise(rtt.map((r) => r.p99)) });
  return rows;
}
