// Pre-flight: refuse a load that cannot fit in Redis before any data is written. The size a
// load will take is estimated from the input: a sample of records from its largest object is
// framed and shaped exactly as the workers will, which gives the bytes stored per input byte
// (keys and values only; JSON field names, whitespace and dropped fields are not stored), plus
// Redis' own overhead per record and per bucket. Data keys spread evenly over the slots, so
// each master receives its slot share of that; the load fits when every master's share fits
// in what its maxmemory leaves free, less a reserve for control keys and buffers.
//
// Invoked from planLoad once the version is registered (a duplicate or stale event has been
// answered by then, so a full cache never fails a no-op) and before the chunk plan is saved
// or any chunk runs: a refused load fails its execution with nothing loaded.
import type { MasterMemory, MemoryProbe } from '../adapters/cluster-memory.js';
import { copyCsvLayout, type ChunkPart, type InputObject } from '../domain/chunk-plan.js';
import type { RawRecord } from '../domain/raw-record.js';
import { isBad, type RecordShape } from '../domain/record-shape.js';
import { InsufficientMemoryError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { openPartRecords, shapeForPart } from './record-source.js';
import { readParquetRows } from './parquet-source.js';
import type { RowFormat } from '../domain/formats/format.js';
import { rowFormat } from '../domain/formats/registry.js';

/** Bytes of input sampled from the largest object. */
const SAMPLE_BYTES = 256 * 1024;
/** Listpack entry headers and backlengths for a field and its value, rounded up. */
const ENTRY_OVERHEAD_BYTES = 12;
/** A bucket key in the keyspace: dict entry, key object and string, listpack header. */
const BUCKET_OVERHEAD_BYTES = 160;
/** jemalloc size classes and listpack growth leave slack in every allocation. */
const ALLOCATION_FACTOR = 1.3;
/** Fraction of maxmemory kept free: control keys, client and replication buffers during the load. */
export const RESERVE_FRACTION = 0.05;

export interface SampledRatio {
  /** Stored bytes (keys and values, with per-entry overhead) per byte of input. */
  storedPerInputByte: number;
  records: number;
  inputBytes: number;
}

export interface LoadEstimate {
  bytes: number;
  basis: string;
}

export interface Shortfall {
  node: string;
  needBytes: number;
  freeBytes: number;
  maxBytes: number;
}

/** Stored bytes per input byte over framed records (bad records are not stored and do not count). */
function ratioOf(records: readonly RawRecord[], shape: RecordShape): SampledRatio {
  let inputBytes = 0;
  let storedBytes = 0;
  let stored = 0;
  for (const r of records) {
    inputBytes += r.length + 1; // its newline or comma
    const shaped = shape.shape(r);
    if (isBad(shaped)) continue;
    stored++;
    storedBytes += Buffer.byteLength(shaped.key) + Buffer.byteLength(shaped.value) + ENTRY_OVERHEAD_BYTES;
  }
  // Nothing usable in the sample: assume every input byte is stored.
  return { storedPerInputByte: stored > 0 ? storedBytes / inputBytes : 1, records: stored, inputBytes };
}

export function estimateLoad(totalInputBytes: number, buckets: number, ratio: SampledRatio | null): LoadEstimate {
  const perByte = ratio ? Math.max(ratio.storedPerInputByte, 0.05) : 1;
  const bytes = Math.ceil(totalInputBytes * perByte * ALLOCATION_FACTOR + buckets * BUCKET_OVERHEAD_BYTES);
  const basis = ratio
    ? `${ratio.records} sampled records store ${perByte.toFixed(2)} bytes per input byte`
    : 'no sample: one stored byte per input byte';
  return { bytes, basis };
}

/** The masters whose share of the estimate does not fit in their free memory (none: it fits). */
export function shortfalls(estimate: LoadEstimate, masters: readonly MasterMemory[]): Shortfall[] {
  const out: Shortfall[] = [];
  for (const m of masters) {
    if (m.maxBytes <= 0) continue; // no maxmemory: nothing to compare with (local clusters)
    const needBytes = Math.ceil(estimate.bytes * m.slotShare);
    const freeBytes = m.maxBytes * (1 - RESERVE_FRACTION) - m.usedBytes;
    if (needBytes > freeBytes) out.push({ node: m.node, needBytes, freeBytes: Math.max(0, Math.floor(freeBytes)), maxBytes: m.maxBytes });
  }
  return out;
}

const MiB = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/** Throws InsufficientMemoryError when the load cannot fit; does nothing without a memory probe. */
export async function preflight(
  load: { version: string; objects: readonly InputObject[]; totalBytes: number; buckets: number },
  deps: Pick<PipelineDeps, 'objects' | 'shape' | 'load' | 'spec'> & { memory?: MemoryProbe },
): Promise<LoadEstimate | null> {
  if (!deps.memory || load.totalBytes === 0) return null;
  const [ratio, masters] = await Promise.all([sample(load.objects, deps), deps.memory.masters()]);
  const estimate = estimateLoad(load.totalBytes, load.buckets, ratio);
  const short = shortfalls(estimate, masters);
  if (short.length > 0) {
    const worst = short.reduce((a, b) => (b.needBytes - b.freeBytes > a.needBytes - a.freeBytes ? b : a));
    throw new InsufficientMemoryError(
      `version ${load.version} does not fit in Redis: about ${MiB(estimate.bytes)} for ${MiB(load.totalBytes)} of input (${estimate.basis}); ` +
        `master ${worst.node} would need ${MiB(worst.needBytes)} but has ${MiB(worst.freeBytes)} free of ${MiB(worst.maxBytes)} maxmemory` +
        `${short.length > 1 ? ` (${short.length} masters short)` : ''}. Nothing was written; free memory (retire versions, lower RETAIN_VERSIONS) or grow the cache`,
    );
  }
  return estimate;
}

async function sample(objects: readonly InputObject[], deps: Pick<PipelineDeps, 'objects' | 'shape' | 'load' | 'spec'>): Promise<SampledRatio | null> {
  const largest = objects.reduce<InputObject | undefined>((a, o) => (!a || o.size > a.size ? o : a), undefined);
  if (!largest || largest.size === 0) return null;
  const rows = rowFormat(largest.format);
  if (rows) return sampleRows(largest, rows, deps).catch(() => null);
  // The first SAMPLE_BYTES of records, framed and shaped exactly as a worker will (record-source.ts).
  const part: ChunkPart = { bucket: largest.bucket, key: largest.key, etag: largest.etag, start: 0, end: largest.compression ? largest.size : Math.min(largest.size, SAMPLE_BYTES), format: largest.format };
  if (largest.compression) part.compression = largest.compression;
  copyCsvLayout(largest, part);
  const records: RawRecord[] = [];
  let sampled = 0;
  let shape: RecordShape;
  let source;
  try {
    shape = shapeForPart(part, deps.spec, deps.shape, deps.load.maxRecordBytes);
    source = await openPartRecords(part, deps.objects, { maxRecordBytes: deps.load.maxRecordBytes, spec: deps.spec });
  } catch {
    return null;
  }
  try {
    for await (const batch of source.batches) {
      for (const r of batch) {
        records.push(r);
        sampled += r.length + 1;
      }
      if (sampled >= SAMPLE_BYTES) break;
    }
  } catch {
    // A sample that cannot be framed to its end (a document cut by the sample) still says something.
  } finally {
    source.close();
  }
  return records.length > 0 ? ratioOf(records, shape) : null;
}

/** Parquet: shape the first rows of the first row group; each row weighs its share of the group's decoded bytes. */
async function sampleRows(o: InputObject, format: RowFormat, deps: Pick<PipelineDeps, 'objects' | 'spec'>): Promise<SampledRatio | null> {
  const group = o.rowGroups?.find((g) => g.rowEnd > g.rowStart);
  if (!group || !o.columns) return null;
  const end = Math.min(group.rowEnd, group.rowStart + PARQUET_SAMPLE_ROWS);
  const rows = await readParquetRows(deps.objects, { bucket: o.bucket, key: o.key, etag: o.etag, size: o.size }, [group.rowStart, end], o.columns, { bytes: 0 });
  const shape = format.rowShape(deps.spec);
  let stored = 0;
  let storedBytes = 0;
  rows.forEach((row, i) => {
    const shaped = shape(row, group.rowStart + i);
    if (isBad(shaped)) return;
    stored++;
    storedBytes += Buffer.byteLength(shaped.key) + Buffer.byteLength(shaped.value) + ENTRY_OVERHEAD_BYTES;
  });
  const inputBytes = (rows.length * group.bytes) / (group.rowEnd - group.rowStart);
  return stored > 0 ? { storedPerInputByte: storedBytes / inputBytes, records: stored, inputBytes } : null;
}

/** Rows of a Parquet file sampled by the pre-flight check. */
const PARQUET_SAMPLE_ROWS = 2000;
