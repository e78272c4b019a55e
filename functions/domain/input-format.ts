// What an object holds, from its first bytes (after decompression, for gzip): a JSON document
// (a top-level array, or the pandas orient="table" object whose only members are "schema" and
// "data"), JSON Lines (one object per line, SageMaker's default), CSV, or Parquet (its magic bytes). INPUT_FORMAT
// overrides the guess. The rules never take JSON Lines for CSV or the other way round: a JSON
// record starts with "{", a CSV line never does in a file that loads.
import type { Compression, InputFormat } from './chunk-plan.js';

/** Bytes read from the start of each object to recognise it (and a CSV header). */
export const FORMAT_SNIFF_BYTES = 64 * 1024;

export type ConfiguredFormat = 'auto' | InputFormat;

export type Recognised = { ok: true; format: InputFormat } | { ok: false; reason: string };

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = Buffer.from('PAR1');

/** gzip by its magic bytes, whatever the name says (a `.gz` name on plain text is plain text). */
export function compressionOf(head: Buffer): Compression | undefined {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] ? 'gzip' : undefined;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** The names of the first object's top-level members, as far as `text` shows them. */
function topLevelMembers(text: Buffer, from: number): string[] {
  const names: string[] = [];
  let depth = 0;
  let inString = false;
  let escape = false;
  let nameStart = -1;
  let expectName = false;
  for (let i = from; i < text.length; i++) {
    const b = text[i]!;
    if (inString) {
      if (escape) escape = false;
      else if (b === 0x5c) escape = true;
      else if (b === 0x22) {
        inString = false;
        if (nameStart >= 0) {
          names.push(text.toString('utf8', nameStart, i));
          nameStart = -1;
        }
      }
      continue;
    }
    if (b === 0x22) {
      inString = true;
      if (depth === 1 && expectName) {
        nameStart = i + 1;
        expectName = false;
      }
    } else if (b === 0x7b || b === 0x5b) {
      depth++;
      if (depth === 1) expectName = true;
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
      if (depth === 0) return names;
    } else if (b === 0x2c && depth === 1) expectName = true;
  }
  return names;
}

/** Recognises the format of an object from `head`, its first bytes (decompressed). */
export function detectFormat(head: Buffer, configured: ConfiguredFormat, hints: { key: string; csvDeclared?: boolean } = { key: '' }): Recognised {
  if (configured !== 'auto') return { ok: true, format: configured };
  if (head.subarray(0, 4).equals(PARQUET_MAGIC)) return { ok: true, format: 'parquet' };
  let i = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && isSpace(head[i]!)) i++;
  if (i === head.length) return { ok: true, format: 'jsonl' }; // empty or blank: nothing to frame either way
  const first = head[i]!;
  if (first === 0x5b) return { ok: true, format: 'json' };
  if (first === 0x7b) {
    // A document only when its members are pandas' "schema" and "data": a JSON line that starts
    // with a "data" member has others too (its key, at least).
    const names = topLevelMembers(head, i);
    const documentish = names.length > 0 && names.every((n) => n === 'schema' || n === 'data') && names.includes('data');
    return { ok: true, format: documentish ? 'json' : 'jsonl' };
  }
  const name = hints.key.toLowerCase().replace(/\.gz$/, '');
  const firstLine = head.subarray(i, Math.max(i, head.indexOf(0x0a, i) < 0 ? head.length : head.indexOf(0x0a, i)));
  if (name.endsWith('.csv') || hints.csvDeclared || firstLine.includes(0x2c) || firstLine.includes(0x09)) return { ok: true, format: 'csv' };
  return { ok: false, reason: `its first line is neither JSON nor delimited text (set INPUT_FORMAT, or declare the dataset's csv layout)` };
}
