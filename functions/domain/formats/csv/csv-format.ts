// CSV (RFC 4180) and its tab-separated kin: framed as lines like JSON Lines (cut at any byte),
// split by the dataset's layout or the object's own delimiter, shaped by csv-shape.ts. Plan
// reads each object's first line for its columns, delimiter and header (csv-header.ts).
import { DEFAULT_CSV_LAYOUT } from '../../csv-layout.js';
import type { DatasetSpec } from '../../dataset-spec.js';
import { BadDataError } from '../../../errors.js';
import type { ByteFormat, DetectHints, Recognised } from '../format.js';
import { LineFramer, lineReadStart } from '../line-framer.js';
import { FORMAT_SNIFF_MAX_BYTES, type SniffedHead } from '../sniff.js';
import { csvObjectLayout } from './csv-header.js';
import { csvColumnsProblem, csvShape } from './csv-shape.js';

/** Asked last: delimited lines, a `.csv` name (gzip or not), or a dataset that declares its CSV layout. */
function detect(head: SniffedHead, hints: DetectHints): Recognised | undefined {
  const name = (hints.key ?? '').toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv') || hints.csvDeclared || head.lines().delimited > 0) return { ok: true, format: 'csv', settled: true };
  return undefined;
}

/** The first line of the head that is not blank, without its terminator; null when the head holds no complete line. */
function firstLineOf(head: Buffer): Buffer | null {
  let start = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  for (;;) {
    const nl = head.indexOf(0x0a, start);
    if (nl < 0) return null;
    let line = head.subarray(start, nl);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.toString('utf8').trim() !== '') return line;
    start = nl + 1;
  }
}

function inspectHead(head: Buffer, at: { spec: DatasetSpec; where: string; complete: boolean }) {
  const { spec, where } = at;
  const layout = spec.csv ?? DEFAULT_CSV_LAYOUT;
  // The head holds the whole object when nothing was cut off: its last line is then complete too.
  const firstLine = firstLineOf(at.complete ? Buffer.concat([head, Buffer.from('\n')]) : head);
  if (!firstLine && layout.header) throw new BadDataError(`${where}: the CSV header line is longer than ${FORMAT_SNIFF_MAX_BYTES} bytes or the object has no complete line`);
  const found = csvObjectLayout(firstLine, layout, (columns) => csvColumnsProblem(spec, layout, columns));
  if ('problem' in found) throw new BadDataError(`${where}: the CSV columns do not fit dataset ${spec.name}: ${found.problem}`);
  return { columns: found.columns, delimiter: found.delimiter, header: found.header };
}

export const csvFormat: ByteFormat = {
  name: 'csv',
  title: 'CSV',
  reads: 'bytes',
  cut: 'ranges',
  detect,
  inspectHead,
  needsFirstLine: true,
  readFrom: (part) => (part.compression ? 0 : lineReadStart(part.start)),
  framer: (part, maxRecordBytes) => (part.compression ? new LineFramer(0, Number.MAX_SAFE_INTEGER, maxRecordBytes) : new LineFramer(part.start, part.end, maxRecordBytes)),
  // A CSV header is a header only at the start of its object; Plan found whether the object has one.
  skipsFirstRecord: (part, spec) => part.start === 0 && (part.header ?? (spec.csv ?? DEFAULT_CSV_LAYOUT).header),
  shape(part, at) {
    const layout = at.spec.csv ?? DEFAULT_CSV_LAYOUT;
    const columns = part.columns ?? layout.columns;
    if (!columns) throw new BadDataError(`s3://${part.bucket}/${part.key}: no CSV column names (no header was read and the dataset declares no csv.columns)`);
    const delimiter = part.delimiter ?? layout.delimiter;
    return csvShape(at.spec, delimiter === undefined ? layout : { ...layout, delimiter }, columns, at.maxRecordBytes);
  },
};
