// What an object holds, from its first bytes (after decompression, for gzip): a JSON document
// (a top-level array, or an object made only of the members pandas writes around its "data"
// array: `orient="table"` schema + data, `orient="split"` columns, index, data), JSON Lines (one
// object per line, SageMaker's default), CSV, or Parquet (its magic bytes). INPUT_FORMAT
// overrides the guess. The rules never take JSON Lines for CSV or the other way round: a JSON
// record starts with "{", a CSV line that loads never does.
import type { Compression, InputFormat } from './chunk-plan.js';

/** Enough to settle almost every object: a JSON Lines record shows a member of its own early. */
export const FORMAT_SNIFF_BYTES = 4096;
/** Read when the first bytes do not settle it (a document so far, a long CSV header, gzip). */
export const FORMAT_SNIFF_MAX_BYTES = 64 * 1024;

export type ConfiguredFormat = 'auto' | InputFormat;

export type Recognised = { ok: true; format: InputFormat; settled: boolean } | { ok: false; reason: string };

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = Buffer.from('PAR1');

/** Members a pandas document has at its top level; any other member makes the object a record. */
const DOCUMENT_MEMBERS = new Set(['schema', 'data', 'columns', 'index']);

/** gzip by its magic bytes, whatever the name says (a `.gz` name on plain text is plain text). */
export function compressionOf(head: Buffer): Compression | undefined {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] ? 'gzip' : undefined;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The first object's top-level member names, and the offset just past it (-1: it runs past `text`, or is broken). */
function scanFirstObject(text: string, from: number): { members: string[]; end: number } {
  const members: string[] = [];
  let depth = 0;
  let expectingName = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
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
 * Recognises the format of an object from `head`, its first bytes (decompressed). `settled` is
 * false when more bytes could change the answer (a first object that still looks like a
 * document, a first line not yet ended): read more and ask again.
 */
export function detectFormat(head: Buffer, configured: ConfiguredFormat, hints: { key?: string; csvDeclared?: boolean } = {}): Recognised {
  if (configured !== 'auto') return { ok: true, format: configured, settled: true };
  if (head.subarray(0, 4).equals(PARQUET_MAGIC)) return { ok: true, format: 'parquet', settled: true };
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  if (start === text.length) return { ok: true, format: 'jsonl', settled: false }; // blank so far
  if (text[start] === '[') return { ok: true, format: 'json', settled: true };
  if (text[start] === '{') {
    // A document only if its members are pandas' own and no second value follows it: JSON Lines
    // whose records start with a "data" member (SageMaker output joined with an input
    // {"data": [...]}) stay JSON Lines.
    const first = scanFirstObject(text, start);
    if (first.members.length === 0 && first.end < 0) return { ok: true, format: 'json', settled: false };
    if (!first.members.every((m) => DOCUMENT_MEMBERS.has(m))) return { ok: true, format: 'jsonl', settled: true };
    if (first.end < 0) return { ok: true, format: 'json', settled: false };
    if (!first.members.includes('data')) return { ok: true, format: 'jsonl', settled: true };
    let next = first.end;
    while (next < text.length && isSpace(text.charCodeAt(next))) next++;
    return { ok: true, format: next < text.length ? 'jsonl' : 'json', settled: true };
  }
  // Not JSON at its first character: look at the lines the head holds. Records that start with
  // "{" on most lines are JSON Lines whose first line is bad (it is counted as a bad record, not
  // a reason to read the object as CSV); delimited lines are CSV.
  const lines = text.slice(start).split('\n');
  if (lines.length > 1 && text.length === head.length) lines.pop(); // the last line may be cut
  let json = 0;
  let delimited = 0;
  for (const line of lines.slice(0, 64)) {
    const t = line.trim();
    if (t === '') continue;
    if (t.startsWith('{')) json++;
    else if (/[,\t]/.test(t)) delimited++;
  }
  if (json > 0 && json >= delimited) return { ok: true, format: 'jsonl', settled: true };
  const name = (hints.key ?? '').toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv') || hints.csvDeclared || delimited > 0) return { ok: true, format: 'csv', settled: true };
  if (!text.includes('\n', start)) return { ok: false, reason: 'its first line is neither JSON nor delimited text (or longer than the bytes read)' };
  return { ok: false, reason: 'its lines are neither JSON nor delimited text (set INPUT_FORMAT, or declare the dataset\'s csv layout)' };
}
