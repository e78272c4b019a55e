// Issue 5, item 3: the load path's peak RSS for a 100 MB and a 1 GB input object, each loaded
// as ONE chunk by a fresh worker process (the strictest case: neither the object nor the chunk
// may show up in memory). Peak RSS is the worker's VmHWM after the load.
import { closeRuntime } from '../functions/lambda/runtime.js';
import { putGeneratedObject } from './data.js';
import { ingest } from './ingest.js';
import type { BenchInfra } from './infra.js';
import type { Row } from './report.js';
import { summarise } from './stats.js';
import { startLoadWorker } from './workers.js';

export async function measureRss(infra: BenchInfra, dataset: string, sizesMb: number[], reps: number, log: (s: string) => void, options: { gzip?: boolean } = {}): Promise<Row[]> {
  const objects = [];
  const kind = options.gzip ? 'gzip' : 'plain';
  for (const mb of sizesMb) {
    const key = `rss/input-${mb}mb-${kind}.out`;
    const o = await putGeneratedObject(infra, key, mb * 1e6, options);
    objects.push({ mb, key, ...o });
    log(`  put a ${mb} MB ${options.gzip ? `gzip object (${(o.rawBytes / 1e6).toFixed(0)} MB decompressed, ` : 'object ('}${o.records.toLocaleString('en-US')} records)`);
  }
  // One chunk per object: plan with a chunk size above the largest object.
  await closeRuntime();
  const previous = process.env.CHUNK_SIZE_BYTES;
  process.env.CHUNK_SIZE_BYTES = String(4 * 1024 ** 3);
  const peak = new Map<number, number[]>();
  const ready = new Map<number, number[]>();
  const rate = new Map<number, number[]>();
  try {
    for (let rep = 1; rep <= reps; rep++) {
      for (const o of objects) {
        await infra.flush();
        const worker = await startLoadWorker(`rss-${o.mb}mb-${kind}`, { usesRuntime: true });
        try {
          const run = await ingest([worker], dataset, o.key, `rss-${o.mb}-${kind}-${rep}`, true);
          if (run.chunks !== 1) throw new Error(`expected one chunk, planned ${run.chunks}`);
          const outcome = run.outcomes[0]!;
          peak.set(o.mb, [...(peak.get(o.mb) ?? []), outcome.peakRssKb / 1024]);
          ready.set(o.mb, [...(ready.get(o.mb) ?? []), outcome.readyRssKb / 1024]);
          rate.set(o.mb, [...(rate.get(o.mb) ?? []), (run.records / run.loadMs) * 1000]);
          log(`  ${o.mb} MB, rep ${rep}: peak RSS ${(outcome.peakRssKb / 1024).toFixed(0)} MiB (ready ${(outcome.readyRssKb / 1024).toFixed(0)} MiB), ${run.records.toLocaleString('en-US')} records`);
        } finally {
          await worker.stop();
        }
      }
    }
  } finally {
    await infra.flush();
    await closeRuntime();
    if (previous === undefined) delete process.env.CHUNK_SIZE_BYTES;
    else process.env.CHUNK_SIZE_BYTES = previous;
  }
  const section = `Worker memory: peak RSS (VmHWM) of a fresh worker loading one ${options.gzip ? 'gzip-compressed JSON Lines ' : ''}object as a single chunk (WRITE_BATCH_SIZE 1000, WRITE_BATCHES_IN_FLIGHT 4)`;
  const rows: Row[] = [];
  const small = sizesMb[0]!;
  for (const o of objects) {
    const what = options.gzip ? `${o.mb} MB gzip object (${(o.rawBytes / 1e6).toFixed(0)} MB decompressed, ${o.records.toLocaleString('en-US')} records)` : `${o.mb} MB object (${o.records.toLocaleString('en-US')} records)`;
    rows.push({ section, name: `${what}: worker RSS when ready, before loading`, unit: 'MiB', summary: summarise(ready.get(o.mb)!) });
    const p = summarise(peak.get(o.mb)!);
    const base = summarise(peak.get(small)!);
    const flat = o.mb === small ? undefined : { value: p.median / base.median, vs: `${small} MB` };
    rows.push({
      section,
      name: `${o.mb} MB ${options.gzip ? 'gzip ' : ''}object: peak RSS of the load`,
      unit: 'MiB',
      summary: p,
      ...(flat ? { ratio: flat, target: { text: 'flat (≤ 1.2 ×)', met: flat.value <= 1.2 } } : {}),
    });
    rows.push({ section, name: `${o.mb} MB ${options.gzip ? 'gzip ' : ''}object: load rate (one chunk, one worker)`, unit: 'records/s', summary: summarise(rate.get(o.mb)!) });
  }
  return rows;
}
