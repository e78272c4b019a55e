// Parquet: recognised by its magic bytes, planned by its row groups (each decoded whole by one
// worker; pipeline/parquet-source.ts reads them with hyparquet), rows shaped by parquet-row.ts.
import type { Recognised, RowFormat } from '../format.js';
import type { SniffedHead } from '../sniff.js';
import { parquetColumnsFor, parquetRowShape } from './parquet-row.js';

const PARQUET_MAGIC = Buffer.from('PAR1');

function detect(head: SniffedHead): Recognised | undefined {
  return head.bytes.subarray(0, 4).equals(PARQUET_MAGIC) ? { ok: true, format: 'parquet', settled: true } : undefined;
}

export const parquetFormat: RowFormat = {
  name: 'parquet',
  title: 'Parquet',
  reads: 'rows',
  detect,
  columnsFor: parquetColumnsFor,
  rowShape: parquetRowShape,
};
