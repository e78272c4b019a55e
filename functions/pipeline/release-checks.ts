// Release control, the I/O side: gather what the checks compare (the finished load's totals,
// the live version's recorded figures) and evaluate them (domain/release-checks.ts).
import type { LoadSummary } from '../domain/load-summary.js';
import { evaluateChecks, type CheckReport } from '../domain/release-checks.js';
import type { PipelineDeps } from './deps.js';

export interface ReleaseCheckInput {
  version: string;
  summary: LoadSummary;
}

export async function runReleaseChecks(input: ReleaseCheckInput, deps: Pick<PipelineDeps, 'spec'>): Promise<CheckReport> {
  return evaluateChecks(deps.spec.checks, { records: input.summary.records });
}
