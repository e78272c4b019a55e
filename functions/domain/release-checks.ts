// Release control: the checks a complete load must pass before it may go live unattended.
// Pure: the measured figures come in, a report comes out. Each check records what it measured,
// against which threshold, and its outcome, so an operator can see why a version was held.

type CheckOutcome = 'pass' | 'fail' | 'skipped';

interface CheckResult {
  /** Stable name (metrics, the state machine's output, `sluice status`), e.g. 'record-count-min'. */
  name: string;
  outcome: CheckOutcome;
  /** What was measured (a count, a ratio); null when it could not be measured. */
  value: number | null;
  /** The threshold as operators read it, e.g. '>= 1000'. */
  threshold: string;
  /** One sentence: what was measured against what, and why a skip was a skip. */
  detail: string;
}

export interface CheckReport {
  /** No enabled check failed. */
  passed: boolean;
  checks: CheckResult[];
}

/** Per dataset; every check can be switched off (a minimum of 0 switches the record-count minimum off). */
export interface ReleaseCheckConfig {
  /** A load with fewer records is held. 0: off. */
  minRecords: number;
}

export const DEFAULT_RELEASE_CHECKS: ReleaseCheckConfig = { minRecords: 1 };

/** What the finished load measured. */
export interface MeasuredLoad {
  records: number;
}

export function evaluateChecks(config: ReleaseCheckConfig, measured: MeasuredLoad): CheckReport {
  const checks: CheckResult[] = [];
  if (config.minRecords > 0) {
    const ok = measured.records >= config.minRecords;
    checks.push({
      name: 'record-count-min',
      outcome: ok ? 'pass' : 'fail',
      value: measured.records,
      threshold: `>= ${config.minRecords}`,
      detail: `${measured.records} records loaded; at least ${config.minRecords} required`,
    });
  }
  return { passed: checks.every((c) => c.outcome !== 'fail'), checks };
}
