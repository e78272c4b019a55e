// At Plan, before anything is written: what each input object is. Its first bytes are read
// (decompressed as far as they go, for gzip) to recognise the format, estimate the expanded
// size of a compressed object, and let the format read what else the head says (a CSV
// object's header); a row format's footer is read for its row groups. An object that cannot be
// loaded fails the plan here, with its name and the reason.
import { createGunzip } from 'node:zlib';
import type { ObjectStore, StoredObject } from '../adapters/object-store.js';
import type { Compression, InputObject } from '../domain/chunk-plan.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
import { byteFormat, compressionOf, detectFormat, FORMAT_SNIFF_BYTES, FORMAT_SNIFF_MAX_BYTES, rowFormat, type ConfiguredFormat } from '../domain/formats/registry.js';
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
  const lineCut = recognised.ok && byteFormat(recognised.format)?.needsFirstLine === true && !head.includes(0x0a);
  if ((!recognised.ok || !recognised.settled || lineCut) && raw.length < o.size && raw.length < FORMAT_SNIFF_MAX_BYTES) {
    raw = await look(FORMAT_SNIFF_MAX_BYTES);
    ({ head, expandedSize } = await decode(raw));
    recognised = detectFormat(head, deps.inputFormat, hints);
  }
  if (!recognised.ok) throw new BadDataError(`${where} cannot be loaded: ${recognised.reason}`, { object: `${bucket}/${o.key}` });
  const object: InputObject = { bucket, ...o, format: recognised.format };
  if (compression) {
    object.compression = compression;
    object.expandedSize = expandedSize;
  }
  // The head holds the whole object when nothing was cut off: its last line is then complete too.
  const whole = compression ? expandedSize === head.length : raw.length === o.size;
  const bytes = byteFormat(object.format);
  if (bytes?.inspectHead) Object.assign(object, bytes.inspectHead(head, { spec: deps.spec, where, complete: whole }));
  const rows = rowFormat(object.format);
  if (rows) {
    const title = rows.title;
    if (compression) throw new BadDataError(`${where}: a gzip-compressed ${title} file cannot be read in row groups; store it uncompressed (${title} compresses its pages itself)`);
    const at = { bucket, key: o.key, etag: o.etag, size: o.size };
    let outline;
    try {
      outline = await readParquetOutline(deps.objects, at);
    } catch (err) {
      if (err instanceof Error && /^(TransientError|InputChangedError)$/.test(err.name)) throw err;
      throw new BadDataError(`${where} is not a readable ${title} file: ${(err as Error).message}`, { object: `${bucket}/${o.key}` }, { cause: err });
    }
    const wanted = rows.columnsFor(deps.spec, outline.columns);
    if ('problem' in wanted) throw new BadDataError(`${where}: the ${title} columns do not fit dataset ${deps.spec.name}: ${wanted.problem}`);
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
