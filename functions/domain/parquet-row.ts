// A Parquet row as the JSON shapes expect it: 64-bit integers arrive as BigInt (JSON has no
// such type), so a safe one becomes a number and a larger one its decimal text; typed arrays
// become arrays; dates stay Dates (JSON.stringify writes them as ISO-8601 text).
import type { DatasetSpec } from './dataset-spec.js';
import { objectShape } from './record-shape-reference.js';
import type { BadRecord, ShapedRecord } from './shaped-record.js';

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v === null || typeof v !== 'object' || v instanceof Date) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    // Binary columns without a string annotation decode to bytes: store them as base64 text.
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    return Array.from(v as unknown as ArrayLike<unknown>, plain);
  }
  if (Array.isArray(v)) return v.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x);
  return out;
}

/** Shapes Parquet rows; `offset` in a bad record is the row's number in the file. */
export function parquetRowShape(spec: DatasetSpec): (row: Record<string, unknown>, rowNumber: number) => ShapedRecord | BadRecord {
  const shape = objectShape(spec);
  return (row, rowNumber) => {
    try {
      return shape(plain(row) as Record<string, unknown>, rowNumber);
    } catch (err) {
      return { offset: rowNumber, reason: `row cannot be stored as JSON: ${(err as Error).message}` };
    }
  };
}

/** The top-level columns a dataset reads from a Parquet file (key, items or fields), or why it cannot. */
export function parquetColumnsFor(spec: DatasetSpec, columns: readonly string[]): { columns: string[] } | { problem: string } {
  const has = new Set(columns);
  const top = (path: string) => path.split('.')[0]!;
  const keys = spec.key.fields.map(top);
  if (spec.key.mode === 'composite' ? !keys.every((k) => has.has(k)) : !keys.some((k) => has.has(k))) {
    return { problem: `no key column (${spec.key.fields.join(', ')}) among the columns ${columns.join(', ')}` };
  }
  if (spec.kind === 'ranked-items') {
    const items = spec.itemsFields.map(top).filter((c) => has.has(c));
    if (items.length === 0) return { problem: `no items column (${spec.itemsFields.join(', ')}) among the columns ${columns.join(', ')}` };
    return { columns: [...new Set([...keys.filter((k) => has.has(k)), ...items])] };
  }
  if (spec.fields) {
    const missing = Object.keys(spec.fields).filter((f) => !has.has(f));
    if (missing.length > 0) return { problem: `declared field column(s) ${missing.join(', ')} missing (columns: ${columns.join(', ')})` };
    return { columns: [...new Set([...keys.filter((k) => has.has(k)), ...Object.keys(spec.fields)])] };
  }
  return { columns: [...columns] };
}
