// One CSV record (RFC 4180) split into its fields. Records are framed as lines first (the
// chunk-edge rule of line-framer.ts): SageMaker's line splitting forbids newlines inside a
// record, so a quoted field still open at the end of the line is a bad record with its
// location, never a silent merge with the next line.

export type CsvFields = { ok: true; fields: string[] } | { ok: false; reason: string };

const QUOTE = 0x22;

/**
 * Splits `line` (no line terminator) on `delimiter` (one byte). Quoted fields may hold the
 * delimiter and doubled quotes (""), nothing may follow a closing quote but the delimiter.
 */
export function splitCsvLine(line: Buffer, delimiter: number): CsvFields {
  const fields: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    if (i < n && line[i] === QUOTE) {
      // A quoted field: find its closing quote, skipping doubled ones.
      let j = i + 1;
      let doubled = false;
      for (;;) {
        const q = line.indexOf(QUOTE, j);
        if (q < 0) return { ok: false, reason: `quoted field ${fields.length + 1} is not closed on its line (newlines inside a record are not allowed)` };
        if (line[q + 1] === QUOTE) {
          doubled = true;
          j = q + 2;
          continue;
        }
        const text = line.toString('utf8', i + 1, q);
        fields.push(doubled ? text.replaceAll('""', '"') : text);
        i = q + 1;
        break;
      }
      if (i === n) return { ok: true, fields };
      if (line[i] !== delimiter) return { ok: false, reason: `text after the closing quote of field ${fields.length}` };
      i++;
      if (i === n) {
        fields.push('');
        return { ok: true, fields };
      }
      continue;
    }
    const d = line.indexOf(delimiter, i);
    const end = d < 0 ? n : d;
    const q = line.indexOf(QUOTE, i);
    if (q >= 0 && q < end) return { ok: false, reason: `a quote inside unquoted field ${fields.length + 1}` };
    fields.push(line.toString('utf8', i, end));
    if (d < 0) return { ok: true, fields };
    i = d + 1;
    if (i === n) {
      fields.push('');
      return { ok: true, fields };
    }
  }
}
