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

/**
 * The fast path for lines without quotes: the byte offsets where each field starts and ends,
 * written into `bounds` as [start0, end0, start1, end1, ...]. Returns the field count, or -1
 * when the line holds a quote (then splitCsvLine decides).
 */
export function fieldBounds(line: Uint8Array, delimiter: number, bounds: number[]): number {
  let count = 0;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === delimiter) {
      bounds[2 * count] = start;
      bounds[2 * count + 1] = i;
      count++;
      start = i + 1;
    } else if (c === QUOTE) return -1;
  }
  bounds[2 * count] = start;
  bounds[2 * count + 1] = line.length;
  return count + 1;
}

/** `line[start, end)` is a JSON number literal (the grammar JSON.parse accepts). */
export function isJsonNumber(line: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (line[i] === 0x2d) i++;
  if (i >= end) return false;
  if (line[i] === 0x30) i++;
  else {
    if (!(line[i]! >= 0x31 && line[i]! <= 0x39)) return false;
    while (i < end && line[i]! >= 0x30 && line[i]! <= 0x39) i++;
  }
  if (i < end && line[i] === 0x2e) {
    i++;
    const from = i;
    while (i < end && line[i]! >= 0x30 && line[i]! <= 0x39) i++;
    if (i === from) return false;
  }
  if (i < end && (line[i] === 0x65 || line[i] === 0x45)) {
    i++;
    if (i < end && (line[i] === 0x2b || line[i] === 0x2d)) i++;
    const from = i;
    while (i < end && line[i]! >= 0x30 && line[i]! <= 0x39) i++;
    if (i === from) return false;
  }
  return i === end;
}
