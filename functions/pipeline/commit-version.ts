// Step 3: check the totals, then make the version live with one compare-and-set.
import { assertCommittable, summarise, type BadSample } from '../domain/load-summary.js';
import type { CheckReport } from '../domain/release-checks.js';
import { ReleaseCheckFailedError } from '../errors.js';
import type { PipelineDeps } from './deps.js';
import { runReleaseChecks, type ReleaseCheckRun } from './release-checks.js';

export interface CommitInput {
  dataset: string;
  version: string;
  owner: string;
  chunkCount: number;
}

export interface CommitResult {
  outcome: 'swapped' | 'already-live' | 'refused';
  version: string;
  previous: string;
  records: number;
  badRecords: number;
  samples: BadSample[];
  /** From registration to the swap (or refusal). */
  loadMs: number;
  /** The release checks: what each measured, its threshold and outcome (and the figures stored for the next load). */
  checks: CheckReport;
}

/** `observe` sees the checks' report before anything is decided on it (metrics, logs). */
export async function commitVersion(input: CommitInput, deps: PipelineDeps, observe?: (run: ReleaseCheckRun) => void): Promise<CommitResult> {
  const summary = summarise(await deps.versions.chunkResults(input.version), input.chunkCount);
  assertCommittable(summary, deps.load.maxBadRecordRatio);
  const checks = await runReleaseChecks({ version: input.version, summary }, deps);
  observe?.(checks);
  // Records are the distinct keys the version holds (the chunks' sum counts a duplicate twice).
  summary.records = checks.stats.records;
  if (!checks.passed) {
    const failed = checks.checks.filter((c) => c.outcome === 'fail').map((c) => `${c.name}: ${c.detail}`);
    throw new ReleaseCheckFailedError(`version ${input.version} of ${input.dataset} failed its release checks: ${failed.join('; ')}`);
  }
  const now = deps.now();
  const swap = await deps.versions.swap({
    version: input.version,
    owner: input.owner,
    requiredStatus: 'loading',
    force: false,
    now,
    fields: { records: summary.records, badRecords: summary.badRecords, bytes: summary.bytes, samples: JSON.stringify(summary.samples), checks: JSON.stringify(checks.checks) },
  });
  if (swap.outcome === 'refused') {
    // A newer version went live while this one loaded. Nobody ever read it: delete it now.
    const meta = await deps.versions.get(input.version);
    if (meta && (await deps.versions.beginDelete(input.version))) {
      await deps.versions.deleteData(input.version, meta.buckets, deps.newWriter(), now);
    }
  }
  const registered = Number((await deps.versions.get(input.version))?.fields.createdAt ?? now);
  return {
    outcome: swap.outcome,
    version: input.version,
    previous: swap.previous,
    records: summary.records,
    badRecords: summary.badRecords,
    samples: summary.samples,
    loadMs: Math.max(0, now - registered),
    checks,
  };
}
