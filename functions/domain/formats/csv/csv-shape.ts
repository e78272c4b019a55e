// From one CSV line to what Sluice stores, for a dataset whose objects are CSV: the key from
// its key column(s), the value as JSON text (ranked items: an array; feature rows: an object of
// the declared fields, converted to their declared types). An empty cell is null. Like the
// JSON shapes it never throws: an unusable line is a BadRecord with its reason.
import { isUtf8 } from 'node:buffer';
import { fieldBounds, isJsonNumber, splitCsvLine } from './csv-line.js';
import type { CsvLayout } from '../../csv-layout.js';
import { COMPOSITE_KEY_SEPARATOR, type DatasetSpec, type FieldType } from '../../dataset-spec.js';
import type { RawRecord } from '../../raw-record.js';
import { MAX_KEY_LENGTH, type BadRecord, type RecordShape, type ShapedRecord } from '../../record-shape.js';

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** Why a header cannot serve this dataset (a missing key or declared column), or null. */
export function csvColumnsProblem(spec: DatasetSpec, layout: CsvLayout, columns: readonly string[]): string | null {
  const has = new Set(columns);
  if (has.size !== columns.length) return `the columns repeat a name (${columns.join(', ')})`;
  const keys = spec.key.fields;
  if (spec.key.mode === 'composite') {
    const missing = keys.filter((k) => !has.has(k));
    if (missing.length > 0) return `key column(s) ${missing.join(', ')} missing (columns: ${columns.join(', ')})`;
  } else if (!keys.some((k) => has.has(k))) {
    return `no key column (${keys.join(', ')}) among the columns ${columns.join(', ')}`;
  }
  if (spec.kind === 'feature-rows' && spec.fields) {
    const missing = Object.keys(spec.fields).filter((f) => !has.has(f));
    if (missing.length > 0) return `declared field column(s) ${missing.join(', ')} missing (columns: ${columns.join(', ')})`;
  }
  const items = layout.items;
  if (spec.kind === 'ranked-items' && items && 'column' in items && !has.has(items.column)) return `items column ${items.column} missing`;
  if (spec.kind === 'ranked-items' && items && 'trailing' in items && items.trailing >= columns.length) return `csv.items.trailing ${items.trailing} leaves no key column among ${columns.length} columns`;
  return null;
}

function itemText(cell: string): string {
  return JSON_NUMBER.test(cell) ? cell : JSON.stringify(cell);
}

/** A cell as JSON text of the declared type, or a reason it is not one. */
function typedCell(cell: string, type: FieldType): string | { reason: string } {
  if (cell === '') return 'null';
  switch (type) {
    case 'string':
    case 'any':
      return JSON.stringify(cell);
    case 'integer':
      return INTEGER.test(cell) && Number.isSafeInteger(Number(cell)) ? cell : { reason: 'is not an integer' };
    case 'number':
      return JSON_NUMBER.test(cell) ? cell : { reason: 'is not a number' };
    case 'boolean': {
      const v = cell.toLowerCase();
      if (v === 'true' || v === '1') return 'true';
      if (v === 'false' || v === '0') return 'false';
      return { reason: 'is not a boolean (true/false/1/0)' };
    }
    case 'array':
    case 'object': {
      try {
        const parsed: unknown = JSON.parse(cell);
        const ok = type === 'array' ? Array.isArray(parsed) : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
        return ok ? JSON.stringify(parsed) : { reason: `is not a JSON ${type}` };
      } catch {
        return { reason: `is not a JSON ${type}` };
      }
    }
  }
}

