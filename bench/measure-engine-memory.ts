// Issue 15, item 4: the memory rows on both engines. The same 1M-record JSON Lines load goes into
// a fresh 3-master cluster of each engine (Redis from the machine, Valkey 8 from
// scripts/fetch-valkey.sh), and used_memory is summed over the masters before and after. The
// allocator each build uses is printed beside it: the PyPI wheel's Valkey uses libc malloc, where
// ElastiCache (and Debian's Redis) use jemalloc, so the Valkey figure here is not ElastiCache's.
import { Redis } from 'ioredis';
import { REDIS_SERVER_SETTINGS } from '../functions/domain/server-settings.js';
import { parseInfo } from '../functions/domain/redis-info.js';
import { closeRuntime } from '../functions/lambda/runtime.js';
import { valkeyPresent, type EngineName } from '../local/redis-cluster/engine.js';
import { startRedisCluster } from '../local/redis-cluster.js';
import { ingest } from './ingest.js';
import { withoutChecks } from './measure-checks.js';
import { ratioOf, type Row } from './report.js';
import { summarise, type Summary } from './stats.js';
import { startLoadWorker } from './workers.js';

export async function measureEngineMemory(dataset: string, prefix: string, records: number, log: (s: string) => void): Promise<Row[]> {
  const engines: EngineName[] = valkeyPresent() ? ['redis', 'valkey'] : ['redis'];
  if (engines.length === 1) log('  Valkey not found (bash scripts/fetch-valkey.sh): the engine rows measure Redis only');
  const measured: { engine: EngineName; label: string; perRecord: Summary }[] = [];
  for (const engine of engines) {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0, settings: { ...REDIS_SERVER_SETTINGS }, engine });
    const masters = cluster.nodes.filter((n) => n.role === 'master').map((n) => new Redis({ host: n.host, port: n.port, lazyConnect: true }));
    const env = { REDIS_HOST: cluster.seeds[0]!.host, REDIS_PORT: String(cluster.seeds[0]!.port), BENCH_REDIS_SEEDS: cluster.seeds.map((s) => `${s.host}:${s.port}`).join(',') };
    const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    let worker: Awaited<ReturnType<typeof startLoadWorker>> | undefined;
    try {
      Object.assign(process.env, env);
      await closeRuntime();
      worker = await startLoadWorker(`memory-${engine}`, { usesRuntime: true, env });
      const used = async () => {
        let total = 0;
        for (const m of masters) total += Number(parseInfo(await m.info('memory')).get('used_memory'));
        return total;
      };
      const before = await used();
      const run = await ingest([worker], withoutChecks(dataset), prefix, `memory-${engine}`);
      if (run.records !== records) throw new Error(`the ${engine} load wrote ${run.records} records, expected ${records}`);
      const perRecord = (await used()) - before;
      const memInfo = parseInfo(await masters[0]!.info('memory'));
      const label = `${cluster.engine.version.split(' ').slice(0, 3).join(' ')}, ${memInfo.get('mem_allocator') ?? 'allocator unknown'}`;
      measured.push({ engine, label, perRecord: summarise([perRecord / records]) });
      log(`  ${label}: ${(perRecord / records).toFixed(1)} B/record`);
    } finally {
      await worker?.stop();
      await closeRuntime();
      for (const m of masters) m.disconnect();
      await cluster.stop();
      for (const [k, v] of Object.entries(previous)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }
  const section = `Redis memory per record on each engine: ${(records / 1e6).toString()}M JSON Lines records (10 scored items), Sluice's bucketed hashes, a fresh 3-master cluster each (sum of used_memory, after − before)`;
  const base = measured[0]!;
  return measured.map((m) => ({
    section,
    name: m.label,
    unit: 'bytes',
    summary: m.perRecord,
    digits: 1,
    ...(m === base ? {} : { ratio: { value: ratioOf(m.perRecord, base.perRecord), vs: base.engine } }),
  }));
}
