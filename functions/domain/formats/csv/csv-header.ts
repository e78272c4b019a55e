// What a CSV object's first line says, read once at Plan: which delimiter the object uses,
// whether that line is a header to skip, and the column names. Pure: the line comes in.
//
// - The delimiter, unless the dataset declares one, is the one the first line splits on: a tab
//   when it splits the line into more fields than a comma does (a TSV header), else a comma.
//   With declared columns, the candidate that gives exactly that many fields wins.
// - A header is skipped when the layout says the objects have one, and also when the layout
//   declares `columns` and the first line is exactly those names: files written by pandas or
//   Spark carry their header whether or not the dataset declares the columns, and a header
//   loaded as a record would be served (key "userId", items ["r1","r2","r3"]).
import { splitCsvLine } from './csv-line.js';
import type { CsvLayout } from '../../csv-layout.js';

export interface CsvObjectLayout {
  columns: string[];
  /** The object's first line is a header: the worker of its first part skips it. */
  header: boolean;
  delimiter: string;
}

const COMMA = ',';
const TAB = '\t';

function fieldsOf(line: Buffer, delimiter: string): string[] | null {
  const split = splitCsvLine(line, delimiter.charCodeAt(0));
  return split.ok ? split.fields.map((f) => f.trim()) : null;
}

/** The delimiter of an object whose layout declares none, from its first line. */
function detectDelimiter(line: Buffer, columns: readonly string[] | undefined): string {
  const comma = fieldsOf(line, COMMA)?.length ?? 0;
  const tab = fieldsOf(line, TAB)?.length ?? 0;
  if (columns) {
    if (comma === columns.length) return COMMA;
    if (tab === columns.length) return TAB;
  }
  return tab > comma ? TAB : COMMA;
}

/**
 * The layout of one object from its first non-blank line (no line terminator; null when the
 * object has no line), or why it cannot be read. `problemOf` says why a set of columns does not
 * serve the dataset; when the line did not split at all, the answer suggests csv.delimiter.
 */
export function csvObjectLayout(
  firstLine: Buffer | null,
  layout: CsvLayout,
  problemOf: (columns: readonly string[]) => string | null,
): CsvObjectLayout | { problem: string } {
  const delimiter = layout.delimiter ?? (firstLine ? detectDelimiter(firstLine, layout.columns) : COMMA);
  let columns = layout.columns;
  let header = layout.header;
  if (firstLine) {
    const fields = fieldsOf(firstLine, delimiter);
    if (layout.header) {
      if (!fields) {
        const split = splitCsvLine(firstLine, delimiter.charCodeAt(0));
        return { problem: `the CSV header cannot be read: ${split.ok ? '' : split.reason}` };
      }
      columns = fields;
    } else if (fields && columns && fields.length === columns.length && fields.every((f, i) => f === columns![i])) {
      header = true;
    }
  } else if (layout.header) {
    return { problem: 'the object has no complete first line to read the CSV header from' };
  }
  if (!columns) return { problem: 'CSV without a header needs the dataset\'s csv.columns' };
  const problem = problemOf(columns);
  if (problem) return { problem: firstLine && layout.header && columns.length === 1 ? problem + delimiterHint(firstLine, delimiter) : problem };
  return { columns: [...columns], header, delimiter };
}

/** A header that does not split is most often one written with another delimiter: say how to declare it. */
function delimiterHint(line: Buffer, used: string): string {
  const text = line.toString('utf8');
  const other = [';', '|', TAB].find((c) => c !== used && text.includes(c)) ?? ';';
  return `; the header line is one column when split on ${JSON.stringify(used)}: if the objects use another delimiter, declare it in the dataset's csv, e.g. "csv": {"delimiter": ${JSON.stringify(other)}}`;
}
