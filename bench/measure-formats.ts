// Issue 14, item 6: the same records as JSON Lines, CSV and gzip-compressed JSON Lines, each
// loaded by one fresh worker process through plan + loadChunk + commit, interleaved per round
// on an empty cluster. The records are ranked items of 10 integer ids, so every format stores
// exactly the same values (CSV: key column then 10 item columns, `csv.items.trailing: 10`).
import { gzipSync } from 'node:zlib';
import { recommendations } from '../local/sample-data.js';
import { ingest } from './ingest.js';
import type { BenchInfra } from './infra.js';
import { ratioOf, type Row } from './report.js';
import { summarise } from './stats.js';
import { startLoadWorker } from './workers.js';

const PARTS = 4;

export async function measureFormats(infra: BenchInfra, dataset: string, records: number, rounds: number, log: (s: string) => void): Promise<Row[]> {
  const jsonl: string[][] = Array.from({ length: PARTS }, () => []);
  const csv: string[][] = Array.from({ length: PARTS }, () => ['userId,i1,i2,i3,i4,i5,i6,i7,i8,i9,i10']);
  let i = 0;
  for (const r of recommendations({ users: records, itemsPerUser: 10, seed: 11 })) {
    jsonl[i % PARTS]!.push(JSON.stringify({ userId: r.userId, recommendations: r.items }));
    csv[i % PARTS]!.push(`${r.userId},${(r.items as number[]).join(',')}`);
    i++;
  }
  const bytes = { jsonl: 0, csv: 0, gzip: 0 };
  for (let p = 0; p < PARTS; p++) {
    const lines = Buffer.from(jsonl[p]!.join('\n') + '\n');
    const table = Buffer.from(csv[p]!.join('\n') + '\n');
    const packed = gzipSync(lines, { level: 6 });
    bytes.jsonl += lines.length;
    bytes.csv += table.length;
    bytes.gzip += packed.length;
    await infra.put(`formats/jsonl/part-${p}.out`, lines);
    await infra.put(`formats/csv/part-${p}.out`, table);
    await infra.put(`formats/gzip/part-${p}.out`, packed);
  }
  jsonl.length = 0;
  csv.length = 0;
  log(`  formats: ${records.toLocaleString('en-US')} records as JSON Lines (${(bytes.jsonl / 1e6).toFixed(0)} MB), CSV (${(bytes.csv / 1e6).toFixed(0)} MB), gzip JSON Lines (${(bytes.gzip / 1e6).toFixed(0)} MB)`);

  // The CSV layout only applies to CSV objects; the worker reads it at start, like a Lambda.
  const previous = process.env.CSV_LAYOUT;
  process.env.CSV_LAYOUT = JSON.stringify({ items: { trailing: 10 } });
  const worker = await startLoadWorker('formats', { usesRuntime: true });
  const rates = new Map<string, number[]>();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const format of ['jsonl', 'csv', 'gzip'] as const) {
        await infra.flush();
        const run = await ingest([worker], dataset, `formats/${format}/`, `f-${format}-${round}`);
        if (run.records !== records) throw new Error(`${format}: loaded ${run.records} of ${records} records`);
        const rate = (run.records / run.ms) * 1000;
        rates.set(format, [...(rates.get(format) ?? []), rate]);
        log(`  ${format}, round ${round}: ${Math.round(rate).toLocaleString('en-US')} records/s (${run.chunks} chunks)`);
      }
    }
  } finally {
    await worker.stop();
    await infra.flush();
    if (previous === undefined) delete process.env.CSV_LAYOUT;
    else process.env.CSV_LAYOUT = previous;
  }
  const section = `Input formats: the same ${records.toLocaleString('en-US')} records (10 integer ids each), one worker, plan + load + commit`;
  const jsonlRate = summarise(rates.get('jsonl')!);
  const rows: Row[] = [{ section, name: `JSON Lines (${(bytes.jsonl / 1e6).toFixed(0)} MB in ${PARTS} objects)`, unit: 'records/s', summary: jsonlRate }];
  for (const [format, label] of [
    ['csv', `CSV with a header (${(bytes.csv / 1e6).toFixed(0)} MB)`],
    ['gzip', `gzip JSON Lines (${(bytes.gzip / 1e6).toFixed(0)} MB compressed; one chunk per object)`],
  ] as const) {
    const s = summarise(rates.get(format)!);
    const r = ratioOf(s, jsonlRate);
    rows.push({ section, name: label, unit: 'records/s', summary: s, ratio: { value: r, vs: 'JSON Lines' }, target: { text: '≥ 0.7 × JSON Lines', met: r >= 0.7 } });
  }
  return rows;
}
