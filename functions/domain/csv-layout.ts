// How a dataset's CSV objects are laid out: where the column names come from, the delimiter,
// and for ranked items which columns hold the list. Declared once per dataset (DATASETS `csv`).
import { ConfigError } from '../errors.js';

type CsvItems = { trailing: number } | { column: string; separator: string };

export interface CsvLayout {
  /**
   * The first line of every object names the columns (a header is recognised only there). With
   * `columns` declared it is false, and a first line equal to those names is still skipped.
   */
  header: boolean;
  /** The column names, when the objects have no header (SageMaker's CSV output has none). */
  columns?: string[];
  /** One character; absent: each object's own, from its first line (a tab or a comma; formats/csv/csv-header.ts). */
  delimiter?: string;
  /** Ranked items: the last N columns, or one column holding a delimited list. */
  items?: CsvItems;
}

export const DEFAULT_CSV_LAYOUT: CsvLayout = { header: true };

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a dataset's `csv` declaration; `at` names the dataset in errors. */
export function parseCsvLayout(raw: unknown, at: string): CsvLayout {
  if (raw === undefined) return { ...DEFAULT_CSV_LAYOUT };
  if (!isObject(raw)) throw new ConfigError(`${at}: csv must be an object like {"header": true}`);
  const layout: CsvLayout = { ...DEFAULT_CSV_LAYOUT };
  if (raw.columns !== undefined) {
    if (!Array.isArray(raw.columns) || raw.columns.length === 0 || !raw.columns.every((c) => typeof c === 'string' && c !== '')) {
      throw new ConfigError(`${at}: csv.columns must be a non-empty array of column names`);
    }
    layout.columns = raw.columns as string[];
    layout.header = false;
  }
  if (raw.header !== undefined) {
    if (typeof raw.header !== 'boolean') throw new ConfigError(`${at}: csv.header must be true or false`);
    layout.header = raw.header;
  }
  if (!layout.header && !layout.columns) throw new ConfigError(`${at}: csv without a header needs csv.columns (the column names in order)`);
  if (raw.delimiter !== undefined) {
    if (typeof raw.delimiter !== 'string' || Buffer.byteLength(raw.delimiter) !== 1 || raw.delimiter === '"' || raw.delimiter === '\n' || raw.delimiter === '\r') {
      throw new ConfigError(`${at}: csv.delimiter must be one single-byte character other than a quote or a line break`);
    }
    layout.delimiter = raw.delimiter;
  }
  if (raw.items !== undefined) {
    const items = raw.items;
    if (isObject(items) && items.trailing !== undefined) {
      if (!Number.isSafeInteger(items.trailing) || (items.trailing as number) < 1) throw new ConfigError(`${at}: csv.items.trailing must be a whole number >= 1`);
      layout.items = { trailing: items.trailing as number };
    } else if (isObject(items) && typeof items.column === 'string' && items.column !== '') {
      const separator = items.separator ?? '|';
      if (typeof separator !== 'string' || separator === '') throw new ConfigError(`${at}: csv.items.separator must be a non-empty string`);
      layout.items = { column: items.column, separator };
    } else {
      throw new ConfigError(`${at}: csv.items must be {"trailing": N} (the last N columns) or {"column": "name", "separator": "|"}`);
    }
  }
  return layout;
}