/** The shape for one CSV object with these columns (check csvColumnsProblem first). */
export function csvShape(spec: DatasetSpec, layout: CsvLayout, columns: readonly string[], maxRecordBytes?: number, options: { fast?: boolean } = {}): RecordShape {
  const index = new Map(columns.map((c, i) => [c, i]));
  const keyColumns = spec.key.fields.filter((k) => index.has(k)).map((k) => ({ name: k, at: index.get(k)! }));
  const keyAt = new Set(keyColumns.map((k) => k.at));
  const delimiter = (layout.delimiter ?? ',').charCodeAt(0);
  const composite = spec.key.mode === 'composite';

  // The stored text, with the figures the release checks count (list length, null fields).
  let value: (cells: string[]) => Omit<ShapedRecord, 'key'> | { reason: string };
  /** The columns the key and value read. */
  const used = new Set<number>(keyColumns.map((k) => k.at));
  if (spec.kind === 'ranked-items') {
    const items = layout.items;
    if (items && 'column' in items) {
      const at = index.get(items.column)!;
      used.add(at);
      value = (cells) => {
        const cell = cells[at] ?? '';
        const list = cell === '' ? [] : cell.split(items.separator);
        return { value: `[${list.map(itemText).join(',')}]`, items: list.length };
      };
    } else {
      // The last N columns (or, undeclared, every column but the key); empty trailing cells
      // are a shorter list, as a model writes for a user with fewer recommendations.
      const from = items ? columns.length - items.trailing : 0;
      const itemColumns = columns.map((_, i) => i).filter((i) => i >= from && !keyAt.has(i));
      for (const i of itemColumns) used.add(i);
      value = (cells) => {
        const list = itemColumns.map((i) => cells[i] ?? '').filter((c) => c !== '');
        return { value: `[${list.map(itemText).join(',')}]`, items: list.length };
      };
    }
  } else {
    const declared = spec.fields
      ? Object.entries(spec.fields).map(([name, type]) => ({ name, type, at: index.get(name)! }))
      : columns.map((name, at) => ({ name, type: 'string' as FieldType, at })).filter((f) => !keyAt.has(f.at));
    const names = declared.map((f) => JSON.stringify(f.name));
    for (const f of declared) used.add(f.at);
    const counted = spec.fields !== undefined;
    value = (cells) => {
      let out = '{';
      let nulls: number[] | undefined;
      for (let i = 0; i < declared.length; i++) {
        const f = declared[i]!;
        const v = typedCell(cells[f.at] ?? '', f.type);
        if (typeof v !== 'string') return { reason: `column ${f.name} ${v.reason}` };
        if (counted && v === 'null') (nulls ??= []).push(i);
        out += `${i > 0 ? ',' : ''}${names[i]}:${v}`;
      }
      return nulls ? { value: `${out}}`, nulls } : { value: `${out}}` };
    };
  }

  // The common SageMaker case, measured 3-4 x cheaper than splitting (bench/csv-shape-micro.ts):
  // one key column, ranked items in the trailing columns, no quotes, every item a number. The
  // items' own text between the first and the last item is already a JSON array's inside.
  const trailing = spec.kind === 'ranked-items' && layout.items && 'trailing' in layout.items && !composite && keyColumns.length === 1 ? layout.items.trailing : 0;
  const keyIndex = keyColumns[0]?.at ?? -1;
  const firstItem = columns.length - trailing;
  const bounds: number[] = [];
  // `fast: false` leaves only the splitting path: the reference the tests compare against. The
  // items' text is a JSON array's inside only when they are separated by commas.
  const fast = options.fast !== false && delimiter === 0x2c && trailing > 0 && keyIndex < firstItem
    ? (bytes: Buffer): ShapedRecord | null => {
        if (fieldBounds(bytes, delimiter, bounds) !== columns.length) return null;
        const ks = bounds[2 * keyIndex]!;
        const ke = bounds[2 * keyIndex + 1]!;
        if (ke === ks || ke - ks > MAX_KEY_LENGTH) return null;
        for (let i = firstItem; i < columns.length; i++) if (!isJsonNumber(bytes, bounds[2 * i]!, bounds[2 * i + 1]!)) return null;
        return { key: bytes.toString('utf8', ks, ke), value: `[${bytes.toString('latin1', bounds[2 * firstItem]!, bounds[2 * columns.length - 1]!)}]`, items: trailing };
      }
    : undefined;

  return {
    shape(record: RawRecord): ShapedRecord | BadRecord {
      const { offset, bytes } = record;
      if (bytes === null) return { offset, reason: `record is ${record.length} bytes, over the ${maxRecordBytes ?? 'configured'}-byte limit` };
      if (!isUtf8(bytes)) return { offset, reason: 'record is not valid UTF-8' };
      if (fast) {
        const shaped = fast(bytes);
        if (shaped) return shaped;
      }
      // Without quotes, decode only the cells this dataset uses; with quotes, split by the RFC.
      let cells: string[];
      const n = fieldBounds(bytes, delimiter, bounds);
      if (n >= 0) {
        if (n !== columns.length) return { offset, reason: `the line has ${n} fields; the header has ${columns.length}` };
        cells = new Array<string>(n).fill('');
        for (const i of used) cells[i] = bytes.toString('utf8', bounds[2 * i]!, bounds[2 * i + 1]!);
      } else {
        const split = splitCsvLine(bytes, delimiter);
        if (!split.ok) return { offset, reason: split.reason };
        cells = split.fields;
        if (cells.length !== columns.length) return { offset, reason: `the line has ${cells.length} fields; the header has ${columns.length}` };
      }
      let key: string | undefined;
      if (composite) {
        const parts: string[] = [];
        for (const k of keyColumns) {
          const part = cells[k.at]!;
          if (part === '') return { offset, reason: `key column "${k.name}" is empty` };
          parts.push(part);
        }
        key = parts.join(COMPOSITE_KEY_SEPARATOR);
      } else {
        key = keyColumns.map((k) => cells[k.at]!).find((c) => c !== '');
        if (key === undefined) return { offset, reason: `no key (${keyColumns.map((k) => k.name).join(', ')} empty)` };
      }
      if (key.length > MAX_KEY_LENGTH) return { offset, reason: `the key is longer than ${MAX_KEY_LENGTH} characters` };
      const v = value(cells);
      return 'reason' in v ? { offset, reason: v.reason } : { key, ...v };
    },
  };
}
