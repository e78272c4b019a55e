// Issue 14, items 6 and 7: the same records as JSON Lines, CSV, gzip-compressed JSON Lines and
// Parquet, each loaded by one worker process through plan + loadChunk + commit, interleaved per
// round on an empty cluster. Ranked items of 10 integer ids (CSV: the key column then 10 item
// columns, `csv.items.trailing: 10`; Parquet: a list column), so every format stores exactly the
// same values; and feature rows of 8 typed fields as JSON Lines and Parquet, against ranked
// items of about the same bytes per record.
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { closeRuntime } from '../functions/lambda/runtime.js';
import { datasetsFile } from '../local/datasets-file.js';
import { prng, recommendations } from '../local/sample-data.js';
import { rankedItemsParquet } from '../local/sample-parquet.js';
import { ingest } from './ingest.js';
import type { BenchInfra } from './infra.js';
import { ratioOf, type Row } from './report.js';
import { summarise } from './stats.js';
import { startLoadWorker } from './workers.js';

const PARTS = 4;
const ROWS_DATASET = 'benchrows';

export async function measureFormats(infra: BenchInfra, dataset: string, records: number, rounds: number, log: (s: string) => void): Promise<Row[]> {
  const jsonl: string[][] = Array.from({ length: PARTS }, () => []);
  const csv: string[][] = Array.from({ length: PARTS }, () => ['userId,i1,i2,i3,i4,i5,i6,i7,i8,i9,i10']);
  let i = 0;
  for (const r of recommendations({ users: records, itemsPerUser: 10, seed: 11 })) {
    jsonl[i % PARTS]!.push(JSON.stringify({ userId: r.userId, recommendations: r.items }));
    csv[i % PARTS]!.push(`${r.userId},${(r.items as number[]).join(',')}`);
    i++;
  }
  const bytes: Record<string, number> = { jsonl: 0, csv: 0, gzip: 0, parquet: 0, rows: 0, rowsParquet: 0, wide: 0 };
  for (let p = 0; p < PARTS; p++) {
    const lines = Buffer.from(jsonl[p]!.join('\n') + '\n');
    const table = Buffer.from(csv[p]!.join('\n') + '\n');
    const packed = gzipSync(lines, { level: 6 });
    bytes.jsonl! += lines.length;
    bytes.csv! += table.length;
    bytes.gzip! += packed.length;
    await infra.put(`formats/jsonl/part-${p}.out`, lines);
    await infra.put(`formats/csv/part-${p}.out`, table);
    await infra.put(`formats/gzip/part-${p}.out`, packed);
  }
  jsonl.length = 0;
  csv.length = 0;
  // Parquet: one file per part, row groups of 100k rows (pyarrow's and Spark's defaults are larger).
  const users = [...recommendations({ users: records, itemsPerUser: 10, seed: 11 })];
  const per = Math.ceil(records / PARTS);
  for (let p = 0; p < PARTS; p++) {
    const slice = users.slice(p * per, (p + 1) * per);
    const file = rankedItemsParquet(slice, 100_000);
    bytes.parquet! += file.length;
    await infra.put(`formats/parquet/part-${p}.out`, file);
  }
  users.length = 0;
  // Feature rows: 8 typed fields, as JSON Lines and as Parquet.
  const rand = prng(5);
  const fields = { f1: 'number', f2: 'number', f3: 'number', f4: 'integer', f5: 'integer', f6: 'integer', segment: 'string', active: 'boolean' } as const;
  for (let p = 0; p < PARTS; p++) {
    const rows: Record<string, unknown>[] = [];
    for (let i = p * per; i < Math.min(records, (p + 1) * per); i++) {
      rows.push({ customer_id: `c${i}`, f1: Math.round(rand() * 1e6) / 1e3, f2: Math.round(rand() * 1e4) / 1e2, f3: Math.round(rand() * 1e5) / 1e4, f4: Math.floor(rand() * 1e6), f5: Math.floor(rand() * 100), f6: Math.floor(rand() * 5), segment: rand() < 0.5 ? 'retail' : 'business', active: rand() < 0.8 });
    }
    const lines = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    bytes.rows! += lines.length;
    await infra.put(`formats/rows-jsonl/part-${p}.out`, lines);
    const file = Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'customer_id', data: rows.map((r) => r.customer_id), type: 'STRING' },
          ...(['f1', 'f2', 'f3'] as const).map((f) => ({ name: f, data: rows.map((r) => r[f]), type: 'DOUBLE' as const })),
          ...(['f4', 'f5', 'f6'] as const).map((f) => ({ name: f, data: rows.map((r) => r[f]), type: 'INT32' as const })),
          { name: 'segment', data: rows.map((r) => r.segment), type: 'STRING' },
          { name: 'active', data: rows.map((r) => r.active), type: 'BOOLEAN' },
        ],
        rowGroupSize: 100_000,
      }),
    );
    bytes.rowsParquet! += file.length;
    await infra.put(`formats/rows-parquet/part-${p}.out`, file);
  }
  // Ranked items with as many bytes a line as the feature rows (the issue's yardstick): the item
  // count whose lines come closest on average.
  const rowBytes = bytes.rows! / records;
  const lineBytes = (n: number) => {
    let total = 0;
    for (const r of recommendations({ users: 1000, itemsPerUser: n, seed: 13 })) total += JSON.stringify({ userId: r.userId, recommendations: r.items }).length + 1;
    return total / 1000;
  };
  let wideItems = 10;
  while (Math.abs(lineBytes(wideItems + 1) - rowBytes) < Math.abs(lineBytes(wideItems) - rowBytes)) wideItems++;
  const wide: string[][] = Array.from({ length: PARTS }, () => []);
  i = 0;
  for (const r of recommendations({ users: records, itemsPerUser: wideItems, seed: 13 })) wide[i++ % PARTS]!.push(JSON.stringify({ userId: r.userId, recommendations: r.items }));
  for (let p = 0; p < PARTS; p++) {
    const lines = Buffer.from(wide[p]!.join('\n') + '\n');
    bytes.wide! += lines.length;
    await infra.put(`formats/ranked-wide/part-${p}.out`, lines);
  }
  wide.length = 0;
  

  // Two datasets for this section; the workers (and the driver's Plan/Commit) read them at start, like a Lambda.
  const previous = { SLUICE_DATASETS_FILE: process.env.SLUICE_DATASETS_FILE };
  process.env.SLUICE_DATASETS_FILE = datasetsFile({ name: dataset, csv: { items: { trailing: 10 } } }, { name: ROWS_DATASET, kind: 'feature-rows', key: 'customer_id', fields });
  log(`  formats: ${Object.entries(bytes).map(([k, v]) => `${k} ${(v / 1e6).toFixed(1)} MB`).join(', ')}`);
  await closeRuntime();
  const worker = await startLoadWorker('formats', { usesRuntime: true });
  const rates = new Map<string, number[]>();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const format of ['jsonl', 'csv', 'gzip', 'parquet', 'ranked-wide', 'rows-jsonl', 'rows-parquet'] as const) {
        await infra.flush();
        const run = await ingest([worker], format.startsWith('rows') ? ROWS_DATASET : dataset, `formats/${format}/`, `f-${format}-${round}`);
        if (run.records !== records) throw new Error(`${format}: loaded ${run.records} of ${records} records`);
        const rate = (run.records / run.ms) * 1000;
        rates.set(format, [...(rates.get(format) ?? []), rate]);
        log(`  ${format}, round ${round}: ${Math.round(rate).toLocaleString('en-US')} records/s (${run.chunks} chunks)`);
      }
    }
  } finally {
    await worker.stop();
    await infra.flush();
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await closeRuntime();
  }
  const section = `Input formats: the same ${records.toLocaleString('en-US')} records (10 integer ids each), one worker, plan + load + commit`;
  const jsonlRate = summarise(rates.get('jsonl')!);
  const rows: Row[] = [{ section, name: `JSON Lines (${(bytes.jsonl! / 1e6).toFixed(0)} MB in ${PARTS} objects)`, unit: 'records/s', summary: jsonlRate }];
  for (const [format, label] of [
    ['csv', `CSV with a header (${(bytes.csv! / 1e6).toFixed(0)} MB)`],
    ['gzip', `gzip JSON Lines (${(bytes.gzip! / 1e6).toFixed(0)} MB compressed; one chunk per object)`],
    ['parquet', `Parquet, list column (${(bytes.parquet! / 1e6).toFixed(0)} MB, row groups of 100k rows)`],
  ] as const) {
    const s = summarise(rates.get(format)!);
    const r = ratioOf(s, jsonlRate);
    rows.push({ section, name: label, unit: 'records/s', summary: s, ratio: { value: r, vs: 'JSON Lines' }, target: { text: '≥ 0.7 × JSON Lines', met: r >= 0.7 } });
  }
  const rowsSection = `Feature rows: ${records.toLocaleString('en-US')} rows of 8 typed fields (${((bytes.rows! / records) | 0)} bytes a JSON line), one worker`;
  const rowsJsonl = summarise(rates.get('rows-jsonl')!);
  const wideRate = summarise(rates.get('ranked-wide')!);
  const rw = ratioOf(rowsJsonl, wideRate);
  rows.push({ section: rowsSection, name: `ranked items JSON Lines with as many bytes a line (${wideItems} integer ids, ${((bytes.wide! / records) | 0)} bytes a line)`, unit: 'records/s', summary: wideRate });
  rows.push({ section: rowsSection, name: 'feature rows, JSON Lines', unit: 'records/s', summary: rowsJsonl, ratio: { value: rw, vs: 'ranked items of the same bytes' }, target: { text: '≥ 0.9 × ranked items', met: rw >= 0.9 } });
  rows.push({ section: rowsSection, name: `feature rows, JSON Lines, against the 10-id ranked items above (${((bytes.jsonl! / records) | 0)} bytes a line)`, unit: 'records/s', summary: rowsJsonl, ratio: { value: ratioOf(rowsJsonl, jsonlRate), vs: 'ranked items' } });
  const rowsParquet = summarise(rates.get('rows-parquet')!);
  rows.push({ section: rowsSection, name: `feature rows, Parquet (${(bytes.rowsParquet! / 1e6).toFixed(0)} MB)`, unit: 'records/s', summary: rowsParquet, ratio: { value: ratioOf(rowsParquet, rowsJsonl), vs: 'feature rows JSON Lines' } });
  return rows;
}
