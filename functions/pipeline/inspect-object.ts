// At Plan, before anything is written: what each input object is. Its first bytes are read
// (decompressed as far as they go, for gzip) to recognise the format, estimate the expanded
// size of a compressed object, and read a CSV object's header. An object that cannot be loaded
// fails the plan here, with its name and the reason.
import { createGunzip } from 'node:zlib';
import type { ObjectStore, StoredObject } from '../adapters/object-store.js';
import type { Compression, InputObject } from '../domain/chunk-plan.js';
import { csvObjectLayout, type CsvObjectLayout } from '../domain/csv-header.js';
import { DEFAULT_CSV_LAYOUT, type CsvLayout } from '../domain/csv-layout.js';
import { csvColumnsProblem } from '../domain/csv-shape.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
import { compressionOf, detectFormat, FORMAT_SNIFF_BYTES, FORMAT_SNIFF_MAX_BYTES, type ConfiguredFormat } from '../domain/input-format.js';
import { parquetColumnsFor } from '../domain/parquet-row.js';
import { readParquetOutline } from './parquet-source.js';
import { BadDataError } from '../errors.js';

async function readAll(stream: AsyncIterable<Buffer> & { close(): void }): Promise<Buffer> {
  const pieces: Buffer[] = [];
  try {
    for await (const b of stream) pieces.push(b);
  } finally {
    stream.close();
  }
  return Buffer.concat(pieces);
}

/** Decompresses the start of a gzip object: up to `want` bytes, and how many compressed bytes that took. */
async function gunzipHead(compressed: Buffer, want: number): Promise<{ head: Buffer; consumed: number; ended: boolean; error?: string }> {
  const gunzip = createGunzip();
  const pieces: Buffer[] = [];
  let n = 0;
  let ended = false;
  let error: string | undefined;
  await new Promise<void>((resolve) => {
    gunzip.on('data', (d: Buffer) => {
      pieces.push(d);
      n += d.length;
      if (n >= want) {
        gunzip.pause();
        resolve();
      }
    });
    gunzip.on('end', () => {
      ended = true;
      resolve();
    });
    // A truncated head (the sniff is a prefix of the object) ends in an error: keep what came out.
    gunzip.on('error', (err: Error) => {
      error = err.message;
      resolve();
    });
    gunzip.end(compressed);
  });
  const consumed = Math.max(1, Math.min(compressed.length, gunzip.bytesWritten));
  gunzip.destroy();
  return { head: Buffer.concat(pieces, n), consumed, ended, ...(error === undefined ? {} : { error }) };
}

