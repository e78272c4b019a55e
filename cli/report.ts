// The end of a load, whether it ran locally or in AWS: the state machine's output (or its
// error) turned into one summary, printed for people or as JSON, and an exit code.
import { formatCheck } from '../functions/domain/held-notice.js';
import type { BadSample } from '../functions/domain/load-summary.js';
import type { CheckResult } from '../functions/domain/release-checks.js';
import { formatSample } from '../functions/domain/load-summary.js';
import type { CommitResult } from '../functions/pipeline/commit-version.js';
import type { PlanResult } from '../functions/pipeline/plan-load.js';
import { EXIT, writeLine, type CliContext } from './command.js';
import { bytes, count, seconds } from './progress.js';

export interface IngestReport {
  /** loaded: the version is live; held: complete but not live (see heldReason); nothing-to-do: a repeated run; refused: a newer version is live. */
  outcome: 'loaded' | 'held' | 'nothing-to-do' | 'refused' | 'failed' | 'interrupted';
  /** Held loads: 'checks-failed' or 'manual-approval', and the checks that failed. */
  heldReason?: string;
  failedChecks?: CheckResult[];
  execution: string;
  dataset?: string;
  version?: string;
  /** The version it replaced. */
  previous?: string;
  objects?: number;
  bytes?: number;
  chunks?: number;
  records: number;
  badRecords: number;
  samples: BadSample[];
  /** Wall time of the whole run. */
  ms: number;
  reason?: string;
  error?: string;
  cause?: string;
  /** Something failed after the version went live (retiring old versions). */
  warning?: string;
}

/** What the state machine's output says (it is the Plan result with the Commit result under result.commit). */
export function reportFromOutput(output: unknown, execution: string, ms: number, seenSamples: BadSample[] = []): IngestReport {
  const out = (output ?? {}) as Partial<PlanResult> & { result?: { commit?: CommitResult } };
  const base = {
    execution,
    dataset: out.dataset || undefined,
    version: out.version || undefined,
    objects: out.objects,
    bytes: out.totalBytes,
    chunks: out.chunkCount,
    ms,
  };
  const commit = out.result?.commit;
  if (out.action === 'skip' || !commit) {
    // Plan skips a version that exists already (a repeated event) or is older than the live one.
    const stale = /order key at or after/.test(out.reason ?? '');
    return { ...base, outcome: stale ? 'refused' : 'nothing-to-do', records: 0, badRecords: 0, samples: [], reason: out.reason };
  }
  const samples = commit.samples.length > 0 ? commit.samples : seenSamples.slice(0, 10);
  const report: IngestReport = { ...base, outcome: 'loaded', records: commit.records, badRecords: commit.badRecords, samples, previous: commit.previous || undefined };
  if (commit.outcome === 'refused') {
    return { ...report, outcome: 'refused', reason: `live version ${commit.previous} went live while this one loaded and is ordered after it; ${commit.version} was deleted` };
  }
  if (commit.outcome === 'already-live') return { ...report, outcome: 'nothing-to-do', reason: `version ${commit.version} is already live` };
  if (commit.outcome === 'superseded') {
    return { ...report, previous: undefined, warning: `${commit.version} went live, and ${commit.previous} (ordered after it) has replaced it since` };
  }
  if (commit.outcome === 'held') {
    return { ...report, outcome: 'held', heldReason: commit.held?.reason, failedChecks: commit.checks.checks.filter((c) => c.outcome === 'fail') };
  }
  return report;
}

/**
 * An execution that did not succeed. If it failed after the swap (RetireFailed: deleting old
 * versions), the version is live all the same: a load with a warning, not a failed one.
 */
export function reportFromFailure(f: {
  execution: string;
  ms: number;
  plan?: PlanResult;
  commit?: CommitResult;
  error?: string;
  cause?: string;
  interrupted?: boolean;
  badRecords: number;
  samples: BadSample[];
}): IngestReport {
  if (f.plan && f.commit && ['swapped', 'already-live', 'superseded', 'held'].includes(f.commit.outcome)) {
    return { ...reportFromOutput({ ...f.plan, result: { commit: f.commit } }, f.execution, f.ms, f.samples), warning: `${f.error ?? 'Error'}: ${f.cause ?? 'no cause given'}` };
  }
  return {
    outcome: f.interrupted ? 'interrupted' : 'failed',
    execution: f.execution,
    dataset: f.plan?.dataset,
    version: f.plan?.version,
    objects: f.plan?.objects,
    bytes: f.plan?.totalBytes,
    chunks: f.plan?.chunkCount,
    records: 0,
    badRecords: f.badRecords,
    samples: f.samples,
    ms: f.ms,
    error: f.error,
    cause: f.cause,
  };
}

