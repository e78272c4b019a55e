// Commit-time arithmetic: every chunk must have reported, bad records must stay under the
// threshold, and an empty load never replaces live data.
import { BadDataError, TooManyBadRecordsError, VersionStateError } from '../errors.js';
import { mergeListStats, mergeNullStats, type ListStats, type NullStats } from './load-stats.js';

export interface BadSample {
  object: string;
  /** A byte offset in the (decompressed) object, or for Parquet (`unit: 'row'`) a row number. */
  offset: number;
  reason: string;
  unit?: 'row';
}

/** A record whose key an earlier write had already stored. */
interface DuplicateSample {
  object: string;
  offset: number;
  key: string;
  unit?: 'row';
}

export interface ChunkResult {
  index: number;
  /** Records written (a key written twice counts twice). */
  records: number;
  badRecords: number;
  bytes: number;
  samples: BadSample[];
  /** Ranked items: the list lengths written. */
  lists?: ListStats;
  /** Feature rows with declared fields: nulls per field. */
  nulls?: NullStats;
  /** Keys found already stored when this chunk wrote them (first attempt of the chunk only). */
  duplicates?: DuplicateSample[];
  /** Records skipped because their key is erased (tombstoned). */
  erased?: number;
  /** The correction log as this chunk read it: its generation, and the keys it wrote with their correction's value. */
  corrections?: { gen: number; substituted: number };
}

export interface LoadSummary {
  chunks: number;
  /** Records written by the chunks; commit replaces it with the distinct count it measures. */
  records: number;
  badRecords: number;
  /** Records of erased keys: skipped, not bad, and not counted against the load by the checks. */
  erased: number;
  bytes: number;
  /** Bad-record samples, then duplicate-key samples. */
  samples: BadSample[];
  lists?: ListStats;
  nulls?: NullStats;
  /** Keys seen written more than once (samples, not a count). */
  duplicateKeys: string[];
}

const MAX_SAMPLES = 10;

export function formatSample(s: BadSample): string {
  return `s3://${s.object} at ${s.unit ?? 'byte'} ${s.offset}: ${s.reason}`;
}

export function summarise(results: readonly ChunkResult[], chunkCount: number): LoadSummary {
  const seen = new Set(results.map((r) => r.index));
  const missing: number[] = [];
  for (let i = 0; i < chunkCount && missing.length < 10; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length > 0) {
    throw new VersionStateError(`chunks ${missing.join(', ')} of ${chunkCount} have not reported a result; refusing to commit`);
  }
  const summary: LoadSummary = { chunks: chunkCount, records: 0, badRecords: 0, erased: 0, bytes: 0, samples: [], duplicateKeys: [] };
  const duplicates: DuplicateSample[] = [];
  for (const r of [...results].sort((a, b) => a.index - b.index)) {
    summary.records += r.records;
    summary.badRecords += r.badRecords;
    summary.erased += r.erased ?? 0;
    summary.bytes += r.bytes;
    for (const s of r.samples) if (summary.samples.length < MAX_SAMPLES) summary.samples.push(s);
    for (const d of r.duplicates ?? []) if (duplicates.length < MAX_SAMPLES) duplicates.push(d);
    if (r.lists) mergeListStats((summary.lists ??= { lists: 0, empty: 0, lengths: [] }), r.lists);
    if (r.nulls) mergeNullStats((summary.nulls ??= { rows: 0, nulls: {} }), r.nulls);
  }
  // Duplicate samples share the sample list with bad records: keep room for up to half of it.
  const room = Math.max(MAX_SAMPLES / 2, MAX_SAMPLES - summary.samples.length);
  summary.samples = summary.samples.slice(0, MAX_SAMPLES - Math.min(room, duplicates.length));
  for (const d of duplicates.slice(0, room)) {
    const sample: BadSample = { object: d.object, offset: d.offset, reason: `duplicate key ${JSON.stringify(d.key)}: an earlier record had the same key` };
    if (d.unit) sample.unit = d.unit;
    summary.samples.push(sample);
  }
  summary.duplicateKeys = duplicates.map((d) => d.key);
  return summary;
}

export function assertCommittable(summary: LoadSummary, maxBadRecordRatio: number): void {
  const total = summary.records + summary.badRecords;
  if (summary.badRecords > 0 && summary.badRecords > maxBadRecordRatio * total) {
    const first = summary.samples.slice(0, 3).map(formatSample).join('; ');
    throw new TooManyBadRecordsError(
      `${summary.badRecords} of ${total} records are bad (over MAX_BAD_RECORD_RATIO=${maxBadRecordRatio}); first: ${first}`,
    );
  }
  if (summary.records === 0) {
    const erased = summary.erased > 0 ? `; ${summary.erased} records of erased keys were skipped` : '';
    throw new BadDataError(`the input holds no usable records (${summary.bytes} bytes read${erased}); refusing to make an empty version live`);
  }
}
