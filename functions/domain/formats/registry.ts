// The input formats, in the order they are asked what an object holds: Parquet by its magic
// bytes; a JSON document ("[", or a pandas document object); JSON Lines; CSV. INPUT_FORMAT
// overrides the guess. The order is the precedence: the rules never take JSON Lines for CSV or
// the other way round (a JSON record starts with "{", a CSV line that loads never does).
// Adding a format: its folder beside this file, and one line in FORMATS.
import type { Compression, InputFormat } from '../chunk-plan.js';
import { csvFormat } from './csv/csv-format.js';
import type { ByteFormat, DetectHints, InputFormatModule, Recognised, RowFormat } from './format.js';
import { jsonDocumentFormat } from './json/json-format.js';
import { jsonLinesFormat } from './jsonl/jsonl-format.js';
import { parquetFormat } from './parquet/parquet-format.js';
import { SniffedHead } from './sniff.js';
import { InvalidInputError } from '../../errors.js';

export { FORMAT_SNIFF_BYTES, FORMAT_SNIFF_MAX_BYTES } from './sniff.js';
export type { Recognised } from './format.js';

const FORMATS: readonly InputFormatModule[] = [
  parquetFormat,
  jsonDocumentFormat,
  jsonLinesFormat,
  csvFormat,
];

export type ConfiguredFormat = 'auto' | InputFormat;

/** The module of a planned format. */
export function formatModule(format: InputFormat): InputFormatModule {
  const found = FORMATS.find((f) => f.name === format);
  if (!found) throw new InvalidInputError(`no input format is called ${JSON.stringify(format)} (known: ${FORMATS.map((f) => f.name).join(', ')})`);
  return found;
}

/** The module of a format read as bytes, or undefined for a row format. */
export function byteFormat(format: InputFormat): ByteFormat | undefined {
  const m = formatModule(format);
  return m.reads === 'bytes' ? m : undefined;
}

/** The module of a format read in row groups, or undefined for a byte format. */
export function rowFormat(format: InputFormat): RowFormat | undefined {
  const m = formatModule(format);
  return m.reads === 'rows' ? m : undefined;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** gzip by its magic bytes, whatever the name says (a `.gz` name on plain text is plain text). */
export function compressionOf(head: Buffer): Compression | undefined {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] ? 'gzip' : undefined;
}

/**
 * Recognises the format of an object from `head`, its first bytes (decompressed). `settled` is
 * false when more bytes could change the answer (a first object that still looks like a
 * document, a first line not yet ended): read more and ask again.
 */
export function detectFormat(head: Buffer, configured: ConfiguredFormat, hints: DetectHints = {}): Recognised {
  if (configured !== 'auto') return { ok: true, format: configured, settled: true };
  const sniffed = new SniffedHead(head);
  for (const format of FORMATS) {
    const recognised = format.detect(sniffed, hints);
    if (recognised) return recognised;
  }
  if (!sniffed.hasLineBreak()) return { ok: false, reason: 'its first line is neither JSON nor delimited text (or longer than the bytes read)' };
  return { ok: false, reason: 'its lines are neither JSON nor delimited text (set INPUT_FORMAT, or declare the dataset\'s csv layout)' };
}
