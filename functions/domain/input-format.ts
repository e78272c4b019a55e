// Which framer an object needs, from its first bytes. JSON Lines is the SageMaker default;
// a document is a top-level array, or an object made only of the members pandas writes
// around its "data" array (`orient="table"`: schema + data; `orient="split"`: columns, index,
// data). INPUT_FORMAT overrides the guess. Formats Sluice cannot read (gzip, CSV) are named
// here so Plan refuses them before anything is written, instead of every record turning bad.
import type { InputFormat } from './chunk-plan.js';

/** Enough to settle almost every object: a JSON Lines record shows a member of its own early. */
export const FORMAT_SNIFF_BYTES = 4096;
/** Read when the first bytes still look like a document: a joined record's input "data" array can be long. */
export const FORMAT_SNIFF_MAX_BYTES = 64 * 1024;

export type UnsupportedFormat = 'gzip' | 'csv';

/** Members a pandas document has at its top level; any other member makes the object a record. */
const DOCUMENT_MEMBERS = new Set(['schema', 'data', 'columns', 'index']);

/** What scanning the first top-level object found. */
interface FirstValue {
  /** Top-level member names seen, in order. */
  members: string[];
  /** Offset just past the value's closing brace, or -1 if the value runs past the sniffed bytes (or is broken). */
  end: number;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** A structural scan of the object starting at `from` (a '{'): its member names and where it ends. */
function scanFirstObject(text: string, from: number): FirstValue {
  const members: string[] = [];
  let depth = 0;
  let expectingName = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: find its end, keep it if it is a top-level member name.
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (j >= text.length) return { members, end: -1 };
      if (depth === 1 && expectingName) {
        try {
          members.push(JSON.parse(text.slice(i, j + 1)) as string);
        } catch {
          return { members, end: -1 };
        }
        expectingName = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) expectingName = true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return { members, end: i + 1 };
    } else if (c === 0x2c && depth === 1) {
      expectingName = true;
    }
  }
  return { members, end: -1 };
}

/**
 * The format of an object from its first bytes. A first object is a document
 * only if its members are pandas' own and no second value follows it: JSON Lines whose records
 * happen to start with a "data" member (SageMaker output joined with an input `{"data": [...]}`)
 * stay JSON Lines.
 */
export function detectFormat(head: Buffer, configured: 'auto' | InputFormat): InputFormat {
  if (configured !== 'auto') return configured;
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  if (text[start] === '[') return 'json';
  if (text[start] !== '{') return 'jsonl';
  const first = scanFirstObject(text, start);
  if (first.members.length === 0 || !first.members.every((m) => DOCUMENT_MEMBERS.has(m))) return 'jsonl';
  if (first.end >= 0) {
    // A whole object without the records array is not a document.
    if (!first.members.includes('data')) return 'jsonl';
    let next = first.end;
    while (next < text.length && isSpace(text.charCodeAt(next))) next++;
    // Another value after the first one: one record per line.
    if (next < text.length) return 'jsonl';
  }
  return 'json';
}

/** gzip (magic bytes 1f 8b, or a .gz name) or CSV (a first line that is not JSON and looks delimited); undefined otherwise. */
export function unsupportedFormat(head: Buffer, key: string): UnsupportedFormat | undefined {
  if (key.toLowerCase().endsWith('.gz') || (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) return 'gzip';
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lineEnd = text.search(/\r?\n/);
  const line = (lineEnd < 0 ? text : text.slice(0, lineEnd)).trim();
  if (line === '' || line.startsWith('{') || line.startsWith('[')) return undefined;
  // Delimited text: two or more fields on the first line, split by a comma, tab, semicolon or bar.
  return /^[^,\t;|]+([,\t;|][^,\t;|]*)+$/.test(line) ? 'csv' : undefined;
}

export function unsupportedFormatMessage(format: UnsupportedFormat, uri: string): string {
  return format === 'gzip'
    ? `${uri}: gzip-compressed input is not supported (yet); write the transform output uncompressed (JSON Lines or a JSON document)`
    : `${uri}: CSV input is not supported (yet); the first line is not JSON but looks like delimited text (Sluice reads JSON Lines or a JSON document; set the transform job's Accept to application/jsonlines)`;
}
