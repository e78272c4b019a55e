// A put's records checked and shaped by the code a load uses: JSON records through the dataset's
// record shape (shapeFor), CSV lines through its CSV shape (csvShape, with the dataset's layout).
// One bad record refuses the whole put; the error lists which records (by index) and why.
import { csvObjectLayout } from './formats/csv/csv-header.js';
import { csvColumnsProblem, csvShape } from './formats/csv/csv-shape.js';
import { DEFAULT_CSV_LAYOUT } from './csv-layout.js';
import type { DatasetSpec } from './dataset-spec.js';
import { PUT_MAX_BYTES, PUT_MAX_RECORDS } from './corrections.js';
import { isPlainObject } from './plain-object.js';
import { isBad, type RecordShape, type ShapedRecord } from './record-shape.js';
import { BadRecordsError, InvalidInputError } from '../errors.js';

export interface PutRecords {
  /** JSON records in the dataset's input shape, or CSV lines (then `columns` applies). */
  records: unknown[];
  /** CSV lines only: the column names; default: the dataset's csv.columns. */
  columns?: string[];
  /** CSV lines only: a file's header line, split with the dataset's delimiter (instead of `columns`). */
  header?: string;
}

/** How many bad records one refusal lists (all are counted). */
const LISTED = 20;

/** Parses the `records` (and `columns`) members of a put request. */
export function parsePutRecords(e: Record<string, unknown>): PutRecords {
  const records = e.records;
  if (!Array.isArray(records) || records.length === 0) throw new InvalidInputError('put needs records: a non-empty array of records in the dataset\'s input shape');
  if (records.length > PUT_MAX_RECORDS) throw new InvalidInputError(`put takes at most ${PUT_MAX_RECORDS} records a call; this one has ${records.length} (sluice put batches a file for you)`);
  const out: PutRecords = { records };
  if (e.columns !== undefined) {
    if (!Array.isArray(e.columns) || e.columns.length === 0 || !e.columns.every((c) => typeof c === 'string' && c !== '')) throw new InvalidInputError('columns must be a non-empty array of column names');
    out.columns = e.columns as string[];
  }
  if (e.header !== undefined) {
    if (typeof e.header !== 'string' || e.header === '' || out.columns) throw new InvalidInputError('header must be a CSV header line (and columns left out)');
    out.header = e.header;
  }
  return out;
}

/** Every record shaped as a load would store it, or a BadRecordsError naming the bad ones. */
export function shapePut(request: PutRecords, spec: DatasetSpec, jsonShape: RecordShape, maxRecordBytes: number): ShapedRecord[] {
  const bad: { index: number; reason: string }[] = [];
  const shaped: ShapedRecord[] = [];
  const seen = new Map<string, number>();
  let bytes = 0;
  let csv: RecordShape | undefined;
  request.records.forEach((record, index) => {
    let result;
    if (typeof record === 'string') {
      csv ??= csvShapeFor(request, spec, maxRecordBytes);
      const text = Buffer.from(record);
      bytes += text.length;
      result = csv.shape({ offset: index, bytes: text, length: text.length });
    } else if (isPlainObject(record)) {
      const text = Buffer.from(JSON.stringify(record));
      bytes += text.length;
      result = jsonShape.shape({ offset: index, bytes: text.length > maxRecordBytes ? null : text, length: text.length });
    } else {
      result = { offset: index, reason: 'a record must be a JSON object (or a CSV line, as a string)' };
    }
    if (isBad(result)) return void bad.push({ index, reason: result.reason });
    const first = seen.get(result.key);
    if (first !== undefined) return void bad.push({ index, reason: `repeats the key ${JSON.stringify(result.key)} of record ${first}` });
    seen.set(result.key, index);
    shaped.push(result);
  });
  if (bytes > PUT_MAX_BYTES) throw new InvalidInputError(`put takes at most ${PUT_MAX_BYTES / 1024} KiB of records a call; this one has ${Math.ceil(bytes / 1024)} KiB (sluice put batches a file for you)`);
  if (bad.length > 0) {
    const listed = bad.slice(0, LISTED).map((b) => `record ${b.index}: ${b.reason}`).join('; ');
    const more = bad.length > LISTED ? `; and ${bad.length - LISTED} more` : '';
    throw new BadRecordsError(`put refused, nothing was written: ${bad.length} of ${request.records.length} records are bad (${listed}${more})`, bad);
  }
  return shaped;
}

function csvShapeFor(request: PutRecords, spec: DatasetSpec, maxRecordBytes: number): RecordShape {
  const declared = spec.csv ?? DEFAULT_CSV_LAYOUT;
  // The put's header line is its object's first line: columns and delimiter are found as a load finds them.
  const layout = request.columns ? { ...declared, header: false, columns: request.columns } : request.header !== undefined ? { ...declared, header: true } : declared;
  if (!layout.columns && request.header === undefined) {
    throw new InvalidInputError(`CSV records for dataset ${spec.name} need their column names: give columns (the file's header), or declare csv.columns`);
  }
  const found = csvObjectLayout(request.header !== undefined ? Buffer.from(request.header) : null, layout, (columns) => csvColumnsProblem(spec, declared, columns));
  if ('problem' in found) throw new InvalidInputError(`CSV records for dataset ${spec.name}: ${found.problem}`);
  return csvShape(spec, { ...declared, delimiter: found.delimiter }, found.columns, maxRecordBytes);
}
