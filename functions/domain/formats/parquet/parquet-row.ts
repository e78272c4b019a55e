// A Parquet row as the JSON shapes expect it. JSON has no 64-bit integer, date or timestamp:
// - a 64-bit integer (BigInt from hyparquet) becomes a number when it is safe, and otherwise
//   stays a BigInt that is written as its exact decimal digits: the stored JSON holds
//   12345678901234567890, not a rounded double and not a string, so a column declared
//   "integer" keeps its type and its value;
// - DATE becomes "YYYY-MM-DD" and timestamps ISO-8601 text in UTC with the precision of their
//   unit (3, 6 or 9 fractional digits), made by the parsers below straight from the stored
//   integers, so a column declared "string" holds text, and no microsecond is lost;
// - typed arrays become arrays, unannotated bytes base64 text.
import { BadDataError } from '../../../errors.js';
import type { DatasetSpec } from '../../dataset-spec.js';
import { objectShape } from '../../record-shape-reference.js';
import type { BadRecord, ShapedRecord } from '../../shaped-record.js';

/** A value a parser could not turn into JSON (a timestamp beyond what ISO-8601 text holds): its row is a bad record. */
class Unrepresentable {
  constructor(readonly reason: string) {}
}

const DAY_MS = 86_400_000;
/** The range of a JavaScript Date, which writes the calendar part of the text. */
const MAX_DATE_MS = 8.64e15;

/** `units` since the epoch, `perSecond` of them a second, as ISO-8601 text with `digits` fractional digits. */
function isoText(units: bigint, perSecond: bigint, digits: number): string | Unrepresentable {
  let seconds = units / perSecond;
  let fraction = units % perSecond;
  if (fraction < 0n) {
    // Before 1970: the calendar second is the one below, the fraction counts up from it.
    seconds -= 1n;
    fraction += perSecond;
  }
  const ms = Number(seconds) * 1000;
  if (!(Math.abs(ms) <= MAX_DATE_MS)) return new Unrepresentable(`timestamp ${units} (${digits === 3 ? 'ms' : digits === 6 ? 'µs' : 'ns'}) is outside the range ISO-8601 text can hold`);
  const whole = new Date(ms).toISOString(); // ...T12:34:56.000Z
  return `${whole.slice(0, whole.length - 5)}.${fraction.toString().padStart(digits, '0')}Z`;
}

/**
 * hyparquet's parsers for dates and timestamps (read options `parsers`): text, not Date objects.
 * A Parquet timestamp not adjusted to UTC (a pandas naive datetime) is written with "Z" too.
 */
export const PARQUET_TIME_PARSERS = {
  timestampFromMilliseconds: (v: bigint | number) => isoText(BigInt(v), 1000n, 3),
  timestampFromMicroseconds: (v: bigint | number) => isoText(BigInt(v), 1_000_000n, 6),
  timestampFromNanoseconds: (v: bigint | number) => isoText(BigInt(v), 1_000_000_000n, 9),
  dateFromDays: (days: number): string | Unrepresentable => {
    const ms = days * DAY_MS;
    if (!(Math.abs(ms) <= MAX_DATE_MS)) return new Unrepresentable(`date ${days} (days since 1970-01-01) is outside the range ISO-8601 text can hold`);
    const iso = new Date(ms).toISOString();
    return iso.slice(0, iso.indexOf('T'));
  },
};

function plain(v: unknown, found: { big: boolean }): unknown {
  if (typeof v === 'bigint') {
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    found.big = true;
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Unrepresentable) throw new BadDataError(v.reason);
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new BadDataError('a date is not a valid date');
    return v.toISOString();
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    // Binary columns without a string annotation decode to bytes: store them as base64 text.
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    return Array.from(v as unknown as ArrayLike<unknown>, (x) => plain(x, found));
  }
  if (Array.isArray(v)) return v.map((x) => plain(x, found));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x, found);
  return out;
}

/** JSON text of a plain value that may hold BigInts: each is written as its exact decimal digits. */
function exactJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : exactJson(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const members: string[] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined) members.push(`${JSON.stringify(k)}:${exactJson(x)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Shapes Parquet rows; `offset` in a bad record is the row's number in the file. */
export function parquetRowShape(spec: DatasetSpec): (row: Record<string, unknown>, rowNumber: number) => ShapedRecord | BadRecord {
  const shape = objectShape(spec);
  // JSON.stringify refuses a BigInt: rows that hold one (rare) take the exact writer.
  const shapeExact = objectShape(spec, exactJson);
  return (row, rowNumber) => {
    try {
      const found = { big: false };
      const value = plain(row, found) as Record<string, unknown>;
      return (found.big ? shapeExact : shape)(value, rowNumber);
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
