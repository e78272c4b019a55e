// Commit-time arithmetic: every chunk must have reported, bad records must stay under the
// threshold, and an empty load never replaces live data.
import { BadDataError, TooManyBadRecordsError, VersionStateError } from '../errors.js';

export interface BadSample {
  object: string;
  offset: number;
  reason: string;
}

export interface ChunkResult {
  index: number;
  records: number;
  badRecords: number;
  bytes: number;
  samples: BadSample[];
}

export interface LoadSummary {
  chunks: number;
  records: number;
  badRecords: number;
  bytes: number;
  samples: BadSample[];
}

const MAX_SAMPLES = 10;

export function formatSample(s: BadSample): string {
  return `s3://${s.object} at byte ${s.offset}: ${s.reason}`;
}

export function summarise(results: readonly ChunkResult[], chunkCount: number): LoadSummary {
  const seen = new Set(results.map((r) => r.index));
  const missing: number[] = [];
  for (let i = 0; i < chunkCount && missing.length < 10; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length > 0) {
    throw new VersionStateError(`chunks ${missing.join(', ')} of ${chunkCount} have not reported a result; refusing to commit`);
  }
  const summary: LoadSummary = { chunks: chunkCount, records: 0, badRecords: 0, bytes: 0, samples: [] };
  for (const r of [...results].sort((a, b) => a.index - b.index)) {
    summary.records += r.records;
    summary.badRecords += r.badRecords;
    summary.bytes += r.bytes;
    for (const s of r.samples) if (summary.samples.length < MAX_SAMPLES) summary.samples.push(s);
  }
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
    throw new BadDataError(`the input holds no usable records (${summary.bytes} bytes read); refusing to make an empty version live`);
  }
}
