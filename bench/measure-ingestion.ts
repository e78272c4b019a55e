// Issue 5, items 1 and 2: ingestion throughput against the two baselines, and Redis memory per
// record against one string per record. Repetitions are interleaved (round 1 of everything,
// then round 2...) so a noisy neighbour slows every variant alike, and each load starts from an
// empty cluster so used_memory before/after is that load's alone.
import { bucketCountFor } from '../functions/domain/key-layout.js';
import type { Inputs } from './data.js';
import { ingest } from './ingest.js';
import { BUCKET, type BenchInfra } from './infra.js';
import type { LoadJob } from './protocol.js';
import { ratioOf, type Row } from './report.js';
import { summarise } from './stats.js';
import type { LoadWorker } from './workers.js';

export interface IngestionWorkers {
  sluice: [LoadWorker, LoadWorker];
  baseline: LoadWorker;
}

interface Sample {
  recordsPerSecond: number;
  bytesPerRecord?: number;
  rawBytesPerRecord?: number;
  /** Redis CPU (all masters, user + sys) per record written. */
  redisCpuUs: number;
}

/** Pipelines of 1000 like Sluice's WRITE_BATCH_SIZE; 2 in flight per master was the fastest setting tried (1, 2, 4). */
const CEILING = { batch: 1000, inFlightPerMaster: 2 };

/** Per-worker figures the on-paper scaling section starts from (medians, scored JSON Lines). */
export interface IngestionFigures {
  workerRecordsPerSecond: number;
  redisCpuUsPerRecord: number;
  redisBytesPerRecord: number;
  inputBytesPerRecord: number;
}

