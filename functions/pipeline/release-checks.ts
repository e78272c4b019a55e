// Release control, the I/O side: measure what the checks compare (the distinct record count,
// a sample of live keys, the recorded figures of the live version) and evaluate them
// (domain/release-checks.ts). Every measurement is bounded: one HLEN per bucket, a fixed
// sample of keys, no SCAN and no read-back of the version's data.
import type { InputCompleteness } from '../domain/input-completeness.js';
import type { VersionStats } from '../domain/load-stats.js';
import type { LoadSummary } from '../domain/load-summary.js';
import { evaluateChecks, type CheckReport, type LiveFigures } from '../domain/release-checks.js';
import { VersionStateError } from '../errors.js';
import type { PipelineDeps } from './deps.js';

export interface ReleaseCheckInput {
  version: string;
  summary: LoadSummary;
}

/** The report, and the figures stored on the version for the next load to compare with. */
export interface ReleaseCheckRun extends CheckReport {
  stats: VersionStats;
}

export async function runReleaseChecks(input: ReleaseCheckInput, deps: Pick<PipelineDeps, 'dataset' | 'spec' | 'versions'>): Promise<ReleaseCheckRun> {
  const { version, summary } = input;
  const config = deps.spec.checks;
  const meta = await deps.versions.get(version);
  if (!meta) throw new VersionStateError(`version ${version} of ${deps.dataset} does not exist`);
  // Chunk results are stored per chunk (a retried chunk replaces its own), so their sum counts
  // each write once; HLEN counts each key once. The difference is the keys written twice.
  const records = await deps.versions.countRecords(version, meta.buckets);
  const stats: VersionStats = { records, written: summary.records, duplicates: Math.max(0, summary.records - records) };
  if (summary.erased > 0) stats.erased = summary.erased;
  if (summary.lists) stats.lists = summary.lists;
  if (summary.nulls) stats.nulls = summary.nulls;

  const pointer = await deps.versions.current();
  if (pointer?.version === version || meta.status !== 'loading') {
    // A retried Commit whose earlier attempt decided already (the version went live, was held
    // or refused): the report made then stands. Checking again against whatever is live now
    // could reach another verdict on a decision that has been taken.
    const stored = parseJson<CheckReport['checks']>(meta.fields.checks);
    if (stored) return { passed: WENT_LIVE.has(meta.status) || stored.every((c) => c.outcome !== 'fail'), checks: stored, stats };
  }
  let live: LiveFigures | null = null;
  let coverage: { sampled: number; present: number } | null = null;
  if (pointer && pointer.version !== version) {
    const fields = (await deps.versions.get(pointer.version))?.fields ?? {};
    live = { version: pointer.version, records: fields.records ? Number(fields.records) : null, stats: parseJson<VersionStats>(fields.stats) };
    if (config.minLiveKeyCoverage !== null) {
      const keys = await deps.versions.sampleKeys(pointer.version, pointer.buckets, config.coverageSample);
      coverage = { sampled: keys.length, present: keys.length === 0 ? 0 : await deps.versions.countPresent(version, meta.buckets, keys) };
    }
  }
  const inputs = parseJson<InputCompleteness>(meta.fields.inputCheck);
  const report = evaluateChecks(config, { stats, duplicateSamples: summary.duplicateKeys, live, coverage, inputs });
  // On the version whatever happens next (live, held or failed): the next load compares with these.
  await deps.versions.recordFields(version, { stats: JSON.stringify(stats), checks: JSON.stringify(report.checks) });
  return { ...report, stats };
}

/** Statuses of a version that went live: its commit passed (or an operator promoted it). */
const WENT_LIVE = new Set(['live', 'superseded', 'retiring', 'retired']);

/** A JSON field of a version's metadata; null when absent or unreadable. */
export function parseJson<T>(text: string | undefined): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null; // a field written by another release: treated as not recorded
  }
}