export function exitCodeOf(report: IngestReport): number {
  switch (report.outcome) {
    case 'loaded':
    case 'nothing-to-do':
      return EXIT.OK;
    case 'refused':
      return EXIT.REFUSED;
    case 'held':
      return EXIT.HELD;
    case 'interrupted':
      return EXIT.INTERRUPTED;
    default:
      // Redis or S3 did not answer, even after the state machine's retries.
      return report.error === 'TransientError' || report.error === 'S3UnreachableError' ? EXIT.UNREACHABLE : EXIT.FAILED;
  }
}

export function printReport(report: IngestReport, ctx: CliContext, json: boolean): void {
  if (json) {
    writeLine(ctx.out, JSON.stringify(report, null, 2));
    return;
  }
  const v = report.version ?? '';
  switch (report.outcome) {
    case 'loaded': {
      const rate = report.ms > 0 ? `, ${count((report.records * 1000) / report.ms)} records/s` : '';
      const from = report.objects === undefined ? '' : ` from ${count(report.objects)} object${report.objects === 1 ? '' : 's'} (${bytes(report.bytes ?? 0)})`;
      writeLine(ctx.out, `version ${v} of ${report.dataset} is live: ${count(report.records)} records (${count(report.badRecords)} bad)${from} in ${count(report.chunks ?? 0)} chunk${report.chunks === 1 ? '' : 's'}, ${seconds(report.ms)}${rate}`);
      writeLine(ctx.out, report.previous ? `  it replaced version ${report.previous}, which is kept for rollback until retention deletes it` : '  it is the first live version of this dataset');
      break;
    }
    case 'held': {
      const failed = report.failedChecks?.length ?? 0;
      const why = report.heldReason === 'manual-approval' ? 'the dataset waits for approval (promote: manual)' : `${failed === 1 ? 'a release check' : `${failed} release checks`} failed`;
      writeLine(ctx.out, `version ${v} of ${report.dataset} is held, not live: ${why}; ${count(report.records)} records (${count(report.badRecords)} bad), ${seconds(report.ms)}`);
      for (const c of report.failedChecks ?? []) writeLine(ctx.out, `  ${formatCheck(c)}`);
      writeLine(ctx.out, `  ${report.previous ? `the live version ${report.previous} is untouched` : 'nothing is live yet'}; sluice promote ${v} makes it live, sluice discard ${v} deletes it`);
      break;
    }
    case 'nothing-to-do':
      writeLine(ctx.out, `nothing to do: ${report.reason ?? `version ${v} is already live`}`);
      break;
    case 'refused':
      writeLine(ctx.out, `not loaded: ${report.reason}`);
      break;
    case 'interrupted':
      writeLine(ctx.out, report.version
        ? `interrupted: version ${v} was not made live and its keys were deleted; the live version is untouched`
        : 'interrupted in Plan, before any data was written; the live version is untouched');
      break;
    default:
      writeLine(ctx.out, `load failed: ${report.error ?? 'Error'}: ${report.cause ?? 'no cause given'}`);
      writeLine(ctx.out, report.version
        ? `  version ${v} was not made live and its keys were deleted; the live version is untouched (execution ${report.execution})`
        : `  it failed in Plan, before any data was written; the live version is untouched (execution ${report.execution})`);
  }
  if (report.warning) writeLine(ctx.out, `  but then: ${report.warning}`);
  if (report.badRecords > 0 || report.samples.length > 0) {
    writeLine(ctx.out, `bad records${report.badRecords > 0 ? ` (${count(report.badRecords)})` : ''}, first ${report.samples.length}:`);
    for (const s of report.samples) writeLine(ctx.out, `  ${formatSample(s)}`);
  }
}