export async function measureIngestion(
  infra: BenchInfra,
  w: IngestionWorkers,
  inputs: Inputs,
  dataset: string,
  rounds: number,
  awaitedLimit: number,
  log: (s: string) => void,
): Promise<{ rows: Row[]; figures: IngestionFigures }> {
  const samples = new Map<string, Sample[]>();
  const add = (name: string, s: Sample) => samples.set(name, [...(samples.get(name) ?? []), s]);

  /** Runs one load on an empty cluster; returns its rate and Redis bytes per record. */
  const measured = async (name: string, load: () => Promise<{ records: number; ms: number; rawBytes?: number }>): Promise<void> => {
    await infra.flush();
    const before = await infra.usedMemory();
    const cpuBefore = await infra.redisCpuSeconds();
    const r = await load();
    const cpuAfter = await infra.redisCpuSeconds();
    const after = await infra.usedMemory();
    const s: Sample = { recordsPerSecond: (r.records / r.ms) * 1000, bytesPerRecord: (after - before) / r.records, redisCpuUs: ((cpuAfter - cpuBefore) * 1e6) / r.records };
    if (r.rawBytes !== undefined) s.rawBytesPerRecord = r.rawBytes / r.records;
    add(name, s);
    log(`  ${name}: ${Math.round(s.recordsPerSecond).toLocaleString('en-US')} records/s, ${s.bytesPerRecord!.toFixed(1)} B/record in Redis`);
  };
  const ceiling = (source: Extract<LoadJob, { kind: 'pipelined-ceiling' }>['source'], layout: 'buckets' | 'strings', bytes: number, version: string) =>
    w.baseline.run({ kind: 'pipelined-ceiling', source, layout, dataset, version, buckets: bucketCountFor(bytes), ...CEILING }).then((o) => ({ ...o, rawBytes: o.bytes }));
  const awaited = (keys: string[], format: 'jsonl' | 'pandas') =>
    w.baseline.run({ kind: 'one-awaited-write', bucket: BUCKET, keys, format, limit: awaitedLimit, prefix: `benchA:${format}:` });

  for (let round = 1; round <= rounds; round++) {
    log(`ingestion, round ${round}/${rounds}`);
    const scored = { kind: 'scored-lines' as const, users: inputs.scored.records };
    const pandas = { kind: 'pandas-document' as const, users: inputs.pandas.records };
    await measured('jsonl:A', () => awaited(inputs.scored.keys, 'jsonl'));
    await measured('jsonl:B', () => ceiling(scored, 'buckets', inputs.scored.bytes, `b${round}`));
    await measured('jsonl:sluice', () => ingest([w.sluice[0]], dataset, inputs.scored.prefix, `s${round}`));
    await measured('jsonl:sluice2', () => ingest(w.sluice, dataset, inputs.scored.prefix, `t${round}`));
    await measured('jsonl:strings', () => ceiling(scored, 'strings', inputs.scored.bytes, `c${round}`));
    await measured('pandas:A', () => awaited([inputs.pandas.key], 'pandas'));
    await measured('pandas:B', () => ceiling(pandas, 'buckets', inputs.pandas.bytes, `pb${round}`));
    await measured('pandas:sluice', () => ingest([w.sluice[0]], dataset, inputs.pandas.key, `p${round}`, true));
    await measured('pandas:strings', () => ceiling(pandas, 'strings', inputs.pandas.bytes, `pc${round}`));
  }
  await infra.flush();

  const rate = (name: string) => summarise(samples.get(name)!.map((s) => s.recordsPerSecond));
  const mem = (name: string) => summarise(samples.get(name)!.map((s) => s.bytesPerRecord!));
  const raw = (name: string) => summarise(samples.get(name)!.map((s) => s.rawBytesPerRecord!));
  const rows: Row[] = [];
  const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
  for (const [format, label] of [
    ['jsonl', `1M JSON Lines records (${mb(inputs.scored.bytes)} MB, 10 scored items each)`],
    ['pandas', `the AWS sample's pandas document, 1M users (${mb(inputs.pandas.bytes)} MB, 1-10 integer ids)`],
  ] as const) {
    const section = `Ingestion: ${label}`;
    const a = rate(`${format}:A`);
    const b = rate(`${format}:B`);
    const s = rate(`${format}:sluice`);
    rows.push({ section, name: `baseline A: one awaited HSET per record (first ${awaitedLimit.toLocaleString('en-US')} records)`, unit: 'records/s', summary: a });
    rows.push({ section, name: 'baseline B: pre-encoded, pipelines of 1000 per master (same HSETs)', unit: 'records/s', summary: b });
    const sb = ratioOf(s, b);
    const sa = ratioOf(s, a);
    rows.push({ section, name: 'Sluice, one worker process (plan + loadChunk + commit)', unit: 'records/s', summary: s, ratio: { value: sb, vs: 'B' }, target: { text: '≥ 0.7 × B', met: sb >= 0.7 } });
    rows.push({ section, name: 'Sluice, one worker process, against A', unit: 'records/s', summary: s, ratio: { value: sa, vs: 'A' }, target: { text: '≥ 10 × A', met: sa >= 10 } });
    if (format === 'jsonl') {
      const s2 = rate('jsonl:sluice2');
      const r2 = ratioOf(s2, b);
      rows.push({ section, name: 'Sluice, two worker processes', unit: 'records/s', summary: s2, ratio: { value: r2, vs: 'B' }, target: { text: '≥ 0.7 × B', met: r2 >= 0.7 } });
      rows.push({ section, name: 'Sluice, two worker processes, against one', unit: 'records/s', summary: s2, ratio: { value: ratioOf(s2, s), vs: 'one worker' } });
    }
    const cpu = summarise(samples.get(`${format}:sluice`)!.map((x) => x.redisCpuUs));
    rows.push({ section, name: 'Redis CPU per record written by Sluice (3 masters, user + sys)', unit: 'µs', summary: cpu, digits: 2 });
  }
  for (const [format, label] of [
    ['jsonl', '10 scored items per user'],
    ['pandas', 'AWS-sample-like, 1-10 integer ids per user'],
  ] as const) {
    const section = 'Redis memory per record (sum of used_memory over the 3 masters, after − before)';
    const rawBytes = raw(`${format}:B`);
    const buckets = mem(`${format}:sluice`);
    const strings = mem(`${format}:strings`);
    const ratio = ratioOf(buckets, rawBytes);
    rows.push({ section, name: `${label}: raw record key + value`, unit: 'bytes', summary: rawBytes, digits: 1 });
    rows.push({ section, name: `${label}: one string key per record`, unit: 'bytes', summary: strings, digits: 1, ratio: { value: ratioOf(strings, rawBytes), vs: 'raw' } });
    rows.push({ section, name: `${label}: Sluice bucketed listpack hashes`, unit: 'bytes', summary: buckets, digits: 1, ratio: { value: ratio, vs: 'raw' }, target: { text: '≤ 1.5 × raw', met: ratio <= 1.5 } });
    rows.push({ section, name: `${label}: Sluice against one string per record`, unit: 'bytes', summary: buckets, digits: 1, ratio: { value: ratioOf(buckets, strings), vs: 'strings' } });
  }
  const figures: IngestionFigures = {
    workerRecordsPerSecond: rate('jsonl:sluice').median,
    redisCpuUsPerRecord: summarise(samples.get('jsonl:sluice')!.map((x) => x.redisCpuUs)).median,
    redisBytesPerRecord: mem('jsonl:sluice').median,
    inputBytesPerRecord: inputs.scored.bytes / inputs.scored.records,
  };
  return { rows, figures };
}