export async function inspectObject(
  bucket: string,
  o: StoredObject,
  deps: { objects: ObjectStore; spec: DatasetSpec; inputFormat: ConfiguredFormat; maxRowGroupBytes: number },
): Promise<InputObject> {
  const where = `s3://${bucket}/${o.key}`;
  if (o.size === 0) return { bucket, ...o, format: deps.inputFormat === 'auto' ? 'jsonl' : deps.inputFormat };
  // A first look of 4 KiB settles almost every object (thousands of small objects stay cheap to
  // plan); a gzip object, or one the first bytes do not settle, is read up to 64 KiB.
  const look = async (bytes: number) => readAll(await deps.objects.read(bucket, o.key, o.etag, 0, Math.min(o.size, bytes)));
  let raw = await look(FORMAT_SNIFF_BYTES);
  const compression: Compression | undefined = compressionOf(raw);
  if (compression && raw.length < o.size) raw = await look(FORMAT_SNIFF_MAX_BYTES);
  const decode = async (bytes: Buffer) => {
    if (!compression) return { head: bytes, expandedSize: o.size };
    const g = await gunzipHead(bytes, FORMAT_SNIFF_MAX_BYTES);
    // A head cut short ends in "unexpected end of file"; anything else is a broken stream.
    if (g.head.length === 0 || (g.error && !/unexpected end/i.test(g.error))) {
      throw new BadDataError(`${where} is not a valid gzip stream: ${g.error ?? 'nothing decompresses'}`, { object: `${bucket}/${o.key}` });
    }
    // A whole small object says exactly how big it is; otherwise scale by the head's ratio.
    return { head: g.head, expandedSize: g.ended && bytes.length === o.size ? g.head.length : Math.ceil(o.size * (g.head.length / g.consumed)) };
  };
  let { head, expandedSize } = await decode(raw);
  const hints = { key: o.key, csvDeclared: deps.spec.csv !== undefined };
  let recognised = detectFormat(head, deps.inputFormat, hints);
  const csvHeaderCut = recognised.ok && recognised.format === 'csv' && !head.includes(0x0a);
  if ((!recognised.ok || !recognised.settled || csvHeaderCut) && raw.length < o.size && raw.length < FORMAT_SNIFF_MAX_BYTES) {
    raw = await look(FORMAT_SNIFF_MAX_BYTES);
    ({ head, expandedSize } = await decode(raw));
    recognised = detectFormat(head, deps.inputFormat, hints);
  }
  const layout = deps.spec.csv ?? DEFAULT_CSV_LAYOUT;
  if (!recognised.ok) throw new BadDataError(`${where} cannot be loaded: ${recognised.reason}`, { object: `${bucket}/${o.key}` });
  const object: InputObject = { bucket, ...o, format: recognised.format };
  if (compression) {
    object.compression = compression;
    object.expandedSize = expandedSize;
  }
  // The head holds the whole object when nothing was cut off: its last line is then complete too.
  const whole = compression ? expandedSize === head.length : raw.length === o.size;
  if (object.format === 'csv') {
    const csv = csvLayoutOf(whole ? Buffer.concat([head, Buffer.from('\n')]) : head, layout, where, deps.spec);
    object.columns = csv.columns;
    object.delimiter = csv.delimiter;
    object.header = csv.header;
  }
  if (object.format === 'parquet') {
    if (compression) throw new BadDataError(`${where}: a gzip-compressed Parquet file cannot be read in row groups; store it uncompressed (Parquet compresses its pages itself)`);
    const at = { bucket, key: o.key, etag: o.etag, size: o.size };
    let outline;
    try {
      outline = await readParquetOutline(deps.objects, at);
    } catch (err) {
      if (err instanceof Error && /^(TransientError|InputChangedError)$/.test(err.name)) throw err;
      throw new BadDataError(`${where} is not a readable Parquet file: ${(err as Error).message}`, { object: `${bucket}/${o.key}` }, { cause: err });
    }
    const wanted = parquetColumnsFor(deps.spec, outline.columns);
    if ('problem' in wanted) throw new BadDataError(`${where}: the Parquet columns do not fit dataset ${deps.spec.name}: ${wanted.problem}`);
    // A row group is decoded whole by one worker: refuse one that cannot fit, before any write.
    const big = outline.rowGroups.find((g) => g.bytes > deps.maxRowGroupBytes);
    if (big) {
      throw new BadDataError(
        `${where}: row group of rows ${big.rowStart}-${big.rowEnd - 1} is ${big.bytes} bytes uncompressed, over MAX_ROW_GROUP_BYTES=${deps.maxRowGroupBytes}; ` +
          'write the file with smaller row groups (e.g. pyarrow row_group_size, Spark parquet.block.size)',
      );
    }
    object.columns = wanted.columns;
    object.rowGroups = outline.rowGroups;
  }
  return object;
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

function csvLayoutOf(head: Buffer, layout: CsvLayout, where: string, spec: DatasetSpec): CsvObjectLayout {
  const firstLine = firstLineOf(head);
  if (!firstLine && layout.header) throw new BadDataError(`${where}: the CSV header line is longer than ${FORMAT_SNIFF_MAX_BYTES} bytes or the object has no complete line`);
  const found = csvObjectLayout(firstLine, layout, (columns) => csvColumnsProblem(spec, layout, columns));
  if ('problem' in found) throw new BadDataError(`${where}: the CSV columns do not fit dataset ${spec.name}: ${found.problem}`);
  return found;
}
